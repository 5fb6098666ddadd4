"""The smaller archive of migration m008: comment HTML behind a generated column, raw pages in zstandard with a
dictionary per site, the full-text index after inserts, edits and deletions, and an archive migrated in place."""

from __future__ import annotations

import random
import sqlite3
import zlib
from pathlib import Path

import pytest
from helpers import archive_answers, archive_before, assert_fts_in_sync, make_recap, stored_bodies
from hypothesis import given
from hypothesis import strategies as st
from sqlite_utils import Database

from archiver.archive import store
from archiver.archive.bodies import BodyReader, BodyWriter, site_of
from archiver.archive.query import search_comments
from archiver.archive.schema import (
    OPTIMIZE_AFTER,
    ensure_schema,
    migrations,
    optimize_search,
    stored_html,
    stored_html_sql,
    text_html,
)
from archiver.items import CommentItem


def _comments() -> list[CommentItem]:
    """Comments whose HTML the text gives back, and comments whose HTML adds to it."""
    return [
        CommentItem("1", None, author="Ana", body_html="<p>One paragraph</p>", body_text="One paragraph", upvotes=2),
        CommentItem(
            "2",
            "1",
            author="Bo",
            body_html="<p>Tom &amp; Jerry &lt;3</p>\n<p>second &gt; first</p>",
            body_text="Tom & Jerry <3\n\nsecond > first",
        ),
        CommentItem(
            "3",
            None,
            author="Cy",
            body_html='<p>See <a href="https://x.example/" rel="nofollow ugc">https://x.example/</a></p>',
            body_text="See https://x.example/",
            upvotes=1,
        ),
        CommentItem("4", "3", author="Di", body_html=None, body_text="text without HTML"),
        CommentItem("5", None, author="Ed", body_html="", body_text=""),
        CommentItem("6", None, author="Fa", body_html="<p>Line<br>\nbreak</p>", body_text="Line\nbreak"),
    ]


def _archive() -> Database:
    db = Database(memory=True)
    ensure_schema(db)
    return db


TEXTS = st.lists(
    st.sampled_from(["a", "é", "&", "<", ">", "\n", "\r", " ", "amp;", "<p>", "</p>", "<br>"]), max_size=12
).map("".join)


@given(st.none() | TEXTS, st.none() | TEXTS)
def test_what_is_stored_of_the_html_is_the_same_in_python_and_sql(html: str | None, text: str | None) -> None:
    if html is not None and text is not None and html.startswith("a"):
        html = text_html(text)  # often the HTML the text gives
    conn = sqlite3.connect(":memory:")
    sql = stored_html_sql("h", "t")
    assert conn.execute(f"select {sql} from (select ? as h, ? as t)", [html, text]).fetchone()[0] == stored_html(
        html, text
    )


def test_body_html_and_text_round_trip_through_the_generated_column() -> None:
    db = _archive()
    store.save_recap(db, make_recap(_comments()), None)
    got = {
        row[0]: row[1:]
        for row in db.execute("select site_comment_id, body_html, body_text, body_html_stored from comments")
    }
    for c in _comments():
        assert got[c.site_comment_id][:2] == (c.body_html, c.body_text), c.site_comment_id
    # Only HTML the text does not give back is stored: links, an empty or a missing HTML (line breaks it gives).
    kept = {cid for cid, (_, _, stored) in got.items() if stored is not None}
    assert kept == {"3", "4", "5"}
    assert got["4"][2] == b""


def test_full_text_search_follows_inserts_edits_and_deletions() -> None:
    db = _archive()
    store.save_recap(db, make_recap(_comments()), None)
    conn = db.conn
    assert [r["author"] for r in search_comments(conn, "paragraph")] == ["Ana"]
    assert_fts_in_sync(db)
    edited = _comments()
    edited[0].body_html, edited[0].body_text = "<p>Rewritten <em>later</em></p>", "Rewritten later"
    store.save_recap(db, make_recap(edited, fetched_at="2024-02-01T00:00:00+00:00"), None)
    assert search_comments(conn, "paragraph") == []
    assert [r["author"] for r in search_comments(conn, "rewritten")] == ["Ana"]
    # The earlier version keeps its HTML, read through the generated column when the trigger ran.
    assert db.execute("select body_html, body_text from comment_versions").fetchall() == [
        ("<p>One paragraph</p>", "One paragraph")
    ]
    assert db.execute("select body_html from comments where site_comment_id = '1'").fetchone() == (
        "<p>Rewritten <em>later</em></p>",
    )
    db.execute("pragma foreign_keys = off")
    with db.atomic():
        db.execute("delete from vote_changes")
        db.execute("delete from comment_versions")
        db.execute("delete from comments where site_comment_id = '1'")
    assert search_comments(conn, "rewritten") == []
    assert_fts_in_sync(db)


def test_search_ranks_best_first_as_bm25_does() -> None:
    # Many hits of varied lengths and counts of the word: the two-step ranking (issue 17) answers as FTS5's rank.
    rng = random.Random(5)
    comments = []
    for n in range(300):
        words = rng.choices(["tarot", "card", "scene", "lead", "music", "episode"], k=rng.randint(1, 40))
        comments.append(CommentItem(str(n), None, author=f"R{n % 7}", body_text=" ".join(words)))
    db = _archive()
    store.save_recap(db, make_recap(comments), None)
    want = [
        row[0]
        for row in db.execute(
            "select comments.id from comments_fts join comments on comments.rowid = comments_fts.rowid "
            "where comments_fts match 'tarot' order by rank, comments.id"
        )
    ]
    assert len(want) > 100
    for limit in (1, 20, 100, 1000):
        assert [r["id"] for r in search_comments(db.conn, "tarot", limit=limit)] == want[:limit]


def test_merging_the_full_text_index_keeps_every_answer() -> None:
    db = _archive()
    store.save_recap(db, make_recap(_comments()), None)
    before = search_comments(db.conn, "jerry")
    assert not optimize_search(db, OPTIMIZE_AFTER - 1)
    assert optimize_search(db, OPTIMIZE_AFTER)
    assert search_comments(db.conn, "jerry") == before and before
    assert_fts_in_sync(db)


def _page(site: str, n: int, rng: random.Random) -> bytes:
    """A WordPress-like page: the same header, sidebar and footer around comments that differ."""
    words = "chemistry leads confession scene pacing tarot flower shop music second lead".split()
    comments = "".join(
        f'<li class="comment" id="comment-{n}-{i}"><div class="comment-author">Reader {rng.randint(1, 50)}</div>'
        f"<p>{' '.join(rng.choice(words) for _ in range(rng.randint(5, 40)))}</p></li>"
        for i in range(30)
    )
    chrome = f"<header><nav>{site} home about archive contact</nav></header>" * 20
    return f"<html><head><title>{site} post {n}</title></head><body>{chrome}<ol>{comments}</ol></body></html>".encode()


def test_bodies_get_a_dictionary_per_site_and_every_row_reads_back() -> None:
    db = _archive()
    conn = db.conn
    rng = random.Random(5)
    writer = BodyWriter(train_after=8)
    pages = {f"https://a.example/{n}/": _page("a", n, rng) for n in range(12)}
    pages |= {f"http://b.example:8080/{n}/": _page("b", n, rng) for n in range(3)}
    digests = {}
    for url, body in pages.items():
        digests[url] = f"{zlib.crc32(body):08x}{len(body)}"
        assert writer.store(conn, url, body, digests[url])
    assert not writer.store(
        conn, "https://a.example/0/", pages["https://a.example/0/"], digests["https://a.example/0/"]
    )
    # A body stored before m008, with zlib.
    old = b"<html>stored by an earlier version</html>"
    conn.execute(
        "insert into bodies (sha256, size, encoding, body) values ('old', ?, 'zlib', ?)",
        [len(old), zlib.compress(old, 1)],
    )
    assert db.execute("select site, samples from body_dictionaries").fetchall() == [("https://a.example", 8)]
    # Every page of a.example uses the dictionary, the 8 it was trained on too; b.example has too few pages.
    assert db.execute("select count(dictionary_id), count(*) from bodies where encoding = 'zstd'").fetchone() == (
        12,
        15,
    )
    rows = stored_bodies(conn)
    assert rows["old"] == old
    for url, body in pages.items():
        assert rows[digests[url]] == body
    stored = sum(len(b) for (b,) in conn.execute("select body from bodies where dictionary_id is not null"))
    plain = sum(len(zlib.compress(pages[url], 1)) for url in pages if url.startswith("https://a."))
    assert stored < plain * 0.8
    # A later writer (the next crawl) finds the site's dictionary instead of training another.
    later = BodyWriter(train_after=8)
    later.store(conn, "https://a.example/new/", _page("a", 99, rng), "new")
    assert db.execute("select dictionary_id from bodies where sha256 = 'new'").fetchone() == (1,)
    assert site_of("HTTPS://A.example/x?y") == "https://a.example"


def test_a_dictionary_trained_in_the_background_covers_the_pages_stored_meanwhile() -> None:
    db = _archive()
    conn = db.conn
    rng = random.Random(6)
    writer = BodyWriter(train_after=8, background=True)
    pages = {f"https://a.example/{n}/": _page("a", n, rng) for n in range(14)}
    for n, (url, body) in enumerate(pages.items()):
        writer.store(conn, url, body, f"d{n}")
        if n == 7:
            assert writer.training  # handed to the thread once the 8th page is in
    writer.collect(conn, wait=True)
    assert not writer.training
    assert db.execute("select site, samples from body_dictionaries").fetchall() == [("https://a.example", 8)]
    # The pages stored while it trained were recompressed with it too.
    assert db.execute("select count(*) from bodies where dictionary_id is null").fetchone() == (0,)
    got = stored_bodies(conn)
    assert got == {f"d{n}": body for n, body in enumerate(pages.values())}


def test_sites_waiting_for_the_training_thread_get_their_dictionary_when_the_crawl_ends() -> None:
    db = _archive()
    rng = random.Random(7)
    writer = BodyWriter(train_after=8, background=True)
    sites = ["a", "b", "c", "d"]
    for n in range(8):  # all four sites reach their 8th page together; two train at once (MAX_TRAINING)
        for site in sites:
            writer.store(db.conn, f"https://{site}.example/{n}/", _page(site, n, rng), f"{site}{n}")
    assert writer.untrained
    writer.collect(db.conn, wait=True)
    assert not writer.untrained and not writer.training
    assert [row[0] for row in db.execute("select site from body_dictionaries order by site")] == [
        f"https://{site}.example" for site in sites
    ]
    assert db.execute("select count(*) from bodies where dictionary_id is null").fetchone() == (0,)


def test_a_body_that_cannot_be_read_says_why() -> None:
    db = _archive()
    reader = BodyReader(db.conn)
    with pytest.raises(ValueError, match="unknown body encoding 'brotli'"):
        reader.read("brotli", b"")
    with pytest.raises(ValueError, match="body dictionary 7 is missing"):
        reader.read("zstd", b"", 7)


def test_too_little_to_train_on_waits_for_more_pages() -> None:
    db = _archive()
    writer = BodyWriter(train_after=2)
    for n in range(3):
        writer.store(db.conn, f"https://tiny.example/{n}", b"x", f"d{n}")
    assert db["body_dictionaries"].count == 0
    assert [
        BodyReader(db.conn).read(*row) for row in db.execute("select encoding, body, dictionary_id from bodies")
    ] == [b"x"] * 3


# ---- migration of an archive built before m008 ----

ORDER = {"comments": "id", "comment_versions": "id", "vote_observations": "id", "bodies": "sha256"}


def _old_archive(path: Path) -> None:
    """An archive at the schema before m008, holding what the store wrote then: comments with their HTML in the
    table, their full-text rows, vote observations, an edit's earlier version and zlib bodies."""
    # The rows come from the current store, then move into the old layout column for column.
    current = _archive()
    store.save_recap(current, make_recap(_comments()), None)
    edited = _comments()
    edited[1].body_html, edited[1].body_text, edited[1].upvotes = (
        "<p>Tom &amp; Jerry, edited</p>",
        "Tom & Jerry, edited",
        4,
    )
    store.save_recap(current, make_recap(edited, fetched_at="2024-02-01T00:00:00+00:00"), None)
    archive_before(path, "m008_smaller_archive", current)
    with sqlite3.connect(path) as conn:
        for n, body in enumerate([b"<html>page one</html>", b"<html>page two</html>"]):
            conn.execute(
                "insert into bodies (sha256, size, encoding, body) values (?, ?, 'zlib', ?)",
                [f"s{n}", len(body), zlib.compress(body, 1)],
            )
    conn.close()


def test_an_archive_from_before_m008_migrates_in_place_and_answers_the_same(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_archive(path)
    before = archive_answers(path)
    assert any(before[:-4]) and all(before[-4:])
    db = store.open_archive(path)  # applies m008
    assert "m008_smaller_archive" in {m.name for m in migrations.applied(db)}
    stored = dict(db.execute("select site_comment_id, body_html_stored from comments").fetchall())
    assert stored["1"] is None and stored["4"] == b"" and stored["3"].startswith("<p>See <a")
    assert_fts_in_sync(db)
    db.close()
    assert archive_answers(path) == before
    # Saving into the migrated archive works as into a new one.
    db = store.open_archive(path)
    store.save_recap(db, make_recap(_comments(), fetched_at="2024-03-01T00:00:00+00:00"), None)
    assert_fts_in_sync(db)


def _archive_with_pages(path: Path, site: str, seed: int) -> dict[str, bytes]:
    """An archive file whose bodies are one site's pages, compressed with its dictionary; returns them by digest."""
    db = store.open_archive(path)
    rng = random.Random(seed)
    writer = BodyWriter(train_after=8)
    pages = {f"{n}-{site}": _page(site, n, rng) for n in range(10)}
    with db.atomic():
        for digest, body in pages.items():
            writer.store(db.conn, f"https://{site}/{digest}/", body, digest)
    db.close()
    return pages


def test_merge_renumbers_dictionaries_and_converts_html_from_before_m008(tmp_path: Path) -> None:
    from archiver.archive.merge import merge_archives

    pages = _archive_with_pages(tmp_path / "a.db", "a.example", 1)
    pages |= _archive_with_pages(tmp_path / "b.db", "b.example", 2)  # its dictionary has id 1 too
    _old_archive(tmp_path / "old.db")
    old = sqlite3.connect(tmp_path / "old.db")
    html = old.execute("select site_comment_id, body_html, body_text from comments order by id").fetchall()
    old.close()
    target = tmp_path / "merged.db"
    merge_archives(target, [tmp_path / "a.db", tmp_path / "b.db", tmp_path / "old.db"])
    merge_archives(target, [tmp_path / "b.db"])  # again: nothing new
    conn = sqlite3.connect(target)
    assert conn.execute("select id, site from body_dictionaries order by id").fetchall() == [
        (1, "https://a.example"),
        (2, "https://b.example"),
    ]
    got = stored_bodies(conn)
    assert {d: got[d] for d in pages} == pages
    assert conn.execute("select site_comment_id, body_html, body_text from comments order by id").fetchall() == html
    assert conn.execute("select count(*) from comments where body_html_stored is null").fetchone()[0] == 3
    conn.close()
