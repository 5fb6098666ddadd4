"""The Wayback Machine as a source: CDX listing, capture choice, replay URLs. Plain functions, no Scrapy.

A site's captures are listed with the CDX server API (the Internet Archive's ``/cdx/search/cdx``, or pywb's
``/<collection>/cdx``): ``matchType=prefix`` over the site's host, ``filter=statuscode:200``, page after page
through resumption keys. Each original URL then gets one capture (the newest, or the one nearest
``-a wayback_at=YYYYMMDD``), fetched raw through the ``id_`` replay form, so that no replay toolbar or rewritten
link reaches the page objects. URLs are compared without scheme, ``www.``, default port or fragment, as the
archive itself does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from archiver.errors import ArgumentError

WAYBACK_CDX_URL = "https://web.archive.org/cdx/search/cdx"
WAYBACK_REPLAY_URL = "https://web.archive.org/web/"
CDX_PAGE_SIZE = 5000
"""Rows asked for per CDX request; longer lists continue with the resumption key."""
SOURCES = ("live", "wayback")

_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
_ALIASES = {"url": "original", "mime": "mimetype", "status": "statuscode"}  # pywb's CDXJ names


@dataclass(frozen=True)
class Capture:
    """One capture in the web archive."""

    original: str
    """The URL as captured, e.g. ``http://recaps.example/2021/12/23/post/``."""
    timestamp: str
    """Capture time, 14 digits UTC (``YYYYMMDDhhmmss``)."""
    statuscode: str | None = None
    """HTTP status as captured (``"200"``), or None when the index has none."""
    mimetype: str | None = None
    """Content type as captured."""
    digest: str | None = None
    """Payload digest (base32 SHA-1)."""

    @property
    def captured_at(self) -> str:
        """The capture time as ISO 8601 UTC."""
        return timestamp_iso(self.timestamp)


def timestamp_iso(timestamp: str) -> str:
    """``20240105083000`` as ``2024-01-05T08:30:00+00:00`` (a short timestamp is padded)."""
    digits = (timestamp + "00000101000000"[len(timestamp) :])[:14]
    return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC).isoformat()


def capture_key(url: str) -> str:
    """``url`` as the archive compares it: no scheme, ``www.``, default port or fragment; host lower-cased."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    if port and (parts.scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    path = parts.path or "/"
    return host + path + (f"?{parts.query}" if parts.query else "")


def site_prefix(url: str) -> str:
    """The CDX ``url`` parameter listing everything under ``url``'s host: ``host[:port]/``."""
    return capture_key(url).split("/", 1)[0] + "/"


def cdx_request_url(cdx_url: str, site_url: str, resume_key: str | None = None, limit: int = CDX_PAGE_SIZE) -> str:
    """The CDX query for one page of ``site_url``'s captures (after ``resume_key``)."""
    params = {
        "url": site_prefix(site_url),
        "matchType": "prefix",
        "filter": "statuscode:200",
        "output": "json",
        "limit": str(limit),
        "showResumeKey": "true",
    }
    if resume_key:
        params["resumeKey"] = resume_key
    return f"{cdx_url}?{urlencode(params)}"


def parse_cdx(text: str) -> tuple[list[Capture], str | None]:
    """Captures and the resumption key (None at the end) from one CDX answer.

    Reads the Internet Archive's JSON (an array of rows, the first naming the fields, the key after an empty
    row), pywb's JSON lines (one object a line) and plain text (space-separated, the default fields).
    Raises ValueError when the answer is none of these.
    """
    text = text.strip()
    if not text:
        return [], None
    if text.startswith("["):
        rows = json.loads(text)
        if not rows:
            return [], None
        names, resume = [str(n) for n in rows[0]], None
        records = []
        for i, row in enumerate(rows[1:], 1):
            if not row:
                tail = rows[i + 1 :]
                resume = str(tail[0][0]) if tail and tail[0] else None
                break
            records.append(dict(zip(names, row, strict=False)))
        return [c for c in map(_capture, records) if c], resume
    lines = text.splitlines()
    if lines[0].lstrip().startswith("{"):
        return [c for c in (_capture(json.loads(line)) for line in lines if line.strip()) if c], None
    captures, resume = [], None
    for i, line in enumerate(lines):
        if not line.strip():
            rest = [later for later in lines[i + 1 :] if later.strip()]
            resume = rest[0].strip() if rest else None
            break
        parts = line.split()
        if len(parts) < 3:
            raise ValueError(f"not a CDX line: {line[:100]!r}")
        capture = _capture(dict(zip(_FIELDS, parts, strict=False)))
        if capture:
            captures.append(capture)
    return captures, resume


def _capture(record: dict) -> Capture | None:
    fields = {_ALIASES.get(k, k): v for k, v in record.items()}
    if not fields.get("original") or not fields.get("timestamp"):
        return None
    return Capture(
        str(fields["original"]),
        str(fields["timestamp"]),
        _str(fields.get("statuscode")),
        _str(fields.get("mimetype")),
        _str(fields.get("digest")),
    )


def _str(value: object) -> str | None:
    return None if value in (None, "", "-") else str(value)


class CaptureIndex:
    """The captures of some sites, by :func:`capture_key`; chooses one per URL."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[Capture]] = {}

    def add(self, captures: list[Capture]) -> None:
        for capture in captures:
            if capture.statuscode not in (None, "200"):
                continue  # a server ignoring the filter
            self.by_key.setdefault(capture_key(capture.original), []).append(capture)

    def __len__(self) -> int:
        return len(self.by_key)

    def choose(self, url: str, at: str | None = None) -> Capture | None:
        """The capture of ``url`` to use: the newest, or the nearest to ``at`` (14 digits; the earlier on a tie)."""
        captures = self.by_key.get(capture_key(url))
        if not captures:
            return None
        if at is None:
            return max(captures, key=lambda c: c.timestamp)
        target = _seconds(at)
        return min(captures, key=lambda c: (abs(_seconds(c.timestamp) - target), c.timestamp))


def _seconds(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp_iso(timestamp)).timestamp()


def replay_url(replay_base: str, capture: Capture) -> str:
    """The raw (``id_``) replay URL of ``capture``: ``<replay_base><timestamp>id_/<original>``."""
    return f"{replay_base.rstrip('/')}/{capture.timestamp}id_/{capture.original}"


def parse_wayback_at(value: str | None) -> str | None:
    """``-a wayback_at=YYYYMMDD[hhmmss]`` as 14 digits, None when not given; ArgumentError when malformed."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().replace("-", "")
    if not re.fullmatch(r"\d{8}(\d{6})?", text):
        raise ArgumentError(f"argument wayback_at: {value!r} is not a date YYYYMMDD (or YYYYMMDDhhmmss)")
    try:
        timestamp_iso(text)
    except ValueError:
        raise ArgumentError(f"argument wayback_at: {value!r} is not a valid date") from None
    return text.ljust(14, "0") if len(text) == 14 else text + "000000"


def check_source_arguments(source: str | None = None, wayback_at: str | None = None) -> str:
    """The ``source`` argument's value (``live`` by default); ArgumentError naming a bad one."""
    value = (source or "live").strip().lower()
    if value not in SOURCES:
        raise ArgumentError(f"argument source: {source!r} is not one of {', '.join(SOURCES)}")
    if wayback_at is not None and value != "wayback":
        raise ArgumentError("argument wayback_at: only with -a source=wayback")
    parse_wayback_at(wayback_at)
    return value


def backoff_delay(waits: int, retry_after: float | None, start: float, cap: float) -> float:
    """Seconds to wait before asking again after the ``waits``-th refusal: doubling from ``start``, at least
    ``retry_after``, at most ``cap``."""
    return min(cap, max(retry_after or 0.0, start * 2 ** max(0, waits - 1)))
