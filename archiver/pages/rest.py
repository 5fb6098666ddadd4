"""The WordPress REST API (``/wp-json/wp/v2/``): URLs to ask, and what its JSON answers hold.

Fields follow core's ``WP_REST_Comments_Controller`` and ``WP_REST_Posts_Controller``: a comment
has ``id``, ``post``, ``parent`` (0 for none), ``author_name``, ``author_url``, ``date``,
``date_gmt`` (UTC, no offset), ``content.rendered``, ``link``, ``status`` and ``type``; collections
carry ``X-WP-Total`` and ``X-WP-TotalPages``. Unauthenticated requests see approved comments only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

from lxml import etree
from scrapy.http import Response, TextResponse

from archiver.items import CommentItem
from archiver.pages import body_class_tokens, page_root
from archiver.pages.jsdata import load_json, object_field, text_field
from archiver.pages.markup import PageIndex
from archiver.pages.wordpress import read_rendered_comments

__all__ = ["COMMENT_FIELDS", "MergeReport", "RestAnswer", "merge_comments", "post_id", "rest_url"]

COMMENT_FIELDS = "id,post,parent,author_name,author_url,date,date_gmt,content,link,status,type"
POST_FIELDS = "id,link"
PER_PAGE = 100
_POST_JSON = re.compile(r"/wp/v2/posts/(\d+)")


def rest_url(root: str, route: str, **params: object) -> str:
    """The URL of ``route`` (e.g. ``wp/v2/comments``) under a REST root, pretty or ``?rest_route=``."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    if "rest_route=" in root:
        base = root.split("?", 1)[0]
        return f"{base}?rest_route=/{route}" + (f"&{query}" if query else "")
    return urljoin(root if root.endswith("/") else root + "/", route) + (f"?{query}" if query else "")


# Compiled once and run on the response's lxml root: response.xpath() would wrap every result in a Selector.
_ID_LINKS = etree.XPath("//link[@type='application/json']/@href | //link[@rel='shortlink']/@href", smart_strings=False)
_ARTICLE_ID = etree.XPath("//article/@id", smart_strings=False)


def post_id(response: TextResponse, index: PageIndex | None = None) -> str | None:
    """The post's id from its JSON alternate link, shortlink, ``postid-N`` body class or ``article#post-N``.

    ``index``, the page's (``HtmlPage.page_index()``), spares a scan of the page for its links.
    """
    root = page_root(response)
    hrefs = (
        _ID_LINKS(root)
        if index is None
        else [
            href
            for el in index.links
            if (el.get("type") == "application/json" or el.get("rel") == "shortlink")
            and (href := el.get("href")) is not None
        ]
    )
    for href in hrefs:
        m = _POST_JSON.search(href) or re.search(r"[?&]p=(\d+)", href)
        if m:
            return m.group(1)
    for cls in body_class_tokens(root):
        if cls.startswith("postid-") and cls[7:].isdigit():
            return cls[7:]
    ids = _ARTICLE_ID(root)
    m = re.match(r"post-(\d+)$", ids[0] if ids else "")
    return m.group(1) if m else None


def _is_id(value: object) -> bool:
    """True for what WordPress ids are: a non-negative integer, or its ASCII digits."""
    if isinstance(value, bool):
        return False
    return (isinstance(value, int) and value >= 0) or (isinstance(value, str) and value.isascii() and value.isdigit())


@dataclass
class RestAnswer:
    """One REST API response: its items and how many pages the collection has."""

    items: list[dict]
    total_pages: int
    total: int | None = None
    """``X-WP-Total``: how many items the whole collection holds, when the header says."""

    @classmethod
    def parse(cls, response: Response) -> RestAnswer | None:
        """The answer, or None when the API is not usable (not 200, not a JSON list)."""
        if response.status != 200 or not isinstance(response, TextResponse):
            return None
        try:
            data = load_json(response.text)
        except ValueError:
            return None
        if not isinstance(data, list):
            return None
        pages = response.headers.get(b"X-WP-TotalPages")
        total = response.headers.get(b"X-WP-Total")
        return cls(
            data, int(pages) if pages and pages.isdigit() else 1, int(total) if total and total.isdigit() else None
        )

    def comments(self, base_url: str = "http://localhost/") -> list[CommentItem]:
        """The comments as items; ``page`` is None (the API knows no comment pages).

        ``content.rendered`` goes through the same ``comment_text`` filters as a page, so plugin widgets
        (Comments Like Dislike's counts) ride along: it is read with the page's own comment reader, which
        takes the votes from the widget and leaves it out of the text.
        """
        wanted = [
            c
            for c in self.items
            if isinstance(c, dict) and _is_id(c.get("id")) and c.get("type", "comment") in ("comment", "")
        ]
        shown = {
            c.site_comment_id: c
            for c in read_rendered_comments(
                [(str(c["id"]), text_field(object_field(c, "content"), "rendered") or "") for c in wanted], base_url
            )
        }
        out = []
        for c in wanted:
            cid = str(c["id"])
            date_gmt = text_field(c, "date_gmt")
            rendered = shown.get(cid)
            out.append(
                CommentItem(
                    site_comment_id=cid,
                    parent_site_id=str(c["parent"]) if c.get("parent") and _is_id(c["parent"]) else None,
                    author=text_field(c, "author_name") or None,
                    author_url=text_field(c, "author_url") or None,
                    posted_at_raw=text_field(c, "date"),
                    posted_at_machine=f"{date_gmt}+00:00" if date_gmt else None,
                    body_html=rendered.body_html if rendered else "",
                    body_text=rendered.body_text if rendered else "",
                    upvotes_raw=rendered.upvotes_raw if rendered else None,
                    downvotes_raw=rendered.downvotes_raw if rendered else None,
                    page=None,
                )
            )
        return out


@dataclass
class MergeReport:
    """What merging the API's comments into the pages' found."""

    api_only: int = 0
    """Comments only the API has (deeper than the page shows, or under a comment no longer public)."""
    parents_corrected: int = 0
    """Comments whose parent on the page was not their true parent (replies printed flat)."""


def merge_comments(html: list[CommentItem], api: list[CommentItem]) -> tuple[list[CommentItem], MergeReport]:
    """The pages' comments with the API's ids, parents and dates, then the API-only ones by id.

    The page keeps what only it shows (votes, the body as readers saw it); a comment only the API
    has keeps the API's data and no votes.
    """
    report = MergeReport()
    by_id = {c.site_comment_id: c for c in api}
    for comment in html:
        known = by_id.pop(comment.site_comment_id, None)
        if known is None:
            continue
        if comment.parent_site_id != known.parent_site_id:
            report.parents_corrected += 1
        comment.parent_site_id = known.parent_site_id
        comment.posted_at_machine = known.posted_at_machine or comment.posted_at_machine
        comment.author = comment.author or known.author
        comment.author_url = comment.author_url or known.author_url
    rest = sorted(by_id.values(), key=lambda c: int(c.site_comment_id) if c.site_comment_id.isdigit() else 0)
    report.api_only = len(rest)
    return html + rest, report
