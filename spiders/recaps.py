"""`scrapy crawl recaps -a url=...`: every recap and every comment of a WordPress recap site.

The spider only decides what to fetch next; page objects in archiver.pages
extract, pipelines normalise and save.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from archiver.errors import ArgumentError
from archiver.items import RecapItem
from archiver.pages import page_kind
from archiver.pages.wordpress import ListingPage, PostPage

logger = logging.getLogger(__name__)

# Links a crawl never follows: reply forms, feeds, log-in and admin pages.
NEVER_FOLLOW = ("replytocom=", "/feed/", "/feed", "wp-login.php", "/wp-admin/", "/comments/feed", "/trackback/")


def parse_url_argument(value: str | None) -> list[str]:
    """Split the ``url`` argument (comma-separated) into absolute http(s) URLs.

    Raises ArgumentError naming the argument when it is missing or a part is not a web address.
    """
    if not value or not value.strip():
        raise ArgumentError("argument url is required: -a url=https://recaps.example/")
    urls = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        parts = urlsplit(part)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ArgumentError(f"argument url: {part!r} is not a web address (http:// or https://)")
        urls.append(part)
    if not urls:
        raise ArgumentError("argument url is required: -a url=https://recaps.example/")
    return urls


def followable(url: str) -> bool:
    """True unless ``url`` is a reply link, a feed, a log-in or admin page."""
    return not any(marker in url for marker in NEVER_FOLLOW)


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class RecapsSpider(scrapy.Spider):
    """Crawl home pages, tag or category archives, or single recaps given in ``-a url=``."""

    name = "recaps"
    platform = "wordpress"

    @staticmethod
    def check_arguments(url: str | None = None, **kwargs: Any) -> None:
        """Raise ArgumentError, naming the argument, for values the crawl cannot use."""
        parse_url_argument(url)

    def __init__(self, url: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_urls = parse_url_argument(url)
        self.allowed_domains = sorted({urlsplit(u).hostname for u in self.start_urls if urlsplit(u).hostname})
        self.crawl_args = {"url": url, **{k: v for k, v in kwargs.items() if isinstance(v, str)}}
        self._recaps_started: set[str] = set()

    async def start(self) -> AsyncIterator[Request]:
        for url in self.start_urls:
            yield Request(url, callback=self.parse, errback=self.start_failed)

    def start_failed(self, failure: Failure) -> None:
        """A start URL could not be fetched: one clear line, counted."""
        request = failure.request  # type: ignore[attr-defined]
        self.crawler.stats.inc_value("archiver/errors/start_url")
        reason = failure.getErrorMessage() or failure.type.__name__
        if hasattr(failure.value, "response") and failure.value.response is not None:
            reason = f"HTTP {failure.value.response.status}"
        logger.error("cannot fetch start URL %s: %s", request.url, reason)

    def parse(self, response: Response) -> Iterator[Request | RecapItem]:
        """Route a page to the post or listing handler by what the page shows."""
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("archiver/pages/not_html")
            return
        self.crawler.stats.inc_value("archiver/pages/parsed")
        kind = page_kind(response)
        self.crawler.stats.inc_value(f"archiver/pages/{kind}")
        if kind == "post":
            yield from self.parse_post(response)
        elif kind == "listing":
            yield from self.parse_listing(response)
        else:
            logger.info("%s: neither a post nor a listing, skipped", response.url)

    def parse_listing(self, response: TextResponse) -> Iterator[Request]:
        """Follow every post in a home page or archive, and its pagination."""
        page = ListingPage(response)
        for url in page.post_urls():
            if followable(url):
                yield response.follow(url, callback=self.parse)
        for url in page.pagination_urls():
            if followable(url):
                yield response.follow(url, callback=self.parse)

    def parse_post(self, response: TextResponse) -> Iterator[Request | RecapItem]:
        """Start a recap from whichever comment page this is, then fetch the others in turn."""
        page = PostPage(response)
        url = page.canonical_url()
        if url in self._recaps_started:
            self.crawler.stats.inc_value("archiver/recaps/seen_twice")
            return
        self._recaps_started.add(url)
        recap = page.recap(fetched_at=utc_now())
        fetched = {page.comment_page()}
        yield from self._next_comment_page(recap, page.comment_page_urls(), fetched)

    def parse_comment_page(
        self, response: Response, recap: RecapItem, fetched: set[int], number: int
    ) -> Iterator[Request | RecapItem]:
        """Add one more comment page's comments to the recap being assembled."""
        if not isinstance(response, TextResponse):
            yield from self._give_up(recap, f"comment page {number} is not HTML")
            return
        self.crawler.stats.inc_value("archiver/pages/parsed")
        self.crawler.stats.inc_value("archiver/pages/comment_page")
        page = PostPage(response)
        recap.comments.extend(page.comments())
        fetched.add(number)
        recap.comment_pages_fetched = len(fetched)
        yield from self._next_comment_page(recap, page.comment_page_urls(), fetched)

    def _next_comment_page(
        self, recap: RecapItem, urls: dict[int, str], fetched: set[int]
    ) -> Iterator[Request | RecapItem]:
        # A thread may grow new pages while it is crawled: every page seen so far counts.
        recap.comment_pages = max(recap.comment_pages, len(fetched), max(urls, default=1))
        recap.comment_pages_fetched = len(fetched)
        missing = sorted(n for n in urls if n not in fetched)
        if not missing:
            yield recap
            return
        number = missing[0]
        yield Request(
            urls[number],
            callback=self.parse_comment_page,
            errback=self.comment_page_failed,
            cb_kwargs={"recap": recap, "fetched": fetched, "number": number},
            # The same comment page may be linked from elsewhere (a Recent Comments widget):
            # the chain must not be cut by the duplicate filter.
            dont_filter=True,
        )

    def comment_page_failed(self, failure: Failure) -> Iterator[RecapItem]:
        """Keep what the thread has so far, flagged incomplete, when a comment page fails for good."""
        request = failure.request  # type: ignore[attr-defined]
        recap: RecapItem = request.cb_kwargs["recap"]
        yield from self._give_up(recap, f"{request.url}: {failure.getErrorMessage() or failure.type.__name__}")

    def _give_up(self, recap: RecapItem, reason: str) -> Iterator[RecapItem]:
        self.crawler.stats.inc_value("archiver/errors/comment_page")
        logger.error("%s: comment page lost (%s); archiving the thread as incomplete", recap.url, reason)
        yield recap
