"""Comments' times stored as Unix seconds behind generated columns of the old names (migration m014, issue 17): the
stored and generated values round-trip exactly in SQL and in Python, archives written before m014 are converted in
place and merged answering as before, and Datasette sorts and filters by ``posted_at`` as it did."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from helpers import (
    apply_migration_alone,
    archive_answers,
    archive_before,
    archive_tuples,
    assert_fts_in_sync,
    fetch,
    make_recap,
)
from hypothesis import example, given
from hypothesis import strategies as st
from sqlite_utils import Database

from archiver.archive import store
from archiver.archive.merge import merge_archives
from archiver.archive.schema import ensure_schema, stored_time, stored_time_sql, time_sql
from archiver.items import CommentItem

M014 = "m014_times_as_integers"
DAYS = ["2024-01-01T00:00:00+00:00", "2024-02-01T00:00:00+00:00", "2024-03-01T00:00:00+00:00"]
POSTED = [
    "2024-01-01T10:00:00+00:00",
    "2023-12-31T23:59:59+00:00",
    "2024-01-01T10:00:00.250000+00:00",  # fractions stay text
    "2024-01-01T19:00:00+09:00",  # another offset stays text
    None,
    "2024-02-30T00:00:00+00:00",  # no such day: text, read back as given
    "1969-07-20T20:17:40+00:00",  # before 1970: negative seconds
    "sometime in March",
    "1711929600",  # digits as text stay text
]
TIMES = (
    "select site_comment_id, posted_at, first_seen_at, last_seen_at, typeof(posted_at), typeof(first_seen_at) "
    "from comments order by site_comment_id"
)
canonical = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC).isoformat()
)
odd = st.text(alphabet="0123456789-T:+.Z ", max_size=30) | st.from_regex(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+00:00", fullmatch=True
)


@given(canonical | odd | st.none() | st.binary(max_size=4))
@example("0000-01-01T00:00:00+00:00")
@example("9999-12-31T23:59:59+00:00")
@example("2016-12-31T23:59:60+00:00")
@example("２０２４-01-01T00:00:00+00:00")
def test_stored_and_generated_times_round_trip_exactly_in_sql_and_python(value: str | bytes | None) -> None:
    # What a time column held before m014 (TEXT affinity: text, NULL or a blob) round-trips.
    conn = sqlite3.connect(":memory:")  # nothing registered: plain SQLite functions only
    conn.execute(f"create table t (x_stored, x TEXT GENERATED ALWAYS AS ({time_sql('x_stored')}) VIRTUAL)")
    in_sql = conn.execute(f"select {stored_time_sql('v')} from (select ? as v)", [value]).fetchone()[0]
    assert in_sql == stored_time(value) and type(in_sql) is type(stored_time(value))
    conn.execute("insert into t (x_stored) values (?)", [stored_time(value)])
    back, kind = conn.execute("select x, typeof(x_stored) from t").fetchone()
    assert back == value and type(back) is type(value)
    assert (kind == "integer") == (isinstance(value, str) and value == _canonical(value))


def _canonical(value: str) -> str | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC).isoformat() if moment.tzinfo and not moment.microsecond else None


def _thread(day: int) -> list[CommentItem]:
    """A comment per kind of posted time; the first one's text and the second one's votes change on day 1."""
    return [
        CommentItem(
            str(n),
            None,
            author=f"A{n}",
            body_text=f"Jerry {n}" + (" edited" if n == 1 and day else ""),
            upvotes=n + (day if n == 2 else 0),
            posted_at=posted,
        )
        for n, posted in enumerate(POSTED, 1)
    ]


def _crawl(db: Database, day: int, comments: list[CommentItem] | None = None) -> None:
    crawl_id = store.start_crawl(db, "recaps", {"day": day}, DAYS[day])
    store.save_recap(db, make_recap(comments or _thread(day), DAYS[day]), crawl_id)


def _rows(path: Path, sql: str = TIMES) -> list[tuple]:
    return archive_tuples(path, sql)


def _untouched(path: Path) -> list:
    """What the conversion must leave as it is: triggers, views, the full-text index's segments, history rows."""
    return (
        _rows(path, "select * from comments_fts_data order by 1")
        + [_rows(path, f"select * from {table} order by 1") for table in ("comment_versions", "vote_observations")]
        + sorted(_rows(path, "select type, name, sql from sqlite_master where type in ('trigger', 'view')"))
    )


def test_saving_stores_integers_and_reads_the_same_text(tmp_path: Path) -> None:
    db = store.open_archive(tmp_path / "a.db")
    _crawl(db, 0)
    _crawl(db, 1)
    got = db.execute(
        "select site_comment_id, posted_at, posted_at_stored, first_seen_at_stored, last_seen_at_stored "
        "from comments order by id"
    ).fetchall()
    assert [r[1] for r in got] == POSTED
    assert [r[2] for r in got] == [1704103200, 1704067199, *POSTED[2:6], -14182940, *POSTED[7:]]
    assert {(r[3], r[4]) for r in got} == {(1704067200, 1706745600)}
    # The history written by the triggers reads the times as text, as before.
    assert db.execute("select first_seen_at, last_seen_at, replaced_at from comment_versions").fetchall() == [
        (DAYS[0], DAYS[0], DAYS[1])
    ]
    assert db.execute("select observed_at from vote_observations where comment_id = 2 order by 1").fetchall() == [
        (DAYS[0],),
        (DAYS[1],),
    ]
    # A comment no longer on the whole thread is marked gone; the others are seen again.
    _crawl(db, 2, _thread(2)[1:])
    assert db.execute("select site_comment_id, gone_at from comments where gone_at is not null").fetchall() == [
        ("1", DAYS[2])
    ]
    assert db.execute("select count(*) from comments where last_seen_at = ?", [DAYS[2]]).fetchone() == (8,)
    assert_fts_in_sync(db)


def _archive_before_m014(path: Path) -> Database:
    current = Database(memory=True)
    ensure_schema(current)
    for day in range(2):
        _crawl(current, day)
    archive_before(path, M014, current)
    with sqlite3.connect(path) as conn:  # a reader's own view over a time: m014 sets it aside and back
        conn.execute("create view my_times as select id, posted_at from comments where posted_at like '2024%'")
    conn.close()
    return current


def test_an_archive_from_before_m014_migrates_in_place_and_answers_the_same(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _archive_before_m014(path)
    before, untouched, times = archive_answers(path), _untouched(path), _rows(path)
    assert {r[4] for r in times} == {"text", "null"} and any(before[:-4])
    apply_migration_alone(path, M014)
    assert archive_answers(path) == before
    assert _untouched(path) == untouched  # no trigger fired, none lost
    assert [r[:4] for r in _rows(path)] == [r[:4] for r in times]
    assert _rows(path, "select typeof(posted_at_stored), typeof(first_seen_at_stored) from comments order by id") == [
        ("integer" if p and stored_time(p) != p else "null" if p is None else "text", "integer") for p in POSTED
    ]
    assert _rows(path, "select * from my_times order by id") == [
        (n, p) for n, p in enumerate(POSTED, 1) if p and p.startswith("2024")
    ]
    # Saving into the migrated archive goes on as in a new one.
    db = store.open_archive(path)
    _crawl(db, 2)
    assert db.execute("select distinct first_seen_at, last_seen_at from comments").fetchall() == [(DAYS[0], DAYS[2])]
    assert_fts_in_sync(db)


MERGED = (
    "select site_comment_id, posted_at, first_seen_at, last_seen_at, first_crawl_id is not null, body_text, upvotes "
    "from comments order by site_comment_id"
)


def test_archives_merge_in_any_order_with_an_archive_from_before_m014(tmp_path: Path) -> None:
    paths = []
    for day in range(3):  # one archive a day, each seeing the thread for the first time
        paths.append(tmp_path / f"day{day}.db")
        db = store.open_archive(paths[-1])
        _crawl(db, day)
        db.close()
    merge_archives(tmp_path / "forward.db", paths)
    merge_archives(tmp_path / "backward.db", paths[::-1])
    forward = _rows(tmp_path / "forward.db", MERGED)
    # First seen from the earliest copy, current values (text, votes, last seen) from the latest.
    assert {r[2:4] for r in forward} == {(DAYS[0], DAYS[2])}
    assert [r[1] for r in forward] == POSTED and forward[0][5] == "Jerry 1 edited" and forward[1][6] == 4
    assert _rows(tmp_path / "backward.db", MERGED) == forward
    again = merge_archives(tmp_path / "forward.db", paths)
    assert all(c.added["comments"] == c.updated["comments"] == 0 for c in again)
    for name in ("forward", "backward"):
        stored = _rows(tmp_path / f"{name}.db", "select first_seen_at_stored, last_seen_at_stored from comments")
        assert set(stored) == {(stored_time(DAYS[0]), stored_time(DAYS[2]))}
    # An archive from before m014, merged first or last, gives the same answers and is stored as the store stores.
    _archive_before_m014(tmp_path / "old.db")
    merge_archives(tmp_path / "old-first.db", [tmp_path / "old.db", paths[2]])
    merge_archives(tmp_path / "old-last.db", [paths[2], tmp_path / "old.db"])
    assert _rows(tmp_path / "old-first.db", MERGED) == _rows(tmp_path / "old-last.db", MERGED) == forward
    # The same archive migrated first merges into the very same answers (crawl ids follow the merge order).
    shutil.copy(tmp_path / "old.db", tmp_path / "migrated.db")
    store.open_archive(tmp_path / "migrated.db").close()
    merge_archives(tmp_path / "migrated-first.db", [tmp_path / "migrated.db", paths[2]])
    assert archive_answers(tmp_path / "old-first.db") == archive_answers(tmp_path / "migrated-first.db")
    assert _rows(tmp_path / "old-last.db", "select typeof(posted_at_stored) from comments where id = 1") == [
        ("integer",)
    ]


def test_datasette_sorts_and_filters_comments_by_posted_at(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = store.open_archive(path)
    _crawl(db, 0)
    db.close()
    want = sorted(p for p in POSTED if p is not None)
    ascending, descending, after, day, faceted = fetch(
        path,
        "/a/comments.json?_sort=posted_at&_shape=array&posted_at__notblank=1",
        "/a/comments.json?_sort_desc=posted_at&_shape=array&posted_at__notblank=1",
        "/a/comments.json?_shape=array&posted_at__gt=2024-01-01T00:00:00%2B00:00&_sort=posted_at",
        "/a/comments.json?_shape=array&posted_at__startswith=2024-01-01&_sort=id",
        "/a/comments.json?_facet=posted_at&_size=0",
    )
    assert [r["posted_at"] for r in ascending] == want
    assert [r["posted_at"] for r in descending] == want[::-1]
    assert [r["posted_at"] for r in after] == [p for p in want if p > "2024-01-01T00:00:00+00:00"]
    assert [r["posted_at"] for r in day] == [POSTED[0], POSTED[2], POSTED[3]]
    facets = {k: {v["value"]: v["count"] for v in f["results"]} for k, f in faceted["facet_results"].items()}
    assert facets["posted_at"] == {p: 1 for p in POSTED if p is not None}
    # The plugin's year facet (archiver/web/facets.py, configured in the metadata) reads the text too.
    assert facets["posted_at_2"] == {"2024": 4, "2023": 1, "1969": 1, "1711": 1}
