"""The archive's schema, declared in one place and applied idempotently.

Tables are created and changed only by the migrations below (recorded by
sqlite-utils in ``_sqlite_migrations``); views are re-declared on every open so
that their definitions track this module. The README documents every column:
``tests/test_schema.py`` keeps the two in step.
"""

from __future__ import annotations

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


def ensure_schema(db: Database) -> None:
    """Bring ``db`` to the current schema: pending migrations, then views. Safe to repeat."""
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db)
    for name, sql in VIEWS.items():
        db.create_view(name, sql.strip(), replace=True)


def columns_of(db: Database) -> dict[str, list[str]]:
    """Return every table's and view's column names, for documentation checks."""
    names = db.table_names(fts4=False, fts5=False) + db.view_names()
    return {
        name: [c.name for c in db[name].columns]
        for name in names
        if not name.startswith("_") and "_fts" not in name
    }
