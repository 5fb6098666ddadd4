"""Politeness: honour ``Retry-After`` on 429 and 503 answers (the site's slot waits that long, then its delay is
restored) and robots.txt's ``Crawl-delay`` (a floor under the site's delay for the whole crawl); and room in the
crawl-wide request cap for every site of a crawl of many, each still fetched one request at a time."""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, Settings
from scrapy.utils.httpobj import urlparse_cached

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
        if self.floor.get(key) or key in self.until:
            # AutoThrottle would otherwise lower the delay the site asked for (a robots.txt without Crawl-delay
            # asks for none: AutoThrottle keeps adapting that site's delay).
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
                logger.info(
                    "%s: HTTP %d with Retry-After %.0f s: slowing down for %s", request.url, response.status, wait, key
                )
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


def room_for_every_site(settings: Settings, sites: int) -> None:
    """Let a crawl of many sites fetch from all of them at once: CONCURRENT_REQUESTS (256 by default, across all
    sites) is raised to one slot's share per site unless the user set it. Each site still gets one request at a
    time (CONCURRENT_REQUESTS_PER_DOMAIN), so politeness is unchanged."""
    if settings.getpriority("CONCURRENT_REQUESTS") > SETTINGS_PRIORITIES["project"]:
        return
    wanted = sites * settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
    if wanted > settings.getint("CONCURRENT_REQUESTS"):
        settings.set("CONCURRENT_REQUESTS", wanted, priority="spider")
