"""A crawl stays on the hosts it was given: a hostile demo site points links, redirects, its REST root and
wpDiscuz's ajax_url at a canary server on another loopback address, which must receive nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import CANARY_HOST, Canary, archive_rows, run_crawl, start_demo_site, stop

from archiver.crawl.scope import Scope

pytestmark = pytest.mark.e2e


def test_nothing_reaches_a_host_the_user_did_not_name(tmp_path: Path, canary: str) -> None:
    site = start_demo_site(
        tmp_path,
        "--series",
        "1",
        "--episodes",
        "2",
        "--extra-posts",
        "0",
        "--comments",
        "40",
        "--platform",
        "wpdiscuz",
        "--hostile",
        "on",
        "--huge-comment-kb",
        "0",
        "--hostile-thread",
        "20",
        "--hostile-bounds",
        "off",
        "--canary",
        canary,
    )
    try:
        db = tmp_path / "scope.db"
        jobdir = tmp_path / "job"
        run = run_crawl(db, f"url={site.base_url}", settings={"LOG_LEVEL": "INFO", "JOBDIR": str(jobdir)}, timeout=300)
    finally:
        stop(site)
    assert run.returncode == 0, run.stderr[-3000:]
    assert Canary.hits == []

    stats = json.loads(archive_rows(db, "select stats from crawls")[0]["stats"])
    # The canary post, the redirect's target, file:, data:, ftp:, the wpDiscuz nonce and the REST comments.
    assert stats["archiver/scope/refused"] >= 6, stats
    assert run.log.count(f"further requests to {CANARY_HOST} are refused") == 1
    urls = [r["url"] for r in archive_rows(db, "select url from pages")]
    assert urls and not [u for u in urls if CANARY_HOST in u or not u.startswith(site.base_url)]
    assert not [r for r in archive_rows(db, "select url from failures") if not r["url"].startswith(site.base_url)]
    journal = (jobdir / "archiver-frontier.log").read_text(encoding="utf-8")
    assert CANARY_HOST not in journal and "file:" not in journal and "data:" not in journal

    # The escape post itself is archived with the comments its page shows, flagged incomplete (wpDiscuz lost).
    escape_url = site.truth["hostile"]["escape_post_url"]
    recap = archive_rows(db, "select id, thread_complete from recaps where url = ?", (escape_url,))
    assert recap and recap[0]["thread_complete"] == 0
    assert archive_rows(db, "select count(*) as n from comments where recap_id = ?", (recap[0]["id"],))[0]["n"] >= 1


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://127.0.0.1:8000/2024/01/01/post/", None),
        ("https://127.0.0.1/other-port/", None),
        ("http://www.recaps.example/", None),
        ("http://internal.recaps.example/", "resolves to an internal address"),
        ("http://127.0.0.2:8000/", "not one of the crawl's hosts"),
        ("http://localhost:8000/", "not one of the crawl's hosts"),
        ("http://169.254.169.254/latest/meta-data/", "not one of the crawl's hosts"),
        ("file:///etc/passwd", "is not http(s)"),
        ("data:text/html,hi", "is not http(s)"),
        ("ftp://127.0.0.1/", "is not http(s)"),
        ("http://disqus.example/embed/comments/", None),
        ("http://evilrecaps.example/", "not one of the crawl's hosts"),
    ],
)
def test_scope_decisions(url: str, reason: str | None) -> None:
    addresses = {
        "www.recaps.example": ["93.184.215.14"],
        "internal.recaps.example": ["10.0.0.7"],
        "disqus.example": ["93.184.215.15"],
    }
    scope = Scope(
        {"127.0.0.1", "recaps.example", "disqus.example"},
        {"127.0.0.1", "recaps.example"},
        resolver=lambda host: addresses.get(host, []),
    )
    host = scope.needs_lookup(url)
    if host is not None:
        scope.look_up(host)
    refusal = scope.refusal(url)
    assert (refusal is None) if reason is None else (refusal is not None and reason in refusal), refusal
