"""Crawl feedback: the progress line, the end-of-crawl summary, and both in a real crawl's log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from helpers import CrawlRun, DemoSite
from scrapy.utils.test import get_crawler

from archiver.crawl.progress import CrawlProgress, crawl_summary, progress_line

pytestmark = pytest.mark.e2e

STATS = {
    "archiver/recaps/saved": 3,
    "archiver/recaps/new": 2,
    "archiver/comments/saved": 120,
    "archiver/comments/new": 100,
    "archiver/comments/edited": 4,
    "downloader/response_count": 30,
    "downloader/response_bytes": 2_500_000,
    "log_count/ERROR": 1,
}


def test_progress_line_gives_counts_rates_and_errors() -> None:
    line = progress_line(STATS, elapsed=60.0)
    assert line == (
        "Progress: 3 recaps; 120 comments archived, 30 pages fetched (at 30 pages/min, 120 comments/min), 1 error, 60 s"
    )
    previous = {"downloader/response_count": 20, "archiver/comments/saved": 100}
    assert "(at 60 pages/min, 120 comments/min)" in progress_line(STATS, 70.0, previous, interval=10.0)


def test_crawl_summary_says_what_was_added_and_changed() -> None:
    summary = crawl_summary(STATS, "finished", 12.0)
    assert summary.startswith("Crawl finished in 12 s: 3 recaps saved (2 new, 0 changed), 0 not due")
    assert "120 comments saved (100 new, 4 edited, 0 gone, 0 with new votes)" in summary
    assert "30 pages fetched (0 not modified, 2.5 MB)" in summary and summary.endswith("1 error")
    named = crawl_summary(STATS, "finished", 12.0, "shows.db").splitlines()
    assert (
        named[1]
        == "Archive: shows.db. Next: recap-archiver serve shows.db  (read it in Datasette; `recap-archiver stats shows.db` for numbers)"
    )
    assert crawl_summary({}, "finished", 1.0, "shows.db", discarded=True).endswith(
        "Nothing archived: shows.db was not written."
    )


def test_progress_line_counts_recaps_done_of_those_listed_with_an_estimate() -> None:
    stats = {**STATS, "archiver/recaps/listed": 12, "archiver/recaps/not_due": 1}
    assert progress_line(stats, elapsed=40.0).startswith("Progress: 4 of 12 recaps listed done, about 80 s left; ")
    assert progress_line({**stats, "archiver/recaps/saved": 11}, 40.0).startswith(
        "Progress: 12 of 12 recaps listed done; "
    )
    # More recaps listed since the line before: the listings are still being read, so no estimate yet.
    earlier = {**stats, "archiver/recaps/listed": 10}
    assert progress_line(stats, 40.0, earlier, interval=10.0).startswith(
        "Progress: 4 of 12 recaps listed done, more being listed; "
    )
    assert progress_line(stats, 40.0, stats, interval=10.0).startswith(
        "Progress: 4 of 12 recaps listed done, about 80 s left; "
    )


def test_extension_logs_progress_and_summary(caplog: pytest.LogCaptureFixture) -> None:
    crawler = get_crawler(settings_dict={"ARCHIVER_PROGRESS_INTERVAL": 5})
    extension = CrawlProgress.from_crawler(crawler)
    for key, value in STATS.items():
        crawler.stats.set_value(key, value)
    with caplog.at_level(logging.INFO, logger="archiver.crawl.progress"):
        extension.log_progress()
        extension.spider_closed(None, "finished")  # type: ignore[arg-type]
    assert [r.message.split(":")[0] for r in caplog.records] == ["Progress", "Crawl finished in 0 s"]


def test_a_real_crawl_logs_its_summary(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]) -> None:
    _, run = full_crawl
    comments = sum(len(r["comments"]) for r in demo_site.truth["recaps"])
    recaps = len(demo_site.truth["recaps"])
    summary = [line for line in run.log.splitlines() if "[archiver.crawl.progress] INFO: Crawl finished" in line]
    assert len(summary) == 1
    assert f"{recaps} recaps saved ({recaps} new" in summary[0]
    assert f"{comments} comments saved ({comments} new" in summary[0]
