"""End to end in fault mode: what succeeds equals the truth, the rest is listed as failed, a second crawl completes it.

Faults on thread steps too: a REST comments answer cut mid-JSON or HTML where JSON was expected (HTTP 200) is
retried, then leaves the thread incomplete until a later crawl; a stale wpDiscuz nonce is refreshed.
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import archive_rows, assert_same, differences, run_crawl, start_demo_site, stop

pytestmark = pytest.mark.e2e

SITE = (
    "--series",
    "2",
    "--episodes",
    "4",
    "--extra-posts",
    "1",
    "--comments",
    "260",
    "--per-page",
    "5",
    "--faults",
    "0.3",
    "--retry-after",
    "1",
    "--stall",
    "3",
)
# Only the local demo server is crawled: short timeouts keep stalls cheap.
FAULT_SETTINGS = {"DOWNLOAD_TIMEOUT": "1", "RETRY_TIMES": "3", "LOG_LEVEL": "INFO"}


def test_faulty_site_is_archived_faithfully_and_completed_by_a_second_crawl(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, *SITE)
    try:
        truth = site.truth
        faults = truth["faults"]
        kinds = Counter(f["kind"] for f in faults)
        assert set(kinds) == {"500", "503", "429", "reset", "stall", "short", "truncated"}, kinds
        hard = {f["url"] for f in faults if f["failing_attempts"] >= 4}
        assert hard, "the fault plan has no hard faults"

        db = tmp_path / "faults.db"
        first = run_crawl(db, f"url={site.base_url}", settings=FAULT_SETTINGS, timeout=300)
        assert first.returncode == 0, first.stderr[-3000:]

        # Everything archived as complete equals the truth ...
        complete = {r["url"] for r in archive_rows(db, "select url from recaps where thread_complete = 1")}
        assert complete, "nothing was archived completely"
        assert_same(differences(db, truth, [r for r in truth["recaps"] if r["url"] in complete], only_archived=True))
        # ... what is not complete was held up by a page that failed for good, and every such page is listed.
        failed = {r["url"]: r for r in archive_rows(db, "select * from failures where resolved_at is null")}
        assert set(failed) == hard, (sorted(set(failed) - hard)[:5], sorted(hard - set(failed))[:5])
        for recap in truth["recaps"]:
            if recap["url"] not in complete:
                assert any(url.startswith(recap["url"]) for url in failed), recap["url"]
        assert all(r["attempts"] == 4 for r in failed.values())
        one = archive_rows(db, "select * from crawls order by id")[0]
        assert one["failures"] == len(hard)
        stats = one["stats"]
        for counted in ('"retry/count"', '"archiver/throttle/retry_after"', '"archiver/pages/truncated"'):
            assert counted in stats, counted

        second = run_crawl(db, f"url={site.base_url}", settings=FAULT_SETTINGS, timeout=300)
        assert second.returncode == 0, second.stderr[-3000:]
        assert_same(differences(db, truth, truth["recaps"]))
        assert archive_rows(db, "select count(*) as n from failures where resolved_at is null")[0]["n"] == 0
        two = archive_rows(db, "select * from crawls order by id")[1]
        assert two["comments_gone"] == 0 and two["failures"] == 0
    finally:
        stop(site)


# -- faults on thread steps: REST JSON cut or replaced by HTML, a stale wpDiscuz nonce ---------------------------

SMALL = ("--series", "2", "--episodes", "3", "--extra-posts", "1", "--comments", "200", "--per-page", "5")
STEP_SETTINGS = {"RETRY_TIMES": "3", "LOG_LEVEL": "INFO"}  # 4 attempts per request


def crawl_stats(db: Path, index: int = -1) -> dict[str, int]:
    """The ``archiver/`` stats of a crawl (the last one by default)."""
    crawls = archive_rows(db, "select stats from crawls order by id")
    return {k: v for k, v in json.loads(crawls[index]["stats"] or "{}").items() if k.startswith("archiver/")}


def recap_rows(db: Path) -> dict[str, dict[str, Any]]:
    return {r["url"]: r for r in archive_rows(db, "select url, thread_complete, incomplete_reason from recaps")}


def served(site_url: str) -> dict[str, int]:
    """What the demo site says it served as faults (``/__demo/stats.json``)."""
    with urllib.request.urlopen(f"{site_url}__demo/stats.json", timeout=10) as answer:
        return json.loads(answer.read())["faults_served"]


def test_a_cut_rest_answer_that_recovers_on_retry_leaves_the_archive_whole(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, *SMALL, "--rest-cut", "2")
    try:
        db = tmp_path / "cut.db"
        run = run_crawl(db, f"url={site.base_url}", settings=STEP_SETTINGS)
        assert run.returncode == 0, run.stderr[-3000:]
        assert served(site.base_url).get("rest_cut", 0) >= 2
    finally:
        stop(site)
    assert_same(differences(db, site.truth, site.truth["recaps"]))  # every comment, parent and vote
    stats = crawl_stats(db)
    assert stats.get("archiver/errors/unreadable/REST_comments", 0) >= 2, stats
    assert not any(key.startswith("archiver/rest/unavailable") for key in stats), stats
    assert not stats.get("archiver/threads/incomplete"), stats


def test_a_rest_answer_cut_on_every_attempt_leaves_the_thread_incomplete_until_a_second_crawl(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, *SMALL, "--rest-cut", "4")  # every attempt one crawl makes
    try:
        faulty = site.truth["thread_faults"]["rest_recap"]
        db = tmp_path / "cut.db"
        first = run_crawl(db, f"url={site.base_url}", settings=STEP_SETTINGS)
        assert first.returncode == 0, first.stderr[-3000:]
        recaps = recap_rows(db)
        assert recaps[faulty]["thread_complete"] == 0
        assert "REST comments" in recaps[faulty]["incomplete_reason"], recaps[faulty]
        assert all(r["thread_complete"] == 1 for url, r in recaps.items() if url != faulty)
        stats = crawl_stats(db)
        assert stats.get("archiver/threads/incomplete") == 1, stats
        assert stats.get("archiver/errors/unreadable/REST_comments", 0) >= 4, stats
        assert faulty in first.log and "REST comments unreadable" in first.log

        # the fault is gone by the next crawl: it takes the incomplete recap first and makes it whole
        second = run_crawl(db, f"url={site.base_url}", "refresh=due", settings=STEP_SETTINGS)
        assert second.returncode == 0, second.stderr[-3000:]
    finally:
        stop(site)
    stats = crawl_stats(db)
    assert stats.get("archiver/threads/incomplete_retried_first") == 1, stats
    assert recap_rows(db)[faulty] == {"url": faulty, "thread_complete": 1, "incomplete_reason": None}
    assert_same(differences(db, site.truth, site.truth["recaps"]))


def test_html_where_rest_json_was_expected_always_leaves_the_thread_incomplete(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, *SMALL, "--rest-html", "always")
    try:
        faulty = site.truth["thread_faults"]["rest_recap"]
        db = tmp_path / "html.db"
        run = run_crawl(db, f"url={site.base_url}", settings=STEP_SETTINGS)
        assert run.returncode == 0, run.stderr[-3000:]
        assert served(site.base_url).get("rest_html", 0) == 4
    finally:
        stop(site)
    recaps = recap_rows(db)
    assert recaps[faulty]["thread_complete"] == 0 and "REST comments" in recaps[faulty]["incomplete_reason"]
    stats = crawl_stats(db)
    assert stats.get("archiver/threads/incomplete") == 1 and stats.get("archiver/errors/unreadable/REST_comments") == 4
    assert not any(key.startswith("archiver/rest/unavailable") for key in stats), "a 200 never switches REST off"
    # what the pages show is still archived, and equals the truth
    others = [r for r in site.truth["recaps"] if r["url"] != faulty]
    assert_same(differences(db, site.truth, others, only_archived=True))


def test_a_stale_wpdiscuz_nonce_is_refreshed_and_the_thread_is_whole(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, *SMALL, "--platform", "wpdiscuz", "--wpd-stale-nonce", "on")
    try:
        db = tmp_path / "nonce.db"
        run = run_crawl(db, f"url={site.base_url}", settings=STEP_SETTINGS)
        assert run.returncode == 0, run.stderr[-3000:]
        stale = served(site.base_url).get("wpd_stale_nonce", 0)
    finally:
        stop(site)
    stats = crawl_stats(db)
    assert stale >= 1 and stats.get("archiver/wpdiscuz/nonce_refreshed", 0) >= 1, (stale, stats)
    assert not stats.get("archiver/threads/incomplete"), stats
    assert_same(differences(db, site.truth, site.truth["recaps"]))


def test_a_page_reporting_more_comments_than_any_step_shows_leaves_the_thread_incomplete(tmp_path: Path) -> None:
    # REST off and replies under trashed comments: the page's count includes comments no page shows
    site = start_demo_site(tmp_path, *SMALL, "--rest", "off", "--trashed", "2")
    try:
        db = tmp_path / "count.db"
        run = run_crawl(db, f"url={site.base_url}", settings=STEP_SETTINGS)
        assert run.returncode == 0, run.stderr[-3000:]
    finally:
        stop(site)
    recaps = recap_rows(db)
    hiding = {r["url"]: r for r in site.truth["recaps"] if any(not c["in_html"] for c in r["comments"])}
    assert hiding, "the site has replies under trashed comments"
    for url, recap in hiding.items():
        shown = sum(1 for c in recap["comments"] if c["in_html"])
        assert recaps[url]["thread_complete"] == 0, url
        assert f"{shown} of {recap['comment_count']} comments read" in recaps[url]["incomplete_reason"], recaps[url]
    assert all(r["thread_complete"] == 1 for url, r in recaps.items() if url not in hiding)
    assert crawl_stats(db).get("archiver/threads/incomplete") == len(hiding)
