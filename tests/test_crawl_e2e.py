"""End to end: `scrapy crawl recaps` against the demo site, the archive compared with its ground truth."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import (  # noqa: F401 (differences, comment_differences: imported from here by older branches)
    DEBUG_LOG,
    DemoSite,
    archive_rows,
    assert_same,
    comment_differences,
    crawled_urls,
    differences,
    run_crawl,
    start_demo_site,
    stop,
    table_counts,
)

pytestmark = pytest.mark.e2e


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
    assert (
        archive_rows(db, "select count(*) as n from comments where first_crawl_id = ?", (first["id"],))[0]["n"] == total
    )


def test_second_crawl_adds_no_rows(demo_site: DemoSite, full_crawl: tuple[Path, Any], tmp_path: Path) -> None:
    # A copy: the session's archive is read by other modules, which expect its one crawl whatever the test order.
    db = tmp_path / "recaps.db"
    source, copy = sqlite3.connect(full_crawl[0]), sqlite3.connect(db)
    source.backup(copy)
    source.close()
    copy.close()
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
    run = run_crawl(db, f"url={recap['url']}comment-page-2/#comments", settings=DEBUG_LOG)
    assert run.returncode == 0, run.stderr[-2000:]
    assert_same(differences(db, demo_site.truth, [recap]))
    pages = [u for u in crawled_urls(run.log) if u.startswith(recap["url"])]
    assert len(pages) == recap["comment_pages"], pages


def test_xhtml_comment_style_with_text_dates(tmp_path: Path) -> None:
    site = start_demo_site(
        tmp_path,
        "--comment-style",
        "xhtml",
        "--series",
        "1",
        "--episodes",
        "3",
        "--extra-posts",
        "1",
        "--comments",
        "150",
        "--seed",
        "5",
    )
    try:
        db = tmp_path / "xhtml.db"
        run = run_crawl(db, f"url={site.base_url}")
        assert run.returncode == 0, run.stderr[-2000:]
        assert_same(differences(db, site.truth, site.truth["recaps"]))
    finally:
        stop(site)
