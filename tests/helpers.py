"""Shared test helpers: a demo site in a subprocess, `scrapy crawl recaps` in another, the archive compared with the
site's ground truth, a copy of the project. Fixtures are in conftest.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver.archive.store import open_archive, save_recap, start_crawl
from archiver.items import CommentItem, RecapItem
from archiver.threads import assemble_thread

PROJECT = Path(__file__).resolve().parent.parent
OUTPUT = PROJECT / "test-output"

# Tests crawl only servers on 127.0.0.1 that they start themselves, so they lift the politeness limits.
LOCAL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "DEBUG",
}


@dataclass
class DemoSite:
    """A running demo site and the ground truth it wrote."""

    base_url: str
    truth: dict[str, Any]
    process: subprocess.Popen


def start_demo_site(tmp: Path, *args: str) -> DemoSite:
    """Start `python -m archiver.demo` on a free port; return it once it serves."""
    truth_path = tmp / "truth.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "archiver.demo", "--port", "0", "--truth", str(truth_path), *args],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "http://" not in line:
        process.kill()
        raise RuntimeError(f"demo site did not start: {line!r}")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    return DemoSite(line.split()[-1], truth, process)


def terminate(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server process: SIGTERM, then SIGKILL if it has not gone within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop(site: DemoSite) -> None:
    terminate(site.process)


@dataclass
class CrawlRun:
    """A finished `scrapy crawl` subprocess."""

    returncode: int
    stdout: str
    stderr: str
    log: str


def run_crawl(db: Path, *spider_args: str, settings: dict[str, str] | None = None, timeout: int = 300) -> CrawlRun:
    """Run `scrapy crawl recaps` in the project folder, as a user would."""
    log_file = db.with_suffix(f".{len(list(db.parent.glob('*.log')))}.log")
    command = ["scrapy", "crawl", "recaps", "-s", f"ARCHIVE_DB={db}", "-s", f"LOG_FILE={log_file}"]
    for name, value in {**LOCAL_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    for arg in spider_args:
        command += ["-a", arg]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=timeout, env=env)
    log = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
    return CrawlRun(done.returncode, done.stdout, done.stderr, log)


TABLES = ("sites", "series", "terms", "recaps", "recap_terms", "comments")


def archive_rows(db: Path, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def table_counts(db: Path) -> dict[str, int]:
    return {t: archive_rows(db, f"select count(*) as n from {t}")[0]["n"] for t in TABLES}


def differences(
    db: Path, truth: dict[str, Any], recaps: list[dict[str, Any]], only_archived: bool = False
) -> list[str]:
    """Every way the archive differs from the ground truth for ``recaps``; empty when equal.

    With ``only_archived`` the archive may hold other recaps too (a crawl that could not get everything).
    """
    problems: list[str] = []
    archived = {
        r["url"]: r
        for r in archive_rows(
            db,
            "select recaps.*, series.name as series_name, series.url as series_url from recaps left join series on series.id = recaps.series_id",
        )
    }
    if only_archived:
        archived = {url: row for url, row in archived.items() if url in {r["url"] for r in recaps}}
    if set(archived) != {r["url"] for r in recaps}:
        problems.append(
            f"recap URLs differ: missing {sorted({r['url'] for r in recaps} - set(archived))[:5]}, "
            f"extra {sorted(set(archived) - {r['url'] for r in recaps})[:5]}"
        )
    series_urls = {s["name"]: s["tag_url"] for s in truth["series"]}
    for want in recaps:
        got = archived.get(want["url"])
        if got is None:
            continue
        where = want["url"]
        for field, value in [
            ("title", want["title"]),
            ("series_name", want["series"]),
            ("episode_number", want["episode_number"]),
            ("episode_end", want["episode_end"]),
            ("episode_label", want["episode_label"]),
            ("author", want["author"]),
            ("published_at", want["published_at"]),
            ("comment_count_reported", want["comment_count"]),
            ("comment_pages", want["comment_pages"]),
            ("thread_complete", 1),
        ]:
            if got[field] != value:
                problems.append(f"{where}: {field} {got[field]!r} != {value!r}")
        if want["series"] and got["series_url"] != series_urls[want["series"]]:
            problems.append(f"{where}: series not linked to its tag ({got['series_url']!r})")
        for sentence in want["body_text_contains"]:
            if sentence not in got["body_text"]:
                problems.append(f"{where}: body lacks {sentence[:40]!r}")
        for furniture in ("Required fields are marked", "Share this:", "Related"):
            if furniture in got["body_text"]:
                problems.append(f"{where}: body contains page furniture {furniture!r}")
        terms = archive_rows(
            db,
            "select terms.taxonomy, terms.name from recap_terms join terms on terms.id = recap_terms.term_id where recap_id = ?",
            (got["id"],),
        )
        if sorted(t["name"] for t in terms if t["taxonomy"] == "post_tag") != sorted(want["tags"]):
            problems.append(f"{where}: tags {terms} != {want['tags']}")
        if sorted(t["name"] for t in terms if t["taxonomy"] == "category") != sorted(want["categories"]):
            problems.append(f"{where}: categories {terms} != {want['categories']}")
        problems += comment_differences(db, got["id"], where, want["comments"])
    return problems


def comment_differences(db: Path, recap_id: int, where: str, want: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    rows = archive_rows(
        db,
        "select c.*, p.site_comment_id as parent_site, r.site_comment_id as root_site from comments c "
        "left join comments p on p.id = c.parent_id left join comments r on r.id = c.root_id "
        "where c.recap_id = ? order by c.path",
        (recap_id,),
    )
    if [r["site_comment_id"] for r in rows] != [c["id"] for c in want]:
        problems.append(f"{where}: comment ids in thread order differ ({len(rows)} archived, {len(want)} on the site)")
    truth_by_id = {c["id"]: c for c in want}
    for row in rows:
        expected = truth_by_id.get(row["site_comment_id"])
        if expected is None:
            continue
        # A reply whose parent is not public starts a thread of its own in the archive.
        # (The truth flags replies in a reply cycle or naming themselves as parent_missing too.)
        root, depth = expected, 1
        while root["parent"] is not None and root["parent"] in truth_by_id and not root.get("parent_missing"):
            root, depth = truth_by_id[root["parent"]], depth + 1
        missing = expected.get("parent_missing", False)
        shown = expected.get("in_html", True)
        for field, got, value in [
            ("parent", row["parent_site"] if not missing else row["parent_site_comment_id"], expected["parent"]),
            ("root", row["root_site"], root["id"]),
            ("depth", row["depth"], depth),
            ("author", row["author"], expected["author"]),
            ("author_url", row["author_url"], expected["author_url"]),
            ("posted_at", row["posted_at"], expected["posted_at"]),
            ("text", row["body_text"], expected["text"]),
            ("upvotes", row["upvotes"], expected["upvotes"] if shown else None),
            ("downvotes", row["downvotes"], expected["downvotes"] if shown else None),
            ("parent_missing", row["parent_missing"], int(missing)),
        ]:
            if got != value:
                problems.append(f"{where}#comment-{row['site_comment_id']}: {field} {got!r} != {value!r}")
        if row["body_html"] and re.search(r"comment-reply-link|cld-like|commentform", row["body_html"]):
            problems.append(f"{where}#comment-{row['site_comment_id']}: body_html keeps page furniture")
    return problems


def crawled_urls(log: str) -> list[str]:
    return re.findall(r"Crawled \(\d+\) <GET ([^>]+)>", log)


def assert_same(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} differences, first ones:\n" + "\n".join(problems[:25])


def copy_project(dest: Path) -> Path:
    """Copy the project's files (tracked, and new ones git does not ignore) to ``dest``: no .venv, no build/."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=PROJECT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = PROJECT / name
        if source.is_file():  # a tracked file may be deleted in the working tree
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


# -- a hostile archive: script-injection attempts, an edited comment and a deleted one (test_plugin, test_browser)

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_SITE = "http://127.0.0.1:9/"


def hostile_recap(fetched_at: str, edited: bool) -> RecapItem:
    """A recap whose comments try to inject script: as text (escaped in the page) and as raw HTML."""
    comments = [
        CommentItem("1", author="Mallory", body_html="<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", body_text=HOSTILE_SCRIPT,
                    posted_at="2024-01-01T10:00:00+00:00", upvotes=3, downvotes=1, score=2),
        CommentItem("2", "1", author='"><img src=x onerror=alert(2)>', author_url="javascript:alert(3)",
                    body_html='<p onclick="alert(4)">Hi<script>alert(5)</script><img src=x onerror=alert(6)>'
                              '<a href="javascript:alert(7)">link</a></p>',
                    body_text="Hi link", posted_at="2024-01-01T11:00:00+00:00"),
        CommentItem("3", "2", author="Ji-ho", body_html="<p>Edited later</p>" if edited else "<p>First words</p>",
                    body_text="Edited later" if edited else "First words", posted_at="2024-01-01T12:00:00+00:00"),
    ]  # fmt: skip
    if not edited:  # a comment the second crawl no longer finds: gone
        comments.append(CommentItem("4", author="Gone Soon", body_html="<p>Bye</p>", body_text="Bye"))
    threaded, _ = assemble_thread(comments)
    return RecapItem(
        url=HOSTILE_SITE + "2024/01/01/show-episode-1/", site_url=HOSTILE_SITE, site_name="Hostile", fetched_at=fetched_at,
        title="Show: Episode 1 <script>alert(8)</script>", author="Eve", published_at="2024-01-01T00:00:00+00:00",
        body_html="<p>Recap</p>", body_text="Recap", comments=threaded, series_name="Show", episode_number=1,
    )  # fmt: skip


def make_hostile_archive(path: Path) -> Path:
    """An archive with script-injection attempts, an edited comment and a deleted one, saved by the store."""
    db = open_archive(path)
    for when, edited in (("2024-01-02T00:00:00+00:00", False), ("2024-01-03T00:00:00+00:00", True)):
        save_recap(db, hostile_recap(when, edited), start_crawl(db, "test", {}, when))
    db.close()
    return path


def injected_tags(html: str) -> list[str]:
    """Tags in ``html`` that could run script: script, img, iframe, event handlers, ``javascript:`` links."""
    tags = re.findall(r"<[^>]+>", html)
    return [t for t in tags if re.search(r"^<(script|img|iframe)|\son\w+=|javascript:", t, re.I)]
