"""Write each recap and its whole thread to the SQLite archive, one transaction per recap."""

from __future__ import annotations

import logging
import sqlite3

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archiver import store
from archiver.items import RecapItem
from archiver.session import ArchiveSession

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


class StorePipeline:
    """Save recaps with sqlite-utils into ``ARCHIVE_DB``; the crawl is recorded in ``crawls``.

    The archive is opened at the first recap (see archiver.session), so a crawl
    that reaches nothing creates no file.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.session = ArchiveSession.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: RecapItem) -> RecapItem:
        if not isinstance(item, RecapItem):
            return item
        platform = getattr(item, "platform", None) or getattr(self.crawler.spider, "platform", None)
        try:
            result = store.save_recap(self.session.db, item, self.session.crawl_id, platform, self.session.policy)
        except sqlite3.Error as exc:
            self.stats.inc_value("archiver/store/errors")
            raise DropItem(f"could not save {item.url}: {exc}") from exc
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
