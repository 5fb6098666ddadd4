"""`scrapy crawl recaps -a url=...`: every recap and every comment of a recap site, whatever prints its comments.

The spider only decides what to fetch next; page objects in archiver.pages
extract, pipelines normalise and save.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from archiver.spiders.base import LISTING_PRIORITY, REST_OFF_STATUSES, Thread, ThreadSpider
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from archiver.clean import utc_now
from archiver.crawl import roles
from archiver.crawl.health import HealthWatch
from archiver.crawl.roles import with_role
from archiver.errors import ArgumentError
from archiver.items import RecapItem
from archiver.pages.detect import PLATFORMS
from archiver.pages.jsdata import text_field
from archiver.pages.reading import ListingReading, PostReading, read_comment_page, read_page
from archiver.pages.rest import PER_PAGE, POST_FIELDS, RestAnswer, rest_url
from archiver.profiles import profile_for, profile_named
from archiver.sources.wayback import check_source_arguments

logger = logging.getLogger(__name__)

# Links a crawl never follows: reply forms, feeds, log-in and admin pages.
NEVER_FOLLOW = ("replytocom=", "/feed/", "/feed", "wp-login.php", "/wp-admin/", "/comments/feed", "/trackback/")


# Spider arguments read elsewhere: refresh (the re-crawl middleware), source and wayback_at (archiver.sources),
# reparse (set by archiver.crawl.reparse); names starting with _ come from Scrapyd (_job).
OTHER_ARGUMENTS = ("refresh", "source", "wayback_at", "reparse")


def parse_url_argument(value: str | None) -> list[str]:
    """Split the ``url`` argument (comma-separated) into absolute http(s) URLs.

    Raises ArgumentError naming the argument when it is missing or a part is not a web address.
    """
    if not value or not value.strip():
        raise ArgumentError("argument url is required: -a url=https://recaps.example/")
    urls = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        parts = urlsplit(part)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ArgumentError(f"argument url: {part!r} is not a web address (http:// or https://)")
        urls.append(part)
    if not urls:
        raise ArgumentError("argument url is required: -a url=https://recaps.example/")
    return urls


def followable(url: str) -> bool:
    """True unless ``url`` is a reply link, a feed, a log-in or admin page."""
    return not any(marker in url for marker in NEVER_FOLLOW)


class RecapsSpider(ThreadSpider):
    """Crawl home pages, tag or category archives, or single recaps given in ``-a url=``.

    ``-a platform=wordpress|wpdiscuz|disqus`` overrides what each page shows; ``-a profile=NAME``
    picks a site profile (archiver.profiles) when the domain does not.
    """

    name = "recaps"

    @staticmethod
    def check_arguments(
        url: str | None = None, platform: str | None = None, profile: str | None = None, **kwargs: Any
    ) -> None:
        """Raise ArgumentError, naming the argument, for values the crawl cannot use and arguments it does not know."""
        unknown = sorted(k for k in kwargs if k not in OTHER_ARGUMENTS and not k.startswith("_"))
        if unknown:
            raise ArgumentError(
                f"unknown argument {unknown[0]} (-a {unknown[0]}=...): the recaps spider takes "
                f"{', '.join(['url', 'platform', 'profile', *OTHER_ARGUMENTS])}"
            )
        parse_url_argument(url)
        if platform is not None and platform not in PLATFORMS:
            raise ArgumentError(f"argument platform: {platform!r} is not one of {', '.join(PLATFORMS)}")
        if profile is not None:
            profile_named(profile)
        check_source_arguments(kwargs.get("source"), kwargs.get("wayback_at"))

    def __init__(
        self, url: str | None = None, *args: Any, platform: str | None = None, profile: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.check_arguments(url, platform, profile, **kwargs)
        self.start_urls = parse_url_argument(url)
        self.profile = profile_named(profile) if profile else profile_for(self.start_urls)
        self.start_urls = self.profile.start_urls(self.start_urls) if self.profile else self.start_urls
        self.platform_override = platform or (self.profile.platform if self.profile else None)
        self.allowed_domains = sorted({urlsplit(u).hostname for u in self.start_urls if urlsplit(u).hostname})
        self.crawl_args = {"url": url, **{k: v for k, v in kwargs.items() if isinstance(v, str)}}
        self.crawl_args.update({k: v for k, v in (("platform", platform), ("profile", profile)) if v})
        self._recaps_started: set[str] = set()
        self._listed_posts: set[str] = set()
        self._rest_off: set[str] = set()
        self._rest_listed: set[str] = set()

    async def start(self) -> AsyncIterator[Request]:
        for url in self.start_urls:
            yield Request(url, callback=self.parse, errback=self.start_failed, meta=with_role(roles.START))

    def start_failed(self, failure: Failure) -> None:
        """A start URL could not be fetched: one clear line, counted."""
        request = failure.request  # type: ignore[attr-defined]
        self.crawler.stats.inc_value("archiver/errors/start_url")
        reason = failure.getErrorMessage() or failure.type.__name__
        if hasattr(failure.value, "response") and failure.value.response is not None:
            reason = f"HTTP {failure.value.response.status}"
        logger.error("cannot fetch start URL %s: %s", request.url, reason)

    async def parse(self, response: Response) -> AsyncIterator[Request | RecapItem]:
        """Route a page to the post or listing handler by what the page shows."""
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("archiver/pages/not_html")
            return
        self.crawler.stats.inc_value("archiver/pages/parsed")
        reading = await self.readers.read(
            read_page,
            response,
            fetched_at=self.fetched_at(response),
            platform=self.platform_override,
            profile=self.profile,
        )
        self.crawler.stats.inc_value(f"archiver/pages/{reading.kind}")
        if reading.post is not None:
            for out in self.parse_post(response, reading.post):
                yield out
        elif reading.listing is not None:
            for out in self.parse_listing(response, reading.listing):
                yield out
        elif reading.index_urls:
            # A site's own index page (e.g. /recaps/all/ linking to series pages) is a WordPress "page".
            self.crawler.stats.inc_value("archiver/pages/profile_index")
            for url in reading.index_urls:
                if followable(url):
                    yield response.follow(
                        url, callback=self.parse, priority=LISTING_PRIORITY, meta=with_role(roles.INDEX)
                    )
        else:
            logger.info("%s: neither a post nor a listing, skipped", response.url)

    def parse_listing(self, response: TextResponse, page: ListingReading) -> Iterator[Request]:
        """Follow every post in a home page or archive, and its pagination; list a site's posts through its API."""
        posts = page.post_urls
        new_posts = [u for u in posts if u not in self._listed_posts]
        self._listed_posts.update(posts)
        if getattr(self, "crawler", None) is not None:
            self.crawler.stats.set_value("archiver/recaps/listed", len(self._listed_posts))
            HealthWatch.of(self.crawler).listing(response.url, len(posts))
        pagination = page.pagination_urls
        if pagination and not new_posts:
            # An empty page, or one repeating posts already listed: a pagination trap (or the end).
            self.crawler.stats.inc_value("archiver/listings/no_new_posts")
            logger.info("%s: no post not already listed; not following its pagination", response.url)
            pagination = []
        for url in posts:
            if followable(url):
                yield response.follow(url, callback=self.parse, meta=with_role(roles.POST))
        for role, urls in ((roles.LISTING, pagination), (roles.INDEX, page.profile_urls)):
            for url in urls:
                if followable(url):
                    yield response.follow(url, callback=self.parse, priority=LISTING_PRIORITY, meta=with_role(role))
        root = page.rest_root
        site = urljoin(response.url, "/")
        if root and page.home and site not in self._rest_listed | self._rest_off:
            self._rest_listed.add(site)
            yield self._posts_request(root, site, 1)

    def _posts_request(self, root: str, site: str, number: int) -> Request:
        url = rest_url(root, "wp/v2/posts", per_page=PER_PAGE, page=number, _fields=POST_FIELDS)
        return Request(
            url,
            callback=self.parse_rest_posts,
            cb_kwargs={"root": root, "site": site, "number": number},
            meta=with_role(roles.REST_POSTS, {"handle_httpstatus_list": list(REST_OFF_STATUSES)}),
            priority=LISTING_PRIORITY,
        )

    def parse_rest_posts(self, response: Response, root: str, site: str, number: int) -> Iterator[Request]:
        """Follow every post the REST API lists, page by page (``X-WP-TotalPages``)."""
        answer = RestAnswer.parse(response)
        if answer is None:
            self.rest_unavailable(site, response)
            return
        self.crawler.stats.inc_value("archiver/pages/rest_posts")
        for post in answer.items:
            link = text_field(post, "link")
            if link and followable(link):
                yield response.follow(link, callback=self.parse, meta=with_role(roles.POST))
        if number < answer.total_pages:
            if number >= self.bounds.rest_pages:
                self.crawler.stats.inc_value("archiver/bounds/rest_pages")
                logger.warning(
                    "%s: REST post list has more than %d pages (ARCHIVER_MAX_REST_PAGES); the listing pages "
                    "are still followed",
                    site,
                    self.bounds.rest_pages,
                )
                return
            yield self._posts_request(root, site, number + 1)

    def parse_post(self, response: TextResponse, page: PostReading) -> Iterator[Request | RecapItem]:
        """Start a recap from whichever comment page this is, then fetch what its platform needs."""
        recap = page.recap
        if recap.url in self._recaps_started:
            self.crawler.stats.inc_value("archiver/recaps/seen_twice")
            return
        self._recaps_started.add(recap.url)
        t = Thread(recap, rest_root=page.detection.rest_root, post_id=page.post_id)
        self._note_page_damage(t, response, page.unreadable, page.stopped)
        if page.platform in ("wordpress", "wpdiscuz"):
            # wpDiscuz follows WordPress's comment pages where the site pages its comments.
            t.fetched = {page.comment_page}
            t.pages = page.comment_pages
        if page.wpdiscuz is not None:
            self.start_wpdiscuz(t, page.wpdiscuz)
        elif page.platform == "disqus":
            t.disqus = page.disqus
        yield from self.continue_thread(t)

    def _note_page_damage(self, t: Thread, response: Response, unreadable: list[str], stopped: str | None) -> None:
        """A page still cut off after retries, or with comments that could not be read: keep what it shows, but
        the thread is not whole."""
        if response.meta.get("archiver_truncated"):
            logger.warning("%s: %s is cut off; the thread is archived as incomplete", t.recap.url, response.url)
            t.lose(f"{response.url} cut off")
        if unreadable:
            self.crawler.stats.inc_value("archiver/comments/unreadable", len(unreadable))
            logger.error(
                "%s: %d comment(s) on %s could not be read (%s)",
                t.recap.url,
                len(unreadable),
                response.url,
                ", ".join(unreadable[:10]),
            )
            t.unreadable += len(unreadable)
        if stopped:
            self.crawler.stats.inc_value("archiver/pages/parse_stopped")
            logger.error(
                "%s: %s could not be read to its end (%s); later comments are missing",
                t.recap.url,
                response.url,
                stopped,
            )
            t.lose(f"{response.url} nested too deeply to read to its end")

    def fetched_at(self, response: Response) -> str:
        """When the page was fetched: now, or when a re-parse reads a stored page, when it was stored."""
        if self.settings.getbool("ARCHIVE_REPARSE") and "archived_fetched_at" in response.meta:
            return response.meta["archived_fetched_at"]
        return utc_now()

    async def parse_comment_page(self, response: Response, number: int) -> AsyncIterator[Request | RecapItem]:
        """Add one more comment page's comments to the recap being assembled."""
        t: Thread = response.meta["thread"]
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("archiver/errors/comment_page")
            logger.error("%s: comment page %d is not HTML; archiving the thread as incomplete", t.recap.url, number)
            t.failed_pages.add(number)
            for out in self.continue_thread(t):
                yield out
            return
        self.crawler.stats.inc_value("archiver/pages/parsed")
        self.crawler.stats.inc_value("archiver/pages/comment_page")
        page = await self.readers.read(read_comment_page, response, platform=t.platform)
        for comment in page.comments:
            comment.page = number  # the page asked for, whatever its navigation calls it
        t.recap.comments.extend(page.comments)
        t.fetched.add(number)
        self._note_page_damage(t, response, page.unreadable, page.stopped)
        # A thread may grow new pages while it is crawled: every page seen so far counts.
        t.pages = page.comment_pages if t.pages is None else t.pages.merged(page.comment_pages)
        for out in self.continue_thread(t):
            yield out
