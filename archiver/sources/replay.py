"""Downloader middleware sending a crawl's requests to web-archive captures instead of the live site.

With ``-a source=wayback`` the spider asks for original URLs as usual; this middleware, closest to the
downloader, lists each site's captures once (CDX, through resumption keys), picks the capture of the URL
asked for (archiver.sources.wayback) and fetches it raw (``id_``) from ``WAYBACK_REPLAY_URL``. The spider gets
the capture under the original URL, with its provenance in headers (archiver.sources.provenance), and the
raw-page store keeps it under the original request, so ``recap-archiver reparse`` works as after a live crawl.
A URL with no capture is never fetched live: the request fails with :class:`NoCapture` (or, when it accepts a
404, such as the REST API's, gets an empty 404). A capture that is a soft 404 (WordPress's ``error404`` page
served with 200) counts as none.

The archive is asked politely: Scrapy's per-host slot (one request at a time, the crawl's delay) applies to
the replay host, and a 429 (or a 503 with ``Retry-After``) is waited out, doubling from
``WAYBACK_BACKOFF_START`` seconds, at least its ``Retry-After``, at most ``WAYBACK_BACKOFF_MAX``, up to
``WAYBACK_MAX_WAITS`` times for one capture (counted in ``archiver/wayback/throttled`` and
``.../waited_seconds``). Other 5xx answers and network errors are retried ``RETRY_TIMES`` times.

With the setting ``ARCHIVER_OFFLINE`` (the re-parse after ``import-warc``), every request that reaches this
middleware is one the archive does not hold, answered the same way as a URL with no capture.
"""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response

from archiver.crawl.politeness import retry_after_seconds
from archiver.sources.provenance import provenance_headers
from archiver.sources.wayback import (
    WAYBACK_CDX_URL,
    WAYBACK_REPLAY_URL,
    CaptureIndex,
    backoff_delay,
    cdx_request_url,
    check_source_arguments,
    parse_cdx,
    parse_wayback_at,
    replay_url,
    site_prefix,
)

logger = logging.getLogger(__name__)

RETRIED_STATUSES = {500, 502, 503, 504, 520, 521, 522, 523, 524, 408}
_SOFT_404 = re.compile(rb"<body[^>]*class=[\"'][^\"']*\berror404\b", re.I)


class NoCapture(IgnoreRequest):
    """The web archive holds no usable capture of a URL (none listed, or a soft 404)."""


class CaptureUnavailable(IgnoreRequest):
    """The web archive did not answer for a capture (or its listing) after every retry and wait."""


def looks_soft_404(response: Response) -> bool:
    """True for a 200 page that is WordPress's "not found" page (``<body class="... error404 ...">``)."""
    return response.status == 200 and _SOFT_404.search(response.body[:20000]) is not None


class WaybackMiddleware:
    """Answer requests from web-archive captures; see the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.cdx_url = settings.get("WAYBACK_CDX_URL") or WAYBACK_CDX_URL
        self.replay_base = settings.get("WAYBACK_REPLAY_URL") or WAYBACK_REPLAY_URL
        self.page_size = settings.getint("WAYBACK_CDX_PAGE_SIZE", 5000)
        self.backoff_start = settings.getfloat("WAYBACK_BACKOFF_START", 10.0)
        self.backoff_max = settings.getfloat("WAYBACK_BACKOFF_MAX", 900.0)
        self.max_waits = settings.getint("WAYBACK_MAX_WAITS", 100)
        self.retry_times = settings.getint("RETRY_TIMES", 3)
        self.offline = settings.getbool("ARCHIVER_OFFLINE")
        self.index = CaptureIndex()
        self.listed: dict[str, asyncio.Future] = {}
        self.archive_hosts = {urlsplit(self.cdx_url).netloc, urlsplit(self.replay_base).netloc}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WaybackMiddleware:
        return cls(crawler)

    def _active(self) -> tuple[bool, str | None]:
        spider = self.crawler.spider
        source = check_source_arguments(getattr(spider, "source", None), getattr(spider, "wayback_at", None))
        return source == "wayback", parse_wayback_at(getattr(spider, "wayback_at", None))

    async def process_request(self, request: Request, spider: Spider | None = None) -> Response | None:
        if request.meta.get("wayback_internal"):
            return None
        if self.offline:
            return self._missing(request, f"{request.url} is not in the archive")
        wayback, at = self._active()
        if not wayback or urlsplit(request.url).netloc in self.archive_hosts:
            return None  # the live site, or the web archive's own robots.txt
        await self._list_site(request.url)
        capture = self.index.choose(request.url, at)
        if capture is None:
            self.stats.inc_value("archiver/wayback/no_capture")
            return self._missing(request, f"no capture of {request.url} in the web archive")
        url = replay_url(self.replay_base, capture)
        response = await self._fetch(Request(url, priority=request.priority), "capture")
        if looks_soft_404(response):
            self.stats.inc_value("archiver/wayback/soft_404")
            logger.warning("%s: its capture %s is a 'not found' page; counted as no capture", request.url, url)
            return self._missing(request, f"the capture of {request.url} is a soft 404 ({url})")
        self.stats.inc_value("archiver/wayback/captures_fetched")
        headers = response.headers.copy()
        for name, value in provenance_headers("wayback", capture.captured_at, url).items():
            headers[name] = value
        request.meta["wayback_capture"] = url
        return response.replace(url=request.url, headers=headers, request=request)

    def _missing(self, request: Request, reason: str) -> Response:
        """An empty 404 for a request that handles one (the REST API's, robots.txt), else :class:`NoCapture`."""
        robots = urlsplit(request.url).path == "/robots.txt"
        if 404 in request.meta.get("handle_httpstatus_list", ()) or robots:
            request.meta["dont_cache"] = True
            if robots:  # no robots.txt captured: nothing is disallowed, and nothing failed
                request.meta["handle_httpstatus_list"] = [404]
            return HtmlResponse(
                request.url,
                status=404,
                body=b"",
                request=request,
                headers=provenance_headers("wayback" if not self.offline else "warc", None, None),
            )
        raise NoCapture(reason)

    async def _list_site(self, url: str) -> None:
        """List the captures under ``url``'s host once (every page of the CDX answer); later callers wait."""
        prefix = site_prefix(url)
        future = self.listed.get(prefix)
        if future is None:
            future = self.listed[prefix] = asyncio.get_running_loop().create_future()
            try:
                await self._list(url)
            except BaseException as exc:
                future.set_exception(exc)
                raise
            future.set_result(None)
            return
        await asyncio.shield(future)

    async def _list(self, url: str) -> None:
        resume, pages, before = None, 0, len(self.index)
        while True:
            response = await self._fetch(
                Request(cdx_request_url(self.cdx_url, url, resume, self.page_size), priority=100), "CDX listing"
            )
            if response.status != 200:
                raise CaptureUnavailable(f"the CDX server answered HTTP {response.status} listing {site_prefix(url)}")
            captures, resume = parse_cdx(response.text)
            self.index.add(captures)
            pages += 1
            self.stats.inc_value("archiver/wayback/cdx_pages")
            self.stats.inc_value("archiver/wayback/captures_listed", len(captures))
            if not resume:
                if len(captures) >= self.page_size:
                    logger.warning(
                        "%s: the CDX server gave a full page and no resumption key; the list may be "
                        "cut short at %d captures",
                        site_prefix(url),
                        self.page_size,
                    )
                break
        self.stats.set_value("archiver/wayback/urls", len(self.index))
        logger.info("%s: %d URL(s) captured (%d CDX page(s))", site_prefix(url), len(self.index) - before, pages)

    async def _fetch(self, request: Request, what: str) -> Response:
        """Download ``request`` from the web archive, waiting out 429s and retrying errors."""
        # Redirects are followed; errors come back here (not to Scrapy's retries or the failures table).
        request.meta.update(
            wayback_internal=True,
            dont_cache=True,
            dont_retry=True,
            allow_offsite=True,
            handle_httpstatus_list=list(range(400, 600)),
        )
        waits = errors = 0
        while True:
            try:
                response = await self._download(request.replace(dont_filter=True))
            except IgnoreRequest:
                raise
            except Exception as exc:  # network errors: refused, timed out, reset, DNS
                errors += 1
                if errors > self.retry_times:
                    raise CaptureUnavailable(f"{what} {request.url}: {type(exc).__name__}: {exc}") from exc
                await asyncio.sleep(backoff_delay(errors, None, 1.0, self.backoff_max))
                continue
            retry_after = retry_after_seconds(response.headers.get(b"Retry-After"))
            if response.status == 429 or (response.status == 503 and retry_after is not None):
                waits += 1
                self.stats.inc_value("archiver/wayback/throttled")
                if waits > self.max_waits:
                    self.stats.inc_value("archiver/wayback/gave_up")
                    raise CaptureUnavailable(
                        f"{what} {request.url}: still HTTP {response.status} after {waits - 1} waits"
                    )
                delay = backoff_delay(waits, retry_after, self.backoff_start, self.backoff_max)
                self.stats.inc_value("archiver/wayback/waited_seconds", round(delay, 1))
                logger.info(
                    "web archive answered HTTP %d for %s: waiting %.1f s (wait %d)",
                    response.status,
                    request.url,
                    delay,
                    waits,
                )
                await asyncio.sleep(delay)
                continue
            if response.status in RETRIED_STATUSES and errors < self.retry_times:
                errors += 1
                await asyncio.sleep(backoff_delay(errors, retry_after, 1.0, self.backoff_max))
                continue
            return response

    async def _download(self, request: Request) -> Response:
        engine = self.crawler.engine
        return await engine.download_async(request)
