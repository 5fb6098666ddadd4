"""End to end in fault mode: what succeeds equals the truth, the rest is listed as failed, a second crawl completes it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from conftest import run_crawl, start_demo_site, stop
from test_crawl_e2e import archive_rows, assert_same, differences

SITE = ("--series", "2", "--episodes", "4", "--extra-posts", "1", "--comments", "260", "--per-page", "5",
        "--faults", "0.3", "--retry-after", "1", "--stall", "3")
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
