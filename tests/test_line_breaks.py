"""Comment HTML rebuilt with its line breaks (migration m012, issue 17): the same string in SQL and in Python, real
WordPress pages' comments stored only where their text does not give them back, and archives written before m012
converted in place and merged, answering exactly as before."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from helpers import apply_migration_alone, archive_answers, archive_before, assert_fts_in_sync, make_recap
from hypothesis import example, given
from hypothesis import strategies as st
from scrapy.http import HtmlResponse
from sqlite_utils import Database

from archiver.archive import store
from archiver.archive.merge import merge_archives
from archiver.archive.schema import (
    COMMENT_BODY_HTML_SQL,
    ensure_schema,
    paragraphs_html_sql,
    stored_html,
    stored_html_sql,
    text_html,
)
from archiver.items import CommentItem
from archiver.pages.wordpress import PostPage

M012 = "m012_line_breaks_from_the_text"
WORDPRESS = Path(__file__).parent / "fixtures" / "wordpress"
PIECES = ["a", "é", "한", "🍊", " ", "\t", "\n", "\r", "&", "<", ">", ";", "amp", "&amp;", "<br>", "<p>", "</p>"]


@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
@example("\n\n\n")
@example("\n")
@example("")
@example("\na\n")
@example("a\n\n")
@example("a\r\nb\rc")
@example("a<br>\nb")
@example("x\n\n\n\ny\n\n\nz")
def test_the_generated_column_rebuilds_the_html_python_does(text: str) -> None:
    conn = sqlite3.connect(":memory:")  # nothing registered: plain SQLite functions only
    sql = f"select {COMMENT_BODY_HTML_SQL} from (select ? as body_text, null as body_html_stored)"
    assert conn.execute(sql, [text]).fetchone()[0] == text_html(text)


def test_the_rebuild_gives_paragraphs_and_line_breaks_as_lxml_prints_them() -> None:
    assert text_html("a\nb") == "<p>a<br>\nb</p>"
    assert text_html("a\n\nb\nc") == "<p>a</p>\n<p>b<br>\nc</p>"
    assert text_html("Tom & Jerry <br> 3 > 2") == "<p>Tom &amp; Jerry &lt;br&gt; 3 &gt; 2</p>"
    assert text_html("") == "<p></p>"


def _page_comments(case: Path) -> list[CommentItem]:
    url = (case / "url.txt").read_text(encoding="utf-8").strip()
    response = HtmlResponse(url=url, body=(case / "body.html").read_bytes(), encoding="utf-8")
    return PostPage(response).recap("2026-01-01T00:00:00+00:00").comments


def test_comments_of_real_pages_keep_only_html_their_text_does_not_give_back(tmp_path: Path) -> None:
    comments = [
        c for case in sorted(WORDPRESS.iterdir()) if (case / "body.html").exists() for c in _page_comments(case)
    ]
    for n, comment in enumerate(comments):  # several pages in one thread: ids made unique
        comment.site_comment_id = f"{n}-{comment.site_comment_id}"
        comment.parent_site_id = None
    db = store.open_archive(tmp_path / "pages.db")
    store.save_recap(db, make_recap(comments), None)
    db.close()
    conn = sqlite3.connect(tmp_path / "pages.db")
    got = {r[0]: r[1:] for r in conn.execute("select site_comment_id, body_html, body_html_stored from comments")}
    line_breaks = 0
    for c in comments:
        html, kept = got[c.site_comment_id]
        assert html == c.body_html, c.site_comment_id
        plain = set(re.findall(r"</?(\w+)", c.body_html)) <= {"p", "br"}
        assert (kept is None) == plain, c.body_html  # these pages' plain comments escape nothing the text lacks
        line_breaks += plain and "<br>" in c.body_html
    assert line_breaks >= 5  # the pages have such comments: they are stored no more


# ---- archives written before m012 ----


def _comments(edited: bool = False) -> list[CommentItem]:
    """A comment per case of the conversion: what m012's rebuild now gives back, what it gave before and no longer
    does (a newline without <br>, as an API may give), what neither gives back, NULL and empty HTML."""
    first = ("<p>Line one<br>\nline two</p>", "Line one\nline two")
    if edited:
        first = ("<p>Line one<br>\nJerry edited it</p>", "Line one\nJerry edited it")
    cases = [
        first,
        ("<p>Tom &amp; Jerry &lt;3</p>\n<p>second &gt; first</p>", "Tom & Jerry <3\n\nsecond > first"),
        ("<p>a\nb</p>", "a\nb"),
        (None, "text\nwithout HTML"),
        ("", ""),
        ('<p>See <a href="https://x.example/">x</a><br>\nthen</p>', "See x\nthen"),
        ("<p>three<br>\n<br>\n<br>\nbreaks</p>", "three\n\n\nbreaks"),
        ("<p>carriage\r<br>\nreturn</p>", "carriage\r\nreturn"),
        ("<p>literal &lt;br&gt; here<br>\nand &amp; there</p>", "literal <br> here\nand & there"),
        ("<p>first</p>\n<p>then<br>\nlast</p>", "first\n\nthen\nlast"),
    ]
    return [
        CommentItem(
            str(n), None, author="Ana" if n == 1 else f"A{n}", body_html=html, body_text=text, upvotes=n + edited
        )
        for n, (html, text) in enumerate(cases, 1)
    ]


def _archive_before_m012(path: Path) -> None:
    """An archive at the schema before m012, holding what the store wrote then: HTML kept unless m008's rebuild
    (paragraphs only) gave it back, full-text rows, vote observations and an edited comment's earlier version,
    and a reader's own view over the HTML."""
    current = Database(memory=True)
    ensure_schema(current)
    store.save_recap(current, make_recap(_comments()), None)
    store.save_recap(current, make_recap(_comments(True), fetched_at="2024-02-01T00:00:00+00:00"), None)
    then = stored_html_sql("body_html", "body_text", paragraphs_html_sql)
    archive_before(path, M012, current, {"body_html_stored": then})
    # SQLite drops no column a view names, so m012 must set such a view aside.
    with sqlite3.connect(path) as conn:
        conn.execute("create view my_html as select id, body_html from comments where body_html like '%<br>%'")
    conn.close()


def _stored(conn: sqlite3.Connection) -> dict[str, str | bytes | None]:
    return dict(conn.execute("select site_comment_id, body_html_stored from comments").fetchall())


def _untouched(conn: sqlite3.Connection) -> list:
    """What the conversion must leave as it is: triggers, views, the full-text index's segments, history rows."""
    return [
        conn.execute(f"select * from {table} order by 1").fetchall()
        for table in ("comments_fts_data", "comment_versions", "vote_observations", "my_html")
    ] + [sorted(conn.execute("select type, name, sql from sqlite_master where type in ('trigger', 'view')"))]


def test_an_archive_from_before_m012_migrates_in_place_and_answers_the_same(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _archive_before_m012(path)
    conn = sqlite3.connect(path)
    before, untouched, stored = archive_answers(path), _untouched(conn), _stored(conn)
    conn.close()
    assert stored["1"].startswith("<p>Line one<br>") and stored["3"] is None and stored["2"] is None
    assert any(before[:-4]) and all(before[-4:-1])  # the queries find rows; an edited comment has its version
    apply_migration_alone(path, M012)
    conn = sqlite3.connect(path)
    after = _stored(conn)
    assert _untouched(conn) == untouched  # no trigger fired, none lost
    conn.close()
    assert archive_answers(path) == before
    # Line breaks the text gives back are no longer stored; a newline m008 gave back and m012 does not now is.
    assert {k for k, v in after.items() if v is None} == {"1", "2", "8", "9", "10"}
    assert after["3"] == "<p>a\nb</p>" and after["4"] == b"" and after["6"] == stored["6"] and after["7"] == stored["7"]
    # Saving into the migrated archive keeps an edit's earlier HTML, read through the new column.
    db = store.open_archive(path)
    store.save_recap(db, make_recap(_comments(), fetched_at="2024-03-01T00:00:00+00:00"), None)
    assert db.execute("select body_html from comment_versions order by id desc limit 1").fetchone() == (
        "<p>Line one<br>\nJerry edited it</p>",
    )
    assert db.execute("select body_html, body_html_stored from comments where site_comment_id = '1'").fetchone() == (
        "<p>Line one<br>\nline two</p>",
        None,
    )
    assert_fts_in_sync(db)


def test_merging_an_archive_from_before_m012_gives_the_same_html(tmp_path: Path) -> None:
    _archive_before_m012(tmp_path / "old.db")
    old = sqlite3.connect(tmp_path / "old.db")
    html = old.execute("select site_comment_id, body_html, body_text from comments order by id").fetchall()
    versions = old.execute("select body_html, body_text from comment_versions order by id").fetchall()
    old.close()
    target = tmp_path / "merged.db"
    merge_archives(target, [tmp_path / "old.db"])
    again = merge_archives(target, [tmp_path / "old.db"])[0]
    assert again.added["comments"] == again.updated["comments"] == 0
    conn = sqlite3.connect(target)
    assert conn.execute("select site_comment_id, body_html, body_text from comments order by id").fetchall() == html
    assert conn.execute("select body_html, body_text from comment_versions order by id").fetchall() == versions
    # Stored as today's store stores it, not as the source's layout did.
    assert _stored(conn) == {cid: stored_html(h, t) for cid, h, t in html}
    assert _stored(conn)["1"] is None and _stored(conn)["3"] == "<p>a\nb</p>"
    conn.close()
