"""`recap-archiver merge`: archives merged into one, history included, row ids remapped, idempotent, on real SQLite
files written by the store (two crawls each: an edit, vote changes, a comment gone, raw pages, a failure)."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import sqlite3
import zlib
from pathlib import Path

import pytest
from helpers import archive_by_keys, archive_rows, assert_fts_in_sync, fetch, make_recap, run
from sqlite_utils import Database

from archiver.archive.health import SiteMeasures, check_crawl
from archiver.archive.merge import MERGE_RULES, MergeError, merge_archives, uncovered_tables
from archiver.archive.store import finish_crawl, open_archive, record_failures, save_recap, start_crawl
from archiver.items import CommentItem

DAY1, DAY2, DAY3 = "2024-03-01T00:00:00+00:00", "2024-03-02T00:00:00+00:00", "2024-03-03T00:00:00+00:00"


def comments(day: int, site: str) -> list[CommentItem]:
    """A thread as seen on ``day``: day 2 edits a comment, changes votes, loses one; day 3 adds a reply."""
    out = [
        CommentItem("1", None, author="Ana", body_text=f"{site} first" + (" (edited)" if day >= 2 else ""),
                    upvotes=3 + day, downvotes=1, posted_at="2024-02-28T10:00:00+00:00"),
        CommentItem("2", "1", author="Bo", body_text=f"{site} reply", upvotes=1, posted_at="2024-02-28T11:00:00+00:00"),
        CommentItem("3", "2", author="Cy", body_text="한국어 😅", posted_at="2024-02-28T12:00:00+00:00"),
    ]  # fmt: skip
    if day == 1:
        out.append(CommentItem("4", None, author="Di", body_text="soon gone"))
    if day >= 3:
        out.append(CommentItem("5", "3", author="Ed", body_text="late reply", upvotes=2))
    return out


def crawl(path: Path, site: str, day: int) -> None:
    """One crawl of ``site`` on ``day`` into the archive at ``path``: a recap and its thread, a page, a failure."""
    when = (DAY1, DAY2, DAY3)[day - 1]
    base = f"http://{site}.example/"
    recap = make_recap(comments(day, site), fetched_at=when)
    recap = dataclasses.replace(
        recap,
        url=base + "2021/12/23/soundtrack-1-episode-4-final/",
        site_url=base,
        title=recap.title + (" (updated)" if day >= 2 else ""),
    )
    db = open_archive(path)
    crawl_id = start_crawl(db, "recaps", {"url": base, "day": day}, when)
    save_recap(db, recap, crawl_id)
    body = f"<html>{site} day {min(day, 2)}</html>".encode()  # day 3's page is day 2's again: one body
    digest = hashlib.sha256(body).hexdigest()
    with db.atomic():
        if not db.execute("select 1 from bodies where sha256 = ?", [digest]).fetchone():
            # A zlib row, as every archive before zstandard stored them (all versions read them).
            db.execute(
                "insert into bodies (sha256, size, encoding, body) values (?, ?, 'zlib', ?)",
                [digest, len(body), zlib.compress(body)],
            )
        db.execute(
            "insert into pages (fingerprint, url, method, status, headers, fetched_at, revalidated, body_sha256, "
            "crawl_id) values (?, ?, 'GET', 200, '{}', ?, 0, ?, ?)",
            [hashlib.sha1(recap.url.encode()).hexdigest(), recap.url, when, digest, crawl_id],
        )
    record_failures(db, crawl_id, [(base + f"broken-{day}/", "HTTP 503", 3, when)])
    # The health report's row for the crawl and the site, as a crawl's end writes it.
    measures = SiteMeasures(posts=1, posts_comment_area=1, posts_expecting_comments=1, comments=len(recap.comments))
    check_crawl(db, crawl_id, {f"{site}.example": measures})
    finish_crawl(db, crawl_id, when, "finished", {"recaps": 1, "comments": len(recap.comments)})
    db.close()


def archive(tmp_path: Path, name: str, days: int) -> Path:
    path = tmp_path / f"{name}.db"
    for day in range(1, days + 1):
        crawl(path, name, day)
    return path


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, ids included (for "nothing changed")."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' order by name")]
        return {t: sorted(conn.execute(f"select * from [{t}]").fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def check_consistent(path: Path) -> None:
    db = Database(path)
    try:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert_fts_in_sync(db)
        db.execute("insert into recaps_fts(recaps_fts, rank) values('integrity-check', 1)")
        triggers = {r[0] for r in db.execute("select name from sqlite_master where type = 'trigger'")}
        assert {"comments_keep_versions", "comments_changed_votes", "recaps_keep_versions"} <= triggers
    finally:
        db.close()


def test_every_table_of_the_schema_is_merged_or_skipped_on_purpose(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "fresh.db")
    tables = db.table_names()
    db.close()
    assert uncovered_tables(tables) == [], "add the new table to archiver.archive.merge.MERGE_RULES"
    assert set(MERGE_RULES) <= set(tables), "MERGE_RULES names a table the schema no longer has"


def test_a_source_with_a_table_this_version_does_not_know_is_refused(tmp_path: Path) -> None:
    source = archive(tmp_path, "a", 1)
    with sqlite3.connect(source) as conn:
        conn.execute("create table signals (id integer primary key, url text)")
    with pytest.raises(MergeError, match="signals"):
        merge_archives(tmp_path / "merged.db", [archive(tmp_path, "b", 1), source])
    assert not (tmp_path / "merged.db").exists()  # refused before anything was written


def test_one_archive_merged_is_the_same_archive_history_included(tmp_path: Path) -> None:
    source = archive(tmp_path, "a", 3)
    merged = tmp_path / "merged.db"
    (counts,) = merge_archives(merged, [source])
    want = archive_by_keys(source)
    assert archive_by_keys(merged) == want
    # The history is really there: two texts of comment 1, a vote history, a gone comment, an earlier title.
    assert len(want["comment_versions"]) == 1 and len(want["recap_versions"]) == 1
    votes = (
        "select site_comment_id, crawl_id is first_crawl_id, observed_at, v.upvotes, v.downvotes, v.score "
        "from vote_observations v join comments on comments.id = comment_id order by 1, 3"
    )
    assert archive_rows(merged, votes) == archive_rows(source, votes) and len(archive_rows(source, votes)) == 5
    assert len(want["crawls"]) == 3 and len(want["pages"]) == 3
    assert len(want["bodies"]) == 2 and len(want["failures"]) == 3 and len(want["crawl_sites"]) == 3
    assert archive_rows(merged, "select site_comment_id from comments where gone_at is not null") == [
        {"site_comment_id": "4"}
    ]
    assert counts.added["comments"] == 5 and counts.added["vote_changes"] == 5
    check_consistent(merged)
    migrations = "select name from _sqlite_migrations order by name"
    assert archive_rows(merged, migrations) == archive_rows(source, migrations)


def test_ids_are_remapped_when_both_archives_used_the_same_ids(tmp_path: Path) -> None:
    a, b = archive(tmp_path, "a", 2), archive(tmp_path, "b", 3)
    assert (
        archive_rows(a, "select id from comments order by id")
        == archive_rows(b, "select id from comments order by id")[:4]
    )
    merged = tmp_path / "merged.db"
    merge_archives(merged, [a, b])
    got, from_a, from_b = archive_by_keys(merged), archive_by_keys(a), archive_by_keys(b)
    for table in got:
        assert got[table] == sorted(from_a[table] + from_b[table], key=repr), table
    # A reply's parent is the comment of its own recap, whatever id it had in its source.
    rows = archive_rows(
        merged,
        "select r.url, c.site_comment_id, p.site_comment_id as parent, pr.url as parent_url from comments c "
        "join recaps r on r.id = c.recap_id join comments p on p.id = c.parent_id join recaps pr on pr.id = p.recap_id",
    )
    assert rows and all(r["url"] == r["parent_url"] for r in rows)
    check_consistent(merged)


def test_merging_the_same_sources_again_changes_nothing(tmp_path: Path) -> None:
    a, b = archive(tmp_path, "a", 3), archive(tmp_path, "b", 2)
    merged = tmp_path / "merged.db"
    merge_archives(merged, [a, b])
    before = dump(merged)
    counts = merge_archives(merged, [a, b])
    assert dump(merged) == before
    assert all(n == 0 for c in counts for n in [*c.added.values(), *c.updated.values()]), counts


def test_newer_copies_add_only_what_is_new(tmp_path: Path) -> None:
    source = tmp_path / "a.db"
    crawl(source, "a", 1)
    old_copy = tmp_path / "a-day1.db"
    shutil.copyfile(source, old_copy)
    merged = tmp_path / "merged.db"
    other = archive(tmp_path, "b", 1)
    merge_archives(merged, [source, other])
    crawl(source, "a", 2)
    crawl(source, "a", 3)
    (counts,) = merge_archives(merged, [source])
    got, want, from_other = archive_by_keys(merged), archive_by_keys(source), archive_by_keys(other)
    for table in got:
        assert got[table] == sorted(want[table] + from_other[table], key=repr), table
    assert counts.added["comments"] == 1 and counts.added["comment_versions"] == 1 and counts.added["crawls"] == 2
    assert counts.updated["comments"] >= 2  # the edited text and the gone comment are current values
    # An older copy merged after the newer one changes nothing: current values follow the copy seen last.
    before = dump(merged)
    merge_archives(merged, [old_copy])
    assert dump(merged) == before
    check_consistent(merged)


def test_an_archive_from_before_crawl_uids_merges_its_crawls_once(tmp_path: Path) -> None:
    source = archive(tmp_path, "a", 2)
    with sqlite3.connect(source) as conn:  # as an archive written before m010 was
        conn.execute("drop index idx_crawls_uid")
        conn.execute("alter table crawls drop column uid")
        conn.execute("delete from _sqlite_migrations where name = 'm010_crawl_uid'")
    merged = tmp_path / "merged.db"
    merge_archives(merged, [source])
    open_archive(source).close()  # the source is migrated later, by its next crawl
    (counts,) = merge_archives(merged, [source])
    assert counts.added["crawls"] == 0
    assert archive_by_keys(merged) == archive_by_keys(source)


def test_merge_command(tmp_path: Path) -> None:
    a, b = archive(tmp_path, "a", 2), archive(tmp_path, "b", 1)
    merged = tmp_path / "merged.db"
    done = run("merge", str(merged), str(a), str(b))
    assert done.exit_code == 0, done.output
    assert "a.db: 4 comments added" in done.output and "b.db: 4 comments added" in done.output
    stats = run("stats", str(merged))
    assert stats.exit_code == 0 and "2 sites" in stats.output, stats.output
    # Datasette and the plugin's thread page read it: the reply's text under b's recap, edited text and all.
    [(recap,)] = [tuple(r.values()) for r in archive_rows(merged, "select id from recaps where url like 'http://b.%'")]
    [page] = fetch(merged, f"/merged/-/thread/{recap}")
    assert "b first" in page and "b reply" in page and "a first" not in page


@pytest.mark.parametrize("case", ["source is not an archive", "merged is not an archive", "into a source", "missing"])
def test_merge_command_refuses_bad_arguments_in_one_line(tmp_path: Path, case: str) -> None:
    a = archive(tmp_path, "a", 1)
    text = tmp_path / "notes.txt"
    text.write_text("not an archive")
    merged = tmp_path / "merged.db"
    args, says = {
        "source is not an archive": ([merged, a, text], "is not a recap archive"),
        "merged is not an archive": ([text, a], "is not a recap archive"),
        "into a source": ([a, a], "it is one of the sources"),
        "missing": ([merged, tmp_path / "nowhere.db"], "nowhere.db"),
    }[case]
    before = dump(a)
    done = run("merge", *map(str, args))
    assert done.exit_code == 2, done.output
    assert says in done.output and "Traceback" not in done.output
    assert dump(a) == before and text.read_text() == "not an archive"
    assert not merged.exists()  # nothing was written, not even an empty archive
