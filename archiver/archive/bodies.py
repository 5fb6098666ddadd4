"""Stored page bodies and headers: how ``pages`` and ``bodies`` hold a response (compressed, private headers out)."""

from __future__ import annotations

import json
import zlib
from typing import Any

# Headers never stored: they identify the crawler's or a reader's session, not the page.
PRIVATE_HEADERS = {"set-cookie", "cookie"}


def headers_to_json(headers: Any) -> str:
    """Scrapy headers as JSON ``{name: [values]}``, private headers left out."""
    out: dict[str, list[str]] = {}
    for name, values in headers.items():
        key = name.decode("latin-1")
        if key.lower() not in PRIVATE_HEADERS:
            out[key] = [v.decode("latin-1") for v in values]
    return json.dumps(out, sort_keys=True)


def headers_from_json(text: str) -> dict[str, list[str]]:
    """The inverse of :func:`headers_to_json`."""
    return json.loads(text) if text else {}


def compress(body: bytes) -> tuple[str, bytes]:
    """(encoding, compressed body) as stored in ``bodies``."""
    # Level 1: about as small as 6 on HTML and several times faster (every fetched page goes through here).
    return "zlib", zlib.compress(body, 1)


def decompress(encoding: str, data: bytes) -> bytes:
    """A stored body as received."""
    if encoding == "zlib":
        return zlib.decompress(data)
    if encoding in ("", "identity", None):
        return data
    raise ValueError(f"unknown body encoding {encoding!r}")
