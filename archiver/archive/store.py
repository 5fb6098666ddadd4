"""Saving to the archive: plain functions over a sqlite-utils Database, no Scrapy.

Every write is an upsert keyed on the site's own identifiers (a site's base URL,
a recap's URL, a comment's id within its recap), so re-running a crawl adds no
rows, and nothing here ever deletes.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from archiver.archive.files import connect_read_only, has_table
from archiver.archive.revisit import RevisitPolicy, next_visit
from archiver.archive.schema import STORED_TIMES, ensure_schema, stored_html, stored_time
from archiver.episodes import slugify
from archiver.errors import ArchivePathError
from archiver.items import CommentItem, RecapItem, Term

# Fields a later crawl may not observe (a page without the vote widget, an API without dates):
# an empty value never replaces an archived one.
KEEP_WHEN_EMPTY = (
    "author",
    "author_url",
    "posted_at",
    "posted_at_raw",
    "body_html",
    "body_text",
    "upvotes",
    "downvotes",
    "score",
)


@dataclass
class SaveResult:
    """What saving one recap did."""

    recap_id: int
    recap_new: bool
    comments: int
    comments_new: int
    recap_changed: bool = False
    """Title or body text differs from the archived one."""
    comments_edited: int = 0
    """Archived comments whose text changed (the earlier text is in ``comment_versions``)."""
    vote_changes: int = 0
    """Archived comments whose votes changed (each change is a row of ``vote_changes``, read in ``vote_observations``)."""
    comments_gone: int = 0
    """Archived comments no longer on the fully fetched thread (``gone_at`` set)."""
    comments_back: int = 0
    """Comments marked gone earlier that are on the thread again."""


def may_mark_gone(recap: RecapItem, archived_newest: str | None) -> bool:
    """Whether comments missing from ``recap``'s thread may be marked gone.

    Only a complete thread proves a comment gone, and only when none of its pages is older than what the
    archive already holds (``archived_newest``: the newest capture, or the last fetch, of the archived
    thread): a capture from before a comment was written says nothing about that comment. A page with no
    comment area and no comments read proves nothing either.
    """
    if not recap.complete:
        return False
    if recap.comment_area is False and not recap.comments:
        # A post page showing no comment area at all (changed markup, a hidden thread) proves nothing deleted.
        return False
    oldest = recap.captured_first_at or recap.fetched_at
    return archived_newest is None or oldest >= archived_newest


def check_archive_path(path: str | Path) -> Path:
    """Return ``path`` as a Path if an archive can be written there.

    Raises ArchivePathError (naming the path) when its folder does not exist or the
    path is a folder.
    """
    p = Path(path)
    if p.is_dir():
        raise ArchivePathError(f"ARCHIVE_DB {str(path)!r} is a folder, not a file")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ArchivePathError(f"ARCHIVE_DB {str(path)!r}: folder {str(parent)!r} does not exist")
    return p


PAGE_SIZE = 8192
"""Bytes a page of a new archive (SQLite's: 4096, where a recap's 2 kB row leaves most of its page empty; issue 17)."""


def open_archive(path: str | Path) -> Database:
    """Open (creating if needed) the archive at ``path`` in WAL mode, at the current schema."""
    db = Database(check_archive_path(path))
    # Only a new, empty file takes it: an archive keeps the page size it was created with (a VACUUM would apply it).
    db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    db.enable_wal()
    # WAL with synchronous=NORMAL: a killed crawl loses at most its last transactions, never consistency.
    db.execute("PRAGMA synchronous = NORMAL")
    # An UPSERT on a table with triggers opens a statement journal for every row; in memory rather than in a
    # temporary file, saving a thread is about a third faster. It holds one statement's changes, not the archive.
    db.execute("PRAGMA temp_store = MEMORY")
    ensure_schema(db)
    return db


def save_site(db: Database, base_url: str, name: str | None, platform: str | None, seen_at: str) -> int:
    """Upsert a site by its base URL; return its id."""
    # One statement: the upsert sqlite-utils would run, first_seen_at filled only where still empty.
    return db.conn.execute(
        "INSERT INTO sites (base_url, name, platform, last_crawled_at, first_seen_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (base_url) DO UPDATE SET name = excluded.name, platform = excluded.platform, "
        "last_crawled_at = excluded.last_crawled_at, first_seen_at = coalesce(sites.first_seen_at, excluded.first_seen_at) "
        "RETURNING id",
        [base_url, name, platform, seen_at, seen_at],
    ).fetchone()[0]


def save_series(db: Database, site_id: int, name: str, term: Term | None) -> int:
    """Upsert a series by (site, name), linked to its matching tag or category; return its id."""
    record: dict[str, Any] = {"site_id": site_id, "name": name}
    if term is not None:
        record.update(slug=term.slug or slugify(name), url=term.url)
    elif not db.execute("select 1 from series where site_id = ? and name = ?", [site_id, name]).fetchone():
        record.update(slug=slugify(name), url=None)
    return _upsert_returning_id(db, "series", record, ("site_id", "name"))


def save_terms(db: Database, site_id: int, terms: list[Term]) -> list[int]:
    """Upsert tags and categories by (site, taxonomy, name); return their ids in order."""
    ids = []
    for term in terms:
        ids.append(
            _upsert_returning_id(
                db,
                "terms",
                {"site_id": site_id, "taxonomy": term.taxonomy, "name": term.name, "slug": term.slug, "url": term.url},
                ("site_id", "taxonomy", "name"),
            )
        )
    return ids


_UPSERT_SQL: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}


def _upsert_returning_id(db: Database, table: str, record: dict[str, Any], key: tuple[str, ...]) -> int:
    """sqlite-utils' ``upsert(record, pk=key)`` as one prepared statement that returns the row's id."""
    columns = tuple(record)
    sql = _UPSERT_SQL.get((table, columns, key))
    if sql is None:
        updates = [c for c in columns if c not in key]
        action = (
            ("DO UPDATE SET " + ", ".join(f"[{c}] = excluded.[{c}]" for c in updates))
            if updates
            # DO NOTHING returns no row; a no-op update of a key column does, and changes nothing.
            else (f"DO UPDATE SET [{key[0]}] = excluded.[{key[0]}]")
        )
        sql = _UPSERT_SQL[(table, columns, key)] = (
            f"INSERT INTO [{table}] ("
            + ", ".join(f"[{c}]" for c in columns)
            + ") VALUES ("
            + ", ".join("?" * len(columns))
            + ") ON CONFLICT ("
            + ", ".join(f"[{c}]" for c in key)
            + ") "
            + action
            + " RETURNING id"
        )
    return db.conn.execute(sql, list(record.values())).fetchone()[0]


def save_recap(
    db: Database,
    recap: RecapItem,
    crawl_id: int | None,
    *,
    policy: RevisitPolicy | None = None,
) -> SaveResult:
    """Write one recap, its site, series, terms and whole thread in one transaction.

    ``recap.comments`` must already carry their hierarchy (see archiver.threads).
    Existing rows are updated in place, never deleted: edits and vote changes go to
    the history tables (by triggers; first vote observations and the full-text rows of
    new comments are written by ``save_comments``), comments missing from a complete thread get
    ``gone_at``. Schedules the recap's next visit with ``policy``. Returns what changed.
    """
    seen_at = recap.fetched_at
    with db.atomic():
        site_id = save_site(db, recap.site_url, recap.site_name, recap.platform, seen_at)
        series_id = save_series(db, site_id, recap.series_name, recap.series_term) if recap.series_name else None
        before = db.execute(
            "select id, title, body_text, revisit_interval, coalesce(captured_last_at, last_crawled_at) "
            "from recaps where url = ?",
            [recap.url],
        ).fetchone()
        record = {
            "url": recap.url,
            "site_id": site_id,
            "series_id": series_id,
            "title": recap.title,
            "episode_number": recap.episode_number,
            "episode_end": recap.episode_end,
            "episode_label": recap.episode_label,
            "author": recap.author,
            "published_at": recap.published_at,
            "published_at_raw": recap.published_at_raw,
            "body_html": recap.body_html,
            "body_text": recap.body_text,
            "comment_count_reported": recap.comment_count_reported,
            "comment_pages": recap.comment_pages,
            "thread_complete": int(recap.complete),
            "incomplete_reason": recap.incomplete_reason,
            "last_crawled_at": seen_at,
            "last_crawl_id": crawl_id,
            "source": recap.source or "live",
            "captured_at": recap.captured_at,
            "capture_url": recap.capture_url,
            "captured_first_at": recap.captured_first_at,
            "captured_last_at": recap.captured_last_at,
        }
        if before is not None and not recap.body_text:
            record.pop("body_html"), record.pop("body_text")  # a page that lost its body keeps the archived one
        # The revisit schedule goes into the same single write as the rest of the recap (each write to a recap
        # re-indexes its FTS row): what it needs, the number of new comments, is known before writing.
        existing = _existing_comments(db, before[0]) if before is not None else None
        comments_new = len({c.site_comment_id for c in recap.comments} - (existing or {}).keys())
        activity = max([c.posted_at for c in recap.comments if c.posted_at] + [recap.published_at or ""]) or None
        interval, due = next_visit(
            policy or RevisitPolicy(),
            seen_at,
            before[3] if before else None,
            gained_comments=before is not None and comments_new > 0,
            last_activity_at=activity,
        )
        if not recap.complete:
            due = seen_at  # what is missing is fetched by the very next crawl
        record.update(
            revisit_interval=interval,
            next_due_at=due,
            last_activity_at=activity,
            first_seen_at=seen_at,
            first_crawl_id=crawl_id,
        )
        recap_id = db.conn.execute(_recap_upsert_sql(tuple(record)), list(record.values())).fetchone()[0]
        term_ids = save_terms(db, site_id, recap.tags + recap.categories)
        if term_ids:
            db.conn.executemany(
                "INSERT INTO recap_terms (recap_id, term_id) VALUES (?, ?) ON CONFLICT (recap_id, term_id) DO NOTHING",
                [(recap_id, t) for t in term_ids],
            )
        # A thread read from captures older than what is archived proves nothing gone (sources/provenance.py).
        result = save_comments(
            db,
            recap_id,
            recap.comments,
            seen_at,
            crawl_id,
            complete=may_mark_gone(recap, before[4] if before else None),
            existing=existing,
        )
        result.recap_new = before is None
        result.recap_changed = before is not None and (
            before[1] != recap.title or (bool(recap.body_text) and before[2] != recap.body_text)
        )
    return result


def save_comments(
    db: Database,
    recap_id: int,
    comments: list[CommentItem],
    seen_at: str,
    crawl_id: int | None,
    complete: bool = False,
    existing: dict[str, dict[str, Any]] | None = None,
) -> SaveResult:
    """Write a recap's comments, link parents and roots by archive id, and mark what is gone.

    New comments are inserted with their full-text rows and first vote observations (the
    archive has no insert triggers for them); archived ones are updated in place, their
    triggers keeping the full-text index and the history. ``existing`` is what
    ``_existing_comments`` returns for the recap in this transaction. A comment archived
    before but absent now is marked gone only when ``complete`` (every comment page was
    fetched): a partial thread proves nothing.
    """
    result = SaveResult(recap_id, False, len(comments), 0)
    if existing is None:
        existing = _existing_comments(db, recap_id)
    # Archive ids are known before writing (an existing row keeps its id, a new one gets the id SQLite would
    # give it: max(id) + 1, in order), so parent and root links go in the same single write as everything
    # else, and the rows just inserted are exactly the ids first_new_id..next_id - 1.
    ids = {site_id: row["id"] for site_id, row in existing.items()}
    stored_seen = stored_time(seen_at)
    first_new_id = next_id = (db.execute("select max(id) from comments").fetchone()[0] or 0) + 1
    for c in comments:
        if c.site_comment_id not in ids:
            ids[c.site_comment_id] = next_id
            next_id += 1
    inserts: list[list[Any]] = []
    upserts: list[list[Any]] = []
    for c in comments:
        record = _comment_record(recap_id, c, seen_at, crawl_id)
        old = existing.get(c.site_comment_id)
        if old is not None:
            for name in KEEP_WHEN_EMPTY:
                if record[name] in (None, "") and old[name] not in (None, ""):
                    record[name] = old[name]
            result.comments_edited += old["body_text"] not in (None, "") and record["body_text"] != old["body_text"]
            result.vote_changes += any(record[v] != old[v] for v in ("upvotes", "downvotes", "score"))
        record["body_html"] = stored_html(record["body_html"], record["body_text"])
        record["posted_at"], record["last_seen_at"] = stored_time(record["posted_at"]), stored_seen
        parent = ids.get(c.parent_site_id) if c.parent_site_id and not c.parent_missing else None
        root = ids.get(c.root_site_id) if c.root_site_id else None
        new_id = ids[c.site_comment_id] if old is None else None
        # A site id given twice (assemble_thread drops such duplicates) is inserted once, then updated by the
        # later copy, as an upsert of every row would. New ids go in order of first appearance, so a repeat's
        # id is not above the last one inserted.
        if new_id is not None and (not inserts or inserts[-1][0] < new_id):
            inserts.append([new_id, *record.values(), parent, root, stored_seen, crawl_id])
        else:
            upserts.append([None, *record.values(), parent, root, stored_seen, crawl_id])
    if inserts or upserts:
        # A reply may be written before its parent (only thread order guarantees the opposite): the
        # foreign keys are checked when the transaction commits.
        db.execute("PRAGMA defer_foreign_keys = ON")
    if inserts:
        # New rows: a plain insert, then their full-text rows in one statement (per-row insert triggers made
        # saving about twice as slow), before anything may update them. Their first vote observations are the
        # rows themselves (the view vote_observations, m013).
        db.conn.executemany(_INSERT_COMMENT, inserts)
        db.execute(_INDEX_NEW_COMMENTS, [first_new_id, next_id - 1])
        result.comments_new = next_id - first_new_id
    if upserts:
        # Archived rows are updated in place: the UPDATE triggers re-index them and record edits and vote
        # changes; first_seen_at and first_crawl_id are filled only where still empty.
        db.conn.executemany(_UPSERT_COMMENT, upserts)
    result.comments_back = db.execute(
        "update comments set gone_at = null, gone_crawl_id = null "
        "where recap_id = ? and gone_at is not null and last_seen_at_stored = ?",
        [recap_id, stored_seen],
    ).rowcount
    if complete:
        result.comments_gone = db.execute(
            "update comments set gone_at = ?, gone_crawl_id = ? "
            "where recap_id = ? and gone_at is null and last_seen_at_stored is not ?",
            [seen_at, crawl_id, recap_id, stored_seen],
        ).rowcount
    return result


# posted_at as stored (m014): what is kept is written back as it is, and stored_time leaves a stored value unchanged.
_KEPT = ", ".join("posted_at_stored as posted_at" if c == "posted_at" else c for c in KEEP_WHEN_EMPTY)
_EXISTING_SQL = f"select id, site_comment_id, {_KEPT} from comments where recap_id = ?"


def _existing_comments(db: Database, recap_id: int) -> dict[str, dict[str, Any]]:
    """A recap's archived comments by site id: their archive id and the fields an empty value may not replace."""
    cursor = db.conn.execute(_EXISTING_SQL, [recap_id])
    names = [d[0] for d in cursor.description]
    return {row[1]: dict(zip(names, row, strict=False)) for row in cursor}


_RECAP_SQL: dict[tuple[str, ...], str] = {}


def _recap_upsert_sql(columns: tuple[str, ...]) -> str:
    """Insert a recap, or update it in place: one write, first-seen values filled only where still empty."""
    sql = _RECAP_SQL.get(columns)
    if sql is None:
        updates = [f"[{c}] = excluded.[{c}]" for c in columns if c not in ("url", "first_seen_at", "first_crawl_id")]
        sql = _RECAP_SQL[columns] = (
            "INSERT INTO recaps ("
            + ", ".join(f"[{c}]" for c in columns)
            + ") VALUES ("
            + ", ".join("?" * len(columns))
            + ") ON CONFLICT (url) DO UPDATE SET "
            + ", ".join(updates)
            + ", first_crawl_id = iif(recaps.first_seen_at is null, excluded.first_crawl_id, recaps.first_crawl_id)"
            ", first_seen_at = coalesce(recaps.first_seen_at, excluded.first_seen_at) RETURNING id"
        )
    return sql


def record_failures(db: Database, crawl_id: int | None, failures: list[tuple[str, str, int, str]]) -> None:
    """Upsert pages that failed for good: ``(url, reason, attempts, failed_at)``; attempts add up."""
    with db.atomic():
        db.conn.executemany(
            "insert into failures (url, reason, attempts, first_failed_at, last_failed_at, first_crawl_id, last_crawl_id) "
            "values (?1, ?2, ?3, ?4, ?4, ?5, ?5) on conflict(url) do update set reason = excluded.reason, "
            "attempts = failures.attempts + excluded.attempts, last_failed_at = excluded.last_failed_at, "
            "last_crawl_id = excluded.last_crawl_id, resolved_at = null, resolved_crawl_id = null",
            [(url, reason, attempts, when, crawl_id) for url, reason, attempts, when in failures],
        )


def resolve_failures(db: Database, crawl_id: int | None, urls: list[str], when: str) -> int:
    """Mark failures of ``urls`` resolved; return how many were."""
    with db.atomic():
        return sum(
            db.execute(
                "update failures set resolved_at = ?, resolved_crawl_id = ? where url = ? and resolved_at is null",
                [when, crawl_id, url],
            ).rowcount
            for url in urls
        )


def unresolved_failures(path: str | Path) -> list[str]:
    """URLs that failed for good and have not succeeded since, read without writing; [] without an archive."""
    if not Path(path).is_file():
        return []
    conn = connect_read_only(path)
    try:
        if not has_table(conn, "failures"):
            return []
        return [row[0] for row in conn.execute("select url from failures where resolved_at is null order by id")]
    finally:
        conn.close()


def start_crawl(db: Database, spider: str, args: dict[str, Any], started_at: str) -> int:
    """Record the start of a crawl; return its id."""
    return (
        db["crawls"]
        .insert(
            {
                "spider": spider,
                "started_at": started_at,
                "args": json.dumps(args, sort_keys=True),
                "uid": uuid.uuid4().hex,
            }
        )
        .last_pk
    )


def finish_crawl(db: Database, crawl_id: int, finished_at: str, reason: str, counts: dict[str, Any]) -> None:
    """Record a crawl's end, its counts and its full Scrapy stats (``counts["stats"]``, JSON)."""
    with db.atomic():
        db["crawls"].update(crawl_id, {"finished_at": finished_at, "finish_reason": reason, **counts})


def _comment_record(recap_id: int, c: CommentItem, seen_at: str, crawl_id: int | None) -> dict[str, Any]:
    return {
        "recap_id": recap_id,
        "site_comment_id": c.site_comment_id,
        "parent_site_comment_id": c.parent_site_id,
        "parent_missing": int(c.parent_missing),
        "depth": c.depth,
        "position": c.position,
        "path": c.path,
        "comment_page": c.page,
        "author": c.author,
        "author_url": c.author_url,
        "posted_at": c.posted_at,
        "posted_at_raw": c.posted_at_raw,
        "body_html": c.body_html,
        "body_text": c.body_text,
        "upvotes": c.upvotes,
        "downvotes": c.downvotes,
        "score": c.score,
        "last_seen_at": seen_at,
        "last_crawl_id": crawl_id,
        "source": c.source or "live",
        "captured_at": c.captured_at,
        "capture_url": c.capture_url,
    }


# body_html is written as body_html_stored (see stored_html), the times as *_stored (stored_time, m014); the
# columns of the old names are generated from them.
_RECORD = _comment_record(0, CommentItem(site_comment_id=""), "", None)
_COMMENT_COLUMNS = [f"{c}_stored" if c == "body_html" or c in STORED_TIMES else c for c in _RECORD]
_INSERT_COMMENT = (
    f"INSERT INTO comments (id, {', '.join(_COMMENT_COLUMNS)}, parent_id, root_id, first_seen_at_stored, first_crawl_id) "
    "VALUES (" + ", ".join("?" * (len(_COMMENT_COLUMNS) + 5)) + ")"
)
"""A new comment, with the archive id ``save_comments`` gave it and its links."""
_UPSERT_COMMENT = (
    _INSERT_COMMENT + " "
    "ON CONFLICT (recap_id, site_comment_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COMMENT_COLUMNS if c not in ("recap_id", "site_comment_id"))
    + ", parent_id = excluded.parent_id, root_id = excluded.root_id"
    # First-seen values are filled only where still empty, as save_site's upsert does.
    ", first_crawl_id = iif(comments.first_seen_at_stored is null, excluded.first_crawl_id, comments.first_crawl_id)"
    ", first_seen_at_stored = coalesce(comments.first_seen_at_stored, excluded.first_seen_at_stored)"
)
"""One comment written once: inserted with its links, or updated in place (``ON CONFLICT DO UPDATE``)."""
_INDEX_NEW_COMMENTS = (
    "INSERT INTO comments_fts (rowid, body_text, author) "
    "SELECT id, body_text, author FROM comments WHERE id BETWEEN ? AND ? ORDER BY id"
)
"""Full-text rows of the comments with ids in a range: what the dropped ``comments_ai`` trigger wrote per row."""
