"""A recap the archive cannot take (locked, disk full) is listed in `failures` and saved by the next crawl; after
too many store errors in a row the crawl stops with exit status 1 and one clear line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers import archive_rows, run_crawl, start_demo_site, stop

from archiver.archive.store import open_archive

pytestmark = pytest.mark.e2e

SITE = ("--series", "3", "--episodes", "4", "--extra-posts", "2", "--comments", "60")


def break_recaps(db: Path) -> None:
    """Make every write of a recap fail as a full disk would."""
    conn = sqlite3.connect(db)
    conn.executescript(
        "create trigger break_insert before insert on recaps begin select raise(abort, 'database or disk is full'); end;"
        "create trigger break_update before update on recaps begin select raise(abort, 'database or disk is full'); end;"
    )
    conn.close()


def test_store_errors_are_recorded_retried_and_stop_the_crawl(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, *SITE)
    try:
        db = tmp_path / "broken.db"
        open_archive(db).close()
        break_recaps(db)
        run = run_crawl(db, f"url={site.base_url}", settings={"LOG_LEVEL": "INFO", "ARCHIVER_STORE_ERRORS_MAX": "10"})
        assert run.returncode == 1, run.stderr[-2000:]
        assert "stopped after 10 store errors" in run.stderr and "failures table" in run.stderr
        failed = archive_rows(db, "select url, reason from failures where resolved_at is null")
        recap_urls = {r["url"] for r in site.truth["recaps"]}
        assert len(failed) >= 10 and {f["url"] for f in failed} <= recap_urls
        assert all("disk is full" in f["reason"] for f in failed)
        assert archive_rows(db, "select count(*) as n from recaps")[0]["n"] == 0

        conn = sqlite3.connect(db)
        conn.executescript("drop trigger break_insert; drop trigger break_update;")
        conn.close()
        again = run_crawl(db, f"url={site.base_url}", settings={"LOG_LEVEL": "INFO"})
    finally:
        stop(site)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "failed in earlier crawls are tried first" in again.log
    assert archive_rows(db, "select count(*) as n from failures where resolved_at is null")[0]["n"] == 0
    assert {r["url"] for r in archive_rows(db, "select url from recaps")} == recap_urls


def test_a_locked_archive_is_a_store_error_not_a_crash(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, "--series", "1", "--episodes", "2", "--extra-posts", "0", "--comments", "20")
    db = tmp_path / "locked.db"
    open_archive(db).close()
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("begin exclusive")
    try:
        run = run_crawl(
            db,
            f"url={site.base_url}",
            settings={"LOG_LEVEL": "INFO", "ARCHIVER_STORE_ERRORS_MAX": "1", "HTTPCACHE_ENABLED": "False"},
            timeout=120,
        )
    finally:
        locker.execute("rollback")
        locker.close()
        stop(site)
    assert run.returncode == 1 and "stopped after 1 store errors" in run.stderr, run.stderr[-2000:]
    assert "could not save the recap" in run.log
