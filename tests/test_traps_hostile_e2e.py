"""End to end against traps and hostile input: nothing followed forever, nothing crashes, nothing lost."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import archive_rows, assert_same, differences, run_crawl, start_demo_site, stop

pytestmark = pytest.mark.e2e

SITE = (
    "--series",
    "2",
    "--episodes",
    "3",
    "--extra-posts",
    "1",
    "--comments",
    "200",
    "--traps",
    "on",
    "--hostile",
    "on",
    "--huge-comment-kb",
    "10240",
    "--hostile-thread",
    "10000",
    "--hostile-bounds",
    "off",
)


def test_traps_are_bounded_and_hostile_pages_are_archived(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, *SITE)
    try:
        truth = site.truth
        db = tmp_path / "hostile.db"
        started = time.monotonic()
        run = run_crawl(db, f"url={site.base_url}", settings={"LOG_LEVEL": "INFO"}, timeout=400)
        elapsed = time.monotonic() - started
        assert run.returncode == 0, run.stderr[-3000:]
        with urllib.request.urlopen(truth["traps"]["stats_url"], timeout=10) as answer:
            served = json.load(answer)
    finally:
        stop(site)
    print(f"\nhostile crawl: {elapsed:.1f} s, trap requests {served['traps']}")

    # Traps: reply links, sort orders, calendars and redirect loops are never followed; a listing that
    # keeps offering a "next" page is left after the first page that lists nothing new.
    traps = served["traps"]
    assert traps["calendar"] == traps["comment_order"] == traps["replytocom"] == traps["redirect_loop"] == 0, traps
    assert traps["paged_beyond"] <= 1, traps

    # Hostile input: every recap and comment as the truth has it (cycles and self-parents kept, flagged).
    assert_same(differences(db, truth, truth["recaps"]))
    hostile = next(r for r in truth["recaps"] if r.get("quirks"))
    quirks = hostile["quirks"]
    rows = {
        r["site_comment_id"]: r
        for r in archive_rows(
            db,
            "select c.* from comments c join recaps on recaps.id = c.recap_id where recaps.url = ?",
            (hostile["url"],),
        )
    }
    assert len(rows) == len(hostile["comments"]) >= 10_000
    assert len(rows[quirks["huge"]]["body_text"]) >= quirks["huge_chars"] * 0.99
    for comment_id in (*quirks["cycle"], quirks["self_parent"]):
        assert rows[comment_id]["parent_missing"] == 1 and rows[comment_id]["depth"] == 1
    assert rows[quirks["mojibake"]["id"]]["body_text"] == quirks["mojibake"]["shown"]
    for lost in hostile.get("unarchivable", []):
        assert not [r for r in rows.values() if r["body_text"] == lost["text"]]
    charset = next(r for r in truth["recaps"] if r["url"] == truth["hostile"]["charset_post_url"])
    assert_same(differences(db, truth, [charset], only_archived=True))
    stats = json.loads(archive_rows(db, "select stats from crawls")[0]["stats"])
    assert stats["archiver/comments/duplicates"] >= 1
    assert stats["archiver/comments/cycles_broken"] >= 2
    assert stats["archiver/pages/charset_corrected"] >= 1
