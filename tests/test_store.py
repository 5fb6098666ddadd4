"""Saving against an in-memory database: upserts, hierarchy links, no duplicates, nothing lost."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from archiver.errors import ArchivePathError
from archiver.items import CommentItem, RecapItem, Term
from archiver.schema import ensure_schema
from archiver.store import check_archive_path, finish_crawl, save_recap, start_crawl
from archiver.threads import assemble_thread

SITE = "http://127.0.0.1:8000/"


@pytest.fixture
def db() -> Database:
    database = Database(memory=True)
    ensure_schema(database)
    return database


def make_recap(comments: list[CommentItem], fetched_at: str = "2024-01-01T00:00:00+00:00") -> RecapItem:
    tag = Term("Soundtrack #1", "soundtrack-1", SITE + "tag/soundtrack-1/", "post_tag")
    recap = RecapItem(
        url=SITE + "2021/12/23/soundtrack-1-episode-4-final/",
        site_url=SITE,
        site_name="Demo",
        fetched_at=fetched_at,
        title="Soundtrack #1: Episode 4 (Final)",
        tags=[tag, Term("Park Hyung-sik", "park-hyung-sik", SITE + "tag/park-hyung-sik/")],
        categories=[Term("Recaps", "recaps", SITE + "category/recaps/", "category")],
        comments=comments,
        series_name="Soundtrack #1",
        episode_number=4,
        episode_label="Final",
        series_term=tag,
    )
    recap.comments, _ = assemble_thread(recap.comments)
    return recap


def thread() -> list[CommentItem]:
    return [
        CommentItem("101", None, author="Ana", body_text="Wow", upvotes=3, downvotes=1, page=1),
        CommentItem("102", "101", author="Bo", body_text="Agreed 😅", upvotes=1, page=1),
        CommentItem("103", "102", author="Cy", body_text="한국어", page=1),
        CommentItem("104", None, author="Di", body_text="Second", page=2),
    ]


def test_save_recap_links_parents_roots_and_series(db: Database) -> None:
    crawl = start_crawl(db, "recaps", {"url": SITE}, "2024-01-01T00:00:00+00:00")
    result = save_recap(db, make_recap(thread()), crawl, "wordpress")
    assert result.recap_new and result.comments_new == 4
    rows = {r["site_comment_id"]: r for r in db.query("select * from comments")}
    assert rows["102"]["parent_id"] == rows["101"]["id"]
    assert rows["103"]["root_id"] == rows["101"]["id"] and rows["103"]["depth"] == 3
    assert rows["104"]["parent_id"] is None and rows["104"]["root_id"] == rows["104"]["id"]
    assert rows["101"]["upvotes"] == 3 and rows["102"]["downvotes"] is None
    assert rows["102"]["body_text"] == "Agreed 😅"
    series = db.execute("select name, slug, url from series").fetchall()
    assert series == [("Soundtrack #1", "soundtrack-1", SITE + "tag/soundtrack-1/")]
    recap = next(db.query("select * from recaps"))
    assert recap["first_crawl_id"] == crawl and recap["thread_complete"] == 1
    terms = db.execute(
        "select terms.taxonomy, terms.name from recap_terms join terms on terms.id = term_id order by 1, 2"
    ).fetchall()
    assert terms == [("category", "Recaps"), ("post_tag", "Park Hyung-sik"), ("post_tag", "Soundtrack #1")]
    assert db.execute("select platform from sites").fetchone() == ("wordpress",)


def test_saving_twice_adds_no_rows_and_keeps_first_seen(db: Database) -> None:
    save_recap(db, make_recap(thread(), "2024-01-01T00:00:00+00:00"), None)
    counts = {t: db[t].count for t in ("sites", "series", "terms", "recaps", "recap_terms", "comments")}
    updated = thread()
    updated[0].upvotes = 7
    result = save_recap(db, make_recap(updated, "2024-02-01T00:00:00+00:00"), None)
    assert not result.recap_new and result.comments_new == 0
    assert counts == {t: db[t].count for t in counts}
    row = next(db.query("select * from comments where site_comment_id = '101'"))
    assert row["upvotes"] == 7
    assert row["first_seen_at"] == "2024-01-01T00:00:00+00:00"
    assert row["last_seen_at"] == "2024-02-01T00:00:00+00:00"


def test_recrawl_with_fewer_comments_loses_nothing(db: Database) -> None:
    save_recap(db, make_recap(thread()), None)
    save_recap(db, make_recap(thread()[:1]), None)
    assert db["comments"].count == 4


def test_missing_parent_is_stored_with_its_site_id(db: Database) -> None:
    save_recap(db, make_recap([CommentItem("5", "4", author="Orphan", body_text="hi")]), None)
    row = next(db.query("select * from comments"))
    assert row["parent_missing"] == 1 and row["parent_site_comment_id"] == "4" and row["parent_id"] is None


def test_fts_finds_comments_and_recaps(db: Database) -> None:
    save_recap(db, make_recap(thread()), None)
    hits = db.execute("select author from comments_fts where comments_fts match 'agreed'").fetchall()
    assert hits == [("Bo",)]
    assert db.execute("select count(*) from recaps_fts where recaps_fts match 'soundtrack'").fetchone() == (1,)


def test_comment_threads_view_is_in_thread_order_with_indent(db: Database) -> None:
    save_recap(db, make_recap(thread()), None)
    previews = [r[0] for r in db.execute("select preview from comment_threads")]
    assert previews == ["Ana: Wow", "    Bo: Agreed 😅", "        Cy: 한국어", "Di: Second"]


def test_finish_crawl_records_counts(db: Database) -> None:
    crawl = start_crawl(db, "recaps", {"url": SITE}, "2024-01-01T00:00:00+00:00")
    finish_crawl(db, crawl, "2024-01-01T00:01:00+00:00", "finished", {"pages": 3, "recaps": 1})
    row = db["crawls"].get(crawl)
    assert row["finish_reason"] == "finished" and row["pages"] == 3 and row["args"] == '{"url": "' + SITE + '"}'


def test_archive_path_in_missing_folder_is_refused(tmp_path) -> None:
    with pytest.raises(ArchivePathError, match="does not exist"):
        check_archive_path(tmp_path / "nope" / "a.db")
    with pytest.raises(ArchivePathError, match="is a folder"):
        check_archive_path(tmp_path)
    assert check_archive_path(tmp_path / "a.db") == tmp_path / "a.db"
