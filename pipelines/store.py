"""Write each recap and its whole thread to the SQLite archive, one transaction per recap."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlite_utils import Database

from archiver import store
from archiver.items import RecapItem

logger = logging.getLogger(__name__)


def utc_now() -> str:
    """Now, ISO 8601 UTC to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class StorePipeline:
    """Save recaps with sqlite-utils into ``ARCHIVE_DB`` and record the crawl in ``crawls``.

    The archive is opened at the first recap, so a crawl that reaches nothing
    creates no file; an existing archive also gets a ``crawls`` row for a crawl
    that fetched pages but found nothing new.
    """

    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = str(store.check_archive_path(path))
        self.existed = Path(self.path).exists()
        self.db: Database | None = None
        self.crawl_id: int | None = None
        self.started_at = utc_now()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipeline = cls(crawler, crawler.settings.get("ARCHIVE_DB", "recaps.db"))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def _open(self) -> Database:
        if self.db is None:
            self.db = store.open_archive(self.path)
            spider = self.crawler.spider
            args = dict(getattr(spider, "crawl_args", {}) or {})
            self.crawl_id = store.start_crawl(self.db, spider.name if spider else "", args, self.started_at)
        return self.db

    def process_item(self, item: RecapItem) -> RecapItem:
        if not isinstance(item, RecapItem):
            return item
        db = self._open()
        platform = getattr(self.crawler.spider, "platform", None)
        try:
            result = store.save_recap(db, item, self.crawl_id, platform)
        except sqlite3.Error as exc:
            self.stats.inc_value("archiver/store/errors")
            raise DropItem(f"could not save {item.url}: {exc}") from exc
        self.stats.inc_value("archiver/recaps/saved")
        if result.recap_new:
            self.stats.inc_value("archiver/recaps/new")
        self.stats.inc_value("archiver/comments/saved", result.comments)
        self.stats.inc_value("archiver/comments/new", result.comments_new)
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Record the crawl's counts, then close the archive."""
        fetched_any = (self.stats.get_value("archiver/pages/parsed") or 0) > 0
        if self.db is None and self.existed and fetched_any:
            self._open()
        if self.db is None or self.crawl_id is None:
            return
        stats = self.stats.get_stats()
        counts = {
            "pages": stats.get("downloader/response_count", 0),
            "bytes": stats.get("downloader/response_bytes", 0),
            "recaps": stats.get("archiver/recaps/saved", 0),
            "comments": stats.get("archiver/comments/saved", 0),
            "comments_new": stats.get("archiver/comments/new", 0),
            "threads_incomplete": stats.get("archiver/threads/incomplete", 0),
            "errors": stats.get("log_count/ERROR", 0),
            "stats": json.dumps(stats, default=_json_default, sort_keys=True),
        }
        store.finish_crawl(self.db, self.crawl_id, utc_now(), reason, counts)
        self.db.close()
        self.db = None


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
