"""Write each recap and its whole thread to the SQLite archive, several recaps per transaction.

Each recap is written in its own savepoint inside the crawl's open batch (archiver.crawl.session); it counts as
saved, and leaves the pipeline, when the batch is committed. A recap whose batch cannot be committed is a store
error like a recap that cannot be written: listed in ``failures``, dropped, and counted towards the stop.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from archiver.archive import store
from archiver.archive.sqlite import sqlite3
from archiver.clean import utc_now
from archiver.crawl.health import HealthWatch
from archiver.crawl.session import ArchiveSession
from archiver.items import RecapItem

logger = logging.getLogger(__name__)

# Stats key -> SaveResult attribute counted under it.
COUNTED = {
    "archiver/comments/saved": "comments",
    "archiver/comments/new": "comments_new",
    "archiver/comments/edited": "comments_edited",
    "archiver/comments/vote_changes": "vote_changes",
    "archiver/comments/gone": "comments_gone",
    "archiver/comments/back": "comments_back",
}


STORE_ERRORS_MAX = 10
"""Store errors in a row (no recap saved between them) after which the crawl stops: the archive is not writable."""
BATCH_RECAPS = 20
"""Recaps written before the batch is committed (``ARCHIVER_BATCH_RECAPS``; 1: a transaction per recap). Each
waits in the pipeline, its response held, until then."""


class StorePipeline:
    """Save recaps with sqlite-utils into ``ARCHIVE_DB``; the crawl is recorded in ``crawls``.

    The archive is opened at the first recap (see archiver.crawl.session), so a crawl
    that reaches nothing creates no file.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.session = ArchiveSession.of(crawler)
        self.health = HealthWatch.of(crawler)
        self.max_errors = crawler.settings.getint("ARCHIVER_STORE_ERRORS_MAX", STORE_ERRORS_MAX)
        self.errors_in_a_row = 0
        self.batch_recaps = max(1, crawler.settings.getint("ARCHIVER_BATCH_RECAPS", BATCH_RECAPS))
        self.pending: list[tuple[RecapItem, store.SaveResult, Deferred[RecapItem]]] = []
        """Recaps written in the open batch, not yet committed."""
        self.session.batch_committed.append(self._committed)
        self.session.batch_lost.append(self._lost)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    async def process_item(self, item: RecapItem) -> RecapItem:
        """Write ``item`` into the open batch; return it once the batch is committed.

        Raises DropItem when it cannot be written or its batch cannot be committed (a store error).
        """
        if not isinstance(item, RecapItem):
            return item
        if not item.platform:
            self.stats.inc_value("archiver/store/no_platform")
            raise DropItem(f"recap without a comment platform: {item.url}")
        try:
            db = self.session.write()
            result = store.save_recap(
                db, item, self.session.crawl_id, policy=self.session.policy_for(item.url, item.platform)
            )
        except sqlite3.Error as exc:
            self.session.check_batch(exc)  # an error that ended the whole batch lost the recaps before this one
            self.store_failed(item, exc)
            raise DropItem(f"could not save {item.url}: {exc}") from exc
        self.errors_in_a_row = 0
        done: Deferred[RecapItem] = Deferred()
        self.pending.append((item, result, done))
        if len(self.pending) >= self.batch_recaps:
            self.session.commit()
        return await maybe_deferred_to_future(done)

    def _committed(self) -> None:
        pending, self.pending = self.pending, []
        for item, result, done in pending:
            self._count(item, result)
            done.callback(item)

    def _lost(self, exc: sqlite3.Error) -> None:
        pending, self.pending = self.pending, []
        for item, _, done in pending:
            self.store_failed(item, exc)
            done.errback(DropItem(f"could not save {item.url}: {exc}"))

    def _count(self, item: RecapItem, result: store.SaveResult) -> None:
        self.stats.inc_value("archiver/recaps/saved")
        if result.recap_new:
            self.stats.inc_value("archiver/recaps/new")
            self.health.new_recaps.add(item.url)
        if result.recap_changed:
            self.stats.inc_value("archiver/recaps/changed")
        for key, attribute in COUNTED.items():
            value = getattr(result, attribute)
            if value:
                self.stats.inc_value(key, value)
        if result.comments_gone:
            logger.info("%s: %d comment(s) no longer on the thread, kept as gone", item.url, result.comments_gone)

    def store_failed(self, item: RecapItem, exc: sqlite3.Error) -> None:
        """Record the recap in ``failures`` (the next crawl fetches it first); stop the crawl after too many in a row."""
        self.stats.inc_value("archiver/store/errors")
        self.session.failed(item.url, f"not saved: {type(exc).__name__}: {exc}"[:300], 1, utc_now())
        self.errors_in_a_row += 1
        logger.error("%s: could not save the recap (%s); listed in failures for the next crawl", item.url, exc)
        if self.errors_in_a_row == self.max_errors:
            self.stats.set_value("archiver/store/stopped", self.errors_in_a_row)
            logger.error(
                "%d store errors in a row: the archive %s cannot be written (%s); stopping the crawl",
                self.errors_in_a_row,
                self.session.path,
                exc,
            )
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_errors"))
