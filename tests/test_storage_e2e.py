"""A real crawl of the demo site keeps its raw pages in zstandard with the site's dictionary, every body intact."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from helpers import CrawlRun, DemoSite

from archiver.archive.bodies import TRAIN_AFTER, BodyReader, site_of

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
    for sha256, encoding, body, dictionary_id in bodies:
        assert hashlib.sha256(reader.read(encoding, body, dictionary_id)).hexdigest() == sha256
    conn.close()
