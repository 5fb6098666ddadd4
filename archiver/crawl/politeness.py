"""Downloader middlewares for flaky sites: back off when asked, catch cut-off pages, remember failures.

* :class:`PolitenessMiddleware` honours ``Retry-After`` on 429 and 503 answers (the
  site's slot waits that long, then its delay is restored) and robots.txt's
  ``Crawl-delay`` (a floor under the site's delay for the whole crawl).
* :class:`TruncationMiddleware` retries a 200 whose HTML stops before ``</html>``
  (a page cut off mid-thread), with Scrapy's own retry machinery, and flags it
  (``response.meta["archiver_truncated"]``) when retries run out, so the thread
  is archived as incomplete rather than as complete with comments missing.
* :class:`CharsetMiddleware` corrects a ``Content-Type`` charset that contradicts
  a body which is valid UTF-8 and says so in its ``<meta charset>``.
* :class:`FailureRecorder` notes every page that failed for good (after retries)
  in the archive's ``failures`` table, and marks it resolved when a later fetch
  succeeds; the next crawl fetches unresolved failures first.
"""

from __future__ import annotations

import logging
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from archiver.crawl.scope import OutOfScope
from archiver.crawl.session import ArchiveSession, utc_now

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER = 600.0
"""Longest Retry-After honoured, in seconds; a longer one is capped (and logged)."""


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date); None if unusable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isascii() and text.isdigit():  # "²" and other Unicode digits are digits to isdigit(), not to float()
        return float(text)
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class PolitenessMiddleware:
    """Slow a site down when it says so: ``Retry-After`` and robots.txt ``Crawl-delay``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.user_agent = crawler.settings.get("USER_AGENT", "")
        self.floor: dict[str, float] = {}  # slot -> Crawl-delay
        self.until: dict[str, tuple[float, float]] = {}  # slot -> (Retry-After ends at, delay to restore)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PolitenessMiddleware:
        return cls(crawler)

    def _slot(self, request: Request) -> tuple[str, Any]:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        return key, downloader.slots.get(key)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        key, slot = self._slot(request)
        self._apply_crawl_delay(request, key)
        if slot is None:
            return
        ends, restore = self.until.get(key, (0.0, 0.0))
        if ends and time.monotonic() >= ends:
            del self.until[key]
            slot.delay = max(restore, self.floor.get(key, 0.0))
        elif key in self.floor and slot.delay < self.floor[key]:
            slot.delay = self.floor[key]
        if key in self.floor or key in self.until:
            # AutoThrottle would otherwise lower the delay the site asked for.
            request.meta["autothrottle_dont_adjust_delay"] = True

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if response.status in (429, 503):
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
            if wait is not None:
                key, slot = self._slot(request)
                if wait > MAX_RETRY_AFTER:
                    logger.warning("%s asks to wait %.0f s; waiting %.0f s", key, wait, MAX_RETRY_AFTER)
                    wait = MAX_RETRY_AFTER
                if slot is not None:
                    restore = self.until.get(key, (0.0, slot.delay))[1]
                    slot.delay = max(slot.delay, wait)
                    self.until[key] = (time.monotonic() + wait, restore)
                self.stats.inc_value("archiver/throttle/retry_after")
                logger.info("%s: HTTP %d with Retry-After %.0f s: slowing down for %s", request.url,
                            response.status, wait, key)
        return response

    def _apply_crawl_delay(self, request: Request, key: str) -> None:
        if key in self.floor:
            return
        robots = self._robots()
        parser = robots._parsers.get(urlparse_cached(request).netloc) if robots else None
        if parser is None or not hasattr(parser, "crawl_delay"):
            return  # not fetched yet (a Deferred) or no robots.txt
        delay = parser.crawl_delay(self.user_agent) or 0.0
        self.floor[key] = float(delay)
        if delay:
            self.stats.set_value("archiver/throttle/crawl_delay", float(delay))
            logger.info("robots.txt of %s asks for Crawl-delay %s s: obeyed", key, delay)

    def _robots(self) -> RobotsTxtMiddleware | None:
        for mw in self.crawler.engine.downloader.middleware.middlewares:
            if isinstance(mw, RobotsTxtMiddleware):
                return mw
        return None


_HTML_END = re.compile(rb"</html\s*>", re.I)


_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S)


def looks_truncated(response: Response) -> bool:
    """True for an HTML document that stops before its closing ``</html>`` (cut off in transit or by the server).

    Only a body that starts as a document counts: WordPress sends AJAX answers such as wpDiscuz's
    ``Nonce is invalid.`` as ``text/html`` too, and those are not pages cut short.
    """
    content_type = response.headers.get(b"Content-Type", b"").lower()
    if response.status != 200 or b"html" not in content_type or not _HTML_START.match(response.body[:4096]):
        return False
    return _HTML_END.search(response.body[-4096:]) is None and _HTML_END.search(response.body) is None


class TruncationMiddleware:
    """Retry cut-off HTML pages; flag the ones that stay cut off."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TruncationMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Request | Response:
        if "cached" in response.flags or not looks_truncated(response):
            return response
        self.crawler.stats.inc_value("archiver/pages/truncated")
        retry = get_retry_request(request, spider=self.crawler.spider, reason="truncated_html")
        if retry is not None:
            return retry
        request.meta["archiver_truncated"] = True
        logger.error("%s: page still cut off after retries; its thread is archived as incomplete", request.url)
        return response


_META_UTF8 = re.compile(rb"<meta[^>]+charset=[\"']?utf-?8", re.I)
_WESTERN = (b"iso-8859-1", b"latin-1", b"latin1", b"windows-1252", b"cp1252", b"us-ascii", b"ascii")


class CharsetMiddleware:
    """Trust a body that is valid UTF-8 and declares UTF-8 over a Western charset in the header."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        content_type = response.headers.get(b"Content-Type", b"")
        if b"html" not in content_type.lower() or not any(c in content_type.lower() for c in _WESTERN):
            return response
        head = response.body[:4096]
        if not _META_UTF8.search(head):
            return response
        try:
            response.body.decode("utf-8")
        except UnicodeDecodeError:
            return response
        if response.body.isascii():
            return response
        self.stats.inc_value("archiver/pages/charset_corrected")
        logger.warning("%s: header says %s but the page is UTF-8 and says so; read as UTF-8", request.url,
                       content_type.decode("latin-1"))
        headers = response.headers.copy()
        headers[b"Content-Type"] = b"text/html; charset=UTF-8"
        return response.replace(headers=headers, encoding="utf-8")


class FailureRecorder:
    """Record pages that failed for good in ``failures``; resolve them when they succeed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.session = ArchiveSession.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureRecorder:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if response.status >= 400 and response.status not in request.meta.get("handle_httpstatus_list", ()):
            self._failed(request, f"HTTP {response.status}")
        elif request.meta.get("archiver_truncated"):
            self._failed(request, "HTML cut off before </html>")
        elif 200 <= response.status < 300:
            self.session.succeeded(request.url)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        # Below the retry middleware: this runs only once retries are exhausted. A request refused as out of
        # scope never failed: it was never sent, and no later crawl should send it.
        if isinstance(exception, OutOfScope):
            return None
        self._failed(request, f"{type(exception).__name__}: {exception}".strip().rstrip(":"))
        return None

    def _failed(self, request: Request, reason: str) -> None:
        attempts = request.meta.get("retry_times", 0) + 1
        self.crawler.stats.inc_value("archiver/failures/new")
        self.session.failed(request.url, reason[:300], attempts, utc_now())
