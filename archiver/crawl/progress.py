"""Crawl feedback: a progress line at a steady interval, and at the end what this crawl added and changed.

A Scrapy extension in the manner of ``scrapy.extensions.logstats.LogStats``, reading
the crawler's stats (the same keys ``crawls`` is filled from, archiver.crawl.session).
``ARCHIVER_PROGRESS_INTERVAL`` (seconds, default 10; 0 turns it off) sets the interval.
"""

from __future__ import annotations

import logging
import pprint
import time
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from archiver.archive.health import VERDICTS
from archiver.wording import plural

logger = logging.getLogger(__name__)

RECAPS, COMMENTS, PAGES, ERRORS = (
    "archiver/recaps/saved", "archiver/comments/saved", "downloader/response_count", "log_count/ERROR",
)  # fmt: skip
LISTED, NOT_DUE = "archiver/recaps/listed", "archiver/recaps/not_due"


def _per_minute(count: int, seconds: float) -> float:
    return count * 60.0 / seconds if seconds > 0 else 0.0


def recaps_done(stats: dict[str, Any], elapsed: float, previous: dict[str, Any] | None = None) -> str:
    """``5 of 14 recaps listed done, about 30 s left`` (saved or not due, of those the listings linked), or
    ``5 recaps`` while no listing has been read; the estimate once one recap is done, unless more recaps were
    listed since the ``previous`` line: the listings are still being read, and the estimate would count only the
    recaps found so far (a 2,000-recap site said "about 0 s left" with 1,252 listed)."""
    done = stats.get(RECAPS, 0) + stats.get(NOT_DUE, 0)
    listed = stats.get(LISTED, 0)
    if listed < done or not listed:
        return plural(stats.get(RECAPS, 0), "recap")
    text = f"{done} of {plural(listed, 'recap')} listed done"
    if previous is not None and listed > previous.get(LISTED, 0):
        text += ", more being listed"
    elif 0 < done < listed and elapsed > 0:
        text += f", about {(listed - done) * elapsed / done:.0f} s left"
    return text


def progress_line(
    stats: dict[str, Any], elapsed: float, previous: dict[str, Any] | None = None, interval: float = 0.0
) -> str:
    """One line: recaps done of those listed (with an estimate), comments archived, pages fetched, rates (over the
    last interval if given), errors."""
    pages, comments = stats.get(PAGES, 0), stats.get(COMMENTS, 0)
    if previous is not None and interval > 0:
        page_rate = _per_minute(pages - previous.get(PAGES, 0), interval)
        comment_rate = _per_minute(comments - previous.get(COMMENTS, 0), interval)
    else:
        page_rate, comment_rate = _per_minute(pages, elapsed), _per_minute(comments, elapsed)
    return (
        f"Progress: {recaps_done(stats, elapsed, previous)}; {plural(comments, 'comment')} archived, "
        f"{plural(pages, 'page')} fetched (at {page_rate:.0f} pages/min, {comment_rate:.0f} comments/min), "
        f"{plural(stats.get(ERRORS, 0), 'error')}, {elapsed:.0f} s"
    )


def health_lines(*all_stats: dict[str, Any]) -> str:
    """The health report's lines of the summary (archiver.crawl.health) of one crawl, or of several (a sites-file
    run): every sign that a site looks broken, or the verdict when none does; empty when no crawl was judged."""
    verdicts = {stats.get("archiver/health/verdict") for stats in all_stats} - {None}
    if not verdicts:
        return ""
    signs = [line for stats in all_stats for line in stats.get("archiver/health/signs") or []]
    if signs:
        return f"\nHealth: {plural(len(signs), 'sign')} that a site looks broken (exit status 3):" + "".join(
            f"\n  {line}" for line in signs
        )
    said = {
        "ok": "ok, every site read as in its earlier crawls",
        "first": "first crawl of its sites, nothing to compare with yet",
        "small": "too few pages read to compare with earlier crawls",
    }
    verdict = next((v for v in VERDICTS if v in verdicts), "")
    return f"\nHealth: {said.get(verdict, verdict)}"


def crawl_summary(
    stats: dict[str, Any],
    reason: str,
    elapsed: float | None = None,
    archive: str | None = None,
    discarded: bool = False,
) -> str:
    """What the crawl added and changed, from its stats: recaps, comments, votes, pages, errors; with ``archive``,
    a second line naming it and the command to run next (or that it was not written, when ``discarded``)."""
    get = lambda key: stats.get(key, 0)  # noqa: E731
    took = f" in {elapsed:.0f} s" if elapsed is not None else ""
    summary = (
        f"Crawl {reason}{took}: {plural(get(RECAPS), 'recap')} saved ({get('archiver/recaps/new')} new, "
        f"{get('archiver/recaps/changed')} changed), {get(NOT_DUE)} not due; "
        f"{plural(get(COMMENTS), 'comment')} saved ({get('archiver/comments/new')} new, "
        f"{get('archiver/comments/edited')} edited, {get('archiver/comments/gone')} gone, "
        f"{get('archiver/comments/vote_changes')} with new votes); "
        f"{plural(get(PAGES), 'page')} fetched ({get('httpcache/revalidate')} not modified, "
        f"{get('downloader/response_bytes') / 1e6:.1f} MB); "
        f"{plural(get('archiver/threads/incomplete'), 'incomplete thread')}; {plural(get(ERRORS), 'error')}"
    )
    summary += health_lines(stats)
    if archive is None:
        return summary
    if discarded:
        return summary + f"\nNothing archived: {archive} was not written."
    if get("archiver/threads/incomplete") or get("archiver/failures/new"):
        after = f"recap-archiver stats {archive}  (incomplete threads and failed pages are fetched first next crawl)"
    else:
        after = f"recap-archiver serve {archive}  (read it in Datasette; `recap-archiver stats {archive}` for numbers)"
    return summary + f"\nArchive: {archive}. Next: {after}"


class CrawlProgress:
    """Logs :func:`progress_line` every ``ARCHIVER_PROGRESS_INTERVAL`` seconds and :func:`crawl_summary` at the end."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.archive = crawler.settings.get("ARCHIVE_DB", "recaps.db")
        self.existed = Path(self.archive).exists()
        self.interval = interval
        self.started = time.monotonic()
        self.previous: dict[str, Any] = {}
        """The stats at the last line: none before the first, so a growing count of listed recaps gets no estimate."""
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
        """Stop the interval and log the crawl's summary (and Scrapy's stats, at DEBUG)."""
        if self.task is not None and self.task.running:
            self.task.stop()
        stats = self._stats()
        logger.debug("Scrapy stats (kept in crawls.stats):\n%s", pprint.pformat(stats))
        discarded = not self.existed and not stats.get(RECAPS)
        logger.info(crawl_summary(stats, reason, time.monotonic() - self.started, self.archive, discarded))
