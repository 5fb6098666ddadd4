"""The reply hierarchy of each recap's whole thread, once all its comment pages are in."""

from __future__ import annotations

import logging


from archiver.items import RecapItem
from archiver.threads import assemble_thread
from pipelines import CountingPipeline

logger = logging.getLogger(__name__)


class ThreadPipeline(CountingPipeline):
    """Set parent, root, depth, position and path on every comment; count what was odd."""

    def process_item(self, item: RecapItem) -> RecapItem:
        if not isinstance(item, RecapItem):
            return item
        item.comments, report = assemble_thread(item.comments)
        for name in ("duplicates", "parent_missing", "cycles_broken"):
            value = getattr(report, name)
            if value:
                self.stats.inc_value(f"archiver/comments/{name}", value)
                logger.warning("%s: %d comment(s) %s", item.url, value, name.replace("_", " "))
        self.stats.max_value("archiver/comments/max_depth", report.max_depth)
        if not item.complete:
            self.stats.inc_value("archiver/threads/incomplete")
            reasons = item.incomplete_reasons or [f"{item.comment_pages_fetched} of {item.comment_pages} comment pages read"]
            logger.warning("%s: thread incomplete: %s", item.url, "; ".join(reasons))
        return item
