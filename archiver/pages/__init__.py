"""Page objects: site and platform specific extraction, no requests, no database."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:  # the archive package imports archiver.pages.urls, and must not import Scrapy
    from scrapy.http import Response, TextResponse

__all__ = ["body_class_tokens", "body_classes", "has_class_token", "page_kind", "page_root", "release_tree"]

_POST_CLASSES = frozenset({"single", "single-post"})
_LISTING_CLASSES = frozenset({"home", "blog", "archive", "tag", "category", "paged", "search", "date", "author"})
_POSTID = re.compile(r"^postid-\d+$")

# Compiled once; run on the response's lxml root so that no parsel Selector is made per match.
_BODY_CLASS = etree.XPath("//body/@class", smart_strings=False)
_ENTRIES = etree.XPath(
    "//article | //*[contains(concat(' ', normalize-space(@class), ' '), ' hentry ')]"
    "[not(self::article)][not(ancestor::article)]"
)


def _has_class(name: str) -> str:
    # What cssselect makes of ``.name``.
    return (
        f"(@class and contains(@class, '{name}') and contains(concat(' ', normalize-space(@class), ' '), ' {name} '))"
    )


# ".entry-content" at or under an element.
_HAS_ENTRY_CONTENT = etree.XPath(f"boolean((descendant-or-self::*[{_has_class('entry-content')}])[1])")


def page_root(response: TextResponse) -> etree._Element:
    """The root of the response's parsed HTML, parsed once per response (until :func:`release_tree`).

    An HTML response is parsed as Scrapy's ``response.selector`` parses it (parsel's ``create_root_node``, same
    text, base URL and parser options), into the same libxml2 tree, but with lxml's plain element classes instead
    of lxml.html's: lxml.html looks up each element's Python class with a Python method, called for every element
    object a reading makes (hundreds of thousands a page). Nothing here uses lxml.html's element methods. The
    selector made around it becomes ``response.selector``, so ``response.xpath`` and ``response.css`` read the
    same tree.
    """
    from scrapy.http import HtmlResponse  # noqa: PLC0415 - archiver.archive imports this package without Scrapy

    cached = response._cached_selector
    if cached is not None or not isinstance(response, HtmlResponse):
        return response.selector.root
    from parsel.selector import create_root_node  # noqa: PLC0415
    from scrapy.selector import Selector  # noqa: PLC0415
    from scrapy.utils.response import get_base_url  # noqa: PLC0415

    root = create_root_node(response.text, etree.HTMLParser, base_url=get_base_url(response), huge_tree=True)
    selector = Selector(root=root, type="html")
    selector.response = response
    response._cached_selector = selector
    return root


def body_class_tokens(root: etree._Element) -> list[str]:
    """The ``body_class()`` tokens of a parsed page, in the order the page gives them."""
    return " ".join(_BODY_CLASS(root)).split()


def body_classes(response: TextResponse) -> set[str]:
    """The ``body_class()`` tokens of the page."""
    return set(body_class_tokens(page_root(response)))


_XPATH_SPACE = " \t\r\n"


def has_class_token(classes: str, names: tuple[str, ...]) -> bool:
    """What cssselect's ``.name`` tests (``contains(concat(' ', normalize-space(@class), ' '), ' name ')``) for
    any of ``names``: ``name`` between XPath whitespace or the ends of ``classes`` (one class attribute, or
    several joined by newlines)."""
    for name in names:
        i = classes.find(name)
        while i >= 0:
            end = i + len(name)
            if (i == 0 or classes[i - 1] in _XPATH_SPACE) and (end == len(classes) or classes[end] in _XPATH_SPACE):
                return True
            i = classes.find(name, i + 1)
    return False


def page_kind(response: TextResponse) -> str:
    """Return ``"post"``, ``"listing"`` or ``"other"`` for a WordPress page.

    ``body_class()`` decides when present; otherwise the structure does: one article with
    ``.entry-content`` and a comments area is a post, several entries are a listing.
    """
    root = page_root(response)
    classes = set(body_class_tokens(root))
    if classes & _POST_CLASSES or any(_POSTID.match(c) for c in classes):
        return "post"
    static_front = (
        "home" in classes
        and "blog" not in classes
        and ("page" in classes or any(c.startswith("page-id-") for c in classes))
    )
    if static_front:
        return "other"
    if classes & _LISTING_CLASSES:
        return "listing"
    if classes & {"page", "error404", "attachment"} or any(c.startswith("page-id-") for c in classes):
        return "other"
    entries = _ENTRIES(root)
    # One entry with .entry-content is a post whether or not a comments area shows.
    if len(entries) > 1:
        return "listing"
    if len(entries) == 1 and _HAS_ENTRY_CONTENT(entries[0]):
        return "post"
    return "other"


def release_tree(response: Response) -> None:
    """Free a response's parsed HTML tree now that its reading is done.

    Scrapy's ``TextResponse.selector`` and the ``Selector`` point at each other, so a parsed page (a few MB
    of lxml tree for a 200 kB comment page) otherwise lives until the next full garbage collection, and
    dozens of them pile up during a fast crawl. A later ``response.selector`` parses the page again.
    """
    if getattr(response, "_cached_selector", None) is not None:
        response._cached_selector = None
