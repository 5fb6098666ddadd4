"""The reply hierarchy of each recap's whole thread, once all its comment pages are in, and its size bounds."""

from __future__ import annotations

import logging
from typing import Self

from archiver.pipelines import CountingPipeline
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from archiver.items import RecapItem
from archiver.threads import assemble_thread

logger = logging.getLogger(__name__)


class ThreadPipeline(CountingPipeline):
    """Set parent, root, depth, position and path on every comment; bound text sizes; count what was odd.

    ``ARCHIVER_MAX_PATH_DEPTH`` bounds the levels ``comments.path`` spells out (see archiver.threads);
    ``ARCHIVER_MAX_TEXT_CHARS`` the characters kept per body field, a cut leaving the thread incomplete.
    """

    def __init__(self, stats: StatsCollector, max_path_depth: int = 100, max_text_chars: int = 16_000_000) -> None:
        super().__init__(stats)
        self.max_path_depth = max_path_depth
        self.max_text_chars = max_text_chars

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            crawler.stats,
            settings.getint("ARCHIVER_MAX_PATH_DEPTH", 100),
            settings.getint("ARCHIVER_MAX_TEXT_CHARS", 16_000_000),
        )

    def process_item(self, item: RecapItem) -> RecapItem:
        if not isinstance(item, RecapItem):
            return item
        self._bound_texts(item)
        item.comments, report = assemble_thread(item.comments, self.max_path_depth)
        for name in ("duplicates", "parent_missing", "cycles_broken"):
            value = getattr(report, name)
            if value:
                self.stats.inc_value(f"archiver/comments/{name}", value)
                logger.warning("%s: %d comment(s) %s", item.url, value, name.replace("_", " "))
        if report.paths_bounded:
            self.stats.inc_value("archiver/bounds/path_depth", report.paths_bounded)
            logger.info(
                "%s: %d repl(ies) deeper than %d levels: their path names their ancestor at that depth",
                item.url,
                report.paths_bounded,
                self.max_path_depth,
            )
        self.stats.max_value("archiver/comments/max_depth", report.max_depth)
        if not item.complete:
            self.stats.inc_value("archiver/threads/incomplete")
            logger.warning("%s: thread incomplete: %s", item.url, item.incomplete_reason)
        return item

    def _bound_texts(self, item: RecapItem) -> None:
        """Cut body fields longer than the bound, counting each cut; a cut thread is not whole."""
        limit = self.max_text_chars
        cut = 0
        for holder in (item, *item.comments):
            for name in ("body_html", "body_text"):
                value = getattr(holder, name)
                if value and len(value) > limit:
                    setattr(holder, name, value[:limit])
                    cut += 1
        if cut:
            self.stats.inc_value("archiver/bounds/text_chars", cut)
            logger.warning(
                "%s: %d text field(s) longer than %d characters cut (ARCHIVER_MAX_TEXT_CHARS)", item.url, cut, limit
            )
            item.incomplete_reasons.append(f"{cut} text field(s) cut at {limit} characters (ARCHIVER_MAX_TEXT_CHARS)")
