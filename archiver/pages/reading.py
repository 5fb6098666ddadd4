"""Everything the crawl needs from one HTML page, read in one go into plain, picklable data.

The spider asks for a page's reading and decides what to fetch next from it. A reading is a
function of the response alone (no requests, no database, no crawl state), so it can run in a
worker process (see archiver.crawl.workers) as well as in the crawl's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scrapy.http import TextResponse

from archiver.items import CommentItem, RecapItem
from archiver.pages import body_classes, page_kind, release_tree
from archiver.pages.detect import Detection, detect, rest_root
from archiver.pages.disqus import DisqusEmbed
from archiver.pages.listing import ListingPage
from archiver.pages.lists import repair_comment_lists
from archiver.pages.rest import post_id
from archiver.pages.urls import CommentPages
from archiver.pages.wordpress import PostPage
from archiver.pages.wpdiscuz import WpdiscuzComments, WpdiscuzSettings
from archiver.profiles import Profile

__all__ = [
    "CommentPageReading",
    "ListingReading",
    "PageReading",
    "PostReading",
    "WpdiscuzStart",
    "read_comment_page",
    "read_page",
]


@dataclass
class WpdiscuzStart:
    """The first wpDiscuz threads a post page shows, and what remains to load."""

    comments: list[CommentItem]
    settings: WpdiscuzSettings
    load_more_after: str | None
    hidden_replies: list[str]


@dataclass
class PostReading:
    """A post page: the recap with this comment page's comments, and where the rest of its thread is."""

    recap: RecapItem
    detection: Detection
    post_id: str | None
    comment_page: int
    comment_pages: CommentPages
    wpdiscuz: WpdiscuzStart | None = None
    disqus: DisqusEmbed | None = None
    unreadable: list[str] = field(default_factory=list)
    """Comments the page shows that could not be read."""
    stopped: str | None = None
    """Why the parser stopped building the page early (later comments are missing), else None."""

    @property
    def platform(self) -> str | None:
        """The detected platform, or the one the crawl was told to use: ``recap.platform``, decided here once."""
        return self.recap.platform


@dataclass
class ListingReading:
    """A home page, archive or series page: the posts it lists and the listings it leads to."""

    post_urls: list[str]
    pagination_urls: list[str]
    profile_urls: list[str]
    rest_root: str | None
    home: bool


@dataclass
class PageReading:
    """What kind of page a response is, and what it shows."""

    kind: str
    """``"post"``, ``"listing"`` or ``"other"`` (see archiver.pages.page_kind)."""
    post: PostReading | None = None
    listing: ListingReading | None = None
    index_urls: list[str] = field(default_factory=list)
    """For an "other" page (a WordPress page), the listings a site profile finds on it."""


@dataclass
class CommentPageReading:
    """One more comment page of a thread: its comments and every comment page it links to."""

    comments: list[CommentItem]
    comment_pages: CommentPages
    number: int | None = None
    """The comment page the response itself shows, as its navigation says."""
    unreadable: list[str] = field(default_factory=list)
    """Comments the page shows that could not be read."""
    stopped: str | None = None
    """Why the parser stopped building the page early (later comments are missing), else None."""


def read_page(
    response: TextResponse, fetched_at: str, platform: str | None = None, profile: Profile | None = None
) -> PageReading:
    """Read a page a crawl reached by a link: a post (with its first comment page), a listing, or other.

    ``platform`` overrides the detected comment platform; ``profile`` adds a site's own listing links.
    """
    try:
        response = _as_browsers_build_it(response)
        kind = page_kind(response)
        if kind == "post":
            return PageReading(kind, post=_read_post(response, fetched_at, platform))
        if kind == "listing":
            page = ListingPage(response)
            return PageReading(
                kind,
                listing=ListingReading(
                    post_urls=page.post_urls(),
                    pagination_urls=page.pagination_urls(),
                    profile_urls=profile.listing_urls(response) if profile else [],
                    rest_root=rest_root(response),
                    home="home" in body_classes(response),
                ),
            )
        return PageReading(kind, index_urls=profile.listing_urls(response) if profile else [])
    finally:
        release_tree(response)


def _as_browsers_build_it(response: TextResponse) -> TextResponse:
    """The response, or a copy whose comment lists nest as a browser nests them (see archiver.pages.lists)."""
    if "wp-block-comment-template" not in response.text:
        return response
    fixed = repair_comment_lists(response.text)
    return response if fixed is None else response.replace(body=fixed.encode("utf-8"), encoding="utf-8")


def _read_post(response: TextResponse, fetched_at: str, platform: str | None) -> PostReading:
    page = PostPage(response)
    detected = detect(response, page.page_index())
    chosen = platform or detected.platform
    recap = page.recap(fetched_at=fetched_at)
    recap.platform = chosen
    recap.comment_area = recap.comment_area or detected.platform != "wordpress"  # a plugin's thread is one too
    reading = PostReading(
        recap,
        detected,
        post_id(response, page.page_index()),
        page.comment_page(),
        page.comment_pages(),
        unreadable=page.unreadable,
        stopped=page.parse_stopped(),
    )
    if chosen == "disqus":
        recap.comments, recap.comment_pages = [], 1
    elif chosen == "wpdiscuz":
        recap.comments = []
    if chosen == "wpdiscuz":
        wpd = WpdiscuzComments.from_response(response)
        reading.wpdiscuz = WpdiscuzStart(
            wpd.comments(reading.comment_page),
            WpdiscuzSettings.from_response(response, recap.site_url),
            wpd.load_more_after(),
            wpd.hidden_replies(),
        )
        recap.comment_count_reported = wpd.reported_count() or recap.comment_count_reported
    elif chosen == "disqus":
        reading.disqus = DisqusEmbed.from_response(response, recap.url)
    return reading


def read_comment_page(response: TextResponse, platform: str = "wordpress") -> CommentPageReading:
    """Read a further comment page of a thread (WordPress's own comment pages, which wpDiscuz can follow too)."""
    try:
        response = _as_browsers_build_it(response)
        page = PostPage(response)
        comments = (
            WpdiscuzComments.from_response(response).comments(page.comment_page())
            if platform == "wpdiscuz"
            else page.comments()
        )
        return CommentPageReading(
            comments, page.comment_pages(), page.comment_page(), page.unreadable, page.parse_stopped()
        )
    finally:
        release_tree(response)
