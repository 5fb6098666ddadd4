"""A page whose row the archive refuses is left out, and the raw pages stored after it are whole: the page store
forgets what a rollback took (a body waiting for the site's zstd dictionary, or the dictionary itself)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from helpers import archive_rows, crawl_refusing_second_comment_pages, stored_bodies

pytestmark = pytest.mark.e2e


def test_a_page_the_archive_refuses_does_not_spoil_the_pages_stored_after_it(tmp_path: Path) -> None:
    # The second comment page of every thread fails as a full disk would: its body, stored first in the same
    # savepoint, is rolled back with it, before the site has the 64 pages its dictionary is trained on.
    _, db, run = crawl_refusing_second_comment_pages(tmp_path, {"HTTPCACHE_ENABLED": "True"})
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
