"""Which comment platform a page uses, and whether its site exposes the WordPress REST API.

Only what the page itself shows counts: markup, scripts, ``<link>`` tags and the ``Link`` header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree
from scrapy.http import TextResponse

from archiver.pages import has_class_token, page_root
from archiver.pages.markup import PageIndex, tagged_values

__all__ = ["PLATFORMS", "Detection", "detect", "rest_root"]

PLATFORMS = ("wordpress", "wpdiscuz", "disqus")
"""Comment platforms the archiver reads; ``-a platform=`` takes one of them."""

_API_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?https://api\.w\.org/"?')
_DISQUS_SCRIPT = re.compile(
    r"disqus\.com/embed\.js|disqusShortname|disqus_shortname|disqus_config|id=['\"]disqus_embed"
)

_API_HREF = etree.XPath("//link[@rel='https://api.w.org/']/@href", smart_strings=False)
# Marker ids and every element's class attribute as plain strings: two cheap scans, no element objects.
_IDS = etree.XPath("//*/@id[. = 'wpdcom' or . = 'disqus_thread']", smart_strings=False)
_CLASSES = etree.XPath("//*/@class", smart_strings=False)


_SCRIPTS = etree.XPath("//script/@src | //script/@id | //script/text()", smart_strings=False)
_SCRIPT_PARTS = etree.XPath("@src | @id | text()", smart_strings=False)  # the same, one <script> at a time
_API_REL = "https://api.w.org/"


@dataclass(frozen=True)
class Detection:
    """What a page shows about its site."""

    platform: str
    """``"wordpress"`` (core comments), ``"wpdiscuz"`` or ``"disqus"``."""
    rest_root: str | None
    """The REST API root (``https://site/wp-json/`` or ``https://site/?rest_route=/``), or None."""
    votes: str | None
    """The vote widget: ``"cld"`` (Comments Like Dislike), ``"wpdiscuz"``, ``"disqus"`` or None."""


def rest_root(response: TextResponse, index: PageIndex | None = None) -> str | None:
    """The REST API root announced by ``<link rel="https://api.w.org/">`` or the ``Link`` header, else None.

    ``index``, the page's (``HtmlPage.page_index()``), spares a scan of the page for its links.
    """
    hrefs = _API_HREF(page_root(response)) if index is None else tagged_values(index.links, "rel", _API_REL, "href")
    href = hrefs[0] if hrefs else None
    if not href:
        for value in response.headers.getlist(b"Link"):
            m = _API_LINK.search(value.decode("latin-1"))
            if m:
                href = m.group(1)
                break
    return urljoin(response.url, href.strip()) if href else None


def detect(response: TextResponse, index: PageIndex | None = None) -> Detection:
    """Detect the comment platform, the REST API root and the vote widget of a page.

    ``index``, when given, is the page's (``HtmlPage.page_index()``): the scans over the page are then not needed.
    """
    root = rest_root(response, index)
    tree = page_root(response)
    if index is None:
        ids = set(_IDS(tree))
        classes = "\n".join(_CLASSES(tree))
    else:
        marked = index.marked
        ids = {ident for _, _, ident in marked if ident == "wpdcom" or ident == "disqus_thread"}
        classes = "\n".join([value for _, value, _ in marked if value is not None])
    if "wpdcom" in ids or has_class_token(classes, ("wpd-comment", "wpd-thread-list")):
        return Detection("wpdiscuz", root, "wpdiscuz")
    scripts = _SCRIPTS(tree) if index is None else [part for el in index.tagged["script"] for part in _SCRIPT_PARTS(el)]
    if "disqus_thread" in ids or _DISQUS_SCRIPT.search(" ".join(scripts)):
        return Detection("disqus", root, "disqus")
    votes = "cld" if has_class_token(classes, ("cld-like-dislike-wrap", "cld-like-count-wrap")) else None
    return Detection("wordpress", root, votes)
