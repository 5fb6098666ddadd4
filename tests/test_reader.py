"""Datasette for readers (issue 14): search as people type, hits linked to their comment, short table cells,
hidden internal tables, a start on the index and database pages, long threads in pages, the site's times."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers import LONG_TEXT
from helpers import fetch as get

from archiver.archive.localtime import local_time, shown_offset, zone_name
from archiver.web.reader import SQL_EXAMPLE, THREAD_PAGE_SIZE, page_with_comment, thread_page_of


def comment_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="ra-comment[^"]*" id="c(\d+)"', page)]


def site_id(db: Path, site_comment_id: str) -> int:
    [found] = get(db, f"/{db.stem}/comments.json?site_comment_id={site_comment_id}&_shape=array")
    return found[0]["id"]


@pytest.mark.parametrize("typed, comment", [("PHS's", "450"), ("Soundtrack #1", "451"), ("Sae-Bom", "452")])
def test_search_takes_what_people_type_and_links_each_hit_to_its_comment(
    reader_archive: Path, typed: str, comment: str
) -> None:
    db = reader_archive
    [page, canned] = get(
        db, f"/reader/-/search?q={quote(typed)}", f"/reader/search_comments.json?q={quote(typed)}&_shape=array"
    )
    wanted = site_id(db, comment)
    hits = re.findall(r'<a class="ra-hit" href="([^"]+)"', page.split("ra-comment-hits")[1].split("</ol>")[0])
    assert hits[0] == f"/reader/-/thread/1?comment={wanted}#c{wanted}"
    assert "<mark>" in page.split("ra-comment-hits")[1] and "syntax error" not in page
    assert canned[0]["id"] == wanted  # the canned query quotes the words too (fts_words)
    if typed == "Soundtrack #1":  # the recap matches as well
        assert '<a class="ra-hit" href="/reader/-/thread/1">Soundtrack #1: Episode 4</a>' in page.replace("&#35;", "#")


def test_a_hit_link_opens_the_thread_page_holding_the_comment(reader_archive: Path) -> None:
    wanted = site_id(reader_archive, "451")
    [page] = get(reader_archive, f"/reader/-/thread/1?comment={wanted}")
    assert wanted in comment_ids(page) and "page 3 of 3" in page


def test_long_threads_come_in_pages_of_200_top_level_comments(reader_archive: Path) -> None:
    [first, third, json_rows] = get(
        reader_archive,
        "/reader/-/thread/1",
        "/reader/-/thread/1?page=3",
        "/reader/comments.json?_shape=array&_size=max&_sort=path",
    )
    everything = [r["id"] for r in json_rows]
    assert comment_ids(first) == everything[: 2 * THREAD_PAGE_SIZE]  # each top-level comment with its reply
    assert comment_ids(third) == everything[4 * THREAD_PAGE_SIZE :]  # 401-449 with replies, 450-452 without
    assert 'rel="next" href="/reader/-/thread/1?page=2"' in first and 'rel="prev"' not in first
    assert "page 1 of 3 (452 top-level comments)" in first


def test_thread_page_labels_votes_and_shows_the_sites_time_with_its_zone(reader_archive: Path) -> None:
    [page] = get(reader_archive, "/reader/-/thread/1")
    head = page.split('id="c1"')[1].split("</div>")[0]
    assert "1 like, 1 dislike" in head
    # Posted 2021-07-01 23:30 UTC; the site showed 7:30 pm (UTC-04:00).
    assert re.search(
        r'<time datetime="2021-07-01T23:30:00\+00:00" title="2021-07-01 23:30 UTC[^"]*">2021-07-01 19:30 '
        r'<span class="ra-zone">UTC-04:00</span></time>',
        head,
    ), head


def test_table_views_cut_long_texts_and_row_pages_show_them_whole(reader_archive: Path) -> None:
    [table, row] = get(reader_archive, "/reader/recaps", "/reader/recaps/1")
    assert "cut to 200 of" in table and LONG_TEXT.strip() not in table
    assert "cut to" not in row and LONG_TEXT.strip() in row


def test_index_and_database_pages_lead_to_series_recaps_and_search(reader_archive: Path) -> None:
    [index, database, meta] = get(reader_archive, "/", "/reader", "/-/metadata.json")
    for page in (index, database):
        start = page.split('class="ra-start"')[1].split("</nav>")[0]
        assert ["/reader/series", "/reader/recaps?_sort_desc=published_at", "/reader/-/search"] == re.findall(
            r'href="([^"]+)"', start
        )
    listed = re.findall(r'<h3><a href="/reader/([^"]+)">', database)
    assert "comments" in listed and not {"pages", "bodies", "recap_terms", "_sqlite_migrations", "comments_fts"} & set(
        listed
    )
    assert SQL_EXAMPLE.split("\n")[0] in database.split('id="sql-editor"')[1].split("</textarea>")[0]
    columns = meta["databases"]["reader"]["tables"]["comments"]["columns"]
    assert not [d for d in columns.values() if "`" in d]


def test_series_names_and_recap_titles_open_their_pages(reader_archive: Path) -> None:
    [series, recaps] = get(reader_archive, "/reader/series", "/reader/recaps?_sort_desc=published_at")
    assert 'href="/reader/-/series/1"' in series and 'href="/reader/-/thread/1"' in recaps


def test_pagination_and_local_time_helpers() -> None:
    comments = [{"id": i, "depth": 1 if i % 2 else 2} for i in range(1, 11)]  # five top-level, each with a reply
    assert thread_page_of(comments, 2, 2) == (comments[4:8], 3)
    assert thread_page_of(comments, 9, 2)[0] == comments[8:]
    assert page_with_comment(comments, 6, 2) == 2 and page_with_comment(comments, 99, 2) == 1
    assert zone_name(shown_offset("2021-12-23T23:29:00+00:00", "December 23, 2021 at 7:29 pm")) == "UTC-04:00"
    assert zone_name(shown_offset("2021-04-22T18:22:00+00:00", "April 23, 2021 at 3:22 am")) == "UTC+09:00"
    assert shown_offset("2021-04-22T18:22:00+00:00", "2 years ago") is None
    assert local_time("2021-04-22T18:22:00+00:00", None) == {
        "local": "2021-04-22 18:22",
        "zone": "UTC",
        "utc": "2021-04-22 18:22 UTC",
    }
