"""A real crawl of the demo site keeps its raw pages in zstandard with the site's dictionary (comment pages against
their post page), every body intact."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from helpers import CrawlRun, DemoSite

from archiver.archive.bodies import TRAIN_AFTER, BodyReader, site_of, thread_base_url

pytestmark = pytest.mark.e2e


def test_a_crawl_trains_the_sites_dictionary_and_every_body_reads_back(
    demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]
) -> None:
    db, _ = full_crawl
    conn = sqlite3.connect(db)
    bodies = conn.execute("select sha256, encoding, body, dictionary_id from bodies").fetchall()
    assert len(bodies) > TRAIN_AFTER, "the demo site is too small to train a dictionary"
    dictionaries = conn.execute("select id, site, samples, length(bytes) from body_dictionaries").fetchall()
    assert [(site, samples) for _, site, samples, _ in dictionaries] == [(site_of(demo_site.base_url), TRAIN_AFTER)]
    assert {encoding for _, encoding, _, _ in bodies} == {"zstd"}
    with_dictionary = sum(1 for *_, dictionary_id in bodies if dictionary_id == dictionaries[0][0])
    assert with_dictionary == len(bodies)  # the first pages were recompressed once it was trained
    reader = BodyReader(conn)
    for sha256, *stored in conn.execute(f"select sha256, {reader.columns()} from bodies"):
        assert hashlib.sha256(reader.read(*stored)).hexdigest() == sha256
    # Comment pages are stored against their post page's body (m011), which has no base itself.
    based = conn.execute(
        "select pages.url, post.url from pages join bodies on bodies.sha256 = pages.body_sha256 "
        "join pages post on post.body_sha256 = bodies.base_sha256 join bodies base on base.sha256 = post.body_sha256 "
        "where base.base_sha256 is null"
    ).fetchall()
    assert based and all(thread_base_url(url) == post for url, post in based)
    assert conn.execute("select count(base_sha256) from bodies").fetchone()[0] == len({url for url, _ in based})
    conn.close()
