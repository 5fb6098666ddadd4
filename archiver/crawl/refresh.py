"""Spider middleware for re-crawls: fetch what is due, skip what is not, stop listing walks early.

With ``-a refresh=due`` (the default) a re-crawl into an existing archive

* drops links to archived recaps whose ``next_due_at`` has not come (counted as
  ``archiver/recaps/not_due``),
* stops following a listing's pagination once a listing page links to no recap
  that is new or due (newest-first listings: the rest is older still),
* and schedules the archived recaps that are due directly, so that busy old
  threads are visited even when the listing walk stops before them.

``-a refresh=all`` fetches everything. Start URLs are always fetched.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from archiver.archive.revisit import ArchivedRecap, archived_comment_ids, archived_recaps, is_due, last_crawl_start
from archiver.clean import utc_now
from archiver.crawl import roles
from archiver.crawl.roles import role_of, with_role
from archiver.crawl.session import ArchiveSession
from archiver.crawl.signals import STATS as SIGNALS
from archiver.crawl.signals import ChangeSignals, SiteSignals
from archiver.errors import ArgumentError
from archiver.pages.urls import recap_url

logger = logging.getLogger(__name__)

REFRESH_CHOICES = ("due", "all")


def check_refresh(value: str | None) -> str:
    """Return the ``refresh`` argument's value; raise ArgumentError naming it when unknown."""
    value = (value or "due").strip().lower()
    if value not in REFRESH_CHOICES:
        raise ArgumentError(f"argument refresh: {value!r} is not one of {', '.join(REFRESH_CHOICES)}")
    return value


class RevisitMiddleware(BaseSpiderMiddleware):
    """Skip archived recaps that are not due; see the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.stats = crawler.stats
        self.path = Path(crawler.settings.get("ARCHIVE_DB", "recaps.db"))
        self.due: dict[str, bool] = {}  # archived recap URL -> due now
        self.not_due: set[str] = set()  # those skipped, each counted once however many listings link it
        self.in_scope: set[str] = set()  # archived recaps the start URLs cover (site home or its archive page)
        self.incomplete: set[str] = set()  # archived recaps of the start URLs' sites whose thread is not whole
        self.refresh = "due"
        self.recaps: dict[str, ArchivedRecap] = {}
        self.signalled_new: list[str] = []  # posts the signals name that the archive does not hold
        self.posts_signalled: set[str] = set()  # hosts whose post signal answered: their REST post list is moot

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        spider = self.crawler.spider
        self.refresh = check_refresh(getattr(spider, "refresh", None))
        start_urls = list(getattr(spider, "start_urls", []) or [])
        self._load(start_urls)
        if self.refresh == "due" and self.due:
            await self._ask_signals(start_urls)
        hosts = {urlsplit(u).netloc for u in start_urls}
        retried = 0
        for url in sorted(ArchiveSession.of(self.crawler).unresolved):
            if urlsplit(url).netloc in hosts:
                retried += 1
                yield Request(url, callback=spider.parse, dont_filter=True, priority=10, meta=with_role(roles.START))
        if retried:
            self.stats.set_value("archiver/failures/retried_first", retried)
            logger.info("%d page(s) that failed in earlier crawls are tried first", retried)
        for url in sorted(self.incomplete):
            yield Request(url, callback=spider.parse, priority=10, meta=with_role(roles.POST))
        if self.incomplete:
            self.stats.set_value("archiver/threads/incomplete_retried_first", len(self.incomplete))
            logger.info("%d recap(s) whose thread was incomplete are crawled first", len(self.incomplete))
        async for item in start:
            yield item
        scheduled = 0
        for url, due in self.due.items():
            if (
                (due or self.refresh == "all")
                and url in self.in_scope
                and url not in start_urls
                and url not in self.incomplete
            ):
                scheduled += 1
                yield Request(url, callback=spider.parse, meta=with_role(roles.POST))
        if scheduled:
            self.stats.set_value("archiver/recaps/scheduled_due", scheduled)
            logger.info("%d archived recap(s) are due and scheduled directly", scheduled)
        for url in self.signalled_new:
            yield Request(url, callback=spider.parse, meta=with_role(roles.POST))

    def process_spider_output(
        self, response: Response | None, result: Iterable[Any], spider: Any = None
    ) -> Iterable[Any]:
        yield from self._filter(response, list(result))

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any], spider: Any = None
    ) -> AsyncIterator[Any]:
        # A response's output is needed whole to know whether its listing has anything due.
        for item in self._filter(response, [item async for item in result]):
            yield item

    def _filter(self, response: Response | None, result: list[Any]) -> Iterable[Any]:
        if self.refresh == "all" or not self.due:
            yield from result
            return
        pagination: list[Request] = []
        wanted_posts = skipped_posts = 0
        for item in result:
            role = role_of(item) if isinstance(item, Request) else None
            if role == roles.LISTING:
                pagination.append(item)
                continue
            if role == roles.REST_POSTS and urlsplit(item.url).netloc in self.posts_signalled:
                # The post signal named every post added or modified since the last crawl: listing them all
                # again finds nothing more. The recaps it would have listed are the site's, skipped if not due.
                self.stats.inc_value(f"{SIGNALS}/rest_post_list_skipped")
                self._skip_not_due(u for u in self.recaps if urlsplit(u).netloc == urlsplit(item.url).netloc)
                continue
            if role != roles.POST:
                yield item  # items, thread steps, index pages and the REST post list
                continue
            if self.due.get(recap_url(item.url), True):
                wanted_posts += 1
                yield item
            else:
                skipped_posts += 1
                self._skip_not_due([recap_url(item.url)])
        if skipped_posts and not wanted_posts and pagination:
            self.stats.inc_value("archiver/listings/stopped")
            logger.info(
                "%s: every recap linked here is archived and not due; not following its pagination",
                response.url if response is not None else "?",
            )
            return
        yield from pagination

    def _skip_not_due(self, urls: Iterable[str]) -> None:
        """Count the archived recaps of ``urls`` that are not due as skipped, each once."""
        for url in urls:
            if not self.due.get(url, True) and url not in self.not_due:
                self.not_due.add(url)
                self.stats.inc_value("archiver/recaps/not_due")

    def _load(self, start_urls: list[str]) -> None:
        """Read the archived recaps of the start URLs' sites, each with whether it is due now."""
        hosts = {urlsplit(u).netloc for u in start_urls}
        now = utc_now()
        for recap in archived_recaps(self.path, start_urls):
            if urlsplit(recap.url).netloc in hosts:
                self.recaps[recap.url] = recap
                self.due[recap.url] = recap.incomplete or is_due(recap.next_due_at, now)
                if recap.incomplete:
                    self.incomplete.add(recap.url)
                if recap.covered:
                    self.in_scope.add(recap.url)

    async def _ask_signals(self, start_urls: list[str]) -> None:
        """Ask each site's change signals (archiver.crawl.signals) and mark what they name as due."""
        settings, spider = self.crawler.settings, self.crawler.spider
        profile = getattr(spider, "profile", None)
        if not settings.getbool("ARCHIVER_SIGNALS", True) or (profile is not None and not profile.signals):
            self.stats.set_value(f"{SIGNALS}/off", 1)
            logger.info("change signals are off (ARCHIVER_SIGNALS or the site's profile): the schedule decides")
            return
        if (getattr(spider, "source", None) or "live").strip().lower() != "live":
            # A web archive's captures say what changed between captures, not since the last crawl.
            self.stats.set_value(f"{SIGNALS}/off", 1)
            logger.info("change signals are asked of live sites only: the schedule decides")
            return
        margin = timedelta(seconds=settings.getint("ARCHIVER_SIGNALS_MARGIN", 3600))
        asker = ChangeSignals(self.crawler, settings.getint("ARCHIVER_MAX_REST_PAGES", 200))
        homes: dict[str, bool] = {}  # each site's base URL -> whether a start URL is its home page
        for u in start_urls:
            base = f"{urlsplit(u).scheme}://{urlsplit(u).netloc}/"
            homes[base] = homes.get(base, False) or urlsplit(u).path in ("", "/")
        for site in sorted(homes):
            host = urlsplit(site).netloc
            if not any(urlsplit(url).netloc == host for url in self.recaps):
                continue
            last = last_crawl_start(self.path, [u for u in start_urls if urlsplit(u).netloc == host])
            if last is None:
                self.stats.inc_value(f"{SIGNALS}/no_earlier_crawl")
                logger.info("%s: no finished crawl of these start URLs before: no change signals asked", site)
                continue
            since = (datetime.fromisoformat(last) - margin).isoformat()
            found = await asker.ask(site, since)
            logger.info("%s: change signals: %s", site, found.summary())
            self._apply(found, homes[site])

    def _apply(self, found: SiteSignals, whole_site: bool) -> None:
        """Mark as due the recaps a signal names; with a comment signal, busy threads wait (see ArchivedRecap)."""
        host = urlsplit(found.site).netloc
        named: set[str] = set()
        if found.comments is not None:
            ArchiveSession.of(self.crawler).signalled.add(host)
            shortest = self.crawler.settings.getint("REVISIT_START", 86_400)
            now = utc_now()
            for url, recap in self.recaps.items():
                # WordPress's comment signals do not see a Disqus thread: its schedule stands.
                mine = urlsplit(url).netloc == host and recap.platform != "disqus"
                if mine and self.due[url] and url not in self.incomplete:
                    if not recap.due_with_signals(now, shortest):
                        self.due[url] = False
                        self.stats.inc_value(f"{SIGNALS}/busy_deferred")
            archived = archived_comment_ids(self.path, [c.url for c in found.comments])
            named |= {c.url for c in found.comments if c.comment_id not in archived.get(c.url, set())}
        if found.posts is not None:
            self.posts_signalled.add(host)
            named |= {c.url for c in found.posts if c.at is None and c.url not in self.recaps}  # new in a sitemap
            named |= {c.url for c in found.posts if c.at is not None and c.at > found.since}
        for url in sorted(named):
            if url in self.recaps:
                if not self.due[url]:
                    self.due[url] = True
                    self.stats.inc_value(f"{SIGNALS}/recaps_due_by_signal")
            elif whole_site and urlsplit(url).netloc == host and url not in self.signalled_new:
                self.signalled_new.append(url)
                self.stats.inc_value(f"{SIGNALS}/posts_new")
