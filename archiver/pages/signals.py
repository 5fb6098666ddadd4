"""What a WordPress site says changed: its REST answers, comments feed and sitemaps, read as change signals.

A re-crawl asks these before deciding what to fetch (archiver.crawl.signals); this module only reads the
answers: no requests, no settings, no database. Each reader returns None when the answer is not what the
signal should be (wrong status, not JSON or not XML, the wrong document), so the crawl falls back to its
schedule rather than trusting a broken signal.

* REST ``/wp/v2/comments?after=...`` items: ``id``, ``post``, ``link`` (the comment's permalink, on its
  comment page), ``date_gmt`` (UTC without offset).
* REST ``/wp/v2/posts?modified_after=...`` items: ``id``, ``link``, ``modified_gmt``.
* ``/comments/feed/`` (RSS 2.0): the latest comments only (``posts_per_rss``, 10 by default), each ``<item>``
  with ``<link>`` (the comment's permalink), ``<pubDate>`` (RFC 2822) and ``<guid>`` ending ``#comment-N``.
* ``/wp-sitemap.xml`` (a ``<sitemapindex>``) and its ``wp-sitemap-posts-post-N.xml`` (``<urlset>``): each post's
  ``<loc>``; core prints no ``<lastmod>``, SEO plugins add one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from lxml import etree
from scrapy.http import Response

from archiver.pages.jsdata import text_field
from archiver.pages.rest import RestAnswer
from archiver.pages.urls import recap_url

__all__ = [
    "Change",
    "FeedAnswer",
    "comments_feed",
    "feed_covers",
    "rest_comment_changes",
    "rest_post_changes",
    "sitemap_entries",
    "sitemap_index",
]

_COMMENT_ID = re.compile(r"#comment-(\d+)$")
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# No entities, no network, no huge trees: a feed or sitemap is untrusted input.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)


@dataclass(frozen=True)
class Change:
    """One thing a signal says changed: a recap (by its archived URL) and, for a comment, which one and when."""

    url: str
    """The recap's URL as the archive keeps it (comment page and fragment removed)."""
    comment_id: str | None = None
    """The site's comment id, for a new comment."""
    at: str | None = None
    """When (ISO 8601 UTC): the comment's date, or the post's last modification; None when the signal does not say."""


@dataclass(frozen=True)
class FeedAnswer:
    """A comments feed: its comments, newest first as WordPress lists them."""

    changes: list[Change]


def _utc(value: str | None) -> str | None:
    """A REST ``*_gmt`` date (UTC, no offset) or an ISO date with offset, as ISO 8601 UTC; None when unreadable."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.replace(microsecond=0).isoformat()


def rest_comment_changes(answer: RestAnswer) -> list[Change]:
    """The comments of one REST comments page, each with its recap's URL; items without a link are left out."""
    out = []
    for item in answer.items:
        if not isinstance(item, dict):
            continue
        link, comment_id = text_field(item, "link"), item.get("id")
        if not link or not isinstance(comment_id, int):
            continue
        out.append(Change(recap_url(link), str(comment_id), _utc(text_field(item, "date_gmt"))))
    return out


def rest_post_changes(answer: RestAnswer) -> list[Change]:
    """The posts of one REST posts page, each with its URL and last modification."""
    out = []
    for item in answer.items:
        link = text_field(item, "link") if isinstance(item, dict) else None
        if link:
            out.append(Change(recap_url(link), None, _utc(text_field(item, "modified_gmt"))))
    return out


def _xml_root(response: Response) -> etree._Element | None:
    if response.status != 200 or not response.body.strip():
        return None
    try:
        return etree.fromstring(response.body, _PARSER)
    except etree.XMLSyntaxError:
        return None


def comments_feed(response: Response) -> FeedAnswer | None:
    """The comments an RSS 2.0 comments feed lists; None when the answer is not an RSS feed."""
    root = _xml_root(response)
    if root is None or root.tag != "rss" or root.find("channel") is None:
        return None
    changes = []
    for item in root.iterfind("channel/item"):
        link = (item.findtext("link") or "").strip()
        guid = (item.findtext("guid") or "").strip()
        found = _COMMENT_ID.search(guid) or _COMMENT_ID.search(link)
        if not link or found is None:
            continue
        changes.append(Change(recap_url(link), found[1], _rss_date(item.findtext("pubDate"))))
    return FeedAnswer(changes)


def _rss_date(value: str | None) -> str | None:
    try:
        when = parsedate_to_datetime((value or "").strip())
    except (TypeError, ValueError, IndexError):
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.replace(microsecond=0).isoformat()


def feed_covers(feed: FeedAnswer, since: str) -> bool:
    """True when the feed reaches back to ``since`` (ISO 8601 UTC): it lists only the latest comments, so unless
    one of them is at or before ``since`` (or it lists none at all), older new comments may have dropped off it.
    A comment without a readable date proves nothing."""
    if not feed.changes:
        return True
    dates = [c.at for c in feed.changes]
    return all(dates) and min(d for d in dates if d) <= since


def sitemap_index(response: Response) -> list[str] | None:
    """The posts' sitemaps a ``wp-sitemap.xml`` index lists (``wp-sitemap-posts-post-N.xml``, or every sitemap
    of a plugin's index that names posts); None when the answer is not a sitemap index."""
    root = _xml_root(response)
    if root is None or root.tag != f"{_SITEMAP_NS}sitemapindex":
        return None
    locs = [(el.text or "").strip() for el in root.iterfind(f"{_SITEMAP_NS}sitemap/{_SITEMAP_NS}loc")]
    return [loc for loc in locs if loc and _names_posts(loc.rsplit("/", 1)[-1])]


def _names_posts(name: str) -> bool:
    # core: wp-sitemap-posts-post-1.xml (not -posts-page-, -taxonomies-, -users-); Yoast: post-sitemap.xml
    return "post" in name and not any(other in name for other in ("posts-page", "post_tag", "taxonomies", "users"))


def sitemap_entries(response: Response) -> list[Change] | None:
    """Each ``<url>`` of a sitemap: its ``loc``, with ``lastmod`` when given; None when not a ``<urlset>``."""
    root = _xml_root(response)
    if root is None or root.tag != f"{_SITEMAP_NS}urlset":
        return None
    out = []
    for el in root.iterfind(f"{_SITEMAP_NS}url"):
        loc = (el.findtext(f"{_SITEMAP_NS}loc") or "").strip()
        if loc:
            out.append(Change(recap_url(loc), None, _utc(el.findtext(f"{_SITEMAP_NS}lastmod"))))
    return out
