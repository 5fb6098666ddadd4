"""Crawl feedback: a progress line at a steady interval, and at the end what this crawl added and changed.

A Scrapy extension in the manner of ``scrapy.extensions.logstats.LogStats``, reading
the crawler's stats (the same keys ``crawls`` is filled from, archiver.crawl.session).
``ARCHIVER_PROGRESS_INTERVAL`` (seconds, default 10; 0 turns it off) sets the interval.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)

RECAPS, COMMENTS, PAGES, ERRORS = (
    "archiver/recaps/saved", "archiver/comments/saved", "downloader/response_count", "log_count/ERROR",
)  # fmt: skip


def _per_minute(count: int, seconds: float) -> float:
    return count * 60.0 / seconds if seconds > 0 else 0.0


def progress_line(stats: dict[str, Any], elapsed: float, previous: dict[str, Any] | None = None, interval: float = 0.0) -> str:
    """One line: recaps and comments archived, pages fetched, rates (over the last interval if given), errors."""
    pages, comments = stats.get(PAGES, 0), stats.get(COMMENTS, 0)
    if previous is not None and interval > 0:
        page_rate = _per_minute(pages - previous.get(PAGES, 0), interval)
        comment_rate = _per_minute(comments - previous.get(COMMENTS, 0), interval)
    else:
        page_rate, comment_rate = _per_minute(pages, elapsed), _per_minute(comments, elapsed)
    return (
        f"Progress: {stats.get(RECAPS, 0)} recaps and {comments} comments archived, {pages} pages fetched "
        f"(at {page_rate:.0f} pages/min, {comment_rate:.0f} comments/min), {stats.get(ERRORS, 0)} errors, "
        f"{elapsed:.0f} s"
    )


def crawl_summary(stats: dict[str, Any], reason: str, elapsed: float | None = None) -> str:
    """What the crawl added and changed, from its stats: recaps, comments, votes, pages, errors."""
    get = lambda key: stats.get(key, 0)  # noqa: E731
    took = f" in {elapsed:.0f} s" if elapsed is not None else ""
    return (
        f"Crawl {reason}{took}: {get(RECAPS)} recaps saved ({get('archiver/recaps/new')} new, "
        f"{get('archiver/recaps/changed')} changed, {get('archiver/recaps/not_due')} not due); "
        f"{get(COMMENTS)} comments saved ({get('archiver/comments/new')} new, {get('archiver/comments/edited')} edited, "
        f"{get('archiver/comments/gone')} gone, {get('archiver/comments/vote_changes')} with new votes); "
        f"{get(PAGES)} pages fetched ({get('httpcache/revalidate')} not modified, "
        f"{get('downloader/response_bytes') / 1e6:.1f} MB); {get('archiver/threads/incomplete')} incomplete threads; "
        f"{get(ERRORS)} errors"
    )


class CrawlProgress:
    """Logs :func:`progress_line` every ``ARCHIVER_PROGRESS_INTERVAL`` seconds and :func:`crawl_summary` at the end."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.previous: dict[str, Any] | None = None
        self.task: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        """Configured from ``ARCHIVER_PROGRESS_INTERVAL``; NotConfigured when it is 0."""
        interval = crawler.settings.getfloat("ARCHIVER_PROGRESS_INTERVAL", 10.0)
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def _stats(self) -> dict[str, Any]:
        return self.crawler.stats.get_stats() if self.crawler.stats else {}

    def spider_opened(self, spider: Spider) -> None:
        """Start the clock and the interval."""
        self.started = time.monotonic()
        self.task = task.LoopingCall(self.log_progress)
        self.task.start(self.interval, now=False)

    def log_progress(self) -> None:
        """Log the progress line (rates over the last interval)."""
        stats = self._stats()
        logger.info(progress_line(stats, time.monotonic() - self.started, self.previous, self.interval))
        self.previous = dict(stats)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Stop the interval and log the crawl's summary."""
        if self.task is not None and self.task.running:
            self.task.stop()
        logger.info(crawl_summary(self._stats(), reason, time.monotonic() - self.started))
