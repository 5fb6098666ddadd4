"""Datasette metadata for an archive: titles, column descriptions, canned queries.

Built from archiver.archive.schema.TABLE_DOCS; the copy shipped as ``datasette-metadata.json``
(for the default archive name, ``recaps``) is checked against it by the tests.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

from archiver.archive.query import best_first
from archiver.archive.schema import TABLE_DOCS

SHIPPED = Path(__file__).with_name("datasette-metadata.json")
# What `search_comments` puts around each match in its snippets (the plugin shows them highlighted).
SNIPPET_MARK = ("[", "]")
# Tables a reader does not need, hidden from the index and database pages (still there, and queryable).
HIDDEN_TABLES = ("pages", "bodies", "body_dictionaries", "recap_terms", "_sqlite_migrations")

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "recap_thread": {
        "title": "A recap's comment thread",
        "description": "Every comment of one recap in thread order, indented by depth.",
        "sql": (
            "select comment_id, site_comment_id, depth, author, posted_at, upvotes, downvotes, preview\n"
            "from comment_threads\nwhere recap_id = :recap_id\norder by path"
        ),
    },
    "series_episodes": {
        "title": "A series' episodes",
        "description": "The episode recaps of a series in order, with comment counts.",
        "sql": (
            "select episode_number, episode_end, episode_label, title, url, published_at,\n"
            "  comment_count_reported, comments_archived\nfrom series_episodes\n"
            "where series_name = :series\norder by episode_number, published_at"
        ),
    },
    "search_comments": {
        "title": "Search comments",
        "description": "Full-text search of comment text and authors, best matches first; each id links to "
        "the comment in its thread. Words are matched as typed (fts_words quotes them).",
        "sql": (
            best_first("comments_fts", "fts_words(:q)", "100") + "\n"
            "select comments.id, comments.recap_id, recaps.title as recap, comments.author, comments.posted_at,\n"
            "  snippet(comments_fts, 0, '[', ']', '…', 16) as snippet\n"
            "from best\ncross join comments_fts on comments_fts.rowid = best.rowid\n"
            "join comments on comments.rowid = best.rowid\njoin recaps on recaps.id = comments.recap_id\n"
            "where comments_fts match fts_words(:q)\norder by best.score, best.rowid"
        ),
    },
    "commenter_activity": {
        "title": "A commenter's activity",
        "description": "One commenter's comments per series: how many, on how many recaps, when, and their votes.",
        "sql": (
            "select series.name as series, count(*) as comments, count(distinct comments.recap_id) as recaps,\n"
            "  min(comments.posted_at) as first_comment, max(comments.posted_at) as last_comment,\n"
            "  sum(coalesce(comments.score, comments.upvotes, 0)) as total_score\n"
            "from comments\njoin recaps on recaps.id = comments.recap_id\n"
            "left join series on series.id = recaps.series_id\n"
            "where comments.author = :author\ngroup by series.id\norder by comments desc"
        ),
    },
    "top_comments_per_series": {
        "title": "Most-voted comments per series",
        "description": "The five comments with the highest score (else likes) in each series.",
        "sql": (
            "select series, rank, recap, episode_number, comment_id, author, score, upvotes, downvotes, excerpt\n"
            "from (\n  select series.name as series, recaps.title as recap, recaps.episode_number,\n"
            "    comments.id as comment_id, comments.author, comments.score, comments.upvotes, comments.downvotes,\n"
            "    substr(comments.body_text, 1, 200) as excerpt,\n"
            "    row_number() over (partition by series.id\n"
            "      order by coalesce(comments.score, comments.upvotes) desc, comments.id) as rank\n"
            "  from comments\n  join recaps on recaps.id = comments.recap_id\n"
            "  join series on series.id = recaps.series_id\n"
            "  where coalesce(comments.score, comments.upvotes) is not null\n)\n"
            "where rank <= 5\norder by series, rank"
        ),
    },
    "vote_history": {
        "title": "A comment's vote history",
        "description": "A comment's votes when first seen and at every crawl where they changed.",
        "sql": (
            "select vote_observations.observed_at, vote_observations.crawl_id, vote_observations.upvotes,\n"
            "  vote_observations.downvotes, vote_observations.score\nfrom vote_observations\n"
            "where vote_observations.comment_id = :comment_id\norder by vote_observations.observed_at, vote_observations.id"
        ),
    },
    "crawl_health": {
        "title": "Crawl health",
        "description": "Each site's latest health verdict (ok, broken, first, small) and its signs: does the last "
        "crawl read the site as its earlier crawls did? Broken sites first.",
        "sql": (
            "select sites.name as site, sites.base_url, crawl_sites.crawl_id, crawls.started_at,\n"
            "  crawl_sites.verdict, crawl_sites.posts, crawl_sites.comments, crawl_sites.platform,\n"
            "  (select group_concat(json_extract(value, '$.message'), char(10)) from json_each(crawl_sites.signs))\n"
            "    as signs\nfrom crawl_sites\njoin sites on sites.id = crawl_sites.site_id\n"
            "join crawls on crawls.id = crawl_sites.crawl_id\n"
            "where crawl_sites.crawl_id = (select max(later.crawl_id) from crawl_sites as later\n"
            "  where later.site_id = crawl_sites.site_id)\norder by crawl_sites.verdict = 'broken' desc, sites.id"
        ),
    },
}


def plain(text: str) -> str:
    """``text`` without Markdown code marks (Datasette shows descriptions as plain text)."""
    return re.sub(r"`([^`]*)`", r"\1", text)


def reader_links(database: str) -> str:
    """HTML leading an archive's index and database pages: series, recent recaps, search."""
    base = f"/{database}"
    return (
        f'<nav class="ra-start"><strong>Read the archive:</strong> <a href="{base}/series">Series</a> '
        f"(each name opens its series page) · "
        f'<a href="{base}/recaps?_sort_desc=published_at">Recent recaps</a> (each title opens its comment thread) · '
        f'<a href="{base}/-/search">Search</a> comments and recaps</nav>'
    )


def metadata(database: str = "recaps") -> dict[str, Any]:
    """Datasette metadata for an archive opened under the name ``database`` (its file stem)."""
    tables: dict[str, dict[str, Any]] = {
        name: {"description": plain(description), "columns": {c: plain(d) for c, d in columns.items()}}
        for name, (description, columns) in TABLE_DOCS.items()
    }
    for name in HIDDEN_TABLES:
        tables.setdefault(name, {})["hidden"] = True
    tables["comments"]["sort_desc"] = "posted_at"
    tables["recaps"]["sort_desc"] = "published_at"
    tables["recaps"]["facets"] = ["series_id", "author", {"year": "published_at"}]
    tables["comments"]["facets"] = ["recap_id", "author", {"year": "posted_at"}]
    tables["series_episodes"]["facets"] = ["series_name"]
    tables["crawls"]["sort_desc"] = "id"
    tables["crawl_sites"]["sort_desc"] = "crawl_id"
    links = reader_links(database)
    return {
        "title": "recap-archiver",
        "description_html": f"<p>Episode recaps and their comment threads, archived by recap-archiver.</p>{links}",
        # A copy: Datasette annotates the metadata it is given.
        "databases": {
            database: copy.deepcopy({"description_html": links, "tables": tables, "queries": CANNED_QUERIES})
        },
    }


def metadata_json(database: str = "recaps") -> str:
    """:func:`metadata` as the JSON text Datasette's ``-m`` option reads."""
    return json.dumps(metadata(database), indent=2, ensure_ascii=False) + "\n"


def serve_argv(archive: str, port: int, open_browser: bool = False) -> list[str]:
    """The command that serves ``archive`` with Datasette on 127.0.0.1 (this package's plugin loads itself).

    Facet suggestions are off: Datasette tries a facet on every column of a table view, each for up to 50 ms, which
    took 1.4 of the 1.6 s of the comments page at 100,000 comments and 4 of 4.8 s at 1M (CPU, measured 2026-11-30).
    The configured facets stay, and any column can still be faceted from its menu."""
    argv = [sys.executable, "-m", "datasette", "serve", str(archive), "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--setting", "suggest_facets", "off"]
    return argv + (["--open"] if open_browser else [])
