"""End to end: the demo site recorded on two dates, served by pywb with the site stopped, crawled with
``-a source=wayback`` and compared with the ground truth of what the captures hold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import CrawlRun, archive_rows, assert_same, differences, run_crawl, start_demo_site, stop
from wayback_lab import Pywb, fetch_raw, free_port, record_site

SITE = ("--series", "1", "--episodes", "3", "--comments", "150")
DAY1, DAY3 = datetime(2024, 1, 5, tzinfo=UTC), datetime(2024, 1, 7, tzinfo=UTC)
# What the recordings leave out or spoil (paths under the site):
MIXED = "/2021/02/17/weekend-open-thread/"  # page 1 captured on day 1 only: a thread of two dates
MISSING = "/2021/02/21/soundtrack-1-episode-3/"  # page 2 never captured; page 3 a redirect
SOFT_404 = "/2021/02/26/soundtrack-1-episode-4-finale/"  # page 2 captured as a "not found" page served with 200


rows = archive_rows


class Lab:
    """Two recordings of the demo site (day 1 and day 3), served by pywb."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.truth: dict[int, dict[str, Any]] = {}
        self.base_url = ""
        self.pywb = Pywb(root / "pywb")
        self.port = free_port()

    def record(self, day: int, when: datetime) -> Path:
        folder = self.root / f"day{day}"
        folder.mkdir()
        # Both days on one port: the same site, captured twice (a later --port wins over start_demo_site's 0).
        site = start_demo_site(folder, *SITE, "--day", str(day), "--port", str(self.port))
        try:
            self.base_url, self.truth[day] = site.base_url, site.truth
            not_found = fetch_raw(site.base_url + "no-such-page/")

            def edit(url: str, status: int, headers: list, body: bytes) -> tuple | None:
                path = url[len(site.base_url) - 1 :]
                if path == MIXED + "comment-page-1/" and day == 3 or path == MISSING + "comment-page-2/":
                    return None
                if path == MISSING + "comment-page-3/":
                    return 302, [("Location", site.base_url + MISSING[1:])], b""
                if path == SOFT_404 + "comment-page-2/":
                    return 200, not_found[1], not_found[2]
                return status, headers, body

            out = self.root / f"day{day}.warc.gz"
            record_site(site.base_url, out, when, edit)
            return out
        finally:
            stop(site)

    def crawl(self, db: Path, *args: str, settings: dict[str, str] | None = None, pywb: Pywb | None = None) -> CrawlRun:
        pywb = pywb or self.pywb
        run = run_crawl(
            db,
            f"url={self.base_url}",
            "source=wayback",
            "refresh=all",
            *args,
            settings={"WAYBACK_CDX_URL": pywb.cdx_url, "WAYBACK_REPLAY_URL": pywb.replay_url, **(settings or {})},
        )
        assert run.returncode == 0, run.stderr[-2000:]
        return run


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("wayback")
    lab = Lab(root)
    warcs = [lab.record(1, DAY1), lab.record(3, DAY3)]
    (root / "pywb").mkdir()
    lab.pywb.add(warcs)
    lab.pywb.start()
    yield lab
    lab.pywb.stop()


@pytest.fixture(scope="module")
def first_date(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("first") / "recaps.db"
    lab.crawl(db, "wayback_at=20240105")
    return db


def recap(db: Path, path: str) -> dict[str, Any]:
    return rows(db, "select * from recaps where url like ?", (f"%{path}",))[0]


def test_captures_nearest_a_date_give_that_day_s_site(lab: Lab, first_date: Path) -> None:
    truth = lab.truth[1]
    spoiled = (MISSING, SOFT_404)
    whole = [r for r in truth["recaps"] if not r["url"].endswith(spoiled)]
    assert_same(differences(first_date, truth, whole, only_archived=True))
    assert {r["url"] for r in rows(first_date, "select url from recaps")} == {r["url"] for r in truth["recaps"]}
    got = rows(first_date, "select distinct source, captured_at from comments")
    assert got == [{"source": "wayback", "captured_at": "2024-01-05T00:00:00+00:00"}]
    row = recap(first_date, MIXED)
    assert row["capture_url"] == f"{lab.pywb.replay_url}20240105000000id_/{row['url']}"
    assert row["captured_first_at"] == row["captured_last_at"] == "2024-01-05T00:00:00+00:00"


def test_missing_redirected_and_soft_404_comment_pages_leave_the_thread_incomplete(first_date: Path) -> None:
    missing = recap(first_date, MISSING)
    assert missing["thread_complete"] == 0
    assert "comment page(s) 2, 3 not read" in missing["incomplete_reason"], missing["incomplete_reason"]
    soft = recap(first_date, SOFT_404)
    assert soft["thread_complete"] == 0 and "comment page(s) 2 not read" in soft["incomplete_reason"]
    stats = json.loads(rows(first_date, "select stats from crawls")[0]["stats"])
    assert stats["archiver/wayback/soft_404"] >= 1 and stats["archiver/wayback/no_capture"] >= 2


def test_newest_captures_combine_dates_and_prove_only_whole_threads_gone(
    lab: Lab, first_date: Path, tmp_path: Path
) -> None:
    db = tmp_path / "recaps.db"
    db.write_bytes(first_date.read_bytes())
    lab.crawl(db)
    day1 = {r["url"]: {c["id"] for c in r["comments"]} for r in lab.truth[1]["recaps"]}
    day3 = {r["url"]: {c["id"] for c in r["comments"]} for r in lab.truth[3]["recaps"]}
    assert {r["url"] for r in rows(db, "select url from recaps")} == set(day3)
    mixed = recap(db, MIXED)
    assert (mixed["captured_first_at"], mixed["captured_last_at"]) == (
        "2024-01-05T00:00:00+00:00",
        "2024-01-07T00:00:00+00:00",
    )
    pages = {
        (r["comment_page"], r["captured_at"])
        for r in rows(
            db,
            "select distinct comment_page, captured_at from comments where recap_id = ? and gone_at is null",
            (mixed["id"],),
        )
    }
    assert (1, "2024-01-05T00:00:00+00:00") in pages and any(at.startswith("2024-01-07") for _, at in pages)
    for row in rows(db, "select * from recaps"):
        archived = rows(db, "select site_comment_id, gone_at from comments where recap_id = ?", (row["id"],))
        gone = {c["site_comment_id"] for c in archived if c["gone_at"]}
        if row["thread_complete"] and row["captured_first_at"] == "2024-01-07T00:00:00+00:00":
            # A whole thread from day 3: everything it shows, and what day 1 had and day 3 lost is gone.
            assert {c["site_comment_id"] for c in archived} - gone == day3[row["url"]], row["url"]
            assert gone == day1.get(row["url"], set()) - day3[row["url"]], row["url"]
        else:
            assert not gone, f"{row['url']}: an incomplete or mixed thread proved {gone} gone"


def test_an_older_capture_proves_nothing_gone(lab: Lab, tmp_path: Path) -> None:
    db = tmp_path / "recaps.db"
    lab.crawl(db)
    lab.crawl(db, "wayback_at=20240105")
    assert rows(db, "select count(*) as n from comments where gone_at is not null") == [{"n": 0}]


def test_429_with_retry_after_is_waited_out(lab: Lab, tmp_path: Path) -> None:
    rules = tmp_path / "throttle.json"
    rules.write_text(json.dumps({"rules": {"/cdx": 2, "comment-page-2/": 3}, "retry_after": "1"}))
    throttled = Pywb(lab.pywb.root)
    throttled.start(throttle_file=rules)
    try:
        db = tmp_path / "recaps.db"
        lab.crawl(db, "wayback_at=20240105", pywb=throttled, settings={"WAYBACK_BACKOFF_START": "0.2"})
    finally:
        throttled.stop()
    assert len(Path(f"{rules}.log").read_text().splitlines()) == 5
    stats = json.loads(rows(db, "select stats from crawls")[0]["stats"])
    assert stats["archiver/wayback/throttled"] == 5 and stats["archiver/wayback/waited_seconds"] >= 5
    assert "archiver/wayback/gave_up" not in stats
    # Nothing lost to the waits: the same archive as without them.
    whole = [r for r in lab.truth[1]["recaps"] if not r["url"].endswith((MISSING, SOFT_404))]
    assert_same(differences(db, lab.truth[1], whole, only_archived=True))
