"""Re-crawls: cheap when nothing changed, and an archive that only ever gets richer."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import PROJECT, DemoSite, archive_rows, assert_same, differences, run_crawl, start_demo_site, stop

pytestmark = pytest.mark.e2e

SMALL = ("--series", "2", "--episodes", "3", "--extra-posts", "1", "--comments", "220", "--per-page", "6")


def crawl_row(db: Path, n: int) -> dict[str, Any]:
    return archive_rows(db, "select * from crawls order by id")[n]


def without_gone(db: Path, tmp: Path) -> Path:
    """A copy of the archive without the comments the site no longer shows, to compare with today's truth."""
    copy = tmp / ("current-" + db.name)
    shutil.copy(db, copy)
    conn = sqlite3.connect(copy)
    conn.execute("pragma foreign_keys = off")
    conn.execute("delete from comments where gone_at is not null")
    conn.commit()
    conn.close()
    return copy


def test_unchanged_recrawl_fetches_a_fraction(demo_site: DemoSite, tmp_path: Path) -> None:
    db = tmp_path / "twice.db"
    started = time.monotonic()
    first = run_crawl(db, f"url={demo_site.base_url}")
    first_time = time.monotonic() - started
    assert first.returncode == 0, first.stderr[-2000:]
    started = time.monotonic()
    second = run_crawl(db, f"url={demo_site.base_url}")
    second_time = time.monotonic() - started
    assert second.returncode == 0, second.stderr[-2000:]
    one, two = crawl_row(db, 0), crawl_row(db, 1)
    print(
        f"\nunchanged re-crawl: {two['bytes']} of {one['bytes']} bytes ({two['bytes'] / one['bytes']:.1%}), "
        f"{two['pages']} of {one['pages']} pages, {second_time:.1f} s vs {first_time:.1f} s"
    )
    assert two["bytes"] * 5 <= one["bytes"]
    assert two["recaps_not_due"] > 0 and two["comments_new"] == 0 and two["comments_gone"] == 0
    assert_same(differences(db, demo_site.truth, demo_site.truth["recaps"]))


def test_refresh_all_refetches_everything(demo_site: DemoSite, tmp_path: Path) -> None:
    db = tmp_path / "all.db"
    assert run_crawl(db, f"url={demo_site.base_url}").returncode == 0
    again = run_crawl(db, f"url={demo_site.base_url}", "refresh=all")
    assert again.returncode == 0, again.stderr[-2000:]
    one, two = crawl_row(db, 0), crawl_row(db, 1)
    assert two["recaps"] == one["recaps"] == len(demo_site.truth["recaps"])
    assert two["comments_edited"] == 0 and two["vote_changes"] == 0 and two["comments_gone"] == 0


def test_bad_refresh_argument_is_one_line(tmp_path: Path) -> None:
    run = run_crawl(tmp_path / "a.db", "url=http://127.0.0.1:9/", "refresh=sometimes")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "scrapy crawl recaps: error: argument refresh: 'sometimes' is not one of due, all"
    ]


def test_day_two_adds_what_is_new_and_keeps_what_changed(tmp_path: Path) -> None:
    (tmp_path / "d1").mkdir()
    day1 = start_demo_site(tmp_path / "d1", *SMALL)
    db = tmp_path / "days.db"
    try:
        run = run_crawl(db, f"url={day1.base_url}")
        assert run.returncode == 0, run.stderr[-2000:]
        assert_same(differences(db, day1.truth, day1.truth["recaps"]))
    finally:
        stop(day1)
    port = day1.base_url.rstrip("/").rsplit(":", 1)[1]
    (tmp_path / "d2").mkdir()
    day2 = start_demo_site(tmp_path / "d2", *SMALL, "--day", "2", "--port", port)
    try:
        assert day2.base_url == day1.base_url
        # The site's days pass in an instant here: refresh=all stands in for a day of waiting.
        run = run_crawl(db, f"url={day2.base_url}", "refresh=all")
        assert run.returncode == 0, run.stderr[-2000:]
    finally:
        stop(day2)

    # Every day-2 fact is there (comments deleted on day 2 are kept, marked gone).
    assert_same(differences(without_gone(db, tmp_path), day2.truth, day2.truth["recaps"]))
    changes = day2.truth["changes"]
    day1_text = {c["id"]: c["text"] for r in day1.truth["recaps"] for c in r["comments"]}

    def comment(site_id: str) -> dict[str, Any]:
        rows = archive_rows(db, "select * from comments where site_comment_id = ?", (site_id,))
        assert len(rows) == 1, site_id
        return rows[0]

    for change in changes:
        kind = change["kind"]
        if kind == "comment_deleted":
            row = comment(change["comment"])
            assert row["gone_at"] is not None and row["body_text"] == day1_text[change["comment"]]
        elif kind == "comment_edited":
            row = comment(change["comment"])
            versions = archive_rows(db, "select * from comment_versions where comment_id = ?", (row["id"],))
            assert [v["body_text"] for v in versions] == [day1_text[change["comment"]]]
            assert row["body_text"] != day1_text[change["comment"]]
        elif kind == "votes_changed":
            row = comment(change["comment"])
            seen = archive_rows(db, "select * from vote_observations where comment_id = ? order by id", (row["id"],))
            assert len(seen) == 2 and seen[-1]["upvotes"] == row["upvotes"] and seen[0]["upvotes"] < row["upvotes"]
    edited_posts = [c for c in changes if c["kind"] == "recap_edited"]
    assert len(archive_rows(db, "select * from recap_versions")) == len(edited_posts)

    two = crawl_row(db, 1)
    counts = {kind: sum(1 for c in changes if c["kind"] == kind) for kind in {c["kind"] for c in changes}}
    assert two["comments_new"] == counts["comment_new"]
    assert two["comments_edited"] == counts["comment_edited"]
    assert two["comments_gone"] == counts["comment_deleted"]
    assert two["vote_changes"] == len({c["comment"] for c in changes if c["kind"] == "votes_changed"})
    assert two["recaps_new"] == counts["recap_new"] and two["recaps_changed"] == counts["recap_edited"]
    # Nothing is missing: every comment ever seen is still archived.
    archived = {r["site_comment_id"] for r in archive_rows(db, "select site_comment_id from comments")}
    assert set(day1_text) <= archived


def test_conditional_requests_get_304s_from_a_server_that_sends_validators(tmp_path: Path) -> None:
    """Python's http.server sends Last-Modified and answers If-Modified-Since with 304."""
    site = tmp_path / "static" / "2021" / "12" / "23" / "soundtrack-1-episode-4-final"
    site.mkdir(parents=True)
    fixture = PROJECT / "tests" / "fixtures" / "wordpress" / "seed-soundtrack-1-ep4" / "body.html"
    site.joinpath("index.html").write_bytes(fixture.read_bytes())
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(tmp_path / "static")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        port = line.split("port ")[1].split()[0]
        url = f"http://127.0.0.1:{port}/2021/12/23/soundtrack-1-episode-4-final/"
        db = tmp_path / "static.db"
        assert run_crawl(db, f"url={url}").returncode == 0
        assert run_crawl(db, f"url={url}").returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=10)
    one, two = crawl_row(db, 0), crawl_row(db, 1)
    assert one["pages_not_modified"] == 0 and two["pages_not_modified"] >= 1
    assert two["recaps"] == 1 and two["comments"] == one["comments"] == 25
    pages = archive_rows(db, "select url, revalidated from pages where url = ? order by id", (url,))
    assert [p["revalidated"] for p in pages] == [0, 1]
    assert archive_rows(db, "select count(*) as n from bodies")[0]["n"] == len(
        {p["body_sha256"] for p in archive_rows(db, "select body_sha256 from pages")}
    )
