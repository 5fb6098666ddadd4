"""Resuming a killed crawl without losing a recap: a write-through journal in ``JOBDIR``.

Scrapy's ``JOBDIR`` keeps the request queue and the seen-request set on disk, but
a request that was being downloaded when the process died is in neither queue
nor archive, and the duplicate filter will never let it be fetched again. This
middleware journals each post or listing request when it is scheduled (``+ URL``)
and when its work is done (``- URL``: a listing parsed, a recap saved), one
flushed line at a time; a resumed crawl re-requests whatever was begun but never
finished once its queue runs dry. Without ``JOBDIR`` it does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any, TextIO

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from archiver.crawl.roles import PAGE_ROLES, START, THREAD_ROLES, role_of, with_role
from archiver.crawl.scope import scope_of
from archiver.items import RecapItem
from archiver.pages.urls import recap_url

logger = logging.getLogger(__name__)

JOURNAL = "archiver-frontier.log"


def read_journal(path: Path) -> list[str]:
    """Keys begun and not finished, in the order first begun."""
    pending: dict[str, None] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            mark, _, key = line.partition(" ")
            if mark == "+":
                pending.setdefault(key, None)
            elif mark == "-":
                pending.pop(key, None)
    return list(pending)


class FrontierJournal(BaseSpiderMiddleware):
    """Journal begun and finished work in JOBDIR; re-request what a killed run left unfinished."""

    def __init__(self, crawler: Crawler, jobdir: Path) -> None:
        super().__init__(crawler)
        jobdir.mkdir(parents=True, exist_ok=True)
        self.path = jobdir / JOURNAL
        self.resumed = False
        self.file: TextIO = self.path.open("a", encoding="utf-8")
        self.stats = crawler.stats
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierJournal:
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured  # no JOBDIR: nothing to resume, and nothing to warn about
        return cls(crawler, Path(jobdir))

    def _write(self, mark: str, url: str) -> None:
        self.file.write(f"{mark} {recap_url(url)}\n")
        self.file.flush()  # one write() per line: a killed process loses nothing it acknowledged

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        # Only what the scope lets through (archiver/crawl/scope.py): a resumed crawl re-requests what is journalled.
        if role_of(request) in PAGE_ROLES and scope_of(self.crawler).refusal(request.url) is None:
            self._write("+", request.url)

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        if isinstance(item, RecapItem):
            self._write("-", item.url)
            if response is not None:
                self._write("-", response.url)

    def process_spider_output(
        self, response: Response | None, result: Iterable[Any], spider: Any = None
    ) -> Iterable[Any]:
        outputs = list(result)
        yield from outputs
        self._done_if_listing(response, outputs)

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any], spider: Any = None
    ) -> AsyncIterator[Any]:
        outputs = []
        async for item in result:
            outputs.append(item)
            yield item
        self._done_if_listing(response, outputs)

    def _done_if_listing(self, response: Response | None, outputs: list[Any]) -> None:
        # A post is done when its recap is saved; anything else when its links are out.
        if response is None or role_of(response.request) not in PAGE_ROLES:
            return
        assembling = any(
            isinstance(o, RecapItem) or (isinstance(o, Request) and role_of(o) in THREAD_ROLES) for o in outputs
        )
        if not assembling:
            self._write("-", response.request.url)

    def spider_idle(self, spider: Spider) -> None:
        """Once the queue is dry, fetch again what a killed run had begun and not finished."""
        if self.resumed:
            return
        self.resumed = True
        urls = read_journal(self.path)  # this run's own finished work is already struck off
        if not urls:
            return
        logger.info("resuming: %d request(s) begun by the killed run are fetched again", len(urls))
        self.stats.set_value("archiver/resume/refetched", len(urls))
        for url in urls:
            self.crawler.engine.crawl(Request(url, callback=spider.parse, dont_filter=True, meta=with_role(START)))
        raise DontCloseSpider

    def spider_closed(self, spider: Spider) -> None:
        self.file.close()
