"""Which comment platform a page uses, and whether its site exposes the WordPress REST API.

Only what the page itself shows counts: markup, scripts, ``<link>`` tags and the ``Link`` header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from scrapy.http import TextResponse

__all__ = ["PLATFORMS", "Detection", "detect", "rest_root"]

PLATFORMS = ("wordpress", "wpdiscuz", "disqus")
"""Comment platforms the archiver reads; ``-a platform=`` takes one of them."""

_API_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?https://api\.w\.org/"?')
_DISQUS_SCRIPT = re.compile(r"disqus\.com/embed\.js|disqusShortname|disqus_shortname|disqus_config|id=['\"]disqus_embed")


@dataclass(frozen=True)
class Detection:
    """What a page shows about its site."""

    platform: str
    """``"wordpress"`` (core comments), ``"wpdiscuz"`` or ``"disqus"``."""
    rest_root: str | None
    """The REST API root (``https://site/wp-json/`` or ``https://site/?rest_route=/``), or None."""
    votes: str | None
    """The vote widget: ``"cld"`` (Comments Like Dislike), ``"wpdiscuz"``, ``"disqus"`` or None."""


def rest_root(response: TextResponse) -> str | None:
    """The REST API root announced by ``<link rel="https://api.w.org/">`` or the ``Link`` header, else None."""
    href = response.xpath("//link[@rel='https://api.w.org/']/@href").get()
    if not href:
        for value in response.headers.getlist(b"Link"):
            m = _API_LINK.search(value.decode("latin-1"))
            if m:
                href = m.group(1)
                break
    return urljoin(response.url, href.strip()) if href else None


def detect(response: TextResponse) -> Detection:
    """Detect the comment platform, the REST API root and the vote widget of a page."""
    root = rest_root(response)
    if response.css("#wpdcom, .wpd-comment, .wpd-thread-list"):
        return Detection("wpdiscuz", root, "wpdiscuz")
    scripts = " ".join(response.xpath("//script/@src | //script/@id | //script/text()").getall())
    if response.css("#disqus_thread") or _DISQUS_SCRIPT.search(scripts):
        return Detection("disqus", root, "disqus")
    votes = "cld" if response.css(".cld-like-dislike-wrap, .cld-like-count-wrap") else None
    return Detection("wordpress", root, votes)
