"""Change signals in real re-crawls of the demo site over simulated days (the crawl's clock: ``ARCHIVER_NOW``).

Every recap backs off 30 days after the first crawl (``REVISIT_START``) and no thread counts as busy
(``REVISIT_ACTIVE`` of one second), so the schedule alone would fetch nothing on day 2: what the day-2 crawl
fetches, the signals asked for.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import DemoSite, archive_rows, run_crawl, start_demo_site, stop

pytestmark = pytest.mark.e2e

SMALL = ("--series", "2", "--episodes", "3", "--extra-posts", "1", "--comments", "220", "--per-page", "6")
QUIET = {"REVISIT_START": str(30 * 86_400), "REVISIT_ACTIVE": "1", "ARCHIVER_READ_PROCESSES": "0"}


def later(iso: str, hours: float) -> str:
    return (datetime.fromisoformat(iso) + timedelta(hours=hours)).isoformat()


def crawl(db: Path, site: DemoSite, now: str, **settings: str) -> dict[str, Any]:
    """A due crawl of ``site`` at ``now``; the Scrapy stats it recorded in ``crawls``."""
    run = run_crawl(db, f"url={site.base_url}", settings={**QUIET, "ARCHIVER_NOW": now, **settings})
    assert run.returncode == 0, run.stderr[-2000:]
    stats = json.loads(archive_rows(db, "select stats from crawls order by id desc limit 1")[0]["stats"])
    stats["log"] = run.log
    return stats


def archived_ids(db: Path) -> set[str]:
    return {r["site_comment_id"] for r in archive_rows(db, "select site_comment_id from comments")}


def new_comments(site: DemoSite, day: int) -> list[dict[str, Any]]:
    return [c for c in site.truth["changes"] if c["kind"] == "comment_new" and c["day"] == day]


def recap_url(site: DemoSite, post_id: int) -> str:
    return next(r["url"] for r in site.truth["recaps"] if r["post_id"] == post_id)


def test_signals_bring_new_comments_on_backed_off_recaps_and_fall_back_when_missing(tmp_path: Path) -> None:
    db = tmp_path / "days.db"
    (tmp_path / "d1").mkdir()
    day1 = start_demo_site(tmp_path / "d1", *SMALL)
    port = day1.base_url.rstrip("/").rsplit(":", 1)[1]
    try:
        first = crawl(db, day1, day1.truth["now"])
        assert "archiver/signals/rest_comments/used" not in first  # no earlier crawl: no signal asked
    finally:
        stop(day1)

    (tmp_path / "d2").mkdir()
    day2 = start_demo_site(tmp_path / "d2", *SMALL, "--day", "2", "--port", port)
    try:
        now2 = day2.truth["now"]
        due = {r["url"]: r["next_due_at"] for r in archive_rows(db, "select url, next_due_at from recaps")}
        wanted = new_comments(day2, 2)
        backed_off = {recap_url(day2, c["post_id"]) for c in wanted} & {
            u for u, d in due.items() if d > later(now2, 24)
        }
        assert backed_off, "day 2 brings comments to recaps whose next visit is weeks away"
        two = crawl(db, day2, now2)
        # Every new comment is archived by the next crawl, those on recaps the schedule would leave for weeks too.
        assert {c["comment"] for c in wanted} <= archived_ids(db)
        assert two["archiver/signals/rest_comments/used"] == 1 and two["archiver/signals/rest_posts/used"] == 1
        assert two["archiver/signals/recaps_due_by_signal"] >= len(backed_off)
        assert two["archiver/signals/posts_new"] == 1  # the day's new recap, scheduled from the signal
        assert "change signals: comments from rest_comments" in two["log"]

        # The same day six hours later: nothing changed, and the crawl asks little more than the signals.
        same = crawl(db, day2, later(now2, 6))
        print(f"\nunchanged day: {same['downloader/request_count']} requests, day 2: {two['downloader/request_count']}")
        # robots.txt, the two REST signals and the home page (its REST post list is moot after the post signal)
        assert same["downloader/request_count"] <= 5 and same["archiver/signals/rest_post_list_skipped"] == 1
        assert same.get("archiver/recaps/saved", 0) == 0 and same["archiver/signals/busy_deferred"] > 0

        # Signals off: none asked, the schedule decides (the threads busy since day 2 are due again).
        off = crawl(db, day2, later(now2, 7), ARCHIVER_SIGNALS="False")
        assert off["archiver/signals/off"] == 1 and "archiver/signals/rest_comments/used" not in off
        assert off.get("archiver/recaps/saved", 0) > 0
    finally:
        stop(day2)

    # The REST API switched off (401): the comments feed answers instead, and it reaches back to the last crawl.
    (tmp_path / "d2-norest").mkdir()
    day2 = start_demo_site(tmp_path / "d2-norest", *SMALL, "--day", "2", "--port", port, "--rest", "off")
    try:
        feed = crawl(db, day2, later(now2, 12))
        assert feed["archiver/signals/rest_comments/failed"] == 1
        assert feed["archiver/signals/comments_feed/used"] == 1 and feed["archiver/signals/sitemap/used"] == 1
        assert "archiver/signals/rest_posts/used" not in feed  # not asked once REST said 401
    finally:
        stop(day2)

    # Day 3 with every signal failing: counted, and the crawl keeps to its schedule, which misses the new
    # comments on backed-off recaps (what the signals are for).
    (tmp_path / "d3").mkdir()
    args = ("--day", "3", "--port", port, "--rest", "off", "--feeds", "off", "--sitemap", "off")
    day3 = start_demo_site(tmp_path / "d3", *SMALL, *args)
    try:
        due = {r["url"]: r["next_due_at"] for r in archive_rows(db, "select url, next_due_at from recaps")}
        three = crawl(db, day3, day3.truth["now"])
        for name in ("rest_comments", "comments_feed", "sitemap"):
            assert three[f"archiver/signals/{name}/failed"] == 1, name
        assert "archiver/signals/recaps_due_by_signal" not in three
        assert "change signals: no comment signal (the schedule decides)" in three["log"]
        left = [c for c in new_comments(day3, 3) if due.get(recap_url(day3, c["post_id"]), "") > day3.truth["now"]]
        assert left and not {c["comment"] for c in left} & archived_ids(db)
        # A signal the site does not publish is not a page that failed: nothing for the next crawl to retry.
        assert archive_rows(db, "select url from failures") == []
        assert "failed for good" not in three["log"]
    finally:
        stop(day3)


def test_a_disqus_thread_keeps_its_schedule_whatever_wordpress_signals_say(tmp_path: Path) -> None:
    """WordPress's comment signals do not see Disqus comments: a busy Disqus thread stays due at every run."""
    site = start_demo_site(tmp_path, *SMALL, "--platform", "disqus")
    db = tmp_path / "disqus.db"
    busy = {
        "REVISIT_ACTIVE": str(7 * 86_400),
        "ARCHIVER_READ_PROCESSES": "0",
        "DISQUS_EMBED_URL": f"{site.base_url}embed/comments/",
    }
    try:
        now = site.truth["now"]
        for when in (now, later(now, 6)):
            run = run_crawl(db, f"url={site.base_url}", settings={**busy, "ARCHIVER_NOW": when})
            assert run.returncode == 0, run.stderr[-2000:]
        assert not archive_rows(db, "select url from recaps where not thread_complete")
        busy_threads = archive_rows(db, "select url from recaps where revisit_interval = 0")
        stats = json.loads(archive_rows(db, "select stats from crawls order by id desc limit 1")[0]["stats"])
        assert stats["archiver/signals/rest_comments/used"] == 1
        assert "archiver/signals/busy_deferred" not in stats
        # the busy threads, fetched again as the schedule says (and busy still: their policy is not relaxed)
        assert busy_threads and stats["archiver/recaps/saved"] == len(busy_threads)
    finally:
        stop(site)
