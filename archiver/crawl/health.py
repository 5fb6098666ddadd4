"""The crawl's side of the health report: count what each site's pages showed, and judge it when the crawl ends.

The health pipeline (archiver.pipelines.health) hands over every saved recap and the spider every listing page;
when the spider closes, :func:`archiver.archive.health.check_crawl` compares each site with its earlier crawls.
Each sign becomes a WARNING line and stats (``archiver/health/broken``: how many signs, ``archiver/health/<sign>``:
how many sites show it, ``archiver/health/signs``: the lines), which the end summary shows and
:func:`archiver.crawl.run.failure` turns into exit status 3. A Scrapy extension, listed before the progress
extension so the summary sees the verdict; ``ARCHIVER_HEALTH = False`` turns it off. Re-parses and crawls of
Wayback captures or WARC files are not judged: old captures say nothing about the site's markup today.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from archiver.archive.health import VERDICTS, SiteMeasures, check_crawl, had_comments, signs_of
from archiver.archive.sqlite import sqlite3
from archiver.crawl.session import ArchiveSession
from archiver.items import RecapItem

logger = logging.getLogger(__name__)

_WATCHES: WeakKeyDictionary[Crawler, HealthWatch] = WeakKeyDictionary()

BROKEN = "archiver/health/broken"
"""Stats key: how many signs that a site looks broken (0 when none); exit status 3 when above 0."""
SIGNS = "archiver/health/signs"
"""Stats key: the signs as one-line messages."""
STORE_STOPPED = "archiver/store/stopped"
"""Stats key the store pipeline sets when the archive cannot be written (then no report is judged)."""
VERDICT = "archiver/health/verdict"
"""Stats key: the crawl's verdict (``ok``, ``broken``, ``first``, ``small``)."""


class HealthWatch:
    """Counts one crawl's measures per site (host) and judges them when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.measured: dict[str, SiteMeasures] = {}
        self.new_recaps: set[str] = set()
        """URLs of recaps this crawl archived first (the store pipeline says so): none of their comments is older."""
        self.enabled = crawler.settings.getbool("ARCHIVER_HEALTH", True) and not crawler.settings.getbool(
            "ARCHIVE_REPARSE"
        )
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def of(cls, crawler: Crawler) -> HealthWatch:
        """The watch of ``crawler``, created on first call."""
        watch = _WATCHES.get(crawler)
        if watch is None:
            watch = _WATCHES[crawler] = cls(crawler)
        return watch

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthWatch:
        """The extension: the crawler's watch, so its signal handler runs before the progress summary's."""
        return cls.of(crawler)

    def _site(self, url: str) -> SiteMeasures:
        host = urlsplit(url).netloc.lower()
        if host not in self.measured:
            self.measured[host] = SiteMeasures()
        return self.measured[host]

    def recap(self, recap: RecapItem) -> None:
        """Count a saved recap (the store pipeline has just saved it, so the archive is open)."""
        if not self.enabled or recap.source not in (None, "live"):
            return
        session = ArchiveSession.of(self.crawler)
        # A recap new to the archive had no comments before: no query per recap in a first crawl.
        earlier = (
            recap.url not in self.new_recaps
            and session.is_open
            and had_comments(session.db, recap.url, session.crawl_id)
        )
        self._site(recap.site_url or recap.url).add_recap(recap, earlier)

    def listing(self, url: str, posts: int) -> None:
        """Count a listing page linking ``posts`` posts."""
        self._site(url).add_listing(url, posts)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Judge each site against its earlier crawls; record, count and log the signs."""
        session = ArchiveSession.of(self.crawler)
        if not self.enabled or not self.measured or (session.crawl_id is None and not session.existed):
            return
        stats = self.crawler.stats
        if getattr(spider, "crawl_args", {}).get("source", "live") != "live" or stats.get_value(STORE_STOPPED):
            return  # old captures say nothing of today's markup; an archive that cannot be written takes no report
        try:
            db = session.db  # opened (and the crawl recorded) if no recap was saved but the archive exists
            if session.crawl_id is None:
                return
            health = check_crawl(db, session.crawl_id, self.measured)
        except sqlite3.Error as exc:
            logger.error("the health report could not be recorded in %s: %s", session.path, exc)
            return
        if health.verdict is None:
            return
        stats.set_value(VERDICT, health.verdict)
        stats.set_value(BROKEN, len(health.signs))
        for sign, count in signs_of(health.signs).items():
            stats.set_value(f"archiver/health/{sign}", count)
        for verdict in VERDICTS:
            count = sum(1 for site in health.sites if site.verdict == verdict)
            if count:
                stats.set_value(f"archiver/health/sites_{verdict}", count)
        if health.signs:
            stats.set_value(SIGNS, [sign.message for sign in health.signs])
        for sign in health.signs:
            logger.warning("%s", sign.message)
