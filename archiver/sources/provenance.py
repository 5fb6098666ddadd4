"""Where each recap and comment came from: the live site, a Wayback capture or a WARC record.

A response from a capture carries its provenance in headers that the raw-page store keeps, so a re-parse
finds it again: ``X-Archiver-Source`` (``wayback`` or ``warc``; none means ``live``), ``Memento-Datetime``
(the capture time, as RFC 7089 and the Wayback Machine give it) and ``X-Archiver-Capture-Url`` (the replay URL,
or ``FILE.warc.gz#record-id``). :class:`ProvenanceMiddleware` stamps every comment with the response it was
read from, and every recap with its post page's provenance and the oldest and newest capture its thread used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from archiver.items import RecapItem

SOURCE_HEADER = "X-Archiver-Source"
CAPTURED_HEADER = "Memento-Datetime"
CAPTURE_URL_HEADER = "X-Archiver-Capture-Url"


@dataclass(frozen=True)
class Provenance:
    """Where one response came from."""

    source: str = "live"
    """``live``, ``wayback`` or ``warc``."""
    captured_at: str | None = None
    """When the capture was made (ISO 8601 UTC); None for the live site."""
    capture_url: str | None = None
    """The replay URL or WARC record the page came from; None for the live site."""


LIVE = Provenance()


def provenance_headers(source: str, captured_at: str | None, capture_url: str | None) -> dict[str, str]:
    """The headers recording a capture's provenance on a response (see the module docstring)."""
    headers = {SOURCE_HEADER: source}
    if captured_at:
        headers[CAPTURED_HEADER] = format_datetime(datetime.fromisoformat(captured_at).astimezone(UTC), usegmt=True)
    if capture_url:
        headers[CAPTURE_URL_HEADER] = capture_url
    return headers


def provenance_of(response: Response) -> Provenance:
    """The provenance a response's headers record; :data:`LIVE` when they record none."""
    source = _header(response, SOURCE_HEADER)
    if not source:
        return LIVE
    captured = _header(response, CAPTURED_HEADER)
    captured_at = None
    if captured:
        try:
            captured_at = parsedate_to_datetime(captured).astimezone(UTC).isoformat()
        except (TypeError, ValueError):
            captured_at = None
    return Provenance(source, captured_at, _header(response, CAPTURE_URL_HEADER))


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1").strip() if value else None


def stamp(recap: RecapItem, provenance: Provenance, post_page: bool) -> None:
    """Give ``recap`` (from its post page) and its comments not yet stamped this response's provenance, and
    widen the range of captures its thread used."""
    if post_page and recap.source is None:
        recap.source, recap.captured_at, recap.capture_url = (
            provenance.source,
            provenance.captured_at,
            provenance.capture_url,
        )
    for comment in recap.comments:
        if comment.source is None:
            comment.source, comment.captured_at, comment.capture_url = (
                provenance.source,
                provenance.captured_at,
                provenance.capture_url,
            )
    when = provenance.captured_at
    if when:
        recap.captured_first_at = min(filter(None, (recap.captured_first_at, when)))
        recap.captured_last_at = max(filter(None, (recap.captured_last_at, when)))


class ProvenanceMiddleware(BaseSpiderMiddleware):
    """Stamp recaps and comments with the provenance of the responses they were read from."""

    def process_spider_output(
        self, response: Response | None, result: Iterable[Any], spider: Any = None
    ) -> Iterable[Any]:
        for out in result:
            self._stamp(response, out)
            yield out

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any], spider: Any = None
    ) -> AsyncIterator[Any]:
        async for out in result:
            self._stamp(response, out)
            yield out

    def _stamp(self, response: Response | None, out: Any) -> None:
        if response is None:
            return
        thread = response.meta.get("thread")
        recap = out if isinstance(out, RecapItem) else None
        if recap is None and isinstance(out, Request) and "thread" in out.meta:
            recap = out.meta["thread"].recap
        if recap is None and thread is None:
            return
        provenance = provenance_of(response)
        if thread is not None:
            stamp(thread.recap, provenance, post_page=False)
        if recap is not None and (thread is None or recap is not thread.recap):
            stamp(recap, provenance, post_page=thread is None)
