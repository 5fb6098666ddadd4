"""Writing in batches (archiver/crawl/session.py): the same archive whatever the batch size, a recap counted once
its batch is committed, and every raw page kept."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import DemoSite, archive_rows, assert_same, differences, run_crawl
from scrapy.utils.test import get_crawler
from twisted.internet.task import Clock

from archiver.crawl.session import ArchiveSession

pytestmark = pytest.mark.e2e


def _stats(db: Path) -> dict:
    """The stats of the archive's last crawl (``crawls.stats``)."""
    return json.loads(archive_rows(db, "select stats from crawls order by id desc limit 1")[0]["stats"] or "{}")


@pytest.mark.parametrize("recaps", ["1", "3", "1000"])
def test_batch_size_does_not_change_the_archive(demo_site: DemoSite, tmp_path: Path, recaps: str) -> None:
    db = tmp_path / f"b{recaps}.db"
    # 1000 recaps and 60 s: one batch for the whole crawl, committed when nothing is in flight and at the end.
    seconds = "60" if recaps == "1000" else "1"
    run = run_crawl(
        db, f"url={demo_site.base_url}", settings={"ARCHIVER_BATCH_RECAPS": recaps, "ARCHIVER_BATCH_SECONDS": seconds}
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert_same(differences(db, demo_site.truth, demo_site.truth["recaps"]))
    stats = _stats(db)
    recaps_archived = archive_rows(db, "select count(*) as n from recaps")[0]["n"]
    comments_archived = archive_rows(db, "select count(*) as n from comments")[0]["n"]
    # Counted once committed, each exactly once: the stats match the archive.
    assert stats["archiver/recaps/saved"] == recaps_archived == len(demo_site.truth["recaps"])
    assert stats["archiver/comments/saved"] == comments_archived
    crawl = archive_rows(db, "select recaps, comments, pages from crawls order by id desc limit 1")[0]
    assert (crawl["recaps"], crawl["comments"]) == (recaps_archived, comments_archived)
    # Every response is kept, written in the batches with the recaps.
    pages = archive_rows(db, "select count(*) as n from pages")[0]["n"]
    assert pages == crawl["pages"] == stats["downloader/response_count"]
    assert "archiver/store/errors" not in stats


def test_a_recrawl_reads_stored_pages_back_inside_a_batch(demo_site: DemoSite, tmp_path: Path) -> None:
    db = tmp_path / "again.db"
    assert run_crawl(db, f"url={demo_site.base_url}").returncode == 0
    again = run_crawl(db, f"url={demo_site.base_url}", "refresh=all")
    assert again.returncode == 0, again.stderr[-2000:]
    assert_same(differences(db, demo_site.truth, demo_site.truth["recaps"]))
    stats = _stats(db)
    assert stats["archiver/recaps/saved"] == len(demo_site.truth["recaps"])
    # The second crawl's pages are stored too, beside the first crawl's.
    per_crawl = archive_rows(db, "select crawl_id, count(*) as n from pages group by crawl_id order by crawl_id")
    assert len(per_crawl) == 2 and per_crawl[1]["n"] == stats["downloader/response_count"]


def test_a_long_batch_age_limit_still_commits_soon_after_the_crawl_falls_idle(tmp_path: Path) -> None:
    # Recaps wait for their batch's commit; with the idle check at a quarter of a 60 s limit, a crawl with nothing
    # left in flight sat 15 s before its last commit (test_batch_size_does_not_change_the_archive[1000]: 16 s).
    crawler = get_crawler(settings_dict={"ARCHIVE_DB": str(tmp_path / "a.db"), "ARCHIVER_BATCH_SECONDS": 60})
    session = ArchiveSession.of(crawler)
    clock = Clock()
    try:
        session.write()
        ticker = session._ticker
        assert ticker is not None
        # The same ticker on a clock of the test's, from the moment the batch began.
        interval = ticker.interval
        ticker.stop()
        ticker.clock = clock
        ticker.start(interval, now=False)
        committed: list[bool] = []
        session.batch_committed.append(lambda: committed.append(True))
        crawler.engine = SimpleNamespace(downloader=SimpleNamespace(active=set()))  # nothing in flight
        clock.advance(0.25)
        assert committed == [True]
    finally:
        if session._ticker is not None and session._ticker.running:
            session._ticker.stop()
        session.db.close()
