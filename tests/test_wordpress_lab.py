"""End to end against real WordPress: the lab (archiver.demo.wordpress_lab) crawled in a matrix of cells.

One lab serves the whole module (Debian's WordPress 6.1, MariaDB, Apache, the unmodified wpDiscuz 7.6.63 and
Comments Like Dislike 1.2.4, the demo model loaded once); each cell switches options, runs a real
`scrapy crawl recaps` from the home page into a fresh archive and compares it with the cell's truth.
Where the lab cannot run here the module is skipped with the reason (and fails under CI=true).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from helpers import OUTPUT, archive_rows, run_crawl

from archiver.demo.wordpress_lab import LabCell, WordPressLab, available

pytestmark = pytest.mark.lab

TT1, TT3 = "twentytwentyone", "twentytwentythree"
CELLS = [
    # the case: stock Twenty Twenty-One, 5 threads a page, newest page first, REST answering 401
    LabCell(TT1, True, 5, "newest", 5, "none", False, "401"),
    LabCell(TT1, True, 5, "newest", 5, "none", False, "on"),
    LabCell(TT3, True, 5, "newest", 5, "none", False, "on"),
    LabCell(TT3, True, 50, "oldest", 10, "none", False, "401"),
    LabCell(TT1, False, 50, "newest", 2, "none", False, "on"),
    LabCell(TT1, True, 50, "oldest", 2, "none", False, "401"),
    LabCell(TT3, False, 50, "newest", 10, "none", False, "on"),
    LabCell(TT1, True, 5, "oldest", 10, "cld", False, "on"),
    LabCell(TT3, True, 5, "newest", 2, "cld", False, "401"),
    LabCell(TT1, False, 50, "newest", 5, "cld", False, "401"),
    LabCell(TT1, False, 50, "newest", 5, "wpdiscuz", False, "on"),
    LabCell(TT3, False, 50, "newest", 10, "wpdiscuz", False, "401"),
    LabCell(TT1, True, 5, "newest", 2, "wpdiscuz", True, "401"),
    LabCell(TT3, True, 50, "oldest", 5, "wpdiscuz", True, "on"),
]


@pytest.fixture(scope="module")
def lab() -> Iterator[WordPressLab]:
    ok, why = available()
    if not ok:
        message = f"WordPress lab unavailable, real-WordPress matrix NOT RUN: {why} (run `make wordpress-lab` as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with WordPressLab() as running:
        yield running


def test_every_dimension_is_covered() -> None:
    paged = [c for c in CELLS if c.paged]
    for name, values, cells in [
        ("theme", {TT1, TT3}, CELLS),
        ("paged", {True, False}, CELLS),
        ("comments_per_page", {5, 50}, paged),
        ("default_comments_page", {"newest", "oldest"}, paged),
        ("thread_comments_depth", {2, 5, 10}, CELLS),
        ("plugin", {"none", "cld", "wpdiscuz"}, CELLS),
        ("rest", {"on", "401"}, CELLS),
        ("wpdiscuz_pages", {True, False}, [c for c in CELLS if c.plugin == "wpdiscuz"]),
    ]:
        assert {getattr(c, name) for c in cells} == values, name


def test_content_loaded_through_wordpress_equals_the_model(lab: WordPressLab) -> None:
    assert lab.loaded["comments"] == sum(len(p.comments) for p in lab.site.posts)
    problems = lab.dump_differences()
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:20])
    truth = lab.truth(CELLS[0])
    recaps = truth["recaps"]
    assert any(r["comment_pages"] >= 3 for r in recaps), "a post with 3+ comment pages at 5 threads a page"
    assert max(sum(1 for c in r["comments"] if c["parent"] is None) for r in recaps) > 100
    assert any(c["parent_missing"] for r in recaps for c in r["comments"]), "replies under a trashed comment"
    assert max(c["depth"] for r in recaps for c in r["comments"]) == 10


def test_the_lab_reaches_nothing_outside(lab: WordPressLab) -> None:
    lab.configure(CELLS[0])
    status, body = lab.get("robots.txt")
    assert status == 200 and "Disallow: /wp-admin/" in body
    assert lab.get("wp-json/wp/v2/comments")[0] == 401
    log = (lab.folder / "apache-error.log").read_text(errors="replace")
    assert "api.wordpress.org" not in log


def expected_comments(truth_recap: dict[str, Any], cell: LabCell) -> list[dict[str, Any]]:
    """The comments a crawl of ``cell`` can know, each with the parent the site publishes, in thread order.

    With the REST API on, every public comment with its true parent. With REST answering 401, only the comments
    the pages show; core WordPress prints replies deeper than ``thread_comments_depth`` flat beside their
    ancestor at that depth and nothing in its markup names their true parent, so their parent is the one the
    page shows (the ancestor one level up). wpDiscuz's markup names every parent (``wpd-comm-{id}_{parent}``).
    """
    comments = truth_recap["comments"]
    if cell.rest == "401":
        comments = [c for c in comments if c["in_html"]]
    by_id = {c["id"]: c for c in comments}
    out = []
    for c in comments:
        parent = c["parent"]
        if cell.rest == "401" and cell.plugin != "wpdiscuz" and c["depth"] > cell.thread_comments_depth:
            node = c
            while node["depth"] > cell.thread_comments_depth - 1:
                node = by_id[node["parent"]] if node["parent"] else None
                if node is None:
                    break
            parent = node["id"] if node else None
        out.append({**c, "parent": parent})
    # position among siblings, in the site's (thread) order; a reply whose parent is not public starts a thread
    siblings: dict[str | None, int] = defaultdict(int)
    public = {c["id"] for c in out}
    for c in out:
        key = c["parent"] if c["parent"] in public else None
        siblings[key] += 1
        c["position"] = siblings[key]
    return out


def complete(truth_recap: dict[str, Any], cell: LabCell) -> int:
    """1 when a crawl can read the whole thread; 0 when REST answers 401 and the page's count includes comments
    no page shows (replies under a trashed comment): the crawl must then say the thread is incomplete."""
    hidden = any(not c["in_html"] for c in truth_recap["comments"])
    return 0 if cell.rest == "401" and hidden else 1


def lab_differences(db: Path, truth: dict[str, Any], cell: LabCell) -> dict[str, list[str]]:
    """Every way the archive differs from the cell's truth, by kind of difference; empty when equal."""
    found: dict[str, list[str]] = defaultdict(list)
    rows = archive_rows(
        db, "select recaps.*, series.name as series_name from recaps left join series on series.id = recaps.series_id"
    )
    archived = {r["url"]: r for r in rows}
    for url in sorted(set(archived) - {r["url"] for r in truth["recaps"]}):
        found["recap extra"].append(url)
    for want in truth["recaps"]:
        got = archived.get(want["url"])
        where = want["url"].replace(truth["site"]["base_url"], "/")
        if got is None:
            found["recap missing"].append(where)
            continue
        for field, value in [
            ("title", want["title"]),
            ("series_name", want["series"]),
            ("episode_number", want["episode_number"]),
            ("comment_count_reported", want["comment_count"]),
            ("comment_pages", want["comment_pages"]),
            ("thread_complete", complete(want, cell)),
        ]:
            if got[field] != value:
                found[f"recap {field}"].append(f"{where}: {got[field]!r} != {value!r}")
        comments = archive_rows(db, "select * from comments where recap_id = ? order by path", (got["id"],))
        have = {c["site_comment_id"]: c for c in comments}
        expected = expected_comments(want, cell)
        ids = {c["id"] for c in expected}
        for c in comments:
            if c["site_comment_id"] not in ids:
                found["comment extra"].append(f"{where}#comment-{c['site_comment_id']}")
        for c in expected:
            row = have.get(c["id"])
            at = f"{where}#comment-{c['id']}"
            if row is None:
                found["comment missing"].append(f"{at} (page {c['page']}, depth {c['depth']})")
                continue
            # votes where the site publishes them: on the pages, and for Comments Like Dislike also in REST's
            # content.rendered (its widget filters comment_text); wpDiscuz's votes are on its pages only
            shown = c["in_html"] or cell.plugin == "cld"
            for field, value, wanted in [
                ("parent", row["parent_site_comment_id"], c["parent"]),
                ("position", row["position"], c["position"]),
                ("author", row["author"], c["author"]),
                ("posted_at", row["posted_at"], c["posted_at"]),
                ("text", row["body_text"], c["text"]),
                ("likes", row["upvotes"], c["upvotes"] if shown else None),
                ("dislikes", row["downvotes"], c["downvotes"] if shown else None),
            ]:
                if value != wanted:
                    found[f"comment {field}"].append(f"{at}: {str(value)[:80]!r} != {str(wanted)[:80]!r}")
    return dict(found)


def fetch_differences(
    requests: list[tuple[str, str, int]], truth: dict[str, Any], cell: LabCell, stats: dict[str, Any]
) -> dict[str, list[str]]:
    """Every comment page and load-more step the crawl fetched other than exactly once, from Apache's access log.

    A post's bare URL counts as the comment page it shows (the last with newest first); ``comment-page-N/`` of
    that page fetched as well is a second fetch. wpDiscuz's POST bodies are not logged: its ``admin-ajax.php``
    POSTs must be the expected load-more steps plus at most one nonce call per thread that has steps, and the
    crawl's own count of load-more answers must be those steps.
    """
    found: dict[str, list[str]] = defaultdict(list)
    gets = Counter(target for method, target, _ in requests if method == "GET")
    steps = nonce_threads = 0
    for recap in truth["recaps"]:
        path = urlsplit(recap["url"]).path
        pages = recap["comment_pages"]
        shown = pages if cell.paged and cell.default_comments_page == "newest" else 1
        fetched = {n: gets[f"{path}comment-page-{n}/"] for n in range(1, pages + 1)}
        fetched[shown] += gets[path]
        for n, times in fetched.items():
            if times != 1:
                found["comment page fetched " + ("never" if times == 0 else "twice")].append(
                    f"{path} page {n}: {times} times (bare URL {gets[path]})"
                )
        for target in gets:
            number = target.removeprefix(f"{path}comment-page-").rstrip("/")
            if target.startswith(f"{path}comment-page-") and not (number.isdigit() and 1 <= int(number) <= pages):
                found["comment page beyond the thread"].append(target)
        if cell.plugin == "wpdiscuz" and not cell.paged:
            roots = sum(1 for c in recap["comments"] if c["parent"] is None and c["in_html"])
            more = max(0, -(-roots // cell.comments_per_page) - 1)
            steps += more
            nonce_threads += 1 if more else 0
    for target, times in gets.items():
        if times > 1 and target.startswith("/wp-json/wp/v2/comments"):
            found["REST page fetched twice"].append(f"{target}: {times} times")
    posts = sum(1 for method, target, _ in requests if method == "POST" and target.startswith("/wp-admin/admin-ajax"))
    replies = stats.get("archiver/pages/wpdiscuz_replies", 0)
    if stats.get("archiver/pages/wpdiscuz_more", 0) != steps:
        found["wpDiscuz load-more steps"].append(
            f"{stats.get('archiver/pages/wpdiscuz_more', 0)} load-more answers read, {steps} steps expected"
        )
    if not steps + replies <= posts <= steps + replies + nonce_threads:
        found["wpDiscuz admin-ajax POSTs"].append(
            f"{posts} POSTs for {steps} load-more steps, {replies} show-replies, <= {nonce_threads} nonce calls"
        )
    return dict(found)


def report(found: dict[str, list[str]], examples: int = 3) -> str:
    """Counts per kind of difference and a few examples of each."""
    lines = [f"{sum(len(v) for v in found.values())} differences:"]
    for kind, items in sorted(found.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  {kind}: {len(items)}")
        lines += [f"      {item}" for item in items[:examples]]
    return "\n".join(lines)


@pytest.mark.parametrize("cell", CELLS, ids=[c.label for c in CELLS])
def test_crawl_of_the_real_site_equals_the_truth(lab: WordPressLab, cell: LabCell, tmp_path: Path) -> None:
    lab.configure(cell)
    truth = lab.truth(cell)
    db = tmp_path / "archive.db"
    started = time.monotonic()
    mark = lab.log_mark()
    run = run_crawl(db, f"url={lab.base_url}")
    seconds = time.monotonic() - started
    assert run.returncode == 0, run.stderr[-2000:]
    found = lab_differences(db, truth, cell)
    stats = json.loads(archive_rows(db, "select stats from crawls order by id desc limit 1")[0]["stats"] or "{}")
    found.update(fetch_differences(lab.requests_since(mark), truth, cell, stats))
    record = OUTPUT / "wordpress-lab"
    record.mkdir(parents=True, exist_ok=True)
    (record / f"{cell.label}.json").write_text(
        json.dumps(
            {
                "cell": cell.label,
                "crawl_seconds": round(seconds, 1),
                "comments_in_truth": sum(len(expected_comments(r, cell)) for r in truth["recaps"]),
                "counts": Counter({k: len(v) for k, v in found.items()}),
                "differences": found,
                "stats": {k: v for k, v in stats.items() if k.startswith("archiver/")},
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    assert not found, f"{cell.label} (crawl {seconds:.1f}s): " + report(found)


def test_a_new_comment_is_found_by_the_due_crawl_through_rest_after_and_else_the_comments_feed(
    lab: WordPressLab, tmp_path: Path
) -> None:
    """Real WordPress 6.1 answers the change signals as the crawl reads them: REST ``after=`` (the date compared
    in the site's zone) and, with REST answering 401, ``/comments/feed/``. The lab's comments are years old, so
    every recap backs off after the first crawl: only a signal brings the one with the new comment back."""
    db = tmp_path / "signals.db"
    added: list[int] = []
    try:
        for cell, signal in ((CELLS[1], "rest_comments"), (CELLS[0], "comments_feed")):
            lab.configure(cell)
            if not added:
                first = run_crawl(db, f"url={lab.base_url}")
                assert first.returncode == 0, first.stderr[-2000:]
            post = min(lab.site.posts, key=lambda p: p.date)
            comment = lab.php("comment", {"post": post.id, "author": "Late Reader", "content": f"Late, by {signal}."})
            added.append(comment["id"])
            run = run_crawl(db, f"url={lab.base_url}")
            assert run.returncode == 0, run.stderr[-2000:]
            stats = json.loads(archive_rows(db, "select stats from crawls order by id desc limit 1")[0]["stats"])
            assert stats[f"archiver/signals/{signal}/used"] == 1, stats
            assert stats["archiver/signals/recaps_due_by_signal"] == 1
            assert stats["archiver/recaps/not_due"] > 0  # the others stay backed off
            archived = archive_rows(
                db, "select site_comment_id from comments where site_comment_id = ?", (str(added[-1]),)
            )
            assert archived, f"comment {added[-1]} found through {signal}"
    finally:
        if added:
            lab.php("uncomment", {"ids": added})
