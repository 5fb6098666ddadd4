"""A downloader middleware that retries a 200 whose HTML stops before ``</html>`` (a page cut off mid-thread), with
Scrapy's own retry machinery, and flags it (``response.meta["archiver_truncated"]``) when retries run out, so the
thread is archived as incomplete rather than as complete with comments missing."""

from __future__ import annotations

import logging
import re

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response

logger = logging.getLogger(__name__)

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

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if "cached" in response.flags or not looks_truncated(response):
            return response
        self.crawler.stats.inc_value("archiver/pages/truncated")
        retry = get_retry_request(request, spider=self.crawler.spider, reason="truncated_html")
        if retry is not None:
            return retry
        request.meta["archiver_truncated"] = True
        logger.error("%s: page still cut off after retries; its thread is archived as incomplete", request.url)
        return response
