"""End to end: `scrapy crawl recaps` against the demo site, the archive compared with its ground truth."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from conftest import DemoSite, run_crawl, start_demo_site, stop

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
    archived = {r["url"]: r for r in archive_rows(db, "select recaps.*, series.name as series_name, series.url as series_url from recaps left join series on series.id = recaps.series_id")}
    if only_archived:
        archived = {url: row for url, row in archived.items() if url in {r["url"] for r in recaps}}
    if set(archived) != {r["url"] for r in recaps}:
        problems.append(f"recap URLs differ: missing {sorted({r['url'] for r in recaps} - set(archived))[:5]}, "
                        f"extra {sorted(set(archived) - {r['url'] for r in recaps})[:5]}")
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
        terms = archive_rows(db, "select terms.taxonomy, terms.name from recap_terms join terms on terms.id = recap_terms.term_id where recap_id = ?", (got["id"],))
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


def test_demo_site_meets_the_minimum_size(demo_site: DemoSite) -> None:
    recaps = demo_site.truth["recaps"]
    comments = [c for r in recaps for c in r["comments"]]
    assert len(demo_site.truth["series"]) >= 3 and len([r for r in recaps if r["series"]]) >= 12
    assert len(comments) >= 500 and max(c["depth"] for c in comments) >= 5
    assert sum(1 for r in recaps if r["comment_pages"] >= 3) >= 2


def test_archive_equals_ground_truth(demo_site: DemoSite, full_crawl: tuple[Path, Any]) -> None:
    db, _ = full_crawl
    assert_same(differences(db, demo_site.truth, demo_site.truth["recaps"]))


def test_crawl_is_polite_and_fetches_each_page_once(full_crawl: tuple[Path, Any]) -> None:
    _, run = full_crawl
    urls = crawled_urls(run.log)
    assert urls, "no 'Crawled' lines in the debug log"
    assert urls[0].endswith("/robots.txt")
    duplicates = {u for u in urls if urls.count(u) > 1}
    assert not duplicates, f"fetched more than once: {sorted(duplicates)[:5]}"
    for bad in ("replytocom", "/feed", "wp-login.php", "wp-admin"):
        assert not [u for u in urls if bad in u], f"followed a {bad} link"
    # A crawl opens no port: neither the telnet console nor Scrapy's remote-control server is enabled.
    assert "Telnet console listening" not in run.log and "TelnetConsole" not in run.log
    assert "RemoteControl" not in run.log and "remote_control" not in run.log
    assert "Enabled extensions" in run.log and "scrapy.extensions.corestats.CoreStats" in run.log


def test_crawl_is_recorded_with_counts(demo_site: DemoSite, full_crawl: tuple[Path, Any]) -> None:
    db, _ = full_crawl
    crawls = archive_rows(db, "select * from crawls")
    total = sum(len(r["comments"]) for r in demo_site.truth["recaps"])
    assert len(crawls) >= 1
    first = crawls[0]
    assert first["finish_reason"] == "finished" and first["recaps"] == len(demo_site.truth["recaps"])
    assert first["comments"] == total and first["comments_new"] == total and first["pages"] > first["recaps"]
    assert archive_rows(db, "select count(*) as n from comments where first_crawl_id = ?", (first["id"],))[0]["n"] == total


def test_second_crawl_adds_no_rows(demo_site: DemoSite, full_crawl: tuple[Path, Any]) -> None:
    db, _ = full_crawl
    before = table_counts(db)
    run = run_crawl(db, f"url={demo_site.base_url}")
    assert run.returncode == 0, run.stderr[-2000:]
    assert table_counts(db) == before
    crawls = archive_rows(db, "select * from crawls order by id")
    assert len(crawls) == 2 and crawls[1]["comments_new"] == 0
    assert_same(differences(db, demo_site.truth, demo_site.truth["recaps"]))


def test_tag_archive_crawls_only_that_series(demo_site: DemoSite, tmp_path: Path) -> None:
    series = demo_site.truth["series"][0]
    db = tmp_path / "tag.db"
    run = run_crawl(db, f"url={series['tag_url']}")
    assert run.returncode == 0, run.stderr[-2000:]
    wanted = [r for r in demo_site.truth["recaps"] if series["name"] in r["tags"]]
    assert len(wanted) >= 4
    assert_same(differences(db, demo_site.truth, wanted))


def test_single_recap_from_a_comment_page_url(demo_site: DemoSite, tmp_path: Path) -> None:
    recap = max(demo_site.truth["recaps"], key=lambda r: r["comment_pages"])
    assert recap["comment_pages"] >= 3
    db = tmp_path / "one.db"
    run = run_crawl(db, f"url={recap['url']}comment-page-2/#comments")
    assert run.returncode == 0, run.stderr[-2000:]
    assert_same(differences(db, demo_site.truth, [recap]))
    pages = [u for u in crawled_urls(run.log) if u.startswith(recap["url"])]
    assert len(pages) == recap["comment_pages"], pages


def test_xhtml_comment_style_with_text_dates(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, "--comment-style", "xhtml", "--series", "1", "--episodes", "3",
                           "--extra-posts", "1", "--comments", "150", "--seed", "5")
    try:
        db = tmp_path / "xhtml.db"
        run = run_crawl(db, f"url={site.base_url}")
        assert run.returncode == 0, run.stderr[-2000:]
        assert_same(differences(db, site.truth, site.truth["recaps"]))
    finally:
        stop(site)
