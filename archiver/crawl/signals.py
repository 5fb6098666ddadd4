"""Change signals: before a ``due`` re-crawl decides what to fetch, ask the site what changed since the last crawl.

WordPress publishes what changed, and a few requests read it (archiver.pages.signals reads the answers):

* new comments: REST ``/wp/v2/comments?after=SINCE&orderby=date&order=asc&per_page=100`` (paged by
  ``X-WP-TotalPages``), else ``/comments/feed/`` when its oldest item reaches back to SINCE;
* posts modified or added: REST ``/wp/v2/posts?modified_after=SINCE``, else the posts' sitemaps under
  ``/wp-sitemap.xml`` (new URLs; with ``lastmod``, modified ones too), else nothing (the listing walk finds new
  posts as before).

A signal that is missing or fails (401, 404, not JSON or XML, a feed that does not reach back) is counted as
``archiver/signals/<name>/failed`` and the next one is tried; when none answers, the crawl keeps to its schedule.
The requests are ordinary Scrapy requests (role ``signal``): downloader middlewares keep them in scope, under
robots.txt and paced like every other request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from archiver.crawl import roles
from archiver.crawl.roles import with_role
from archiver.pages.rest import PER_PAGE, RestAnswer, rest_url
from archiver.pages.signals import (
    Change,
    comments_feed,
    feed_covers,
    rest_comment_changes,
    rest_post_changes,
    sitemap_entries,
    sitemap_index,
)

logger = logging.getLogger(__name__)

STATS = "archiver/signals"
"""The namespace of the signals' stats (``archiver/signals/rest_comments/used`` ...)."""
REST_OFF = (401, 403, 404)
"""Answers meaning the REST API is switched off here: the REST posts signal is not asked either."""
SITEMAP_PAGES = 20
"""Posts' sitemaps read at most (2,000 posts each in core): beyond, the sitemap signal is given up."""


@dataclass
class SiteSignals:
    """What one site's signals said; a ``None`` list means no signal of that kind answered."""

    site: str
    since: str
    comments: list[Change] | None = None
    comments_via: str | None = None
    posts: list[Change] | None = None
    posts_via: str | None = None
    failed: list[str] = field(default_factory=list)
    """The signals asked that did not answer usefully, in order."""

    def summary(self) -> str:
        """One line for the log: which signal was used for what."""
        comments = (
            f"comments from {self.comments_via} ({len(self.comments)} since {self.since})"
            if self.comments is not None
            else "no comment signal (the schedule decides)"
        )
        posts = (
            f"posts from {self.posts_via} ({len(self.posts)} listed)"
            if self.posts is not None
            else "no post signal (the listing walk finds new posts)"
        )
        failed = f"; failed: {', '.join(self.failed)}" if self.failed else ""
        return f"{comments}; {posts}{failed}"


class ChangeSignals:
    """Asks one site's change signals through the crawl's downloader."""

    def __init__(self, crawler: Crawler, max_rest_pages: int) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_rest_pages = max_rest_pages

    async def ask(self, site: str, since: str) -> SiteSignals:
        """The signals of ``site`` (its base URL, ending with ``/``) about changes after ``since`` (ISO 8601 UTC)."""
        out = SiteSignals(site, since)
        root = urljoin(site, "wp-json/")
        after = since.replace("+00:00", "Z")
        comments, status = await self._rest(
            root, "wp/v2/comments", rest_comment_changes, after=after, orderby="date", order="asc"
        )
        self._count(out, "rest_comments", comments is not None)
        if comments is None:
            comments = await self._feed(site, since)
            self._count(out, "comments_feed", comments is not None)
            out.comments_via = "comments_feed" if comments is not None else None
        else:
            out.comments_via = "rest_comments"
        out.comments = comments
        posts = None
        if status not in REST_OFF:
            posts, _ = await self._rest(
                root, "wp/v2/posts", rest_post_changes, modified_after=after, orderby="modified", order="asc"
            )
            self._count(out, "rest_posts", posts is not None)
            out.posts_via = "rest_posts" if posts is not None else None
        if posts is None:
            posts = await self._sitemap(site)
            self._count(out, "sitemap", posts is not None)
            out.posts_via = "sitemap" if posts is not None else None
        out.posts = posts
        return out

    def _count(self, out: SiteSignals, name: str, used: bool) -> None:
        self.stats.inc_value(f"{STATS}/{name}/{'used' if used else 'failed'}")
        if not used:
            out.failed.append(name)

    async def _get(self, url: str) -> Response | None:
        """The answer to ``url``, or None when it could not be fetched (robots.txt, scope, network)."""
        request = Request(url, dont_filter=True, meta=with_role(roles.SIGNAL))
        try:
            return await self.crawler.engine.download_async(request)
        except IgnoreRequest as exc:
            logger.info("%s: signal not asked (%s)", url, exc or "ignored")
        except Exception as exc:  # noqa: BLE001 - any download failure only means the signal is missing
            logger.info("%s: signal could not be fetched (%s: %s)", url, type(exc).__name__, exc)
        return None

    async def _rest(
        self, root: str, route: str, read: Callable[[RestAnswer], list[Change]], **params: str
    ) -> tuple[list[Change] | None, int | None]:
        """Every page of a REST collection read with ``read``, and the first answer's status."""
        changes: list[Change] = []
        number, status = 1, None
        while True:
            response = await self._get(rest_url(root, route, per_page=PER_PAGE, page=number, **params))
            if response is None:
                return None, status
            status = status or response.status
            answer = RestAnswer.parse(response)
            if answer is None:
                return None, status
            changes += read(answer)
            if number >= answer.total_pages:
                return changes, status
            if number >= self.max_rest_pages:
                logger.warning("%s: more than %d pages of changes; the signal is not used", route, number)
                return None, status
            number += 1

    async def _feed(self, site: str, since: str) -> list[Change] | None:
        response = await self._get(urljoin(site, "comments/feed/"))
        feed = comments_feed(response) if response is not None else None
        if feed is None:
            return None
        if not feed_covers(feed, since):
            logger.info("%scomments/feed/: its oldest comment is newer than %s; it does not cover the gap", site, since)
            return None
        return feed.changes

    async def _sitemap(self, site: str) -> list[Change] | None:
        response = await self._get(urljoin(site, "wp-sitemap.xml"))
        pages = sitemap_index(response) if response is not None else None
        if pages is None or len(pages) > SITEMAP_PAGES:
            return None
        changes: list[Change] = []
        for url in pages:
            response = await self._get(url)
            entries = sitemap_entries(response) if response is not None else None
            if entries is None:
                return None
            changes += entries
        return changes
