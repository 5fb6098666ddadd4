"""End to end, per platform: `scrapy crawl recaps` (no platform named) against each demo-site flavour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import DEBUG_LOG, DemoSite, archive_rows, assert_same, differences, run_crawl, start_demo_site, stop

pytestmark = pytest.mark.e2e

SMALL = (
    "--series",
    "1",
    "--episodes",
    "3",
    "--extra-posts",
    "1",
    "--comments",
    "160",
    "--seed",
    "3",
    "--per-page",
    "4",
    "--thread-depth",
    "3",
)


def crawl_flavour(tmp_path: Path, *options: str) -> tuple[DemoSite, Path, dict[str, Any], str]:
    """Serve a flavour, crawl it from its home page; return the site, the archive, the crawl's stats and its log."""
    site = start_demo_site(tmp_path, *SMALL, *options)
    try:
        db = tmp_path / "archive.db"
        settings = {"DISQUS_EMBED_URL": f"{site.base_url}embed/comments/"}
        run = run_crawl(db, f"url={site.base_url}", settings=settings)
        assert run.returncode == 0, run.stderr[-2000:]
    finally:
        stop(site)
    stats = json.loads(archive_rows(db, "select stats from crawls order by id desc limit 1")[0]["stats"])
    return site, db, stats, run.log


def hidden_from_html(truth: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for r in truth["recaps"] for c in r["comments"] if not c["in_html"]]


@pytest.mark.parametrize(
    ("platform", "extra"),
    [("wordpress", ()), ("wpdiscuz", ()), ("disqus", ())],
)
def test_every_public_comment_with_its_true_parent(tmp_path: Path, platform: str, extra: tuple[str, ...]) -> None:
    site, db, stats, _ = crawl_flavour(tmp_path, "--platform", platform, "--trashed", "3", *extra)
    comments = [c for r in site.truth["recaps"] for c in r["comments"]]
    assert max(c["depth"] for c in comments) > 3, "the flavour has replies deeper than the thread depth"
    assert any(c["parent_missing"] for c in comments), "the flavour has replies under a deleted comment"
    assert_same(differences(db, site.truth, site.truth["recaps"]))
    assert [r["platform"] for r in archive_rows(db, "select platform from sites")] == [platform]
    assert stats.get(f"archiver/platform/{platform}") == len(site.truth["recaps"])
    if platform == "wordpress":
        assert stats.get("archiver/comments/from_rest_only") == len(hidden_from_html(site.truth)) > 0
        assert stats.get("archiver/comments/parents_corrected", 0) > 0
    if platform == "wpdiscuz":
        assert stats.get("archiver/pages/wpdiscuz_more", 0) > 0 and stats.get("archiver/pages/wpdiscuz_replies", 0) > 0


@pytest.mark.parametrize("platform", ["wordpress", "wpdiscuz"])
def test_rest_api_off_keeps_every_comment_the_pages_show(tmp_path: Path, platform: str) -> None:
    site, db, stats, log = crawl_flavour(tmp_path, "--platform", platform, "--rest", "off", "--trashed", "3")
    assert stats.get("archiver/rest/unavailable") == 1 and stats.get("archiver/rest/unavailable/401") == 1
    depth = site.truth["site"]["options"]["thread_depth"]
    problems: list[str] = []
    for recap in site.truth["recaps"]:
        rows = {
            r["site_comment_id"]: r
            for r in archive_rows(
                db,
                "select c.*, p.site_comment_id as parent_site from comments c join recaps on recaps.id = c.recap_id "
                "left join comments p on p.id = c.parent_id where recaps.url = ?",
                (recap["url"],),
            )
        }
        shown = [c for c in recap["comments"] if c["in_html"]]
        if sorted(rows) != sorted(c["id"] for c in shown):
            problems.append(f"{recap['url']}: comment ids differ from what the pages show")
        for c in shown:
            row = rows.get(c["id"])
            if row is None:
                continue
            exact_parent = platform == "wpdiscuz" or c["depth"] <= depth
            for field, got, want in [
                ("upvotes", row["upvotes"], c["upvotes"]),
                ("downvotes", row["downvotes"], c["downvotes"]),
                ("posted_at", row["posted_at"], c["posted_at"]),
                ("text", row["body_text"], c["text"]),
                ("parent", row["parent_site"] if exact_parent else c["parent"], c["parent"]),
            ]:
                if got != want:
                    problems.append(f"{recap['url']}#comment-{c['id']}: {field} {got!r} != {want!r}")
    assert_same(problems)
    if platform == "wordpress":
        replies = sum(1 for r in site.truth["recaps"] for c in r["comments"] if c["in_html"] and c["parent"])
        assert stats.get("archiver/comments/parents_inferred") == replies
        recaps = sum(1 for r in site.truth["recaps"] if any(c["in_html"] and c["parent"] for c in r["comments"]))
        # One line for the crawl, not one per recap (a 100k crawl logged 1,991 of them).
        assert log.count("inferred from the page only") == 0
        assert log.count(f"parents of {replies} repl(ies) in {recaps} recap(s) inferred from the pages only") == 1


def test_platform_argument_overrides_detection(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, *SMALL)
    try:
        recap = max(site.truth["recaps"], key=lambda r: len(r["comments"]))
        run = run_crawl(tmp_path / "one.db", f"url={recap['url']}", "platform=disqus")
        assert run.returncode == 0, run.stderr[-2000:]
    finally:
        stop(site)
    assert [r["platform"] for r in archive_rows(tmp_path / "one.db", "select platform from sites")] == ["disqus"]


def test_dramabeans_profile_crawls_through_the_recap_index_and_series_pages(tmp_path: Path) -> None:
    """A profile chosen by name: the crawl starts at /recaps/all/ and reaches every series' recaps there."""
    site = start_demo_site(
        tmp_path,
        "--layout",
        "dramabeans",
        "--series",
        "3",
        "--episodes",
        "3",
        "--extra-posts",
        "2",
        "--comments",
        "150",
        "--per-page",
        "5",
    )
    try:
        db = tmp_path / "beans.db"
        run = run_crawl(db, f"url={site.base_url}", "profile=dramabeans", settings=DEBUG_LOG)
        assert run.returncode == 0, run.stderr[-2000:]
    finally:
        stop(site)
    series_recaps = [r for r in site.truth["recaps"] if r["series"]]
    assert len(series_recaps) == 9 and len(site.truth["recaps"]) == 11
    # Open threads belong to no show, so the profile's way in does not reach them.
    assert_same(differences(db, site.truth, series_recaps))
    assert f"GET {site.base_url}recaps/all/" in run.log and f"{site.base_url}shows/" in run.log
