"""Migrations: an upgraded archive ends up exactly like a new one, and keeps working."""

from __future__ import annotations

from pathlib import Path

from helpers import assert_fts_in_sync, make_recap, thread
from sqlite_utils import Database

from archiver.archive.schema import ensure_schema, migrations
from archiver.archive.store import open_archive, save_recap, start_crawl
from archiver.items import CommentItem

BEFORE_BULK_INSERTS = "m004_comment_inserts_without_triggers"


def schema_of(db: Database) -> list[tuple[str, str, str, str]]:
    return db.execute(
        "select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%' order by type, name"
    ).fetchall()


def old_archive(path: Path) -> Database:
    """An archive written before m004: its insert triggers indexed and observed every comment."""
    db = Database(path)
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db, stop_before=BEFORE_BULK_INSERTS)
    assert {"comments_ai", "comments_first_votes"} <= set(db.triggers_dict)
    with db.atomic():
        db["sites"].insert({"id": 1, "base_url": "http://127.0.0.1:8000/"})
        db["recaps"].insert({"id": 1, "site_id": 1, "url": make_recap([]).url, "title": "Old"})
        db["comments"].insert_all(
            [
                {
                    "id": 1,
                    "recap_id": 1,
                    "site_comment_id": "101",
                    "author": "Ana",
                    "body_text": "Wow",
                    "upvotes": 3,
                    "downvotes": 1,
                    "first_seen_at": "2023-12-01T00:00:00+00:00",
                    "last_seen_at": "2023-12-01T00:00:00+00:00",
                },
                {
                    "id": 2,
                    "recap_id": 1,
                    "site_comment_id": "104",
                    "author": "Di",
                    "body_text": "Second",
                    "first_seen_at": "2023-12-01T00:00:00+00:00",
                    "last_seen_at": "2023-12-01T00:00:00+00:00",
                },
            ]
        )
    return db


def test_upgraded_archive_has_the_schema_of_a_new_one(tmp_path: Path) -> None:
    new = Database(tmp_path / "new.db")
    ensure_schema(new)
    old = old_archive(tmp_path / "old.db")
    ensure_schema(old)
    assert schema_of(old) == schema_of(new)
    assert [m.name for m in migrations.applied(old)] == [m.name for m in migrations.applied(new)]
    triggers = set(new.triggers_dict)
    assert not triggers & {"comments_ai", "comments_first_votes"}
    assert {
        "comments_au",
        "comments_ad",
        "comments_keep_versions",
        "comments_changed_votes",
        "recaps_ai",
        "recaps_au",
        "recaps_ad",
        "recaps_keep_versions",
    } <= triggers


def test_upgraded_archive_keeps_its_index_and_history_right(tmp_path: Path) -> None:
    old_archive(tmp_path / "old.db").close()
    db = open_archive(tmp_path / "old.db")
    assert_fts_in_sync(db)
    assert db["vote_observations"].count == 1  # 101's, written by the old trigger
    comments = thread() + [CommentItem("105", None, author="Eve", body_text="Tarot", upvotes=2, page=2)]
    comments[0].upvotes = 4
    when = "2024-01-01T00:00:00+00:00"
    result = save_recap(db, make_recap(comments, when), start_crawl(db, "recaps", {}, when))
    assert (result.comments_new, result.vote_changes) == (3, 1)
    assert_fts_in_sync(db)
    observed = db.execute(
        "select site_comment_id, v.upvotes from vote_observations v join comments on comments.id = comment_id "
        "order by v.observed_at, site_comment_id"
    ).fetchall()
    assert observed == [("101", 3), ("101", 4), ("102", 1), ("105", 2)]
