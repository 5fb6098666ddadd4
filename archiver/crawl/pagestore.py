"""Raw pages in the archive, through Scrapy's own HTTP cache.

Scrapy's ``HttpCacheMiddleware`` does the conditional-request work
(``If-None-Match`` / ``If-Modified-Since`` from a stored response's ``ETag`` /
``Last-Modified``, a 304 answered with the stored body); this module supplies

* :class:`ArchivePageStorage`, an ``HTTPCACHE_STORAGE`` that keeps every response
  in the archive (``pages``, with bodies stored once per content hash in
  ``bodies``, compressed with the site's dictionary: archiver.archive.bodies), so that ``recap-archiver reparse`` and ``export-warc``
  work from them without the network;
* :class:`ArchivePolicy`, an ``HTTPCACHE_POLICY`` for an archive: always store,
  never trust a stored page as fresh (always ask the site, conditionally when it
  gave validators), and accept only a 304 as "unchanged" (a 500 is an error to
  retry, not a reason to reuse yesterday's page);
* :class:`ArchiveCacheMiddleware`, the stock middleware minus its habit of
  answering a failed download with the stored page, for the same reason.
"""

from __future__ import annotations

import hashlib
import logging

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_from_dict
from sqlite_utils import Database

from archiver.archive.bodies import BodyReader, BodyWriter, headers_from_json, headers_to_json
from archiver.archive.sqlite import sqlite3
from archiver.clean import utc_now
from archiver.crawl.session import ArchiveSession

logger = logging.getLogger(__name__)


class ArchivePolicy(RFC2616Policy):
    """Store every response; always revalidate; only a 304 means unchanged."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.always_store = True

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        # An archive wants the page as it is now: ask every time, conditionally where possible.
        self._set_conditional_validators(request, cachedresponse)
        return False

    def is_cached_response_valid(self, cachedresponse: Response, response: Response, request: Request) -> bool:
        return response.status == 304


class ArchiveCacheMiddleware(HttpCacheMiddleware):
    """Scrapy's cache middleware, except that a failed download stays a failure."""

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        request.meta.pop("cached_response", None)
        return None


class ArchivePageStorage:
    """An ``HTTPCACHE_STORAGE`` keeping responses in the archive's ``pages`` and ``bodies`` tables."""

    def __init__(self, settings: BaseSettings) -> None:
        self.settings = settings
        self.session: ArchiveSession | None = None
        self._writer = BodyWriter(background=True)
        self._reader: BodyReader | None = None

    def open_spider(self, spider: Spider) -> None:
        self.session = ArchiveSession.of(spider.crawler)
        self.session.before_close.append(self._store_dictionaries)
        self.session.batch_lost.append(lambda exc: self._writer.forget())
        self._fingerprinter = spider.crawler.request_fingerprinter

    def _store_dictionaries(self) -> None:
        """Wait for the dictionaries still training and store them with the crawl's last batch."""
        assert self.session is not None
        if self._writer.training or (self.session.is_open and self._writer.untrained):
            self._writer.collect(self.session.write().conn, wait=True)

    def close_spider(self, spider: Spider) -> None:
        """Nothing to do: the archive session closes the database."""

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        """The latest stored response for ``request``, or None."""
        assert self.session is not None
        if not self.session.is_open and not self.session.existed:
            return None  # a new archive has no pages yet; do not create the file for a lookup
        if self._reader is None or self._reader.conn is not self.session.db.conn:
            self._reader = BodyReader(self.session.db.conn)
        row = self.session.db.execute(
            f"select pages.url, pages.status, pages.headers, pages.fetched_at, {self._reader.columns()} "
            "from pages join bodies on bodies.sha256 = pages.body_sha256 "
            "where pages.fingerprint = ? order by pages.id desc limit 1",
            [self._fingerprinter.fingerprint(request).hex()],
        ).fetchone()
        if row is None:
            return None
        url, status, headers, fetched_at, *stored = row
        request.meta["archived_fetched_at"] = fetched_at
        body = self._reader.read(*stored)
        return response_from_dict({"url": url, "status": status, "headers": headers_from_json(headers), "body": body})

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        """Record one fetch; its body is stored once per distinct content."""
        assert self.session is not None
        db = self.session.write()  # in the crawl's open batch, committed with its recaps (archiver.crawl.session)
        body = response.body
        digest = hashlib.sha256(body).hexdigest()
        try:
            self._store(db, request, response, body, digest)
        except sqlite3.Error:
            self._writer.forget()  # the body it just stored, or a dictionary, may have been rolled back
            raise

    def _store(self, db: Database, request: Request, response: Response, body: bytes, digest: str) -> None:
        assert self.session is not None
        with db.atomic():
            conn = db.conn
            self._writer.store(conn, response.url, body, digest)
            conn.execute(
                "INSERT INTO pages (fingerprint, url, method, status, headers, fetched_at, revalidated, body_sha256, "
                "crawl_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    self._fingerprinter.fingerprint(request).hex(),
                    response.url,
                    request.method,
                    response.status,
                    headers_to_json(response.headers),
                    utc_now(),
                    int("cached" in response.flags),
                    digest,
                    self.session.crawl_id,
                ],
            )
