"""A downloader middleware that corrects a ``Content-Type`` charset contradicting a body which is valid UTF-8 and
says so in its ``<meta charset>``."""

from __future__ import annotations

import logging
import re

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

logger = logging.getLogger(__name__)

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
        logger.warning(
            "%s: header says %s but the page is UTF-8 and says so; read as UTF-8",
            request.url,
            content_type.decode("latin-1"),
        )
        headers = response.headers.copy()
        headers[b"Content-Type"] = b"text/html; charset=UTF-8"
        return response.replace(headers=headers, encoding="utf-8")
