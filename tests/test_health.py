"""The health report on plain data: every sign, its thresholds, a site's first crawl, a site that recovers, several
sites in one crawl with one broken; recorded in a real SQLite archive and read back by `recap-archiver stats`."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import make_recap, thread
from sqlite_utils import Database

from archiver.archive.health import (
    MIN_COMMENTS,
    MIN_POSTS,
    SIGNS,
    SiteMeasures,
    check_crawl,
    compare,
    latest_health,
)
from archiver.archive.store import open_archive, save_site, start_crawl
from archiver.archive.summary import archive_stats, format_stats
from archiver.crawl.progress import crawl_summary
from archiver.crawl.run import EXIT_BROKEN, EXIT_OK, failure
from archiver.items import CommentItem

SITE = "Demo (http://127.0.0.1:8000/)"


def healthy(**changes: object) -> SiteMeasures:
    """What a full crawl of the demo site reads: 14 posts, 600 comments on 43 pages, all voted and dated."""
    m = SiteMeasures(
        posts=14,
        posts_comment_area=14,
        posts_expecting_comments=14,
        comment_pages=43,
        comments=600,
        comments_voted=600,
        dates_shown=614,
        dates_parsed=614,
        listings=3,
        listings_with_posts=3,
        platforms=Counter(wordpress=14),
        examples={
            sign: f"http://127.0.0.1:8000/{sign}/" for sign in [*SIGNS, "platform:wordpress", "platform:wpdiscuz"]
        },
    )
    for name, value in changes.items():
        setattr(m, name, value)
    return m


BROKEN = {
    "comment_area": {"posts_comment_area": 0},
    "comments": {"comments": 0, "comments_voted": 0, "dates_shown": 14, "dates_parsed": 14},
    "votes": {"comments_voted": 0},
    "dates": {"dates_parsed": 14},
    "platform": {"platforms": Counter(wpdiscuz=14)},
    "listing": {"listings_with_posts": 0},
}
"""Each sign's measures as a crawl of the broken site reads them."""


def test_a_sites_first_crawl_is_not_judged() -> None:
    assert compare(SITE, healthy(posts_comment_area=0, comments_voted=0), []) == ("first", [])


def test_an_unchanged_crawl_is_ok() -> None:
    assert compare(SITE, healthy(), [("first", healthy())]) == ("ok", [])


@pytest.mark.parametrize("sign", SIGNS)
def test_each_sign_is_found_and_worded(sign: str) -> None:
    verdict, signs = compare(SITE, healthy(**BROKEN[sign]), [("ok", healthy()), ("first", healthy())])
    assert verdict == "broken"
    assert [s.sign for s in signs] == [sign]
    message = signs[0].message
    assert message.startswith(f"{SITE} looks broken: ")
    example = "platform:wpdiscuz" if sign == "platform" else sign
    assert message.endswith(f"; e.g. http://127.0.0.1:8000/{example}/")
    figures = {
        "comment_area": "0 of 14 (0%) post pages show one, against 28 of 28 (100%) in the last 2 healthy crawls",
        "comments": "0.0 a page (0 on 43), against 14.0 (1200 on 86) in the last 2 healthy crawls",
        "votes": "0 of 600 (0%) comments have votes, against 1200 of 1200 (100%) in the last 2 healthy crawls",
        "dates": "14 of 614 (2%) dates shown were read, against 1228 of 1228 (100%) in the last 2 healthy crawls",
        "platform": "wpdiscuz on 14 of 14 posts, against wordpress on 14 of 14 in the crawl before",
        "listing": "0 of 3 (0%) listing pages link a post, against 6 of 6 (100%) in the last 2 healthy crawls",
    }[sign]
    assert figures in message, message


@pytest.mark.parametrize(
    ("changes", "broken"),
    [
        ({"posts_comment_area": 7}, False),  # half the pages still show one: a theme that drops it on some posts
        ({"posts_comment_area": 6}, True),
        ({"comments": 61, "comments_voted": 61}, False),  # 1.4 a page against 14: a tenth is not zero
        ({"comments": 59, "comments_voted": 59}, True),  # under a tenth
        ({"comments_voted": 1}, False),  # one vote left: not "all votes missing"
        ({"dates_parsed": 307}, False),  # half the dates still parse
        ({"dates_parsed": 306}, True),
        ({"platforms": Counter(wordpress=7, wpdiscuz=7)}, False),  # no platform holds most posts
        ({"listings_with_posts": 1}, False),
    ],
)
def test_thresholds(changes: dict[str, object], broken: bool) -> None:
    verdict, signs = compare(SITE, healthy(**changes), [("ok", healthy())])
    assert (verdict == "broken") is broken, signs


def test_a_small_sample_cannot_look_broken() -> None:
    # A refresh=due crawl that fetched a few pages only: nothing it read is compared, whatever it shows.
    small = SiteMeasures(
        posts=MIN_POSTS - 1,
        posts_expecting_comments=MIN_POSTS - 1,
        comment_pages=4,
        comments=MIN_COMMENTS - 1,
        dates_shown=MIN_COMMENTS - 1,
        platforms=Counter(disqus=MIN_POSTS - 1),
    )
    assert compare(SITE, small, [("ok", healthy())]) == ("small", [])
    # The same few pages with its listings read: the listings are compared, and they are fine.
    assert compare(SITE, replace(small, listings=1, listings_with_posts=1), [("ok", healthy())]) == ("ok", [])
    # An earlier crawl too small to compare with is no baseline either.
    assert compare(SITE, healthy(posts_comment_area=0), [("ok", SiteMeasures(posts=2, posts_comment_area=2))]) == (
        "small",
        [],
    )


def test_a_broken_site_keeps_alarming_until_it_recovers() -> None:
    broken = healthy(**BROKEN["votes"])
    # The broken crawl is no baseline: the next crawl of the still broken site is compared with the healthy one.
    verdict, signs = compare(SITE, broken, [("broken", broken), ("ok", healthy())])
    assert verdict == "broken" and [s.sign for s in signs] == ["votes"]
    assert "in the last crawl" in signs[0].message
    # Fixed: ok again.
    assert compare(SITE, healthy(), [("broken", broken), ("broken", broken), ("ok", healthy())]) == ("ok", [])


def test_the_baseline_is_the_last_three_healthy_crawls() -> None:
    without_votes = healthy(comments_voted=0)
    # The site removed its vote widget three crawls ago and stayed so: no longer a sign.
    earlier = [("ok", without_votes)] * 3 + [("ok", healthy())]
    assert compare(SITE, without_votes, earlier) == ("ok", [])
    # Two crawls ago: the crawl before those still counts, pooled with them (600 of 1800 voted: a third, not most).
    assert compare(SITE, without_votes, [("ok", without_votes)] * 2 + [("ok", healthy())]) == ("ok", [])
    _, signs = compare(SITE, without_votes, [("ok", without_votes)] + [("ok", healthy())] * 2)
    assert [s.sign for s in signs] == ["votes"]
    assert "1200 of 1800 (67%) in the last 3 healthy crawls" in signs[0].message


def test_a_platform_change_is_reported_once() -> None:
    moved = healthy(platforms=Counter(wpdiscuz=14))
    _, signs = compare(SITE, moved, [("ok", healthy())])
    assert [s.sign for s in signs] == ["platform"]
    # The next crawl compares with the crawl before, broken or not: a change is news once, not every night.
    assert compare(SITE, moved, [("broken", moved), ("ok", healthy())]) == ("ok", [])


def test_measures_of_saved_recaps() -> None:
    recap = make_recap(thread())
    for c, when in zip(recap.comments, ["2024-01-01T00:00:00+00:00", None, None, None], strict=True):
        c.posted_at_raw, c.posted_at = "shown", when
    recap.comment_area = True
    m = SiteMeasures()
    m.add_recap(recap)
    empty = replace(make_recap([]), url="http://127.0.0.1:8000/empty/", comment_area=False, platform="wpdiscuz")
    m.add_recap(empty, had_comments=True)  # the archive holds comments of it: they are expected
    m.add_listing("http://127.0.0.1:8000/page/9/", 0)
    m.add_listing("http://127.0.0.1:8000/", 5)
    assert (m.posts, m.posts_comment_area, m.posts_expecting_comments, m.comments, m.comments_voted) == (2, 1, 2, 4, 2)
    assert (m.dates_shown, m.dates_parsed, m.listings, m.listings_with_posts) == (4, 1, 2, 1)
    assert m.platform is None  # one post each: no platform holds most
    assert m.examples["comment_area"] == m.examples["comments"] == "http://127.0.0.1:8000/empty/"
    assert m.examples["dates"] == recap.url and m.examples["listing"] == "http://127.0.0.1:8000/page/9/"
    # A post stating 0 comments, or a new one stating none with none archived, is not expected to have any.
    before = m.comment_pages
    m.add_recap(replace(make_recap([]), comment_count_reported=0))
    m.add_recap(replace(make_recap([]), url="http://127.0.0.1:8000/new/"))
    assert m.posts_expecting_comments == 2 and m.comment_pages == before
    m.add_recap(replace(make_recap([]), comment_count_reported=3))  # states 3, none read: expected
    assert m.posts_expecting_comments == 3 and m.comment_pages == before + 1


def test_new_posts_without_comments_yet_are_no_sign() -> None:
    # A refresh=due crawl right after the site published six recaps: nobody has commented yet.
    m = SiteMeasures()
    for n in range(6):
        m.add_recap(replace(make_recap([]), url=f"http://127.0.0.1:8000/new-{n}/", comment_area=True))
    m.add_listing("http://127.0.0.1:8000/", 6)
    assert (m.posts, m.posts_expecting_comments, m.comment_pages) == (6, 0, 0)
    assert compare(SITE, m, [("ok", healthy())]) == ("ok", [])


def _crawl(db: Database, measured: dict[str, SiteMeasures]):  # type: ignore[no-untyped-def]
    crawl_id = start_crawl(db, "recaps", {}, "2024-01-01T00:00:00+00:00")
    return crawl_id, check_crawl(db, crawl_id, measured)


def test_several_sites_in_one_crawl_with_one_broken(tmp_path: Path) -> None:
    path = tmp_path / "two.db"
    db = open_archive(path)
    with db.atomic():  # as save_recap calls it
        save_site(db, "http://a.example/", "Site A", "wordpress", "2024-01-01T00:00:00+00:00")
        save_site(db, "http://b.example/blog/", "Site B", "wordpress", "2024-01-01T00:00:00+00:00")
    first_id, first = _crawl(db, {"a.example": healthy(), "b.example": healthy(), "c.example": healthy()})
    assert first.verdict == "first" and [s.verdict for s in first.sites] == ["first", "first"]  # c: no site row
    crawl_id, health = _crawl(db, {"a.example": healthy(), "b.example": healthy(**BROKEN["comment_area"])})
    assert health.verdict == "broken"
    assert {s.site: s.verdict for s in health.sites} == {
        "Site A (http://a.example/)": "ok",
        "Site B (http://b.example/blog/)": "broken",
    }
    row = db.execute("select health, health_report from crawls where id = ?", [crawl_id]).fetchone()
    assert row[0] == "broken"
    [sign] = json.loads(row[1])
    assert sign["site"] == "Site B (http://b.example/blog/)" and sign["sign"] == "comment_area"
    assert sign["example"] == "http://127.0.0.1:8000/comment_area/" and sign["message"].startswith("Site B")
    rows = db.execute(
        "select site_id, verdict, posts, posts_comment_area, platform from crawl_sites order by site_id, crawl_id"
    )
    assert [tuple(r) for r in rows] == [
        (1, "first", 14, 14, "wordpress"),
        (1, "ok", 14, 14, "wordpress"),
        (2, "first", 14, 14, "wordpress"),
        (2, "broken", 14, 0, "wordpress"),
    ]
    db.close()
    latest = {site["site"]: site for site in latest_health(Database(path).conn)}
    assert latest["Site A"]["verdict"] == "ok" and latest["Site A"]["signs"] == []
    assert latest["Site B"]["verdict"] == "broken" and latest["Site B"]["signs"][0].startswith(
        "post pages without a comment area: 0 of 14 (0%)"
    )
    text = format_stats(archive_stats(path))
    assert f"#{crawl_id} " in text and "health broken" in text and f"#{first_id} " in text and "health first" in text
    assert "  Site B (http://b.example/blog/): broken in crawl #2\n    post pages without a comment area" in text


def test_exit_status_3_when_a_site_looks_broken_and_1_wins() -> None:
    signs = ["Site B looks broken: votes missing: ...", "Site C looks broken: dates no longer parsed: ..."]
    stats = {"archiver/pages/parsed": 9, "archiver/health/broken": 2, "archiver/health/signs": signs}
    status, message = failure(stats)
    assert status == EXIT_BROKEN == 3 and message == f"{signs[0]} (and 1 more sign, see the summary)"
    assert failure({**stats, "archiver/health/broken": 0}) == (EXIT_OK, None)
    assert failure({**stats, "archiver/store/stopped": 10})[0] == 1
    assert failure({"archiver/errors/start_url": 1, "archiver/health/broken": 1})[0] == 1


def test_the_summary_shows_the_verdict() -> None:
    signs = ["Site B looks broken: votes missing: 0 of 600 (0%) comments have votes, against ..."]
    broken = crawl_summary(
        {"archiver/health/verdict": "broken", "archiver/health/signs": signs}, "finished", 1.0, "x.db"
    )
    lines = broken.splitlines()
    assert lines[1:3] == ["Health: 1 sign that a site looks broken (exit status 3):", f"  {signs[0]}"]
    assert lines[3].startswith("Archive: x.db.")
    assert crawl_summary({"archiver/health/verdict": "ok"}, "finished").endswith(
        "\nHealth: ok, every site read as in its earlier crawls"
    )
    assert "Health" not in crawl_summary({}, "finished")  # not judged (a re-parse)


def test_comments_without_votes_or_dates_are_counted_as_such() -> None:
    recap = make_recap([CommentItem(str(n), None, body_text="x", posted_at_raw="moon 3") for n in range(3)])
    m = SiteMeasures()
    m.add_recap(recap)
    assert (m.comments, m.comments_voted, m.dates_shown, m.dates_parsed) == (3, 0, 3, 0)
    assert m.examples["votes"] == m.examples["dates"] == recap.url


def test_a_post_page_shows_a_comment_area_or_not() -> None:
    from scrapy.http import HtmlResponse

    from archiver.demo.breakage import broken_comment_area
    from archiver.pages.reading import read_page

    area = (
        '<div id="comments" class="comments-area"><ol class="comment-list"><li id="comment-7" class="comment">'
        '<article id="div-comment-7" class="comment-body"><b class="fn">Ana</b><div class="comment-metadata">'
        '<time datetime="2021-12-23T08:15:00+09:00">December 23, 2021 at 8:15 am</time></div>'
        '<div class="comment-content"><p>Hi</p></div></article></li></ol></div>'
    )

    def post(comments: str) -> HtmlResponse:
        body = (
            '<html><body class="single single-post"><article id="post-1" class="post type-post">'
            f'<h1 class="entry-title">Soundtrack #1: Episode 4</h1><div class="entry-content"><p>Text</p></div>'
            f"</article>{comments}</body></html>"
        )
        return HtmlResponse(url="http://127.0.0.1:8000/2021/12/23/ep-4/", body=body.encode(), encoding="utf-8")

    def shown(comments: str) -> tuple[bool | None, int]:
        reading = read_page(post(comments), "2024-01-01T00:00:00+00:00").post
        assert reading is not None
        return reading.recap.comment_area, len(reading.recap.comments)

    assert shown(area) == (True, 1)
    assert shown("") == (False, 0)
    assert shown(broken_comment_area(area, "comments")) == (False, 0)  # what the demo's --break-markup serves
    assert shown('<div id="wpdcom" class="wpdiscuz_top_clearing"></div>') == (True, 0)  # a plugin's thread
    dated = read_page(post(broken_comment_area(area, "dates")), "2024-01-01T00:00:00+00:00").post
    assert dated is not None and dated.recap.comments[0].posted_at_raw == "day 23 of moon 12, year 21, bell 8"
    assert dated.recap.comments[0].posted_at_machine is None


def test_several_crawls_end_with_the_worst_status_and_every_sign() -> None:
    from archiver.crawl.progress import health_lines
    from archiver.crawl.run import worst_status

    assert worst_status(0, 3, 0) == 3
    assert worst_status(3, 1) == worst_status(1, 3) == 1  # a crawl that failed wins over a site that looks broken
    assert worst_status(0, 2, 3, 1) == 2 and worst_status() == 0
    ok = {"archiver/health/verdict": "ok"}
    broken = {"archiver/health/verdict": "broken", "archiver/health/signs": ["B looks broken: votes missing: ..."]}
    assert health_lines(ok, broken, {}) == (
        "\nHealth: 1 sign that a site looks broken (exit status 3):\n  B looks broken: votes missing: ..."
    )
    assert health_lines(ok, {"archiver/health/verdict": "first"}) == (
        "\nHealth: ok, every site read as in its earlier crawls"
    )
    assert health_lines({}, {}) == ""
