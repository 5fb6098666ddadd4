"""A page whose row the archive refuses is left out, and the raw pages stored after it are whole: the page store
forgets what a rollback took (a body waiting for the site's zstd dictionary, or the dictionary itself)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from helpers import archive_rows, run_crawl, start_demo_site, stop, stored_bodies

from archiver.archive.store import open_archive

pytestmark = pytest.mark.e2e


def test_a_page_the_archive_refuses_does_not_spoil_the_pages_stored_after_it(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, "--episodes", "6", "--comments", "900")
    try:
        db = tmp_path / "a.db"
        open_archive(db).close()
        conn = sqlite3.connect(db)
        # The second comment page of every thread fails as a full disk would: its body, stored first in the same
        # savepoint, is rolled back with it, before the site has the 64 pages its dictionary is trained on.
        conn.execute(
            "create trigger refuse before insert on pages when new.url like '%/comment-page-2/%' "
            "begin select raise(abort, 'database or disk is full'); end"
        )
        conn.close()
        run = run_crawl(db, f"url={site.base_url}", settings={"LOG_LEVEL": "INFO", "HTTPCACHE_ENABLED": "True"})
    finally:
        stop(site)
    refused = run.log.count("database or disk is full")
    assert refused > 0, run.log[-3000:]
    conn = sqlite3.connect(db)
    try:
        bodies = stored_bodies(conn)
        assert len(bodies) >= 64 and conn.execute("select count(*) from body_dictionaries").fetchone() == (1,)
        for digest, body in bodies.items():
            assert hashlib.sha256(body).hexdigest() == digest
        stored = {url for (url,) in conn.execute("select url from pages")}
    finally:
        conn.close()
    assert not any("/comment-page-2/" in url for url in stored)
    assert archive_rows(db, "select count(*) as n from bodies where dictionary_id is null")[0]["n"] == 0
