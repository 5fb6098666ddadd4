"""Every spider imports; settings are polite and open no port; arguments are checked."""

from __future__ import annotations

import pytest
from archiver.spiders.recaps import RecapsSpider, followable, parse_url_argument
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from archiver.errors import ArgumentError


def test_every_spider_loads() -> None:
    loader = SpiderLoader.from_settings(get_project_settings())
    names = loader.list()
    assert "recaps" in names
    for name in names:
        assert loader.load(name).name == name


def test_settings_are_polite_and_open_no_port() -> None:
    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    assert settings.get("USER_AGENT").startswith("recap-archiver/")
    assert 429 in settings.getlist("RETRY_HTTP_CODES")


def test_url_argument_takes_comma_separated_web_addresses() -> None:
    assert parse_url_argument(" https://a.example/ , http://b.example/tag/x/ ") == [
        "https://a.example/",
        "http://b.example/tag/x/",
    ]
    spider = RecapsSpider(url="https://a.example/,https://b.example:8080/2021/01/01/post/")
    assert spider.allowed_domains == ["a.example", "b.example"]


@pytest.mark.parametrize("value", [None, "", " , ", "recaps.example", "ftp://x.example/", "https://"])
def test_bad_url_argument_names_the_argument(value: str | None) -> None:
    with pytest.raises(ArgumentError, match="argument url"):
        parse_url_argument(value)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://r.example/2021/12/23/post/", True),
        ("https://r.example/2021/12/23/post/?replytocom=12#respond", False),
        ("https://r.example/feed/", False),
        ("https://r.example/comments/feed/", False),
        ("https://r.example/2021/12/23/post/feed/", False),
        ("https://r.example/wp-login.php?redirect_to=x", False),
        ("https://r.example/wp-admin/", False),
    ],
)
def test_links_never_followed(url: str, ok: bool) -> None:
    assert followable(url) is ok


@pytest.mark.parametrize(("args", "name"), [({"platform": "blogger"}, "platform"), ({"profile": "nope"}, "profile")])
def test_bad_platform_or_profile_names_the_argument(args: dict[str, str], name: str) -> None:
    with pytest.raises(ArgumentError, match=f"argument {name}"):
        RecapsSpider.check_arguments("https://a.example/", **args)


def test_listings_wait_for_their_posts_and_started_threads_come_first() -> None:
    """Scrapy's queue is last-in first-out: without priorities a listing's next page would run ahead of its posts
    and the queue would hold every post of the site at once."""
    from archiver.spiders.base import LISTING_PRIORITY, THREAD_PRIORITY, Thread
    from scrapy.http import HtmlResponse

    from archiver.items import RecapItem
    from archiver.pages.reading import ListingReading
    from archiver.pages.urls import CommentPages

    spider = RecapsSpider(url="https://r.example/")
    listing = ListingReading(
        post_urls=["https://r.example/2021/01/01/a/", "https://r.example/2021/01/02/b/"],
        pagination_urls=["https://r.example/page/2/"],
        profile_urls=[],
        rest_root=None,
        home=False,
    )
    response = HtmlResponse("https://r.example/", body=b"<html></html>", encoding="utf-8")
    out = list(spider.parse_listing(response, listing))
    priorities = {r.url: r.priority for r in out}
    assert priorities == {
        "https://r.example/2021/01/01/a/": 0,
        "https://r.example/2021/01/02/b/": 0,
        "https://r.example/page/2/": LISTING_PRIORITY,
    }
    thread = Thread(
        RecapItem(
            url="https://r.example/2021/01/01/a/", site_url="https://r.example/", fetched_at="x", platform="wordpress"
        ),
        pages=CommentPages(2, "https://r.example/2021/01/01/a/"),
        fetched={1},
    )
    (request,) = list(spider.continue_thread(thread))
    assert request.url.endswith("/comment-page-2/") and request.priority == THREAD_PRIORITY
    assert THREAD_PRIORITY > 0 > LISTING_PRIORITY


def test_a_thread_claiming_a_trillion_comment_pages_stops_at_the_bound_and_is_incomplete() -> None:
    from archiver.spiders.base import Thread, ThreadBounds
    from scrapy.utils.test import get_crawler

    from archiver.items import RecapItem
    from archiver.pages.urls import CommentPages

    crawler = get_crawler(RecapsSpider, {"ARCHIVER_MAX_THREAD_STEPS": 3})
    spider = RecapsSpider.from_crawler(crawler, url="https://r.example/")
    assert spider.bounds == ThreadBounds(steps=3)
    thread = Thread(
        RecapItem(
            url="https://r.example/2021/01/01/a/", site_url="https://r.example/", fetched_at="x", platform="wordpress"
        ),
        pages=CommentPages(10**12, "https://r.example/2021/01/01/a/"),
        fetched={10**12},
    )
    urls = []
    for _ in range(5):
        (out,) = list(spider.continue_thread(thread))
        if isinstance(out, RecapItem):
            break
        urls.append(out.url)
        thread.fetched.add(out.cb_kwargs["number"])
    assert urls == [f"https://r.example/2021/01/01/a/comment-page-{n}/" for n in (1, 2, 3)]
    assert isinstance(out, RecapItem) and not out.complete
    assert out.comment_pages == 10**12 and "ARCHIVER_MAX_THREAD_STEPS" in out.incomplete_reasons[0]
    assert crawler.stats.get_value("archiver/bounds/thread_steps") == 1


def test_a_page_nested_deeper_than_the_parser_allows_is_flagged() -> None:
    from scrapy.http import HtmlResponse

    from archiver.pages.reading import read_comment_page

    deep = "<span>" * 3000 + "x" + "</span>" * 3000
    body = (
        "<html><body class='single'><article id='post-9' class='post'></article><div id='comments'>"
        "<ol class='comment-list'><li id='comment-1' class='comment'><div class='comment-content'>"
        + deep
        + "</div></li><li id='comment-2' class='comment'><div class='comment-content'>later</div></li></ol>"
        "</div></body></html>"
    )
    reading = read_comment_page(HtmlResponse("https://r.example/2021/01/01/a/", body=body.encode(), encoding="utf-8"))
    assert reading.stopped and "depth" in reading.stopped
    shallow = read_comment_page(
        HtmlResponse("https://r.example/2021/01/01/a/", body=b"<html><body></body></html>", encoding="utf-8")
    )
    assert shallow.stopped is None


def test_every_request_carries_its_role_and_the_revisit_filter_reads_it() -> None:
    """The spider says what each request is for (archiver.crawl.roles); RevisitMiddleware drops posts not due and
    stops a listing's pagination on that role alone, whatever the URL looks like."""
    from archiver.spiders.base import Thread
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from archiver.crawl import roles
    from archiver.crawl.refresh import RevisitMiddleware
    from archiver.items import RecapItem
    from archiver.pages.reading import ListingReading
    from archiver.pages.urls import CommentPages

    spider = RecapsSpider(url="https://r.example/")
    listing = ListingReading(
        post_urls=["https://r.example/a/", "https://r.example/b/"],
        pagination_urls=["https://r.example/more?after=b"],
        profile_urls=["https://r.example/shows/x/"],
        rest_root=None,
        home=False,
    )
    response = HtmlResponse("https://r.example/", body=b"<html></html>", encoding="utf-8")
    out = list(spider.parse_listing(response, listing))
    assert {r.url: roles.role_of(r) for r in out} == {
        "https://r.example/a/": roles.POST,
        "https://r.example/b/": roles.POST,
        "https://r.example/more?after=b": roles.LISTING,
        "https://r.example/shows/x/": roles.INDEX,
    }
    thread = Thread(
        RecapItem(url="https://r.example/a/", site_url="https://r.example/", fetched_at="x", platform="wordpress"),
        pages=CommentPages(2, "https://r.example/a/"),
        fetched={1},
    )
    (step,) = list(spider.continue_thread(thread))
    assert roles.role_of(step) == roles.COMMENT_PAGE

    middleware = RevisitMiddleware(get_crawler(RecapsSpider))
    middleware.due = {"https://r.example/a/": False, "https://r.example/b/": False}
    kept = list(middleware._filter(response, [*out, step]))
    assert [r.url for r in kept] == ["https://r.example/shows/x/", step.url]
    middleware.due["https://r.example/b/"] = True
    kept = list(middleware._filter(response, [*out, step]))
    assert [r.url for r in kept] == [
        "https://r.example/b/",
        "https://r.example/shows/x/",
        step.url,
        "https://r.example/more?after=b",
    ]
