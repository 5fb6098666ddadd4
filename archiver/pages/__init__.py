"""Page objects: site and platform specific extraction, no requests, no database."""

from __future__ import annotations

import re

from scrapy.http import TextResponse

__all__ = ["page_kind"]

_POST_CLASSES = frozenset({"single", "single-post"})
_LISTING_CLASSES = frozenset({"home", "blog", "archive", "tag", "category", "paged", "search", "date", "author"})
_POSTID = re.compile(r"^postid-\d+$")


def page_kind(response: TextResponse) -> str:
    """Return ``"post"``, ``"listing"`` or ``"other"`` for a WordPress page.

    ``body_class()`` decides when present; otherwise the structure does: one article with
    ``.entry-content`` and a comments area is a post, several entries are a listing.
    """
    classes = set(" ".join(response.xpath("//body/@class").getall()).split())
    if classes & _POST_CLASSES or any(_POSTID.match(c) for c in classes):
        return "post"
    static_front = "home" in classes and "blog" not in classes and (
        "page" in classes or any(c.startswith("page-id-") for c in classes)
    )
    if static_front:
        return "other"
    if classes & _LISTING_CLASSES:
        return "listing"
    if classes & {"page", "error404", "attachment"} or any(c.startswith("page-id-") for c in classes):
        return "other"
    entries = response.xpath(
        "//article | //*[contains(concat(' ', normalize-space(@class), ' '), ' hentry ')]"
        "[not(self::article)][not(ancestor::article)]"
    )
    has_comments = bool(
        response.css("#comments, .comments-area, .comment-list, .commentlist, #respond")
    )
    if len(entries) == 1 and entries.css(".entry-content") and has_comments:
        return "post"
    if len(entries) > 1:
        return "listing"
    if len(entries) == 1 and entries.css(".entry-content"):
        return "post"
    return "other"
