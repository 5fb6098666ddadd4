"""A comment's first vote observation read from the comment until its votes change (migration m013, issue 17):
``vote_observations`` answers as the table did, after saving, after converting an older archive in place and
after merging archives crawled apart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from helpers import archive_answers, archive_before, archive_tuples, assert_fts_in_sync, make_recap
from sqlite_utils import Database

from archiver.archive import store
from archiver.archive.merge import merge_archives
from archiver.archive.schema import ensure_schema, migrations
from archiver.items import CommentItem

M013 = "m013_first_votes_from_the_comment"
DAYS = ["2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00", "2024-01-03T00:00:00+00:00"]
OBSERVATIONS = (
    "select site_comment_id, crawls.uid, observed_at, v.upvotes, v.downvotes, v.score from vote_observations v "
    "join comments on comments.id = v.comment_id left join crawls on crawls.id = v.crawl_id order by 1, 3, 4"
)
"""Every observation by comment and crawl identity, whatever ids the archive gave them."""


def _thread(day: int) -> list[CommentItem]:
    """Comments whose votes stay, change, appear, are shown no more, or never exist."""
    return [
        CommentItem("1", None, author="Ana", body_text="Jerry stays", upvotes=3, downvotes=1),
        CommentItem("2", None, author="Bo", body_text="changes", upvotes=1 + day, score=day),
        CommentItem("3", None, author="Cy", body_text="votes later", upvotes=2 if day >= 1 else None),
        CommentItem("4", None, author="Di", body_text="no votes"),
        CommentItem("5", None, author="Ed", body_text="changes once", upvotes=7 if day >= 2 else 6),
        CommentItem("6", None, author="Fa", body_text="steady", upvotes=4),
    ]


def _crawl(db: Database, day: int) -> None:
    crawl_id = store.start_crawl(db, "recaps", {"day": day}, DAYS[day])
    store.save_recap(db, make_recap(_thread(day), DAYS[day]), crawl_id)


def _rows(path: Path, sql: str = OBSERVATIONS) -> list[tuple]:
    return archive_tuples(path, sql)


def test_saving_keeps_only_what_the_comments_do_not_say(tmp_path: Path) -> None:
    db = store.open_archive(tmp_path / "a.db")
    _crawl(db, 0)
    assert db.execute("select count(*) from vote_changes").fetchone() == (0,)  # every first observation implied
    _crawl(db, 1)
    _crawl(db, 2)
    uid = [r[0] for r in db.execute("select uid from crawls order by id")]
    assert db.execute(OBSERVATIONS).fetchall() == [
        ("1", uid[0], DAYS[0], 3, 1, None),
        ("2", uid[0], DAYS[0], 1, None, 0),
        ("2", uid[1], DAYS[1], 2, None, 1),
        ("2", uid[2], DAYS[2], 3, None, 2),
        ("3", uid[1], DAYS[1], 2, None, None),
        ("5", uid[0], DAYS[0], 6, None, None),
        ("5", uid[2], DAYS[2], 7, None, None),
        ("6", uid[0], DAYS[0], 4, None, None),
    ]
    # Rows only for comments whose votes changed, their first observation included; 1 and 6 are read from the
    # comments.
    stored = db.execute("select comment_id, count(*) from vote_changes group by comment_id").fetchall()
    assert stored == [(2, 3), (3, 1), (5, 2)]


def test_an_archive_from_before_m013_migrates_in_place_and_answers_the_same(tmp_path: Path) -> None:
    current = Database(memory=True)
    ensure_schema(current)
    for day in range(3):
        _crawl(current, day)
    path = tmp_path / "old.db"
    archive_before(path, M013, current)
    with sqlite3.connect(path) as conn:
        # A first-seen time moved earlier (as merging an earlier copy does): its observation is no longer implied.
        conn.execute("update comments set first_seen_at = '2023-12-31T00:00:00+00:00' where site_comment_id = '1'")
    conn.close()
    before = (_rows(path), archive_answers(path))
    assert len(before[0]) == 8 and _rows(path, "select count(*) from vote_observations") == [(8,)]
    db = store.open_archive(path)  # applies m013
    assert M013 in {m.name for m in migrations.applied(db)}
    # 6's first observation is the comment's own; 1's first-seen time no longer says it, 3's votes came later.
    assert db.execute("select comment_id from vote_changes where comment_id in (1, 3, 6)").fetchall() == [(1,), (3,)]
    assert db.execute("select count(*) from vote_changes").fetchone() == (8 - 1,)
    assert_fts_in_sync(db)
    db.close()
    assert (_rows(path), archive_answers(path)) == before
    # A later change of votes read from the comment keeps that first observation.
    db = store.open_archive(path)
    changed = _thread(2)
    changed[2].upvotes = 9
    crawl_id = store.start_crawl(db, "recaps", {"day": 4}, "2024-01-04T00:00:00+00:00")
    store.save_recap(db, make_recap(changed, "2024-01-04T00:00:00+00:00"), crawl_id)
    db.close()
    assert [r[2:4] for r in _rows(path) if r[0] == "3"] == [(DAYS[1], 2), ("2024-01-04T00:00:00+00:00", 9)]


def test_archives_crawled_apart_merge_into_every_first_observation(tmp_path: Path) -> None:
    paths = []
    for day in range(3):  # one archive a day, each seeing the thread for the first time
        paths.append(tmp_path / f"day{day}.db")
        db = store.open_archive(paths[-1])
        _crawl(db, day)
        db.close()
    want = sorted(row for path in paths for row in _rows(path))
    assert len(want) == 4 + 5 + 5  # every day a first observation of 1, 2, 5, 6 and, from day 1, 3
    merge_archives(tmp_path / "forward.db", paths)
    merge_archives(tmp_path / "backward.db", paths[::-1])
    merge_archives(tmp_path / "again.db", paths)
    again = merge_archives(tmp_path / "again.db", paths)
    assert all(c.added["vote_changes"] == 0 for c in again)
    for name in ("forward", "backward", "again"):
        assert _rows(tmp_path / f"{name}.db") == sorted(want, key=lambda r: (r[0], r[2], r[3])), name
    # An archive from before m013 (every observation a row) merges the same.
    archive_before(tmp_path / "old.db", M013, Database(paths[2]))
    assert _rows(tmp_path / "old.db", "select count(*) from vote_observations") == [(5,)]
    merge_archives(tmp_path / "with-old.db", [*paths[:2], tmp_path / "old.db"])
    assert _rows(tmp_path / "with-old.db") == _rows(tmp_path / "forward.db")
