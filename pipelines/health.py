"""Count every saved recap for the health report (archiver.crawl.health), after the store pipeline."""

from __future__ import annotations

from scrapy.crawler import Crawler

from archiver.crawl.health import HealthWatch
from archiver.items import RecapItem


class HealthPipeline:
    """Hand each recap the store saved (a dropped one never gets here) to the crawl's health watch."""

    def __init__(self, watch: HealthWatch) -> None:
        self.watch = watch

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthPipeline:
        return cls(HealthWatch.of(crawler))

    def process_item(self, item: RecapItem) -> RecapItem:
        if isinstance(item, RecapItem):
            self.watch.recap(item)
        return item
