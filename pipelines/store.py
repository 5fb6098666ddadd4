"""Write each recap and its whole thread to the SQLite archive, one transaction per recap."""

from __future__ import annotations

import logging
import sqlite3

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from archiver.archive import store
from archiver.clean import utc_now
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


class StorePipeline:
    """Save recaps with sqlite-utils into ``ARCHIVE_DB``; the crawl is recorded in ``crawls``.

    The archive is opened at the first recap (see archiver.crawl.session), so a crawl
    that reaches nothing creates no file.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.session = ArchiveSession.of(crawler)
        self.max_errors = crawler.settings.getint("ARCHIVER_STORE_ERRORS_MAX", STORE_ERRORS_MAX)
        self.errors_in_a_row = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: RecapItem) -> RecapItem:
        if not isinstance(item, RecapItem):
            return item
        if not item.platform:
            self.stats.inc_value("archiver/store/no_platform")
            raise DropItem(f"recap without a comment platform: {item.url}")
        try:
            result = store.save_recap(
                self.session.db, item, self.session.crawl_id, policy=self.session.policy_for(item.url, item.platform)
            )
        except sqlite3.Error as exc:
            self.store_failed(item, exc)
            raise DropItem(f"could not save {item.url}: {exc}") from exc
        self.errors_in_a_row = 0
        self.stats.inc_value("archiver/recaps/saved")
        if result.recap_new:
            self.stats.inc_value("archiver/recaps/new")
        if result.recap_changed:
            self.stats.inc_value("archiver/recaps/changed")
        for key, attribute in COUNTED.items():
            value = getattr(result, attribute)
            if value:
                self.stats.inc_value(key, value)
        if result.comments_gone:
            logger.info("%s: %d comment(s) no longer on the thread, kept as gone", item.url, result.comments_gone)
        return item

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
