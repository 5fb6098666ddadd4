"""Saving against an in-memory database: upserts, hierarchy links, no duplicates, nothing lost."""

from __future__ import annotations

import pytest
from helpers import STORE_SITE, assert_fts_in_sync, make_recap, thread
from sqlite_utils import Database

from archiver.archive.schema import ensure_schema
from archiver.archive.store import (
    check_archive_path,
    finish_crawl,
    open_archive,
    save_comments,
    save_recap,
    start_crawl,
)
from archiver.errors import ArchivePathError
from archiver.items import CommentItem

SITE = STORE_SITE


@pytest.fixture
def db() -> Database:
    database = Database(memory=True)
    ensure_schema(database)
    return database


def test_save_recap_links_parents_roots_and_series(db: Database) -> None:
    crawl = start_crawl(db, "recaps", {"url": SITE}, "2024-01-01T00:00:00+00:00")
    result = save_recap(db, make_recap(thread()), crawl)
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


def test_a_recrawl_rewrites_full_text_rows_only_for_changed_text(db: Database) -> None:
    save_recap(db, make_recap(thread(), "2024-01-01T00:00:00+00:00"), None)

    def fts_data() -> tuple:
        tables = ("comments_fts_data", "recaps_fts_data")
        return tuple(db.execute(f"select count(*), sum(length(block)) from {t}").fetchone() for t in tables)

    before = fts_data()
    # Seen again a month later: last_seen_at, last_crawled_at and the schedule change, no text does.
    save_recap(db, make_recap(thread(), "2024-02-01T00:00:00+00:00"), None)
    assert db.execute("select count(distinct last_seen_at) from comments").fetchone() == (1,)
    assert db.execute("select last_seen_at from comments limit 1").fetchone() == ("2024-02-01T00:00:00+00:00",)
    assert fts_data() == before  # no full-text row deleted and written again
    edited = thread()
    edited[1].body_text = "Disagreed entirely"
    recap = make_recap(edited, "2024-03-01T00:00:00+00:00")
    recap.title = "Soundtrack #1: Episode 4 (Finale)"
    save_recap(db, recap, None)
    assert db.execute("select author from comments_fts where comments_fts match 'disagreed'").fetchall() == [("Bo",)]
    assert db.execute("select count(*) from comments_fts where comments_fts match 'agreed'").fetchone() == (0,)
    assert db.execute("select count(*) from recaps_fts where recaps_fts match 'finale'").fetchone() == (1,)
    assert_fts_in_sync(db)
    db.execute("insert into recaps_fts(recaps_fts, rank) values('integrity-check', 1)")


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


def _crawl(db: Database, when: str) -> int:
    return start_crawl(db, "recaps", {}, when)


def test_edit_keeps_the_earlier_text(db: Database) -> None:
    first = _crawl(db, "2024-01-01T00:00:00+00:00")
    save_recap(db, make_recap(thread(), "2024-01-01T00:00:00+00:00"), first)
    edited = thread()
    edited[1].body_text = "Agreed 😅 (edited: spelling)"
    second = _crawl(db, "2024-02-01T00:00:00+00:00")
    result = save_recap(db, make_recap(edited, "2024-02-01T00:00:00+00:00"), second)
    assert result.comments_edited == 1 and result.comments_new == 0
    versions = list(db.query("select * from comment_versions"))
    assert len(versions) == 1
    assert versions[0]["body_text"] == "Agreed 😅"
    assert versions[0]["first_seen_at"] == "2024-01-01T00:00:00+00:00"
    assert versions[0]["replaced_at"] == "2024-02-01T00:00:00+00:00" and versions[0]["replaced_crawl_id"] == second
    assert db.execute("select body_text from comments where site_comment_id = '102'").fetchone() == (
        "Agreed 😅 (edited: spelling)",
    )


def test_votes_become_a_history(db: Database) -> None:
    save_recap(db, make_recap(thread(), "2024-01-01T00:00:00+00:00"), _crawl(db, "2024-01-01T00:00:00+00:00"))
    save_recap(db, make_recap(thread(), "2024-01-02T00:00:00+00:00"), _crawl(db, "2024-01-02T00:00:00+00:00"))
    changed = thread()
    changed[0].upvotes, changed[0].score = 9, 8
    result = save_recap(db, make_recap(changed, "2024-01-03T00:00:00+00:00"), _crawl(db, "2024-01-03T00:00:00+00:00"))
    assert result.vote_changes == 1
    history = db.execute(
        "select observed_at, v.upvotes, v.downvotes from vote_observations v join comments on comments.id = comment_id "
        "where site_comment_id = '101' order by observed_at"
    ).fetchall()
    assert history == [("2024-01-01T00:00:00+00:00", 3, 1), ("2024-01-03T00:00:00+00:00", 9, 1)]


def test_votes_not_shown_this_time_are_not_erased(db: Database) -> None:
    save_recap(db, make_recap(thread(), "2024-01-01T00:00:00+00:00"), None)
    blind = thread()
    for comment in blind:
        comment.upvotes = comment.downvotes = comment.score = None
    result = save_recap(db, make_recap(blind, "2024-01-02T00:00:00+00:00"), None)
    assert result.vote_changes == 0
    assert db.execute("select upvotes, downvotes from comments where site_comment_id = '101'").fetchone() == (3, 1)
    assert db["vote_observations"].count == 2  # first sightings of 101 and 102 only


def test_comment_gone_from_a_complete_thread_is_kept_and_marked(db: Database) -> None:
    save_recap(db, make_recap(thread(), "2024-01-01T00:00:00+00:00"), None)
    later = make_recap([c for c in thread() if c.site_comment_id != "104"], "2024-01-02T00:00:00+00:00")
    result = save_recap(db, later, None)
    assert result.comments_gone == 1
    gone = db.execute("select site_comment_id, gone_at, body_text from comments where gone_at is not null").fetchall()
    assert gone == [("104", "2024-01-02T00:00:00+00:00", "Second")]
    back = save_recap(db, make_recap(thread(), "2024-01-03T00:00:00+00:00"), None)
    assert back.comments_back == 1 and back.comments_gone == 0
    assert db.execute("select count(*) from comments where gone_at is not null").fetchone() == (0,)


def test_partial_thread_marks_nothing_gone(db: Database) -> None:
    save_recap(db, make_recap(thread(), "2024-01-01T00:00:00+00:00"), None)
    partial = make_recap(thread()[:1], "2024-01-02T00:00:00+00:00")
    partial.comment_pages, partial.comment_pages_fetched = 2, 1
    assert save_recap(db, partial, None).comments_gone == 0
    assert db.execute("select thread_complete from recaps").fetchone() == (0,)


def test_page_without_a_comment_area_marks_nothing_gone(db: Database) -> None:
    save_recap(db, make_recap(thread(), "2024-01-01T00:00:00+00:00"), None)
    broken = make_recap([], "2024-01-02T00:00:00+00:00")
    broken.comment_area = False  # the markup changed: no comment list, no count
    assert save_recap(db, broken, None).comments_gone == 0
    assert db.execute("select count(*) from comments where gone_at is not null").fetchone() == (0,)
    emptied = make_recap([], "2024-01-03T00:00:00+00:00")
    emptied.comment_area = True  # a thread shown empty does prove its comments gone
    assert save_recap(db, emptied, None).comments_gone == len(thread())


def test_recap_edit_keeps_the_earlier_body(db: Database) -> None:
    recap = make_recap(thread(), "2024-01-01T00:00:00+00:00")
    recap.body_text = "Old body."
    save_recap(db, recap, None)
    recap2 = make_recap(thread(), "2024-01-05T00:00:00+00:00")
    recap2.body_text = "New body, with a correction."
    assert save_recap(db, recap2, None).recap_changed
    assert db.execute("select body_text, replaced_at from recap_versions").fetchall() == [
        ("Old body.", "2024-01-05T00:00:00+00:00")
    ]


def test_revisit_schedule_backs_off_while_quiet_and_resets_when_busy(db: Database) -> None:
    def visit(when: str, comments: list[CommentItem]) -> tuple[int, str]:
        recap = make_recap(comments, when)
        for c in recap.comments:
            c.posted_at = "2021-12-23T00:00:00+00:00"
        save_recap(db, recap, None)
        return db.execute("select revisit_interval, next_due_at from recaps").fetchone()

    assert visit("2024-01-01T00:00:00+00:00", thread()) == (86400, "2024-01-02T00:00:00+00:00")
    assert visit("2024-01-02T00:00:00+00:00", thread()) == (172800, "2024-01-04T00:00:00+00:00")
    more = thread() + [CommentItem("105", None, author="Eve", body_text="New!", page=2)]
    assert visit("2024-01-04T00:00:00+00:00", more) == (0, "2024-01-04T00:00:00+00:00")
    assert visit("2024-01-05T00:00:00+00:00", more) == (86400, "2024-01-06T00:00:00+00:00")


def _fts(db: Database, query: str) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "select comments.site_comment_id from comments_fts join comments on comments.rowid = comments_fts.rowid "
            "where comments_fts match ? order by 1",
            [query],
        )
    ]


def test_recrawls_keep_the_full_text_index_and_vote_history_exact(db: Database) -> None:
    first = _crawl(db, "2024-01-01T00:00:00+00:00")
    assert save_recap(db, make_recap(thread(), "2024-01-01T00:00:00+00:00"), first).comments_new == 4
    assert_fts_in_sync(db)
    assert _fts(db, "wow") == ["101"] and _fts(db, "ana") == ["101"]

    later = [c for c in thread() if c.site_comment_id != "104"]  # 104 is gone
    later[0].body_text = "Wonderful episode"  # 101 edited, votes unchanged
    later[1].upvotes = 5  # 102: votes changed
    later += [
        CommentItem("105", "101", author="Eve", body_text="Tarot scene", upvotes=2, page=1),
        CommentItem("106", None, author="Fay", body_text="No votes here", page=2),
    ]
    second = _crawl(db, "2024-02-01T00:00:00+00:00")
    result = save_recap(db, make_recap(later, "2024-02-01T00:00:00+00:00"), second)
    assert (result.comments_new, result.comments_edited, result.vote_changes, result.comments_gone) == (2, 1, 1, 1)
    assert_fts_in_sync(db)
    assert _fts(db, "wonderful") == ["101"] and _fts(db, "wow") == []
    assert _fts(db, "tarot") == ["105"] and _fts(db, "fay") == ["106"]
    assert _fts(db, "second") == ["104"]  # a gone comment keeps its row, and its text stays searchable

    # One first observation per new comment with votes, one per change; the store derives no score.
    observations = db.execute(
        "select site_comment_id, crawl_id, observed_at, v.upvotes, v.downvotes, v.score from vote_observations v "
        "join comments on comments.id = comment_id order by crawl_id, site_comment_id"
    ).fetchall()
    assert observations == [
        ("101", first, "2024-01-01T00:00:00+00:00", 3, 1, None),
        ("102", first, "2024-01-01T00:00:00+00:00", 1, None, None),
        ("102", second, "2024-02-01T00:00:00+00:00", 5, None, None),
        ("105", second, "2024-02-01T00:00:00+00:00", 2, None, None),
    ]

    # The same crawl saved again changes nothing: no observation, no index entry added.
    save_recap(db, make_recap(later, "2024-02-01T00:00:00+00:00"), second)
    assert_fts_in_sync(db)
    assert db["vote_observations"].count == 4


def test_a_site_id_given_twice_is_one_row_with_the_later_copy(db: Database) -> None:
    save_recap(db, make_recap(thread()), None)
    recap_id = db.execute("select id from recaps").fetchone()[0]
    twice = [
        CommentItem("201", None, author="Gil", body_text="first copy", upvotes=1),
        CommentItem("201", None, author="Gil", body_text="second copy", upvotes=2),
    ]
    result = save_comments(db, recap_id, twice, "2024-01-02T00:00:00+00:00", None)
    assert result.comments_new == 1
    assert db.execute("select body_text, upvotes from comments where site_comment_id = '201'").fetchall() == [
        ("second copy", 2)
    ]
    assert_fts_in_sync(db)
    assert _fts(db, "second copy") == ["201"] and _fts(db, "first") == []


def test_open_archive_keeps_statement_journals_in_memory(tmp_path) -> None:
    db = open_archive(tmp_path / "a.db")
    assert db.execute("pragma temp_store").fetchone() == (2,)  # 2 = MEMORY


def test_archived_recaps_reads_due_times_and_coverage_read_only(tmp_path) -> None:
    """The re-crawl's view of the archive (archiver.archive.revisit.archived_recaps): one parameterised query on a
    read-only connection; a file that is no archive, or no file, holds no recaps."""
    from archiver.archive.files import is_archive, open_read_only
    from archiver.archive.revisit import ArchivedRecap, archived_recaps
    from archiver.errors import NotAnArchiveError

    path = tmp_path / "a #1?.db"
    db = open_archive(path)
    recap = make_recap(thread())
    recap.incomplete_reasons = ["comment page(s) 2 not read"]
    save_recap(db, recap, None)
    db.close()
    (archived,) = archived_recaps(path, [SITE])
    assert archived.url == recap.url and archived.incomplete and archived.covered and archived.next_due_at
    assert archived_recaps(path, [SITE + "tag/soundtrack-1/"])[0].covered
    assert archived.platform == recap.platform and archived.interval is not None
    assert archived_recaps(path, ["https://elsewhere.example/"]) == [
        ArchivedRecap(recap.url, archived.next_due_at, True, False, archived.interval, recap.platform)
    ]
    assert archived_recaps(tmp_path / "missing.db", [SITE]) == []
    other = tmp_path / "other.db"
    Database(other)["t"].insert({"a": 1})
    assert archived_recaps(other, [SITE]) == []
    with pytest.raises(NotAnArchiveError):
        open_read_only(other)
    conn = open_read_only(path)
    assert is_archive(conn)
    conn.close()


def test_the_last_crawl_that_covered_the_start_urls(tmp_path) -> None:
    """Change signals ask for what changed since the start of the last finished crawl that covered the site."""
    from archiver.archive.revisit import last_crawl_start

    path = tmp_path / "a.db"
    db = open_archive(path)
    home, tag, post = "https://r.example/", "https://r.example/tag/x/", "https://r.example/2021/01/01/a/"
    for started, url, reason, extra in [
        ("2021-01-01T00:00:00+00:00", home, "finished", {}),
        ("2021-01-02T00:00:00+00:00", tag, "finished", {}),
        ("2021-01-03T00:00:00+00:00", post, "finished", {}),  # one recap: says nothing of the others
        ("2021-01-04T00:00:00+00:00", home, "shutdown", {}),  # cut short
        ("2021-01-05T00:00:00+00:00", home, "finished", {"source": "wayback"}),  # captures, not the site
        ("2021-01-06T00:00:00+00:00", "https://other.example/", "finished", {}),
    ]:
        crawl = start_crawl(db, "recaps", {"url": url, **extra}, started)
        finish_crawl(db, crawl, started, reason, {})
    unfinished = start_crawl(db, "recaps", {"url": home}, "2021-01-07T00:00:00+00:00")
    assert unfinished
    db.close()
    assert last_crawl_start(path, [home]) == "2021-01-01T00:00:00+00:00"
    assert last_crawl_start(path, [tag]) == "2021-01-02T00:00:00+00:00"
    assert last_crawl_start(path, ["https://r.example/tag/y/"]) == "2021-01-01T00:00:00+00:00"
    assert last_crawl_start(path, ["https://third.example/"]) is None
    assert last_crawl_start(tmp_path / "missing.db", [home]) is None
