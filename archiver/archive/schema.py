"""The archive's schema, declared in one place and applied idempotently.

Tables are created and changed only by the migrations below (recorded by
sqlite-utils in ``_sqlite_migrations``); views are re-declared on every open so
that their definitions track this module. docs/schema.md documents every column:
``tests/test_docs.py`` keeps the two in step.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "recap_archiver"
migrations = Migrations(MIGRATION_SET)

# Full-text search: table -> indexed columns.
FTS_CONFIG: dict[str, list[str]] = {
    "recaps": ["title", "body_text"],
    "comments": ["body_text", "author"],
}

# Views, re-created on every open. Thread order is `path` order.
VIEWS: dict[str, str] = {
    "comment_threads": """
select
  comments.recap_id,
  recaps.title as recap_title,
  comments.id as comment_id,
  comments.site_comment_id,
  comments.parent_id,
  comments.depth,
  comments.position,
  comments.path,
  comments.author,
  comments.posted_at,
  comments.upvotes,
  comments.downvotes,
  comments.score,
  case when comments.depth > 1 then printf('%.*c', (comments.depth - 1) * 4, ' ') else '' end
    || coalesce(comments.author, '(anonymous)') || ': '
    || substr(replace(replace(comments.body_text, char(13), ' '), char(10), ' '), 1, 120)
    as preview
from comments
join recaps on recaps.id = comments.recap_id
order by comments.recap_id, comments.path
""",
    "series_episodes": """
select
  series.id as series_id,
  series.name as series_name,
  recaps.id as recap_id,
  recaps.episode_number,
  recaps.episode_end,
  recaps.episode_label,
  recaps.title,
  recaps.url,
  recaps.published_at,
  recaps.comment_count_reported,
  (select count(*) from comments where comments.recap_id = recaps.id) as comments_archived
from recaps
join series on series.id = recaps.series_id
order by series.name, recaps.episode_number, recaps.published_at
""",
}


@migrations()
def m001_initial(db: Database) -> None:
    """Sites, series, terms, recaps, comments, crawls; keys, indexes and full-text search."""
    db["crawls"].create(
        {
            "id": int,
            "spider": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "args": str,
            "pages": int,
            "bytes": int,
            "recaps": int,
            "comments": int,
            "comments_new": int,
            "threads_incomplete": int,
            "errors": int,
            "stats": str,
        },
        pk="id",
    )

    db["sites"].create(
        {
            "id": int,
            "base_url": str,
            "name": str,
            "platform": str,
            "first_seen_at": str,
            "last_crawled_at": str,
        },
        pk="id",
        not_null={"base_url"},
    )
    db["sites"].create_index(["base_url"], unique=True)

    db["series"].create(
        {"id": int, "site_id": int, "name": str, "slug": str, "url": str},
        pk="id",
        not_null={"site_id", "name"},
        foreign_keys=[("site_id", "sites", "id")],
    )
    db["series"].create_index(["site_id", "name"], unique=True)

    db["terms"].create(
        {"id": int, "site_id": int, "taxonomy": str, "name": str, "slug": str, "url": str},
        pk="id",
        not_null={"site_id", "taxonomy", "name"},
        foreign_keys=[("site_id", "sites", "id")],
    )
    db["terms"].create_index(["site_id", "taxonomy", "name"], unique=True)

    db["recaps"].create(
        {
            "id": int,
            "site_id": int,
            "series_id": int,
            "url": str,
            "title": str,
            "episode_number": int,
            "episode_end": int,
            "episode_label": str,
            "author": str,
            "published_at": str,
            "published_at_raw": str,
            "body_html": str,
            "body_text": str,
            "comment_count_reported": int,
            "comment_pages": int,
            "thread_complete": int,
            "first_seen_at": str,
            "last_crawled_at": str,
            "first_crawl_id": int,
            "last_crawl_id": int,
        },
        pk="id",
        not_null={"site_id", "url"},
        foreign_keys=[
            ("site_id", "sites", "id"),
            ("series_id", "series", "id"),
            ("first_crawl_id", "crawls", "id"),
            ("last_crawl_id", "crawls", "id"),
        ],
    )
    db["recaps"].create_index(["url"], unique=True)
    db["recaps"].create_index(["series_id", "episode_number"])
    db["recaps"].create_index(["site_id"])

    db["recap_terms"].create(
        {"recap_id": int, "term_id": int},
        pk=("recap_id", "term_id"),
        foreign_keys=[("recap_id", "recaps", "id"), ("term_id", "terms", "id")],
    )
    db["recap_terms"].create_index(["term_id"])

    db["comments"].create(
        {
            "id": int,
            "recap_id": int,
            "site_comment_id": str,
            "parent_id": int,
            "root_id": int,
            "parent_site_comment_id": str,
            "parent_missing": int,
            "depth": int,
            "position": int,
            "path": str,
            "comment_page": int,
            "author": str,
            "author_url": str,
            "posted_at": str,
            "posted_at_raw": str,
            "body_html": str,
            "body_text": str,
            "upvotes": int,
            "downvotes": int,
            "score": int,
            "first_seen_at": str,
            "last_seen_at": str,
            "first_crawl_id": int,
            "last_crawl_id": int,
        },
        pk="id",
        not_null={"recap_id", "site_comment_id"},
        defaults={"parent_missing": 0},
        foreign_keys=[
            ("recap_id", "recaps", "id"),
            ("parent_id", "comments", "id"),
            ("root_id", "comments", "id"),
            ("first_crawl_id", "crawls", "id"),
            ("last_crawl_id", "crawls", "id"),
        ],
    )
    db["comments"].create_index(["recap_id", "site_comment_id"], unique=True)
    db["comments"].create_index(["recap_id", "path"])
    db["comments"].create_index(["parent_id"])
    db["comments"].create_index(["root_id"])
    db["comments"].create_index(["author"])

    for table, columns in FTS_CONFIG.items():
        db[table].enable_fts(columns, create_triggers=True, tokenize="unicode61 remove_diacritics 2")


# History: earlier texts, vote changes, recap body changes. UPDATE triggers record them, so
# every path that updates an archived row (crawl, reparse, an UPSERT's ON CONFLICT DO UPDATE,
# another program) keeps history the same way. This is the set m002 created; m004 dropped
# comments_first_votes again (and sqlite-utils' comments_ai FTS trigger): a new comment's
# full-text row is written by archiver.archive.store.save_comments, one statement per recap instead
# of a trigger per row (as was its first vote observation, which since m013 is the comment itself).
# A program that inserts comments by other means must write the full-text row itself (see m004);
# m013 replaced comments_changed_votes (CHANGED_VOTES_TRIGGER).
HISTORY_TRIGGERS: dict[str, str] = {
    "comments_keep_versions": """
CREATE TRIGGER IF NOT EXISTS comments_keep_versions AFTER UPDATE OF body_text ON comments
WHEN old.body_text IS NOT new.body_text AND old.body_text IS NOT NULL
BEGIN
  INSERT INTO comment_versions (comment_id, body_html, body_text, first_seen_at, last_seen_at, replaced_at, replaced_crawl_id)
  VALUES (
    old.id, old.body_html, old.body_text,
    coalesce((SELECT max(replaced_at) FROM comment_versions WHERE comment_id = old.id), old.first_seen_at),
    old.last_seen_at, new.last_seen_at, new.last_crawl_id
  );
END""",
    "comments_first_votes": """
CREATE TRIGGER IF NOT EXISTS comments_first_votes AFTER INSERT ON comments
WHEN new.upvotes IS NOT NULL OR new.downvotes IS NOT NULL OR new.score IS NOT NULL
BEGIN
  INSERT INTO vote_observations (comment_id, crawl_id, observed_at, upvotes, downvotes, score)
  VALUES (new.id, new.last_crawl_id, new.last_seen_at, new.upvotes, new.downvotes, new.score);
END""",
    "comments_changed_votes": """
CREATE TRIGGER IF NOT EXISTS comments_changed_votes AFTER UPDATE OF upvotes, downvotes, score ON comments
WHEN old.upvotes IS NOT new.upvotes OR old.downvotes IS NOT new.downvotes OR old.score IS NOT new.score
BEGIN
  INSERT INTO vote_observations (comment_id, crawl_id, observed_at, upvotes, downvotes, score)
  VALUES (new.id, new.last_crawl_id, new.last_seen_at, new.upvotes, new.downvotes, new.score);
END""",
    "recaps_keep_versions": """
CREATE TRIGGER IF NOT EXISTS recaps_keep_versions AFTER UPDATE OF title, body_text ON recaps
WHEN (old.body_text IS NOT new.body_text AND old.body_text IS NOT NULL) OR old.title IS NOT new.title
BEGIN
  INSERT INTO recap_versions (recap_id, title, body_html, body_text, first_seen_at, last_seen_at, replaced_at, replaced_crawl_id)
  VALUES (
    old.id, old.title, old.body_html, old.body_text,
    coalesce((SELECT max(replaced_at) FROM recap_versions WHERE recap_id = old.id), old.first_seen_at),
    old.last_crawled_at, new.last_crawled_at, new.last_crawl_id
  );
END""",
}


@migrations()
def m002_history(db: Database) -> None:
    """Re-crawl history: versions, vote observations, gone comments, revisit schedule, raw pages."""
    db["comments"].add_column("gone_at", str)
    db["comments"].add_column("gone_crawl_id", int)
    db["recaps"].add_column("next_due_at", str)
    db["recaps"].add_column("revisit_interval", int)
    db["recaps"].add_column("last_activity_at", str)
    for name, kind in [
        ("pages_not_modified", int),
        ("recaps_new", int),
        ("recaps_changed", int),
        ("recaps_not_due", int),
        ("comments_edited", int),
        ("comments_gone", int),
        ("vote_changes", int),
    ]:
        db["crawls"].add_column(name, kind)
    db["comment_versions"].create(
        {
            "id": int,
            "comment_id": int,
            "body_html": str,
            "body_text": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "replaced_at": str,
            "replaced_crawl_id": int,
        },
        pk="id",
        foreign_keys=[("comment_id", "comments", "id"), ("replaced_crawl_id", "crawls", "id")],
    )
    db["comment_versions"].create_index(["comment_id"])
    db["recap_versions"].create(
        {
            "id": int,
            "recap_id": int,
            "title": str,
            "body_html": str,
            "body_text": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "replaced_at": str,
            "replaced_crawl_id": int,
        },
        pk="id",
        foreign_keys=[("recap_id", "recaps", "id"), ("replaced_crawl_id", "crawls", "id")],
    )
    db["recap_versions"].create_index(["recap_id"])
    db["vote_observations"].create(
        {
            "id": int,
            "comment_id": int,
            "crawl_id": int,
            "observed_at": str,
            "upvotes": int,
            "downvotes": int,
            "score": int,
        },
        pk="id",
        foreign_keys=[("comment_id", "comments", "id"), ("crawl_id", "crawls", "id")],
    )
    db["vote_observations"].create_index(["comment_id", "observed_at"])
    db["vote_observations"].create_index(["crawl_id"])
    db["bodies"].create({"sha256": str, "size": int, "encoding": str, "body": bytes}, pk="sha256")
    db["pages"].create(
        {
            "id": int,
            "fingerprint": str,
            "url": str,
            "method": str,
            "status": int,
            "headers": str,
            "fetched_at": str,
            "revalidated": int,
            "body_sha256": str,
            "crawl_id": int,
        },
        pk="id",
        foreign_keys=[("body_sha256", "bodies", "sha256"), ("crawl_id", "crawls", "id")],
    )
    db["pages"].create_index(["fingerprint", "id"])
    db["pages"].create_index(["url"])
    for sql in HISTORY_TRIGGERS.values():
        db.execute(sql)


@migrations()
def m003_failures(db: Database) -> None:
    """Pages that failed for good, retried first by the next crawl."""
    db["failures"].create(
        {
            "id": int,
            "url": str,
            "reason": str,
            "attempts": int,
            "first_failed_at": str,
            "last_failed_at": str,
            "first_crawl_id": int,
            "last_crawl_id": int,
            "resolved_at": str,
            "resolved_crawl_id": int,
        },
        pk="id",
        not_null={"url"},
        foreign_keys=[
            ("first_crawl_id", "crawls", "id"),
            ("last_crawl_id", "crawls", "id"),
            ("resolved_crawl_id", "crawls", "id"),
        ],
    )
    db["failures"].create_index(["url"], unique=True)
    db["crawls"].add_column("failures", int)


@migrations()
def m004_comment_inserts_without_triggers(db: Database) -> None:
    """Drop the per-row INSERT triggers of ``comments``: the store writes new comments' FTS rows and first votes.

    ``comments_ai`` (full-text row) and ``comments_first_votes`` (first vote observation)
    cost about half the time of saving a thread. ``archiver.archive.store.save_comments`` writes
    the same rows for all of a recap's new comments with one INSERT ... SELECT each:

        INSERT INTO comments_fts (rowid, body_text, author) SELECT id, body_text, author FROM comments WHERE <new>;
        INSERT INTO vote_observations (comment_id, crawl_id, observed_at, upvotes, downvotes, score)
          SELECT id, last_crawl_id, last_seen_at, upvotes, downvotes, score FROM comments
          WHERE <new> AND (upvotes IS NOT NULL OR downvotes IS NOT NULL OR score IS NOT NULL);

    Updates and deletes keep their triggers (``comments_au``, ``comments_ad``,
    ``comments_keep_versions``, ``comments_changed_votes``). Rows already archived are
    indexed and observed already, so nothing else changes.
    """
    db.execute("DROP TRIGGER IF EXISTS comments_ai")
    db.execute("DROP TRIGGER IF EXISTS comments_first_votes")


@migrations()
def m005_incomplete_reason(db: Database) -> None:
    """Say why a thread is not whole, beside ``thread_complete``."""
    db["recaps"].add_column("incomplete_reason", str)


@migrations()
def m006_provenance(db: Database) -> None:
    """Where each recap and comment came from: the live site, a Wayback capture or a WARC record (issue 15)."""
    for table in ("recaps", "comments"):
        db[table].add_column("source", str, not_null_default="live")
        db[table].add_column("captured_at", str)
        db[table].add_column("capture_url", str)
    db["recaps"].add_column("captured_first_at", str)
    db["recaps"].add_column("captured_last_at", str)


@migrations()
def m007_crawl_health(db: Database) -> None:
    """The health report (issue 16): what each crawl read of each site, and whether a site looks broken."""
    db["crawls"].add_column("health", str)
    db["crawls"].add_column("health_report", str)
    db["crawl_sites"].create(
        {
            "crawl_id": int,
            "site_id": int,
            "verdict": str,
            "posts": int,
            "posts_comment_area": int,
            "posts_expecting_comments": int,
            "comment_pages": int,
            "comments": int,
            "comments_voted": int,
            "dates_shown": int,
            "dates_parsed": int,
            "platform": str,
            "platform_posts": int,
            "listings": int,
            "listings_with_posts": int,
            "examples": str,
            "signs": str,
        },
        pk=("crawl_id", "site_id"),
        foreign_keys=[("crawl_id", "crawls", "id"), ("site_id", "sites", "id")],
    )
    db["crawl_sites"].create_index(["site_id", "crawl_id"])


# A comment's HTML as its text's paragraphs would give it: each paragraph (separated by a blank line) in <p>,
# with &, < and > escaped. archiver.archive.store kept only HTML that differs from this from m008 to m012; m012's
# rebuild (text_html_sql) adds the line breaks. Kept as it was: m008 and m012 convert rows written with it.
def paragraphs_html_sql(text: str) -> str:
    """SQL giving m008's rebuild of the text expression ``text``: its paragraphs' HTML, without line breaks."""
    return (
        f"'<p>' || replace(replace(replace(replace({text}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), "
        "char(10) || char(10), '</p>' || char(10) || '<p>') || '</p>'"
    )


# The HTML WordPress prints for a plain comment, as lxml serialises it: paragraphs (a blank line) in <p>, a single
# newline as "<br>" + newline, &, < and > escaped. Every newline becomes "<br>\n" first, then each pair of them a
# paragraph break: two chained replace() calls, plain SQLite functions, so any reader of the archive computes it.
# Escaping comes first, so any "<br>" seen by the second replace is one the first wrote.
BR_NL_SQL = "'<br>' || char(10)"


def text_html_sql(text: str) -> str:
    """SQL giving the HTML the text expression ``text`` gives back (``text_html`` in SQL)."""
    escaped = f"replace(replace(replace({text}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
    return (
        f"'<p>' || replace(replace({escaped}, char(10), {BR_NL_SQL}), {BR_NL_SQL} || {BR_NL_SQL}, "
        "'</p>' || char(10) || '<p>') || '</p>'"
    )


def text_html(text: str) -> str:
    """The HTML a text gives back, paragraphs and line breaks: ``text_html_sql`` in Python, the very same string."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<p>" + escaped.replace("\n", "<br>\n").replace("<br>\n<br>\n", "</p>\n<p>") + "</p>"


def stored_html_sql(html: str, text: str, rebuild: Callable[[str], str] = text_html_sql) -> str:
    """SQL giving what ``body_html_stored`` holds for the expressions ``html`` and ``text`` (``stored_html``);
    ``rebuild`` is the generated column's rebuild (m008 stored against ``paragraphs_html_sql``)."""
    return (
        f"CASE WHEN {html} IS NULL THEN iif({text} IS NULL, NULL, X'') "
        f"WHEN {text} IS NOT NULL AND {html} = {rebuild(text)} THEN NULL ELSE {html} END"
    )


def body_html_sql(rebuild: Callable[[str], str]) -> str:
    """``comments.body_html`` over ``rebuild``: the stored HTML, else the one rebuilt from the text; an empty blob
    stands for NULL."""
    return (
        "CASE WHEN typeof(body_html_stored) = 'blob' THEN NULL ELSE coalesce(body_html_stored, "
        + rebuild("body_text")
        + ") END"
    )


COMMENT_BODY_HTML_SQL = body_html_sql(text_html_sql)
"""``comments.body_html`` since m012."""


def stored_html(html: str | None, text: str | None) -> str | bytes | None:
    """What ``comments.body_html_stored`` holds for ``html`` beside ``text``: NULL when the text gives it back
    (``text_html``), an empty blob for a NULL HTML beside a text, else the HTML itself."""
    if html is None:
        return None if text is None else b""
    return None if text is not None and html == text_html(text) else html


@migrations()
def m008_smaller_archive(db: Database) -> None:
    """Smaller archive (issue 17): comment HTML stored only where it adds to the text, narrower vote indexes,
    and raw pages compressed with zstandard and a dictionary per site.

    * ``comments.body_html`` becomes a generated column over ``body_html_stored``, which holds the HTML only when it
      is not just the text's paragraphs (``paragraphs_html_sql``); rows already archived are converted in place.
    * ``vote_observations`` is read by comment (the history canned query); its ``(comment_id, observed_at)`` index
      becomes ``(comment_id)`` and the ``crawl_id`` index, used by no query, goes.
    * ``body_dictionaries`` holds the zstandard dictionaries; ``bodies.dictionary_id`` names the one a body was
      compressed with (NULL: none). Bodies stored before stay ``zlib`` and readable.
    """
    fts_update = db.execute("select sql from sqlite_master where type = 'trigger' and name = 'comments_au'").fetchone()
    # The conversion changes no text or author: the full-text index needs no update, so its trigger sits it out.
    db.execute("DROP TRIGGER IF EXISTS comments_au")
    db.execute("DROP TRIGGER IF EXISTS comments_keep_versions")
    db.execute("ALTER TABLE comments RENAME COLUMN body_html TO body_html_stored")
    db.execute(
        "UPDATE comments SET body_html_stored = "
        + stored_html_sql("body_html_stored", "body_text", paragraphs_html_sql)
        + " WHERE body_html_stored IS NOT "
        + stored_html_sql("body_html_stored", "body_text", paragraphs_html_sql)
    )
    body_html = body_html_sql(paragraphs_html_sql)  # m012 converts to today's rebuild
    db.execute(f"ALTER TABLE comments ADD COLUMN body_html TEXT GENERATED ALWAYS AS ({body_html}) VIRTUAL")
    if fts_update is not None:
        db.execute(fts_update[0])
    db.execute(HISTORY_TRIGGERS["comments_keep_versions"])
    db.execute("DROP INDEX IF EXISTS idx_vote_observations_comment_id_observed_at")
    db.execute("DROP INDEX IF EXISTS idx_vote_observations_crawl_id")
    db["vote_observations"].create_index(["comment_id"])
    db["body_dictionaries"].create(
        {"id": int, "site": str, "trained_at": str, "samples": int, "bytes": bytes}, pk="id", not_null={"site"}
    )
    db["body_dictionaries"].create_index(["site"])
    db["bodies"].add_column("dictionary_id", int, fk="body_dictionaries", fk_col="id")


def crawl_uid(crawl_id: int, spider: str | None, started_at: str | None, args: str | None) -> str:
    """The ``uid`` of a crawl recorded before m010: a hash of what its row says.

    Derived rather than random, so that an archive migrated later and a copy of it merged before the migration
    (``archiver.archive.merge`` reads an unmigrated source with this function) give the same crawl the same uid.
    """
    return hashlib.sha256(json.dumps([crawl_id, spider, started_at, args]).encode()).hexdigest()[:32]


@migrations()
def m010_crawl_uid(db: Database) -> None:
    """A crawl's identity across archives (``crawls.uid``), so that ``recap-archiver merge`` finds it again."""
    db["crawls"].add_column("uid", str)
    rows = db.execute("select id, spider, started_at, args from crawls").fetchall()
    db.conn.executemany("update crawls set uid = ? where id = ?", [(crawl_uid(*row), row[0]) for row in rows])
    db["crawls"].create_index(["uid"], unique=True)


@migrations()
def m011_body_bases(db: Database) -> None:
    """Raw pages a quarter of a ``.warc.gz`` (issue 17): ``bodies.base_sha256`` names the body a comment page was
    compressed against (its post page's; NULL: none). Dictionaries stored from now on are compressed; those
    stored before stay as they are, both read by ``archiver.archive.bodies``."""
    db["bodies"].add_column("base_sha256", str, fk="bodies", fk_col="sha256")


@contextmanager
def comments_set_aside(db: Database) -> Iterator[None]:
    """Drop the comments' triggers and every view for the block, then create them again as they were: a conversion
    in place that changes no value as read fires no full-text or history trigger, and SQLite drops no column a view
    or trigger names (m012, m014)."""
    suspended = db.execute(
        "select type, name, sql from sqlite_master where (type = 'trigger' and tbl_name = 'comments') "
        "or type = 'view' order by rowid"
    ).fetchall()
    for kind, name, _ in suspended:
        db.execute(f"DROP {kind.upper()} [{name}]")
    yield
    for _, _, sql in suspended:
        db.execute(sql)


@migrations()
def m012_line_breaks_from_the_text(db: Database) -> None:
    """Comment HTML with line breaks rebuilt from the text (issue 17): ``comments.body_html`` is rebuilt with
    ``text_html_sql`` (a single newline as ``<br>``), so ``body_html_stored`` keeps fewer HTMLs.

    Rows already archived are converted in place: HTML the new rebuild gives back is set NULL, and a NULL whose
    text has a single newline (which m008's rebuild kept as it is) gets the HTML it stood for, so ``body_html``
    answers the same for every row. Nothing changes a text, an author or a vote, so the comments' triggers (the
    full-text index's, the history's, any other) sit the conversion out and come back as they were, and so do
    views (one naming ``body_html``, a user's own included, would stop the column from being dropped).
    """
    with comments_set_aside(db):
        # body_html is still m008's generated column here: the HTML each row stands for.
        converted = stored_html_sql("body_html", "body_text")
        db.execute(f"UPDATE comments SET body_html_stored = {converted} WHERE body_html_stored IS NOT {converted}")
        # A VIRTUAL column holds no data: dropping and adding it rewrites no row.
        db.execute("ALTER TABLE comments DROP COLUMN body_html")
        db.execute(
            f"ALTER TABLE comments ADD COLUMN body_html TEXT GENERATED ALWAYS AS ({COMMENT_BODY_HTML_SQL}) VIRTUAL"
        )


# A comment's first vote observation, while its votes have not changed, is the comment's own first values
# (issue 17): vote_changes holds the observations of comments whose votes changed (their first one included),
# and the view vote_observations adds the first one of every other comment with votes.
VOTED = "(comments.upvotes IS NOT NULL OR comments.downvotes IS NOT NULL OR comments.score IS NOT NULL)"
FIRST_VOTES_SQL = (
    "SELECT comments.id AS comment_id, comments.first_crawl_id AS crawl_id, comments.first_seen_at AS observed_at, "
    "comments.upvotes, comments.downvotes, comments.score FROM comments WHERE " + VOTED + " AND NOT EXISTS "
    "(SELECT 1 FROM vote_changes WHERE vote_changes.comment_id = comments.id)"
)
"""The first vote observations the comments themselves stand for (the rows ``vote_changes`` does not hold)."""
VOTE_COLUMNS = "comment_id, crawl_id, observed_at, upvotes, downvotes, score"
WRITE_FIRST_VOTES_SQL = f"INSERT INTO vote_changes ({VOTE_COLUMNS}) {FIRST_VOTES_SQL}"
"""Make every implied first observation a row (merge, before it changes comments' votes and first-seen values)."""
DROP_IMPLIED_VOTES_SQL = (
    "DELETE FROM vote_changes WHERE id IN (SELECT v.id FROM vote_changes v JOIN comments ON comments.id = v.comment_id "
    "WHERE v.crawl_id IS comments.first_crawl_id AND v.observed_at IS comments.first_seen_at "
    "AND v.upvotes IS comments.upvotes AND v.downvotes IS comments.downvotes AND v.score IS comments.score "
    "AND (SELECT count(*) FROM vote_changes w WHERE w.comment_id = v.comment_id) = 1)"
)
"""Drop each row that is a comment's only observation and exactly what the comment stands for: the view gives it."""
CHANGED_VOTES_TRIGGER = f"""
CREATE TRIGGER comments_changed_votes AFTER UPDATE OF upvotes, downvotes, score ON comments
WHEN old.upvotes IS NOT new.upvotes OR old.downvotes IS NOT new.downvotes OR old.score IS NOT new.score
BEGIN
  INSERT INTO vote_changes ({VOTE_COLUMNS})
  SELECT old.id, old.first_crawl_id, old.first_seen_at, old.upvotes, old.downvotes, old.score
  WHERE (old.upvotes IS NOT NULL OR old.downvotes IS NOT NULL OR old.score IS NOT NULL)
    AND NOT EXISTS (SELECT 1 FROM vote_changes WHERE comment_id = old.id);
  INSERT INTO vote_changes ({VOTE_COLUMNS})
  VALUES (new.id, new.last_crawl_id, new.last_seen_at, new.upvotes, new.downvotes, new.score);
END"""
"""A vote change: the first observation, until now the comment's own values, becomes a row, then the new one."""


@migrations()
def m013_first_votes_from_the_comment(db: Database) -> None:
    """A comment's first vote observation is read from the comment until its votes change (issue 17).

    ``vote_observations`` becomes a view over the table ``vote_changes`` (the same columns) and the comments:
    the table keeps every observation of a comment whose votes changed, and the view adds, for each other comment
    with votes, its first observation from its first crawl, first-seen time and votes, with a NULL ``id``. Rows
    already archived that are exactly that are deleted; the ``comments_changed_votes`` trigger writes the first
    observation too when a comment's votes first change.
    """
    db.execute("DROP TRIGGER IF EXISTS comments_changed_votes")
    db.execute("ALTER TABLE vote_observations RENAME TO vote_changes")
    db.execute("DROP INDEX IF EXISTS idx_vote_observations_comment_id")
    db["vote_changes"].create_index(["comment_id"])
    db.execute(DROP_IMPLIED_VOTES_SQL)
    db.execute(CHANGED_VOTES_TRIGGER)
    db.execute(
        f"CREATE VIEW vote_observations AS SELECT id, {VOTE_COLUMNS} FROM vote_changes "
        f"UNION ALL SELECT NULL, {VOTE_COLUMNS} FROM ({FIRST_VOTES_SQL})"
    )


# Times as integers (issue 17): a comment's three ISO 8601 UTC times took 25 bytes each; Unix seconds take 4. The
# stored column holds the integer only when the text is exactly the canonical form it prints back; any other value
# (fractions, another offset, an odd text, a blob) stays as it was, so nothing is lost. The generated column of the
# old name prints the same text with plain SQLite functions, so sqlite3, Datasette and sqlite-utils read it as
# before. Year 0000, which SQLite reads and Python does not, stays text in both encoders.
ISO_SECONDS = "%Y-%m-%dT%H:%M:%S+00:00"
CANONICAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+00:00")
STORED_TIMES = ("posted_at", "first_seen_at", "last_seen_at")
"""The ``comments`` columns generated from ``<name>_stored`` since m014."""


def stored_time_sql(iso: str) -> str:
    """SQL giving what a ``*_stored`` time column holds for the expression ``iso`` (``stored_time`` in SQL)."""
    glob = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+00:00"
    seconds = f"CAST(strftime('%s', {iso}) AS INTEGER)"
    # The round trip goes through the integer: SQLite prints a parsed 2022-02-30 as it was given.
    return (
        f"CASE WHEN typeof({iso}) = 'text' AND {iso} GLOB '{glob}' AND {iso} >= '0001' "
        f"AND {time_sql(seconds)} = {iso} THEN {seconds} ELSE {iso} END"
    )


def time_sql(stored: str) -> str:
    """SQL giving back the ISO text a ``*_stored`` expression stands for: the generated column's expression."""
    return f"CASE WHEN typeof({stored}) = 'integer' THEN strftime('{ISO_SECONDS}', {stored}, 'unixepoch') ELSE {stored} END"


def stored_time(value: Any) -> Any:
    """What a ``*_stored`` time column holds for ``value``: Unix seconds when it is a canonical
    ``YYYY-MM-DDTHH:MM:SS+00:00`` that prints back the same, else ``value`` itself (NULL included)."""
    if isinstance(value, str) and CANONICAL_TIME.fullmatch(value):
        # A valid date in exactly this form prints back as it is (isoformat): no need to print it again.
        try:
            return int(datetime.fromisoformat(value).timestamp())
        except ValueError:  # e.g. February 30th, or year 0000
            return value
    return value


@migrations()
def m014_times_as_integers(db: Database) -> None:
    """Comments' times stored as Unix seconds (issue 17): ``posted_at``, ``first_seen_at`` and ``last_seen_at``
    become generated columns over ``posted_at_stored``, ``first_seen_at_stored`` and ``last_seen_at_stored``
    (``stored_time``), printing exactly the text they held.

    Rows already archived are converted in place, with the comments' triggers and every view set aside as m012
    does (nothing changes a text, a vote or a time as read, so no full-text or history row is written; SQLite
    drops no column a view or trigger names). The stored columns have no declared type: a TEXT column would turn
    the integers back into text.
    """
    with comments_set_aside(db):
        for name in STORED_TIMES:
            db.execute(f"ALTER TABLE comments ADD COLUMN {name}_stored")
        db.execute("UPDATE comments SET " + ", ".join(f"{n}_stored = {stored_time_sql(n)}" for n in STORED_TIMES))
        for name in STORED_TIMES:
            db.execute(f"ALTER TABLE comments DROP COLUMN {name}")
            db.execute(
                f"ALTER TABLE comments ADD COLUMN {name} TEXT GENERATED ALWAYS AS ({time_sql(name + '_stored')}) VIRTUAL"
            )


@migrations()
def m015_replies_index(db: Database) -> None:
    """The ``parent_id`` index holds replies only (issue 17): top-level comments, most of them, have a NULL parent
    no query looks up. Its one reader, ``parent_id = ?`` (Datasette's count of a comment's replies on its row page,
    a foreign key check), implies ``parent_id IS NOT NULL``, so SQLite still answers it from the partial index."""
    db.execute("DROP INDEX IF EXISTS idx_comments_parent_id")
    db.execute("CREATE INDEX idx_comments_parent_id ON comments (parent_id) WHERE parent_id IS NOT NULL")


FTS_UPDATE_TRIGGERS = {
    "comments": ("comments_fts", ("body_text", "author")),
    "recaps": ("recaps_fts", ("title", "body_text")),
}
"""Each table with a full-text index, its index and the columns it holds."""


def fts_update_trigger(table: str) -> str:
    """The trigger that keeps ``table``'s full-text row in step with an update of a column the index holds."""
    fts, columns = FTS_UPDATE_TRIGGERS[table]
    names = ", ".join(columns)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    new = ", ".join(f"new.{c}" for c in columns)
    return (
        f"CREATE TRIGGER {table}_au AFTER UPDATE OF {names} ON {table} WHEN {changed} BEGIN\n"
        f"  INSERT INTO {fts} ({fts}, rowid, {names}) VALUES ('delete', old.rowid, {old});\n"
        f"  INSERT INTO {fts} (rowid, {names}) VALUES (new.rowid, {new});\n"
        "END"
    )


@migrations()
def m016_fts_updates_only_when_the_text_changes(db: Database) -> None:
    """The full-text rows of a comment or recap are rewritten only when a column the index holds changes (issue 17):
    sqlite-utils' ``*_au`` trigger fired on every update, so each re-crawl deleted and re-added the full-text row of
    every comment it saw again (only ``last_seen_at`` and ``last_crawl_id`` changed) and of every recap it fetched."""
    for table in FTS_UPDATE_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {table}_au")
        db.execute(fts_update_trigger(table))


@migrations()
def m017_fts_merges_sixteen_at_a_time(db: Database) -> None:
    """Full-text segments are merged sixteen at a time, not four (issue 17): saving writes a segment per recap, and
    FTS5's automatic merge of every four rewrote each entry once per level of four. With ``automerge`` off, FTS5's
    crisis merge (``crisismerge``, 16 segments of a level) still bounds the segments a search reads, and a crawl that
    added many comments merges the whole index at its end (:func:`optimize_search`). Saving 100,000 comments took
    6% less CPU (1.74 against 1.86 s)."""
    for table in FTS_CONFIG:
        db.execute(f"INSERT INTO [{table}_fts] ([{table}_fts], rank) VALUES ('automerge', 0)")


def ensure_schema(db: Database) -> None:
    """Bring ``db`` to the current schema: pending migrations, then views. Safe to repeat."""
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db)
    for name, sql in VIEWS.items():
        db.create_view(name, sql.strip(), replace=True)


OPTIMIZE_AFTER = 1_000
"""New comments in one crawl after which its end merges the full-text index (issue 17)."""


def optimize_search(db: Database, comments_new: int) -> bool:
    """Merge each full-text index into one segment (FTS5 ``optimize``) once ``comments_new`` reach OPTIMIZE_AFTER;
    return whether it ran. Saving adds a segment per recap and a search reads every segment of its terms; the merge
    rewrites the index (3 to 9 s at 1M comments), hence only after a crawl that added many comments."""
    if comments_new < OPTIMIZE_AFTER:
        return False
    with db.atomic():
        for table in FTS_CONFIG:
            db.execute(f"INSERT INTO [{table}_fts] ([{table}_fts]) VALUES ('optimize')")
    return True


def columns_of(db: Database) -> dict[str, list[str]]:
    """Return every table's and view's column names (generated columns included), for documentation checks."""
    names = db.table_names(fts4=False, fts5=False) + db.view_names()
    return {
        name: [row[1] for row in db.execute(f"PRAGMA table_xinfo([{name}])") if row[6] in (0, 2, 3)]
        for name in names
        if not name.startswith("_") and "_fts" not in name
    }


VOTE_DOCS = {
    "comment_id": "The comment (`comments.id`).",
    "crawl_id": "The crawl that saw them (`crawls.id`).",
    "observed_at": "When (ISO 8601 UTC).",
    "upvotes": "Likes then.",
    "downvotes": "Dislikes then.",
    "score": "Net score then.",
}
"""The columns ``vote_changes`` and the view ``vote_observations`` share."""

# What each table and column means: docs/schema.md and the Datasette
# metadata are generated from this, and a test checks both against the real schema.
TABLE_DOCS: dict[str, tuple[str, dict[str, str]]] = {
    "sites": (
        "One row per crawled site.",
        {
            "id": "Archive id.",
            "base_url": "The site's home URL, e.g. `https://recaps.example/` (unique).",
            "name": "The site's name as its pages give it (`og:site_name`, header).",
            "platform": "Comment platform last detected (or set with `-a platform=`): `wordpress`, `wpdiscuz` or `disqus`.",
            "first_seen_at": "When a crawl first saved anything from the site (ISO 8601 UTC).",
            "last_crawled_at": "When a crawl last saved a recap of the site (ISO 8601 UTC).",
        },
    ),
    "series": (
        "A show, as named in its recaps' titles.",
        {
            "id": "Archive id.",
            "site_id": "The site (`sites.id`).",
            "name": "Series name from the titles, e.g. `Soundtrack #1` (unique per site).",
            "slug": "The matching tag's or category's slug, else one made from the name.",
            "url": "The matching tag or category archive page, or NULL when the site has none.",
        },
    ),
    "terms": (
        "Tags and categories the site's recaps link to.",
        {
            "id": "Archive id.",
            "site_id": "The site (`sites.id`).",
            "taxonomy": "`post_tag` or `category`.",
            "name": "Display name.",
            "slug": "URL slug.",
            "url": "The term's archive page.",
        },
    ),
    "recaps": (
        "One row per post: an episode recap, or a post with no episode (series and episode NULL).",
        {
            "id": "Archive id.",
            "site_id": "The site (`sites.id`).",
            "series_id": "The series (`series.id`), NULL for posts that are not episode recaps.",
            "url": "Canonical post URL, without comment-page parts (unique).",
            "title": "Post title.",
            "episode_number": "Episode number from the title (`Episodes 5-6` gives 5).",
            "episode_end": "Last episode of a range (`Episodes 5-6` gives 6), else NULL.",
            "episode_label": "Label in brackets after the number, e.g. `Final`, `Finale`.",
            "author": "Post author's display name.",
            "published_at": "Publication time, ISO 8601 UTC.",
            "published_at_raw": "The publication date as the page shows it.",
            "body_html": "Post content HTML, without share buttons, related posts or comment form.",
            "body_text": "Plain text of the content; paragraphs separated by a blank line.",
            "comment_count_reported": "The comment count the page itself states.",
            "comment_pages": "How many comment pages the thread spans.",
            "thread_complete": "1 when the last crawl read every step of the thread (comment pages, load-more and "
            "API pages) and its comments account for the count the site reports, else 0.",
            "first_seen_at": "When a crawl first saved this recap (ISO 8601 UTC).",
            "last_crawled_at": "When a crawl last saved it (ISO 8601 UTC).",
            "first_crawl_id": "The crawl that first saved it (`crawls.id`).",
            "last_crawl_id": "The crawl that last saved it (`crawls.id`).",
            "next_due_at": "When a re-crawl with `refresh=due` fetches it again (ISO 8601 UTC).",
            "revisit_interval": "Seconds between visits: 0 for a busy thread, doubling while it is quiet.",
            "last_activity_at": "Its newest comment's time (or its publication's), ISO 8601 UTC.",
            "incomplete_reason": "Why the last crawl could not call the thread whole (`; `-separated), NULL when "
            "it is whole.",
            "source": "Where its post page was last read from: `live` (the site), `wayback` (a web-archive "
            "capture, `-a source=wayback`) or `warc` (`recap-archiver import-warc`).",
            "captured_at": "When that capture was made (ISO 8601 UTC); NULL for the live site.",
            "capture_url": "The capture: its replay URL, or `FILE.warc.gz#record-id`; NULL for the live site.",
            "captured_first_at": "The oldest capture its thread was last read from (ISO 8601 UTC); NULL for the "
            "live site. Differs from `captured_last_at` when captures of different dates "
            "were combined.",
            "captured_last_at": "The newest capture its thread was last read from (ISO 8601 UTC).",
        },
    ),
    "recap_terms": (
        "Which tags and categories each recap has.",
        {"recap_id": "The recap (`recaps.id`).", "term_id": "The tag or category (`terms.id`)."},
    ),
    "comments": (
        "Every comment of every recap, with its place in the reply hierarchy.",
        {
            "id": "Archive id.",
            "recap_id": "The recap (`recaps.id`).",
            "site_comment_id": "The site's own comment id (unique per recap).",
            "parent_id": "The comment this replies to (`comments.id`); NULL for top level or a missing parent.",
            "root_id": "The top-level comment of its thread (`comments.id`; itself when top level).",
            "parent_site_comment_id": "The site's id of the parent, kept even when the parent is missing.",
            "parent_missing": "1 when the reply's parent never appeared; such a reply is placed at depth 1.",
            "depth": "1 for a top-level comment, 2 for a reply to it, and so on.",
            "position": "1-based position among its siblings, in thread order.",
            "path": "Zero-padded positions joined by dots: `order by path` is depth-first thread order.",
            "comment_page": "The comment page it was found on (1 = oldest).",
            "author": "Commenter's display name.",
            "author_url": "Commenter's website, if given.",
            "posted_at_raw": "The date as the page shows it.",
            "body_html_stored": "The comment's HTML only where its text's paragraphs and line breaks do not give "
            "it back (links, emphasis, images, quotes...); NULL where they do, an empty blob where the HTML is NULL. "
            "Read `body_html`.",
            "body_text": "Plain text of the comment; paragraphs separated by a blank line.",
            "upvotes": "Likes as shown (exact), NULL where the page shows none.",
            "downvotes": "Dislikes as shown (exact), NULL where the page shows none.",
            "score": "Net score: the shown score, else likes minus dislikes, else likes.",
            "first_crawl_id": "The crawl that first saved it (`crawls.id`).",
            "last_crawl_id": "The crawl that last saw it (`crawls.id`).",
            "gone_at": "When a crawl that fetched the whole thread no longer found it; NULL while it is there.",
            "gone_crawl_id": "That crawl (`crawls.id`).",
            "source": "Where the page showing it was last read from: `live`, `wayback` or `warc`.",
            "captured_at": "When that capture was made (ISO 8601 UTC); NULL for the live site.",
            "capture_url": "The capture: its replay URL, or `FILE.warc.gz#record-id`; NULL for the live site.",
            "body_html": "The comment's HTML, without reply link, reply form or vote widget (generated: "
            "`body_html_stored`, else each paragraph of `body_text` in `<p>`, each single newline as `<br>` and a "
            "newline, with `&`, `<`, `>` escaped).",
            "posted_at_stored": "`posted_at` as stored since migration m014: Unix seconds (an integer) where the time "
            "is exactly `YYYY-MM-DDTHH:MM:SS+00:00`, else the text as it came. Read `posted_at`.",
            "first_seen_at_stored": "`first_seen_at` as stored, the same way. Read `first_seen_at`.",
            "last_seen_at_stored": "`last_seen_at` as stored, the same way. Read `last_seen_at`.",
            "posted_at": "When it was posted, ISO 8601 UTC (generated from `posted_at_stored`: the same text as "
            "archived).",
            "first_seen_at": "When a crawl first saved it (ISO 8601 UTC; generated from `first_seen_at_stored`).",
            "last_seen_at": "When a crawl last saw it (ISO 8601 UTC; generated from `last_seen_at_stored`).",
        },
    ),
    "comment_versions": (
        "Earlier texts of edited comments: a row per text a comment no longer has.",
        {
            "id": "Archive id.",
            "comment_id": "The comment (`comments.id`).",
            "body_html": "The earlier HTML.",
            "body_text": "The earlier text.",
            "first_seen_at": "When this text was first seen.",
            "last_seen_at": "When this text was last seen.",
            "replaced_at": "When the crawl that saw the new text fetched it.",
            "replaced_crawl_id": "That crawl (`crawls.id`).",
        },
    ),
    "recap_versions": (
        "Earlier titles and bodies of edited recaps.",
        {
            "id": "Archive id.",
            "recap_id": "The recap (`recaps.id`).",
            "title": "The earlier title.",
            "body_html": "The earlier body HTML.",
            "body_text": "The earlier body text.",
            "first_seen_at": "When this version was first seen.",
            "last_seen_at": "When this version was last seen.",
            "replaced_at": "When the crawl that saw the new version fetched it.",
            "replaced_crawl_id": "That crawl (`crawls.id`).",
        },
    ),
    "vote_observations": (
        "View: a comment's votes when first seen and at every crawl where they changed (`vote_changes`, and the "
        "first observation of each comment whose votes never changed, read from the comment).",
        {"id": "The `vote_changes` row; NULL for a first observation read from the comment.", **VOTE_DOCS},
    ),
    "vote_changes": (
        "The vote observations of comments whose votes changed, their first one included (read `vote_observations`).",
        {"id": "Archive id.", **VOTE_DOCS},
    ),
    "bodies": (
        "Raw response bodies, stored once per distinct content.",
        {
            "sha256": "SHA-256 of the body as received (hex).",
            "size": "Size in bytes before compression.",
            "encoding": "How `body` is compressed: `zstd` (zstandard), or `zlib` for bodies stored before "
            "migration m008.",
            "body": "The compressed body.",
            "dictionary_id": "The zstandard dictionary it was compressed with (`body_dictionaries.id`); NULL for none.",
            "base_sha256": "The body it was compressed against after the dictionary (`bodies.sha256`: a comment "
            "page's post page, itself without a base); NULL for none.",
        },
    ),
    "body_dictionaries": (
        "zstandard dictionaries for `bodies`, one trained per site from its first pages.",
        {
            "id": "Archive id.",
            "site": "The site whose pages it was trained on: their origin, e.g. `https://recaps.example`.",
            "trained_at": "When it was trained (ISO 8601 UTC).",
            "samples": "How many bodies it was trained on.",
            "bytes": "The dictionary (zstd format), compressed with zstd since migration m011.",
        },
    ),
    "pages": (
        "Every response a crawl stored: the input `recap-archiver reparse` and `export-warc` read.",
        {
            "id": "Archive id.",
            "fingerprint": "Scrapy's request fingerprint (hex).",
            "url": "The URL fetched.",
            "method": "HTTP method.",
            "status": "HTTP status.",
            "headers": "Response headers as JSON (name: list of values).",
            "fetched_at": "When it was fetched (ISO 8601 UTC).",
            "revalidated": "1 when the site answered 304 Not Modified and the stored body was reused.",
            "body_sha256": "The body (`bodies.sha256`).",
            "crawl_id": "The crawl that fetched it (`crawls.id`).",
        },
    ),
    "failures": (
        "Pages that could not be fetched (or stayed cut off) after retries; the next crawl tries them first.",
        {
            "id": "Archive id.",
            "url": "The page (unique).",
            "reason": "The last reason: `HTTP 503`, `TimeoutError: ...`, `HTML cut off before </html>`, ...",
            "attempts": "Attempts made, over all crawls, until it failed for good or succeeded.",
            "first_failed_at": "When it first failed for good (ISO 8601 UTC).",
            "last_failed_at": "When it last failed for good.",
            "first_crawl_id": "The crawl that first failed on it (`crawls.id`).",
            "last_crawl_id": "The crawl that last failed on it (`crawls.id`).",
            "resolved_at": "When a later fetch succeeded; NULL while it is still failing.",
            "resolved_crawl_id": "That crawl (`crawls.id`).",
        },
    ),
    "crawls": (
        "One row per crawl into this archive.",
        {
            "id": "Archive id.",
            "spider": "The spider that ran, e.g. `recaps`.",
            "started_at": "Start, ISO 8601 UTC.",
            "finished_at": "End, ISO 8601 UTC.",
            "finish_reason": "Scrapy's reason: `finished`, `shutdown`, `cancelled`, ...",
            "args": "The spider arguments, as JSON.",
            "pages": "Responses downloaded.",
            "bytes": "Bytes downloaded.",
            "recaps": "Recaps saved.",
            "comments": "Comments saved (new and already archived).",
            "comments_new": "Comments archived for the first time.",
            "threads_incomplete": "Recaps whose comment pages could not all be fetched.",
            "errors": "Errors logged.",
            "stats": "Scrapy's full crawl stats, as JSON.",
            "pages_not_modified": "Pages the site answered with 304 Not Modified.",
            "recaps_new": "Recaps archived for the first time.",
            "recaps_changed": "Recaps whose title or body changed.",
            "recaps_not_due": "Archived recaps skipped because they were not due (`refresh=due`).",
            "comments_edited": "Comments whose text changed.",
            "comments_gone": "Comments no longer on their thread.",
            "vote_changes": "Comments whose votes changed.",
            "failures": "Pages that failed for good in this crawl (see `failures`).",
            "health": "The health report's verdict: `broken` when a site looks broken (exit status 3), `ok` when "
            "every site compared well with its earlier crawls, `first` when no site had an earlier crawl to compare "
            "with, `small` when too few pages were read to judge; NULL when not checked (re-parse, Wayback, WARC).",
            "health_report": "Every sign that a site looks broken, as JSON: a list of `{site, sign, what, after, "
            "before, example, message}` (`[]` when none). See `crawl_sites`.",
            "uid": "The crawl's identity in every archive it is merged into (`recap-archiver merge`): random hex, "
            "or derived from the row for crawls recorded before it existed.",
        },
    ),
    "crawl_sites": (
        "What each crawl read of each site, and the health verdict comparing it with the site's earlier crawls "
        "(docs/when-things-go-wrong.md).",
        {
            "crawl_id": "The crawl (`crawls.id`).",
            "site_id": "The site (`sites.id`).",
            "verdict": "`ok`, `broken` (a sign below), `first` (no earlier crawl of the site to compare with) or "
            "`small` (too few pages read to compare).",
            "posts": "Post pages read (recaps saved).",
            "posts_comment_area": "Of those, pages showing a comment area (a comment list, `#comments`, wpDiscuz, "
            "Disqus).",
            "posts_expecting_comments": "Posts expected to have comments: stating a count above 0, with comments "
            "read, or with comments archived by an earlier crawl.",
            "comment_pages": "Comment pages read of those posts.",
            "comments": "Comments read.",
            "comments_voted": "Of those, comments with likes, dislikes or a score.",
            "dates_shown": "Post and comment dates the pages showed (as text or machine dates).",
            "dates_parsed": "Of those, dates read as a machine date (`published_at`, `posted_at`).",
            "platform": "The comment platform of most of its posts (`wordpress`, `wpdiscuz`, `disqus`).",
            "platform_posts": "Posts on that platform.",
            "listings": "Listing pages read (home page, archives, their pagination).",
            "listings_with_posts": "Of those, pages linking at least one post.",
            "examples": "A URL per sign, as JSON: the first post without a comment area, without comments, "
            "without votes, with an unparsed date, on the platform, and the first listing without posts.",
            "signs": "The signs found, as JSON (see `crawls.health_report`); `[]` when none.",
        },
    ),
    "comment_threads": (
        "View: every comment in thread order, with an indented one-line preview.",
        {
            "recap_id": "The recap (`recaps.id`).",
            "recap_title": "The recap's title.",
            "comment_id": "The comment (`comments.id`).",
            "site_comment_id": "The site's own comment id.",
            "parent_id": "The parent comment (`comments.id`).",
            "depth": "Reply depth, 1 = top level.",
            "position": "Position among siblings.",
            "path": "Thread-order sort key.",
            "author": "Commenter.",
            "posted_at": "ISO 8601 UTC.",
            "upvotes": "Likes.",
            "downvotes": "Dislikes.",
            "score": "Net score.",
            "preview": "Indented by depth: author and the first 120 characters.",
        },
    ),
    "series_episodes": (
        "View: each series' episode recaps in episode order, with comment counts.",
        {
            "series_id": "The series (`series.id`).",
            "series_name": "Series name.",
            "recap_id": "The recap (`recaps.id`).",
            "episode_number": "Episode number.",
            "episode_end": "Last episode of a range.",
            "episode_label": "Label, e.g. `Final`.",
            "title": "Recap title.",
            "url": "Recap URL.",
            "published_at": "ISO 8601 UTC.",
            "comment_count_reported": "Count the page states.",
            "comments_archived": "Comments in the archive.",
        },
    ),
}


def schema_markdown() -> str:
    """The schema as Markdown tables, for docs/schema.md (``recap-archiver schema``)."""
    out = []
    for table, (description, columns) in TABLE_DOCS.items():
        out.append(f"#### `{table}`\n\n{description}\n\n| column | meaning |\n| --- | --- |")
        out.extend(f"| `{name}` | {meaning} |" for name, meaning in columns.items())
        out.append("")
    return "\n".join(out).rstrip() + "\n"
