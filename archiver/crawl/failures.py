"""A downloader middleware that notes every page that failed for good (after retries) in the archive's ``failures``
table, and marks it resolved when a later fetch succeeds; the next crawl fetches unresolved failures first."""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from archiver.clean import utc_now
from archiver.crawl import roles
from archiver.crawl.roles import role_of
from archiver.crawl.scope import OutOfScope
from archiver.crawl.session import ArchiveSession

logger = logging.getLogger(__name__)


class FailureRecorder:
    """Record pages that failed for good in ``failures``; resolve them when they succeed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.session = ArchiveSession.of(crawler)
        # A re-parse answers from the stored pages only: a page that was never stored did not fail (the HTTP
        # cache refuses it, counted as httpcache/ignore and told in the re-parse's summary).
        self.reparse = crawler.settings.getbool("ARCHIVE_REPARSE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureRecorder:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if role_of(request) == roles.SIGNAL:
            return response  # a signal the site does not publish is counted in archiver/signals, not a failure
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
        if isinstance(exception, OutOfScope) or (self.reparse and isinstance(exception, IgnoreRequest)):
            return None
        if role_of(request) == roles.SIGNAL:
            return None
        self._failed(request, f"{type(exception).__name__}: {exception}".strip().rstrip(":"))
        return None

    def _failed(self, request: Request, reason: str) -> None:
        attempts = request.meta.get("retry_times", 0) + 1
        self.crawler.stats.inc_value("archiver/failures/new")
        self.session.failed(request.url, reason[:300], attempts, utc_now())
