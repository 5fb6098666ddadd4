"""Datasette, with the shipped metadata, on an archive made by a real crawl of the demo site."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from datasette.app import Datasette
from helpers import CrawlRun, DemoSite

from archiver.web.metadata import metadata

pytestmark = pytest.mark.e2e


def get_json(db: Path, path: str) -> Any:
    async def fetch() -> Any:
        ds = Datasette([str(db)], metadata=metadata(db.stem))
        response = await ds.client.get(path)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    return asyncio.run(fetch())


def test_recap_thread_query_returns_the_thread_in_order(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]) -> None:
    db, _ = full_crawl
    recap = max(demo_site.truth["recaps"], key=lambda r: len(r["comments"]))
    rows = get_json(db, f"/{db.stem}/recaps.json?url={quote(recap['url'], safe='')}&_shape=array")
    thread = get_json(db, f"/{db.stem}/recap_thread.json?recap_id={rows[0]['id']}&_shape=array&_size=max")
    assert [r["site_comment_id"] for r in thread] == [c["id"] for c in recap["comments"]]
    assert [r["depth"] for r in thread] == [c["depth"] for c in recap["comments"]]


def test_series_episodes_query_counts_comments(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]) -> None:
    db, _ = full_crawl
    series = demo_site.truth["series"][0]["name"]
    rows = get_json(db, f"/{db.stem}/series_episodes.json?series={quote(series)}&_shape=array")
    want = sorted(
        (r for r in demo_site.truth["recaps"] if r["series"] == series),
        key=lambda r: (r["episode_number"], r["published_at"]),
    )
    assert [r["url"] for r in rows] == [r["url"] for r in want]
    assert [r["comments_archived"] for r in rows] == [len(r["comments"]) for r in want]


def test_search_comments_finds_a_comment_with_a_snippet(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]) -> None:
    db, _ = full_crawl
    comment = next(c for r in demo_site.truth["recaps"] for c in r["comments"] if len(c["text"].split()) > 6)
    word = max((w.strip(".,!?\"'()") for w in comment["text"].split() if w.isascii()), key=len)
    rows = get_json(db, f"/{db.stem}/search_comments.json?q={quote(word)}&_shape=array")
    assert rows and all("[" in r["snippet"] for r in rows)
    with sqlite3.connect(db) as conn:  # best first, as FTS5's own rank orders them
        want = conn.execute(
            "select rowid from comments_fts where comments_fts match ? order by rank, rowid limit 100", [f'"{word}"']
        ).fetchall()
    assert [r["id"] for r in rows] == [w[0] for w in want]


def test_table_pages_carry_the_column_descriptions(full_crawl: tuple[Path, CrawlRun]) -> None:
    db, _ = full_crawl
    meta = get_json(db, "/-/metadata.json")
    assert "path" in meta["databases"][db.stem]["tables"]["comments"]["columns"]
