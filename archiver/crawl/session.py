"""The archive one crawl writes to, shared by the store pipeline and the page store.

Opened at first use, so a crawl that reaches nothing creates no file; the crawl
is recorded in ``crawls`` when it starts writing and completed with its counts
when the spider closes.

Writes go into a batch: one transaction holding several recaps and their pages
(:meth:`ArchiveSession.write`), committed by the store pipeline every
``ARCHIVER_BATCH_RECAPS`` recaps or ``ARCHIVER_BATCH_SECONDS`` seconds, when the
crawl has nothing in flight, and at its end. A commit writes the indexes and
full-text segments a batch touched once rather than once per recap and per page.
A crawl killed outright loses its open batch, never more; the recaps in it were
not counted as saved nor struck off a ``JOBDIR`` journal, so a resumed crawl fetches them again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlite_utils import Database
from twisted.internet.task import LoopingCall

from archiver.archive import store
from archiver.archive.revisit import RevisitPolicy
from archiver.archive.schema import optimize_search
from archiver.archive.sqlite import sqlite3
from archiver.clean import utc_now

logger = logging.getLogger(__name__)

BATCH_SECONDS = 1.0
"""Longest a batch stays open (``ARCHIVER_BATCH_SECONDS``); it is committed sooner once nothing is in flight."""

_SESSIONS: WeakKeyDictionary[Crawler, ArchiveSession] = WeakKeyDictionary()

# crawls column -> Scrapy stats key it is read from.
CRAWL_COUNTS = {
    "pages": "downloader/response_count",
    "pages_not_modified": "httpcache/revalidate",
    "bytes": "downloader/response_bytes",
    "recaps": "archiver/recaps/saved",
    "recaps_new": "archiver/recaps/new",
    "recaps_changed": "archiver/recaps/changed",
    "recaps_not_due": "archiver/recaps/not_due",
    "comments": "archiver/comments/saved",
    "comments_new": "archiver/comments/new",
    "comments_edited": "archiver/comments/edited",
    "comments_gone": "archiver/comments/gone",
    "vote_changes": "archiver/comments/vote_changes",
    "threads_incomplete": "archiver/threads/incomplete",
    "errors": "log_count/ERROR",
    "failures": "archiver/failures/new",
}


class ArchiveSession:
    """One crawl's connection to ``ARCHIVE_DB`` and its ``crawls`` row."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.path = str(store.check_archive_path(settings.get("ARCHIVE_DB", "recaps.db")))
        self.existed = Path(self.path).exists()
        self.policy = RevisitPolicy(
            start=settings.getint("REVISIT_START", RevisitPolicy.start),
            maximum=settings.getint("REVISIT_MAX", RevisitPolicy.maximum),
            active=settings.getint("REVISIT_ACTIVE", RevisitPolicy.active),
        )
        self.started_at = utc_now()
        self.signalled: set[str] = set()
        """Hosts whose comment signal answered this crawl (archiver.crawl.signals): see ``policy_for``."""
        self._db: Database | None = None
        self.crawl_id: int | None = None
        self.unresolved = set(store.unresolved_failures(self.path))
        """Pages earlier crawls failed on; the revisit middleware fetches them first."""
        self._failed: dict[str, tuple[str, str, int, str]] = {}
        self._succeeded: set[str] = set()
        self.batch_seconds = settings.getfloat("ARCHIVER_BATCH_SECONDS", BATCH_SECONDS)
        self.batch_started: float | None = None
        """When the open batch began (``time.monotonic()``); None when no batch is open."""
        self.batch_committed: list[Callable[[], None]] = []
        """Called once the open batch is committed (the store pipeline counts its recaps as saved then)."""
        self.batch_lost: list[Callable[[sqlite3.Error], None]] = []
        """Called when an error rolled the whole open batch back (the store pipeline accounts for its recaps)."""
        self._ticker: LoopingCall | None = None
        self.before_close: list[Callable[[], None]] = []
        """Called when the crawl ends, before its last batch is committed (the page store's last dictionaries)."""
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def of(cls, crawler: Crawler) -> ArchiveSession:
        """The session of ``crawler``, created on first call."""
        session = _SESSIONS.get(crawler)
        if session is None:
            session = _SESSIONS[crawler] = cls(crawler)
        return session

    def policy_for(self, url: str, platform: str | None) -> RevisitPolicy:
        """The revisit schedule for a recap at ``url``: where the site's comment signal answered, a recent comment
        no longer makes a thread due at every run (the signal reports new comments); only gaining comments does.
        Not for a Disqus thread, whose comments WordPress's signals do not see."""
        if urlsplit(url).netloc in self.signalled and platform != "disqus":
            return replace(self.policy, active=0)
        return self.policy

    @property
    def is_open(self) -> bool:
        return self._db is not None

    @property
    def db(self) -> Database:
        """The archive, opened (and the crawl recorded) at first use."""
        if self._db is None:
            self._db = store.open_archive(self.path)
            # Which SQLite writes the archive matters to a reader (full-text ranking is faster in newer ones).
            logger.info("archive %s opened with SQLite %s (%s)", self.path, sqlite3.sqlite_version, sqlite3.__name__)
            spider = self.crawler.spider
            args = dict(getattr(spider, "crawl_args", {}) or {})
            self.crawl_id = store.start_crawl(self._db, spider.name if spider else "", args, self.started_at)
        return self._db

    def write(self) -> Database:
        """The archive inside the open batch (a transaction), begun here when none is open."""
        db = self.db
        if not db.conn.in_transaction:
            self.check_batch(None)
            db.conn.execute("BEGIN")
            self.batch_started = time.monotonic()
            if self._ticker is None:
                self._ticker = LoopingCall(self._tick)
                # At least four times a second whatever the batch's age limit: recaps wait for their batch's
                # commit, so a crawl with nothing left in flight would otherwise sit out a quarter of that limit.
                self._ticker.start(min(max(self.batch_seconds / 4, 0.01), 0.25), now=False)
        return db

    def _tick(self) -> None:
        if self.batch_started is None:
            return
        engine = self.crawler.engine
        idle = engine is None or not engine.downloader.active  # nothing in flight: no reason to wait
        if idle or time.monotonic() - self.batch_started >= self.batch_seconds:
            self.commit()

    def commit(self) -> bool:
        """Commit the open batch, if any, and tell :attr:`batch_committed`; True when it was committed.

        When it cannot be (sqlite3.Error), it is rolled back, logged, and :attr:`batch_lost` is told.
        """
        if self.check_batch(None):
            return False
        self.batch_started = None
        if self._db is None or not self._db.conn.in_transaction:
            for committed in self.batch_committed:
                committed()
            return True
        try:
            self._db.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.conn.in_transaction:
                self._db.conn.execute("ROLLBACK")
            logger.error("could not commit to the archive %s (%s): the last writes are lost", self.path, exc)
            for lost in self.batch_lost:
                lost(exc)
            return False
        for committed in self.batch_committed:
            committed()
        return True

    def check_batch(self, exc: sqlite3.Error | None) -> bool:
        """Whether the open batch was rolled back by an error (SQLite ends a transaction on some, a full disk
        among them), ``exc`` if known; if so :attr:`batch_lost` is told."""
        if self.batch_started is None or self._db is None or self._db.conn.in_transaction:
            return False
        self.batch_started = None
        lost_with = exc or sqlite3.OperationalError("the open batch was rolled back by an earlier error")
        logger.error("a write to the archive %s failed and rolled back its open batch (%s)", self.path, lost_with)
        for lost in self.batch_lost:
            lost(lost_with)
        return True

    def failed(self, url: str, reason: str, attempts: int, when: str) -> None:
        """Note a page that failed for good; written when the crawl ends."""
        _, _, earlier, _ = self._failed.get(url, ("", "", 0, ""))
        self._failed[url] = (url, reason, earlier + attempts, when)
        self._succeeded.discard(url)

    def succeeded(self, url: str) -> None:
        """Note a successful fetch of a page that had failed before."""
        if url in self.unresolved or url in self._failed:
            self._failed.pop(url, None)
            self._succeeded.add(url)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Record failures and the crawl's counts, then close the archive."""
        stats = self.crawler.stats.get_stats()
        if self._db is None and self.existed and stats.get("archiver/pages/parsed"):
            _ = self.db  # a crawl of an existing archive that found nothing new is still recorded
        if self._db is None or self.crawl_id is None:
            return
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        for call in self.before_close:
            call()
        self.commit()  # pages stored since the store pipeline's last commit
        if self._failed:
            store.record_failures(self._db, self.crawl_id, list(self._failed.values()))
            logger.warning("%d page(s) failed for good and are listed in the failures table:", len(self._failed))
            for url, why, attempts, _ in list(self._failed.values())[:20]:
                logger.warning("  %s (%s, %d attempt(s))", url, why, attempts)
        resolved = store.resolve_failures(self._db, self.crawl_id, sorted(self._succeeded), utc_now())
        if resolved:
            self.crawler.stats.set_value("archiver/failures/resolved", resolved)
        stats = self.crawler.stats.get_stats()
        counts: dict[str, Any] = {column: stats.get(key, 0) for column, key in CRAWL_COUNTS.items()}
        counts["stats"] = json.dumps(stats, default=_json_default, sort_keys=True)
        store.finish_crawl(self._db, self.crawl_id, utc_now(), reason, counts)
        if optimize_search(self._db, int(counts.get("comments_new") or 0)):
            logger.info("full-text index merged after %s new comments", counts["comments_new"])
        self._db.close()
        self._db = None
        if not self.existed and not stats.get("archiver/recaps/saved"):
            # A new archive with no recap in it (nothing reachable, or no recap found): write nothing.
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            logger.info("no recap archived: %s not kept", self.path)


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
