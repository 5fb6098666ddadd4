"""The archive's layout made smaller without losing a query (issue 17): the ``parent_id`` index holds replies only
(migration m015) and still serves every look-up by parent, and new archives use 8 kB pages while older ones keep
theirs. The full-text index merges its segments sixteen at a time (m017)."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

from helpers import assert_fts_in_sync, documented_queries, fetch, make_recap, thread

from archiver.archive import schema, store
from archiver.archive.query import escape_fts

# The look-ups by parent Datasette makes for a comment's row page ("links from other tables") and the table page
# it links to, as Datasette 0.65 writes them, and a foreign key check's.
BY_PARENT = [
    ("select count(*) from [comments] where [parent_id] = :id", {"id": 1}),
    ('select * from comments where "parent_id" = :p0 order by id limit 101', {"p0": 1}),
    ("select id from comments where parent_id in (1, 2)", {}),
]


def _plans(conn: sqlite3.Connection) -> list[list[str]]:
    return [
        [row[3] for row in conn.execute(f"explain query plan {sql}", params)]
        for sql, params in [*documented_queries(), *BY_PARENT]
    ]


def test_the_replies_index_serves_every_query_the_full_one_did(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = store.open_archive(path)
    store.save_recap(db, make_recap(thread()), None)
    db.close()
    conn = sqlite3.connect(path)
    conn.create_function("fts_words", 1, escape_fts)  # the canned search's function, as the plugin registers it
    assert conn.execute("select sql from sqlite_master where name = 'idx_comments_parent_id'").fetchone() == (
        "CREATE INDEX idx_comments_parent_id ON comments (parent_id) WHERE parent_id IS NOT NULL",
    )
    partial = _plans(conn)
    assert all(any("idx_comments_parent_id" in step for step in plan) for plan in partial[-len(BY_PARENT) :])
    conn.execute("drop index idx_comments_parent_id")
    conn.execute("create index idx_comments_parent_id on comments (parent_id)")
    assert _plans(conn) == partial  # the same plan for every documented query and look-up by parent
    conn.close()
    # Datasette's row page counts a comment's replies and thread from the indexes.
    [row] = fetch(path, "/a/comments/1.json?_extras=foreign_key_tables")
    counts = {t["other_column"]: t["count"] for t in row["foreign_key_tables"] if t["other_table"] == "comments"}
    assert counts == {"parent_id": 1, "root_id": 3}


def _page_size(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("pragma page_size").fetchone()[0]
    finally:
        conn.close()


def test_new_archives_use_8k_pages_and_older_ones_keep_theirs(tmp_path: Path) -> None:
    new = store.open_archive(tmp_path / "new.db")
    store.save_recap(new, make_recap(thread()), None)
    new.close()
    assert _page_size(tmp_path / "new.db") == store.PAGE_SIZE == 8192
    with sqlite3.connect(tmp_path / "old.db") as conn:  # an archive file created with SQLite's default
        conn.execute("pragma page_size = 4096")
        conn.execute("create table t (x)")
    conn.close()
    old = store.open_archive(tmp_path / "old.db")
    store.save_recap(old, make_recap(thread()), None)
    assert old.execute("select count(*) from comments").fetchone() == (4,)
    old.close()
    assert _page_size(tmp_path / "old.db") == 4096


def _segments(db) -> int:
    return db.execute("select count(distinct segid) from comments_fts_idx").fetchone()[0]


def test_full_text_segments_merge_sixteen_at_a_time_and_every_comment_is_found(tmp_path: Path) -> None:
    db = store.open_archive(tmp_path / "a.db")
    assert db.execute("select v from comments_fts_config where k = 'automerge'").fetchone() == (0,)
    recap = make_recap(thread())
    for i in range(40):  # each recap's save writes a segment of its own
        store.save_recap(db, dataclasses.replace(recap, url=f"{recap.url}{i}/"), None)
    # FTS5's crisis merge still bounds them (40 saves leave 8 + 2), below one a recap and above automerge=4's.
    assert 4 < _segments(db) < 16
    assert_fts_in_sync(db)
    found = db.execute("select rowid from comments_fts where comments_fts match 'wow' order by rowid").fetchall()
    assert found == db.execute("select id from comments where body_text = 'Wow' order by id").fetchall()
    assert len(found) == 40
    assert schema.optimize_search(db, schema.OPTIMIZE_AFTER) and _segments(db) == 1
    db.close()
