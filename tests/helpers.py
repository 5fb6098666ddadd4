"""Shared test helpers: a demo site in a subprocess, `scrapy crawl recaps` in another, the archive compared with the
site's ground truth, a copy of the project. Fixtures are in conftest.py."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from datasette.app import Datasette
from sqlite_utils import Database

from archiver.archive.bodies import BodyReader
from archiver.archive.query import escape_fts, search_comments
from archiver.archive.schema import VIEWS, migrations
from archiver.archive.store import open_archive, save_recap, start_crawl
from archiver.cli import cli
from archiver.items import CommentItem, RecapItem, Term
from archiver.threads import assemble_thread
from archiver.web.metadata import CANNED_QUERIES

PROJECT = Path(__file__).resolve().parent.parent
OUTPUT = PROJECT / "test-output"

# Tests crawl only servers on 127.0.0.1 that they start themselves, so they lift the politeness limits.
LOCAL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "INFO",
}
DEBUG_LOG = {"LOG_LEVEL": "DEBUG"}
"""For the few tests that read Scrapy's DEBUG lines ("Crawled (200) <GET ...>"); crawls log at INFO otherwise."""


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


def run_crawl(
    db: Path,
    *spider_args: str,
    settings: dict[str, str] | None = None,
    timeout: int = 300,
    env: dict[str, str] | None = None,
) -> CrawlRun:
    """Run `scrapy crawl recaps` in the project folder, as a user would (``env``: added to the environment)."""
    log_file = db.with_suffix(f".{len(list(db.parent.glob('*.log')))}.log")
    command = ["scrapy", "crawl", "recaps", "-s", f"ARCHIVE_DB={db}", "-s", f"LOG_FILE={log_file}"]
    for name, value in {**LOCAL_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    for arg in spider_args:
        command += ["-a", arg]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        command,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PATH": path, **(env or {})},
    )
    log = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
    return CrawlRun(done.returncode, done.stdout, done.stderr, log)


def crawl_refusing_second_comment_pages(
    tmp: Path, settings: dict[str, str], env: dict[str, str] | None = None, timeout: int = 300
) -> tuple[DemoSite, Path, CrawlRun]:
    """A crawl of a demo site (6 episodes, 900 comments: more than the 64 pages a site's zstd dictionary is trained
    on) into an archive that refuses the page row of every second comment page, as a full disk would."""
    site = start_demo_site(tmp, "--episodes", "6", "--comments", "900")
    try:
        db = tmp / "a.db"
        open_archive(db).close()
        conn = sqlite3.connect(db)
        conn.execute(
            "create trigger refuse before insert on pages when new.url like '%/comment-page-2/%' "
            "begin select raise(abort, 'database or disk is full'); end"
        )
        conn.close()
        run = run_crawl(
            db, f"url={site.base_url}", settings={"LOG_LEVEL": "INFO", **settings}, env=env, timeout=timeout
        )
    finally:
        stop(site)
    return site, db, run


def run_cli(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run `recap-archiver ARGS...` in a subprocess from ``cwd``, as a user (or cron) would."""
    return subprocess.run(
        [sys.executable, "-m", "archiver.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def toml_table(values: dict[str, str]) -> str:
    """``values`` as a TOML inline table, e.g. LOCAL_SETTINGS for a sites file's ``settings``."""
    return "{ " + ", ".join(f"{name} = {json.dumps(value)}" for name, value in values.items()) + " }"


TABLES = ("sites", "series", "terms", "recaps", "recap_terms", "comments")


def archive_rows(db: Path, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def archive_tuples(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """The rows ``sql`` gives from the archive at ``db``, as tuples."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
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


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db: Path) -> tuple[subprocess.Popen, str]:
    """`recap-archiver serve DB` on a free port; returns the process and its base URL once it answers."""
    port = free_port()
    exe = Path(sys.executable).with_name("recap-archiver")
    process = subprocess.Popen(
        [str(exe), "serve", str(db), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1)
            return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("recap-archiver serve did not answer")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-extensions", "--mute-audio",
    # No network: every host name fails to resolve, except the loopback server under test.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]  # fmt: skip


def chromium(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium once on ``url`` with a fresh profile."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, url]
        return subprocess.run(command, capture_output=True, text=True, timeout=90)


def fetch(db: Path, *paths: str) -> list[Any]:
    """GET each path from a Datasette on ``db`` (with no metadata but the plugin's); JSON or HTML text."""

    async def run() -> list[Any]:
        ds = Datasette([str(db)])
        out = []
        for path in paths:
            response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            out.append(response.json() if ".json" in path else response.text)
        return out

    return asyncio.run(run())


STORE_SITE = "http://127.0.0.1:8000/"
"""The site of make_recap's recap (tests/test_store.py and others)."""


def make_recap(comments: list[CommentItem], fetched_at: str = "2024-01-01T00:00:00+00:00") -> RecapItem:
    tag = Term("Soundtrack #1", "soundtrack-1", STORE_SITE + "tag/soundtrack-1/", "post_tag")
    recap = RecapItem(
        url=STORE_SITE + "2021/12/23/soundtrack-1-episode-4-final/",
        site_url=STORE_SITE,
        site_name="Demo",
        fetched_at=fetched_at,
        title="Soundtrack #1: Episode 4 (Final)",
        platform="wordpress",
        tags=[tag, Term("Park Hyung-sik", "park-hyung-sik", STORE_SITE + "tag/park-hyung-sik/")],
        categories=[Term("Recaps", "recaps", STORE_SITE + "category/recaps/", "category")],
        comments=comments,
        series_name="Soundtrack #1",
        episode_number=4,
        episode_label="Final",
        series_term=tag,
    )
    recap.comments, _ = assemble_thread(recap.comments)
    return recap


def thread() -> list[CommentItem]:
    return [
        CommentItem("101", None, author="Ana", body_text="Wow", upvotes=3, downvotes=1, page=1),
        CommentItem("102", "101", author="Bo", body_text="Agreed 😅", upvotes=1, page=1),
        CommentItem("103", "102", author="Cy", body_text="한국어", page=1),
        CommentItem("104", None, author="Di", body_text="Second", page=2),
    ]


def documented_queries() -> list[tuple[str, dict]]:
    """Every SQL query of docs/reading.md and every canned query, with values for their parameters."""
    text = (PROJECT / "docs" / "reading.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", text, re.S)
    queries = [(q.strip(), {}) for block in blocks for q in block.split(";") if q.strip().strip("-")]
    params = {"recap_id": 1, "series": "Soundtrack #1", "q": "jerry", "author": "Ana", "comment_id": 1}
    for canned in CANNED_QUERIES.values():
        names = set(re.findall(r":(\w+)", canned["sql"]))
        queries.append((canned["sql"], {n: params[n] for n in names}))
    return queries


def archive_answers(path: Path) -> list:
    """What an archive file answers: every documented query, a search, every comment's HTML and text, every
    earlier version and every raw body, read with plain sqlite3 (no function registered but fts_words)."""
    conn = sqlite3.connect(path)
    conn.create_function("fts_words", 1, escape_fts)
    out = [conn.execute(sql, params).fetchall() for sql, params in documented_queries()]
    out.append([sorted(r.items()) for r in search_comments(conn, "jerry edited")])
    out.append(conn.execute("select id, body_html, body_text from comments order by id").fetchall())
    out.append(conn.execute("select * from comment_versions order by id").fetchall())
    reader = BodyReader(conn)
    out.append(
        [
            reader.read(*r)
            for r in conn.execute("select encoding, body, " + _dictionary_column(conn) + " from bodies order by sha256")
        ]
    )
    conn.close()
    return out


def stored_bodies(conn: sqlite3.Connection) -> dict[str, bytes]:
    """Every raw body of the archive, read back, by its SHA-256."""
    reader = BodyReader(conn)
    return {
        digest: reader.read(*row) for digest, *row in conn.execute(f"select sha256, {reader.columns()} from bodies")
    }


def _dictionary_column(conn: sqlite3.Connection) -> str:
    names = [r[1] for r in conn.execute("pragma table_info(bodies)")]
    return "dictionary_id" if "dictionary_id" in names else "null"


COPIED_TABLES = (
    "crawls",
    "sites",
    "series",
    "terms",
    "recaps",
    "recap_terms",
    "comments",
    "comment_versions",
    "vote_observations",
    "vote_changes",
)


def archive_before(path: Path, migration: str, current: Database, written: dict[str, str] | None = None) -> None:
    """Write at ``path`` an archive at the schema before ``migration`` holding ``current``'s crawls, recaps, comments
    and their history column for column, with their full-text rows: what the store wrote then. ``written`` maps a
    column to SQL over ``current``'s row giving what the column held then."""
    db = Database(path)
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db, stop_before=migration)
    for name, sql in VIEWS.items():
        db.create_view(name, sql.strip(), replace=True)
    with db.atomic():
        for table in COPIED_TABLES:
            if table not in db.table_names():  # vote_observations is a view over vote_changes since m013
                continue
            columns = [c.name for c in db[table].columns]
            values = [(written or {}).get(c, c) for c in columns]
            rows = current.execute(f"select {', '.join(values)} from {table}").fetchall()
            db.conn.executemany(
                f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})", rows
            )
        db.execute("insert into comments_fts (rowid, body_text, author) select id, body_text, author from comments")
    db.close()


def assert_fts_in_sync(db: Database) -> None:
    """``comments_fts`` indexes exactly the rows of ``comments``, with their current text."""
    # rank = 1 checks the index against the content table, not only its own structure.
    db.execute("insert into comments_fts(comments_fts, rank) values('integrity-check', 1)")
    assert db.execute("select count(*) from comments_fts").fetchone() == (db["comments"].count,)


def apply_migration_alone(path: Path, migration: str) -> None:
    """Apply ``migration``, and none after it, to the archive at ``path`` (written by ``archive_before``); its
    full-text index must still hold every comment as it is."""
    db = Database(path)
    later = [m.name for m in migrations.pending(db)]
    migrations.apply(db, stop_before=later[later.index(migration) + 1 :])
    assert migration in {m.name for m in migrations.applied(db)}
    assert_fts_in_sync(db)
    db.close()


CANARY_HOST = "127.0.0.2"  # Linux routes all of 127.0.0.0/8 to the loopback interface


class Canary(BaseHTTPRequestHandler):
    """Counts every request it gets (it should get none) and answers something worth stealing."""

    hits: list[str] = []

    def _answer(self) -> None:
        Canary.hits.append(f"{self.command} {self.path}")
        body = b'{"secret": "cloud metadata"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        return None


READER_SITE = "http://127.0.0.1:9/"


TOP_LEVEL = 450  # three thread pages of 200


LONG_TEXT = "The flower shop scene. " * 60


WORDS = {450: "PHS's best scene yet", 451: "Soundtrack #1 made me cry", 452: "Sae-Bom deserved better"}


def shown(when: datetime) -> str:
    """A date as a US-Eastern WordPress site shows it (UTC-04:00 in summer)."""
    local = when - timedelta(hours=4)
    return local.strftime("%B %-d, %Y at %-I:%M ") + ("am" if local.hour < 12 else "pm")


def reader_recap() -> RecapItem:
    """A recap with 450 top-level comments (each but the last two with a reply) and words people search for."""
    start = datetime(2021, 7, 1, 23, 29, tzinfo=UTC)
    comments = []
    for n in range(1, TOP_LEVEL + 3):
        when = start + timedelta(minutes=n)
        text = WORDS.get(n, f"Comment number {n}." + (" " + LONG_TEXT if n == 1 else ""))
        comments.append(
            CommentItem(
                str(n),
                author=f"Reader {n % 7}",
                body_html=f"<p>{text}</p>",
                body_text=text,
                posted_at=when.isoformat(),
                posted_at_raw=shown(when),
                upvotes=n % 3,
                downvotes=1,
            )
        )
        if n < TOP_LEVEL:
            comments.append(
                CommentItem(
                    f"r{n}",
                    str(n),
                    author="Replier",
                    body_html="<p>Agreed</p>",
                    body_text="Agreed",
                    posted_at=(when + timedelta(seconds=30)).isoformat(),
                    posted_at_raw=shown(when),
                )
            )
    threaded, _ = assemble_thread(comments)
    return RecapItem(
        url=READER_SITE + "2021/07/01/soundtrack-1-episode-4/", site_url=READER_SITE, site_name="Readers", fetched_at="2021-07-05T00:00:00+00:00",
        title="Soundtrack #1: Episode 4", author="girlfriday", published_at="2021-07-01T22:00:00+00:00",
        body_html=f"<p>{LONG_TEXT}</p>", body_text=LONG_TEXT, comments=threaded, series_name="Soundtrack #1", episode_number=4,
    )  # fmt: skip


# -- archives compared by what they hold, not by row ids (test_merge, test_scrapyd)

NATURAL_KEYS = {
    "crawls": ("uid",),
    "sites": ("base_url",),
    "series": ("site_id", "name"),
    "terms": ("site_id", "taxonomy", "name"),
    "recaps": ("url",),
    "comments": ("recap_id", "site_comment_id"),
    "failures": ("url",),
}
"""How a row is named across archives: a site by its base URL, a comment by its recap and the site's comment id."""


def archive_by_keys(
    db: Path, skip_tables: tuple[str, ...] = (), skip_columns: tuple[str, ...] = ()
) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, with each row id replaced by the natural key of the row it names.

    Two archives holding the same things compare equal whatever ids they gave them. The tables named in
    ``skip_tables`` and the columns whose name ends with one of ``skip_columns`` (``crawl_id``) are left out.
    """
    conn = sqlite3.connect(db)
    try:
        tables = [
            name
            for (name,) in conn.execute("select name from sqlite_master where type = 'table' order by name")
            if not name.startswith(("_", "sqlite_")) and "_fts" not in name and name not in skip_tables
        ]
        links = {
            t: {r[3]: r[2] for r in conn.execute(f"PRAGMA foreign_key_list([{t}])") if r[4] == "id"} for t in tables
        }
        named: dict[tuple[str, int], Any] = {}

        def name_of(table: str, row_id: int | None) -> Any:
            if row_id is None:
                return None
            if (table, row_id) not in named:
                key = NATURAL_KEYS[table]
                row = conn.execute(f"select {', '.join(key)} from [{table}] where id = ?", [row_id]).fetchone()
                refs = {r[3]: r[2] for r in conn.execute(f"PRAGMA foreign_key_list([{table}])") if r[4] == "id"}
                named[(table, row_id)] = (
                    ("missing", row_id)
                    if row is None
                    else tuple(name_of(refs[c], v) if c in refs else v for c, v in zip(key, row, strict=True))
                )
            return named[(table, row_id)]

        out: dict[str, list[tuple]] = {}
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]
            kept = [c for c in columns if c != "id" and not c.endswith(skip_columns)]
            rows = []
            for row in conn.execute(f"select {', '.join(f'[{c}]' for c in columns)} from [{table}]"):
                values = dict(zip(columns, row, strict=True))
                rows.append(
                    tuple((c, name_of(links[table][c], values[c]) if c in links[table] else values[c]) for c in kept)
                )
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()


# -- Scrapyd on 127.0.0.1 (test_scrapyd, test_scrapyd_nodes)

SCRAPYD_CONFIG = Path(__file__).resolve().parent / "scrapyd" / "scrapyd.conf"
SCRAPY_PROJECT = "recap_archiver"  # scrapy.cfg: [deploy] project
BIN = Path(sys.executable).parent


@dataclass
class Scrapyd:
    """A running Scrapyd and the folder it runs in (its eggs/, logs/, items/, dbs/ and scrapyd.log)."""

    url: str
    folder: Path
    process: subprocess.Popen

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{endpoint}{query}", timeout=10) as response:
            return json.load(response)

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
        data = urllib.parse.urlencode(fields).encode()
        with urllib.request.urlopen(f"{self.url}{endpoint}", data=data, timeout=30) as response:
            return json.load(response)

    def log(self) -> str:
        path = self.folder / "scrapyd.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment with HOME elsewhere, so no ~/.scrapyd.conf, ~/.scrapy.cfg or ~/.netrc is read."""
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), **extra)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return env


def start_scrapyd(folder: Path) -> Scrapyd:
    """Start `python -m scrapyd` in ``folder`` with tests/scrapyd/scrapyd.conf; return it once it answers."""
    folder.mkdir()
    shutil.copyfile(SCRAPYD_CONFIG, folder / "scrapyd.conf")
    port = free_port()
    log = (folder / "scrapyd.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapyd", "--pidfile", ""],
        cwd=folder,
        env=isolated_env(folder, SCRAPYD_HTTP_PORT=str(port), SCRAPYD_BIND_ADDRESS="127.0.0.1"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its jobs join its process group, which stop_scrapyd ends
    )
    log.close()
    scrapyd = Scrapyd(f"http://127.0.0.1:{port}/", folder, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"scrapyd exited with {process.returncode}:\n{scrapyd.log()[-3000:]}")
        try:
            if scrapyd.get("daemonstatus.json")["status"] == "ok":
                return scrapyd
        except OSError:
            time.sleep(0.1)
    stop_scrapyd(scrapyd)
    raise RuntimeError(f"scrapyd did not answer within 30 s:\n{scrapyd.log()[-3000:]}")


def stop_scrapyd(scrapyd: Scrapyd) -> None:
    """Stop Scrapyd and the crawls it started: its process group (its own session, see start_scrapyd)."""
    terminate(scrapyd.process, timeout=15)
    try:
        os.killpg(scrapyd.process.pid, signal.SIGKILL)  # a job Scrapyd left running
    except ProcessLookupError:
        pass
