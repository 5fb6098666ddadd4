"""The Datasette plugin through Datasette's own client: metadata for any archive name, the thread and
series pages, canned queries, and that nothing a commenter wrote can run in the reader's browser."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from datasette.app import Datasette
from datasette.plugins import get_plugins
from helpers import CrawlRun, DemoSite, fetch, injected_tags

from archiver.web.metadata import CANNED_QUERIES

pytestmark = pytest.mark.e2e


def status(db: Path, path: str) -> int:
    async def run() -> int:
        return (await Datasette([str(db)]).client.get(path)).status_code

    return asyncio.run(run())


def recap_id(db: Path, url: str) -> int:
    [rows] = fetch(db, f"/{db.stem}/recaps.json?url={quote(url, safe='')}&_shape=array")
    return rows[0]["id"]


def test_plugin_is_registered_through_its_entry_point() -> None:
    assert "recap-archiver" in [p["name"] for p in get_plugins()]


def test_metadata_applies_to_an_archive_of_any_name(full_crawl: tuple[Path, CrawlRun], tmp_path: Path) -> None:
    db = Path(shutil.copy(full_crawl[0], tmp_path / "my-shows.db"))
    [meta, recaps] = fetch(db, "/-/metadata.json", "/my-shows/recaps.json?_facet_year=published_at&_size=0")
    database = meta["databases"]["my-shows"]
    assert set(CANNED_QUERIES) <= set(database["queries"])
    assert database["tables"]["comments"]["columns"]["path"]
    assert {f["name"] for f in recaps["facet_results"].values()} >= {"series_id", "author", "published_at"}


def test_thread_page_shows_the_thread_nested_in_order(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]) -> None:
    db, _ = full_crawl
    recap = max(demo_site.truth["recaps"], key=lambda r: len(r["comments"]))
    rid = recap_id(db, recap["url"])
    [page, archived] = fetch(
        db, f"/{db.stem}/-/thread/{rid}", f"/{db.stem}/comments.json?recap_id={rid}&_shape=array&_size=max&_sort=path"
    )
    ids = [int(i) for i in re.findall(r'<li class="ra-comment[^"]*" id="c(\d+)"', page)]
    assert ids == [c["id"] for c in archived]
    assert [int(d) for d in re.findall(r'data-depth="(\d+)"', page)] == [c["depth"] for c in recap["comments"]]
    assert recap["title"].replace("'", "&#39;") in page and "vote_history?comment_id=" in page


def test_recap_rows_link_to_their_thread_page(full_crawl: tuple[Path, CrawlRun]) -> None:
    db, _ = full_crawl
    [page] = fetch(db, f"/{db.stem}/recaps")
    assert re.search(rf'<a href="/{db.stem}/-/thread/\d+">', page)
    assert status(db, f"/{db.stem}/-/thread/999999") == 404


def test_series_page_lists_episodes_with_a_chart_and_top_comments(
    demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]
) -> None:
    db, _ = full_crawl
    name = demo_site.truth["series"][0]["name"]
    [series] = fetch(db, f"/{db.stem}/series.json?name={quote(name)}&_shape=array")
    [page] = fetch(db, f"/{db.stem}/-/series/{series[0]['id']}")
    want = sorted(
        (r for r in demo_site.truth["recaps"] if r["series"] == name),
        key=lambda r: (r["episode_number"], r["published_at"]),
    )
    body = page.split("<h2>Episodes</h2>")[1]
    assert [m for m in re.findall(r'<td><a href="[^"]+">([^<]+)</a>', body.split("<h2>")[0])] == [
        r["title"].replace("'", "&#39;") for r in want
    ]
    svg = re.search(r"<svg.*?</svg>", page, re.S)
    assert svg and svg.group(0).count("<rect") == len(want)
    assert page.count("<li><strong>") >= 1


def test_canned_queries(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]) -> None:
    db, _ = full_crawl
    authors = Counter(c["author"] for r in demo_site.truth["recaps"] for c in r["comments"])
    author, count = authors.most_common(1)[0]
    [activity, top, search_html] = fetch(
        db,
        f"/{db.stem}/commenter_activity.json?author={quote(author)}&_shape=array",
        f"/{db.stem}/top_comments_per_series.json?_shape=array&_size=max",
        f"/{db.stem}/search_comments?q=flower",
    )
    assert sum(r["comments"] for r in activity) == count
    by_series: dict[str, list[int]] = {}
    for row in top:
        by_series.setdefault(row["series"], []).append(row["score"] if row["score"] is not None else row["upvotes"])
    assert by_series and all(len(v) <= 5 and v == sorted(v, reverse=True) for v in by_series.values())
    assert "<mark>" in search_html and "[" not in re.sub(r"<[^>]+>", "", search_html.split("<mark>")[1])[:1]
    comment_id = top[0]["comment_id"]
    [history] = fetch(db, f"/{db.stem}/vote_history.json?comment_id={comment_id}&_shape=array")
    assert history and history[-1]["upvotes"] == top[0]["upvotes"]


def test_thread_page_escapes_what_commenters_wrote(hostile_archive: Path) -> None:
    [page] = fetch(hostile_archive, "/hostile/-/thread/1")
    content = page.split('<section class="content">')[1].split("</section>")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert not injected_tags(content)
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in content  # the author name, as text


def test_thread_page_marks_edited_and_deleted_comments(hostile_archive: Path) -> None:
    [page] = fetch(hostile_archive, "/hostile/-/thread/1")
    marks = dict(re.findall(r'id="c(\d+)".*?<div class="ra-head">(.*?)</div>', page, re.S))
    assert "ra-mark-edited" in marks["3"] and "comment_versions?comment_id=3" in marks["3"]
    assert "ra-mark-deleted" in marks["4"]
    assert "ra-mark" not in marks["1"]
