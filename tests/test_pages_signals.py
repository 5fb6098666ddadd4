"""The change-signal readers (archiver.pages.signals) on saved answers: REST changes, the comments feed, sitemaps.

The saved answers under tests/fixtures/signals/ are the demo site's on day 2 (series 2, episodes 3, extra posts 1,
220 comments, 6 per page) asked for changes after the day-1 crawl (``2021-03-21T08:56:00Z``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import Response, TextResponse

from archiver.archive.revisit import ArchivedRecap
from archiver.pages.rest import RestAnswer
from archiver.pages.signals import (
    Change,
    FeedAnswer,
    comments_feed,
    feed_covers,
    rest_comment_changes,
    rest_post_changes,
    sitemap_entries,
    sitemap_index,
)

FIXTURES = Path(__file__).parent / "fixtures" / "signals"
SITE = "https://recaps.example/"
SINCE = "2021-03-21T08:56:00+00:00"


def answer(name: str, status: int = 200, headers: dict[str, str] | None = None, body: bytes | None = None) -> Response:
    data = (FIXTURES / name).read_bytes() if body is None else body
    kind = "application/json" if name.endswith(".json") else "application/xml"
    return TextResponse(
        url=SITE + name, status=status, body=data, headers={"Content-Type": kind, **(headers or {})}, encoding="utf-8"
    )


def test_rest_comments_after_name_each_comment_and_its_recap() -> None:
    rest = RestAnswer.parse(answer("rest-comments-after.json", headers={"X-WP-Total": "19", "X-WP-TotalPages": "1"}))
    assert rest is not None and rest.total_pages == 1
    changes = rest_comment_changes(rest)
    raw = json.loads((FIXTURES / "rest-comments-after.json").read_text())
    assert [c.comment_id for c in changes] == [str(c["id"]) for c in raw]
    assert all(c.url.startswith(SITE) and "#" not in c.url and "comment-page" not in c.url for c in changes)
    assert all(c.at is not None and c.at > SINCE for c in changes)
    assert [c.at for c in changes] == sorted(c.at for c in changes)  # orderby=date&order=asc
    assert changes[0] == Change(
        SITE + "2021/03/22/hometown-cha-cha-cha-episode-4/", "3449", "2021-03-22T05:40:00+00:00"
    )


def test_rest_comments_skip_items_without_id_or_link() -> None:
    body = json.dumps([{"id": 1, "link": SITE + "a/comment-page-2/#comment-1"}, {"id": "x", "link": "y"}, 5, {}])
    rest = RestAnswer.parse(answer("odd.json", body=body.encode()))
    assert rest is not None and rest_comment_changes(rest) == [Change(SITE + "a/", "1", None)]


@pytest.mark.parametrize(
    "status, body",
    [(401, b'{"code":"rest_not_logged_in"}'), (200, b"<html>not json</html>"), (200, b'{"code":"x"}')],
)
def test_a_rest_answer_that_is_not_a_list_is_no_signal(status: int, body: bytes) -> None:
    assert RestAnswer.parse(answer("x.json", status=status, body=body)) is None


def test_rest_posts_modified_after_name_the_new_and_the_edited_recap() -> None:
    rest = RestAnswer.parse(answer("rest-posts-modified-after.json"))
    assert rest is not None
    assert rest_post_changes(rest) == [
        Change(SITE + "2021/03/22/hometown-cha-cha-cha-episode-4/", None, "2021-03-22T04:26:00+00:00"),
        Change(SITE + "2021/03/07/soundtrack-1-episode-3/", None, "2021-03-22T05:26:00+00:00"),
    ]


def test_the_comments_feed_lists_the_latest_comments_newest_first() -> None:
    feed = comments_feed(answer("comments-feed.xml"))
    assert feed is not None and len(feed.changes) == 10  # posts_per_rss
    assert all(c.comment_id and c.comment_id.isdigit() and c.url.startswith(SITE) for c in feed.changes)
    dates = [c.at for c in feed.changes]
    assert all(dates) and dates == sorted(dates, reverse=True)
    # Day 2 brought 19 comments: the ten latest are all after the last crawl, so the feed does not reach back.
    assert not feed_covers(feed, SINCE)
    assert feed_covers(feed, "2021-03-23T00:00:00+00:00")


def test_feed_coverage() -> None:
    assert feed_covers(FeedAnswer([]), SINCE)  # no comment at all: nothing was missed
    old = Change(SITE + "a/", "1", "2021-03-20T00:00:00+00:00")
    new = Change(SITE + "a/", "2", "2021-03-22T00:00:00+00:00")
    assert feed_covers(FeedAnswer([new, old]), SINCE)
    assert not feed_covers(FeedAnswer([new]), SINCE)
    assert not feed_covers(FeedAnswer([new, Change(SITE + "a/", "3", None)]), SINCE)  # an undated item proves nothing


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Feeds are disabled</body></html>",
        b'<?xml version="1.0"?><rss version="2.0"><channel><item>',  # cut off
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>',
    ],
)
def test_what_is_not_an_rss_feed_is_no_signal(body: bytes) -> None:
    assert comments_feed(answer("feed.xml", body=body)) is None


def test_entities_in_a_feed_are_not_expanded() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel>'
        b"<item><link>&x;</link><guid>https://r.example/?p=1#comment-5</guid></item></channel></rss>"
    )
    feed = comments_feed(answer("feed.xml", body=body))
    assert feed is None or all("root:" not in c.url for c in feed.changes)


def test_a_404_is_no_feed() -> None:
    assert comments_feed(answer("comments-feed.xml", status=404)) is None


def test_core_sitemap_index_and_posts_sitemap() -> None:
    assert sitemap_index(answer("wp-sitemap.xml")) == [SITE + "wp-sitemap-posts-post-1.xml"]
    entries = sitemap_entries(answer("wp-sitemap-posts-post-1.xml"))
    assert entries is not None and len(entries) == 8  # 2 series x 3 episodes + 1 extra post + day 2's recap
    assert all(e.at is None and e.comment_id is None for e in entries)  # core 6.1 prints no lastmod
    assert entries[0].url == SITE + "2021/03/22/hometown-cha-cha-cha-episode-4/"
    # An index is not a urlset, and the other way round.
    assert sitemap_entries(answer("wp-sitemap.xml")) is None
    assert sitemap_index(answer("wp-sitemap-posts-post-1.xml")) is None


def test_a_plugin_sitemap_with_lastmod() -> None:
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    index = (
        f"<sitemapindex {ns}><sitemap><loc>{SITE}post-sitemap.xml</loc></sitemap>"
        f"<sitemap><loc>{SITE}page-sitemap.xml</loc></sitemap><sitemap><loc>{SITE}post_tag-sitemap.xml</loc>"
        f"</sitemap><sitemap><loc>{SITE}wp-sitemap-posts-page-1.xml</loc></sitemap></sitemapindex>"
    )
    assert sitemap_index(answer("sitemap_index.xml", body=index.encode())) == [SITE + "post-sitemap.xml"]
    urls = f"<urlset {ns}><url><loc>{SITE}a/</loc><lastmod>2021-03-22T14:00:00+09:00</lastmod></url></urlset>"
    assert sitemap_entries(answer("post-sitemap.xml", body=urls.encode())) == [
        Change(SITE + "a/", None, "2021-03-22T05:00:00+00:00")
    ]


def test_a_busy_thread_waits_a_day_when_the_comment_signal_answers() -> None:
    busy = ArchivedRecap(SITE + "a/", "2021-03-21T08:00:00+00:00", False, True, 0)
    assert not busy.due_with_signals("2021-03-21T20:00:00+00:00", 86_400)
    assert busy.due_with_signals("2021-03-22T08:00:00+00:00", 86_400)
    quiet = ArchivedRecap(SITE + "b/", "2021-03-25T08:00:00+00:00", False, True, 4 * 86_400)
    assert not quiet.due_with_signals("2021-03-22T08:00:00+00:00", 86_400)
    assert ArchivedRecap(SITE + "c/", None, False, True).due_with_signals("2021-03-22T08:00:00+00:00", 86_400)
