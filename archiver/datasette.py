"""Datasette metadata for an archive: titles, column descriptions, canned queries.

Built from archiver.schema.TABLE_DOCS; the copy shipped as ``datasette-metadata.json``
(for the default archive name, ``recaps``) is checked against it by the tests.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from archiver.schema import TABLE_DOCS

SHIPPED = Path(__file__).with_name("datasette-metadata.json")

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
        "description": "Full-text search of comment text and authors, best matches first.",
        "sql": (
            "select comments.id, recaps.title as recap, comments.author, comments.posted_at,\n"
            "  snippet(comments_fts, 0, '[', ']', '…', 16) as snippet\n"
            "from comments_fts\njoin comments on comments.rowid = comments_fts.rowid\n"
            "join recaps on recaps.id = comments.recap_id\n"
            "where comments_fts match :q\norder by rank\nlimit 100"
        ),
    },
}


def metadata(database: str = "recaps") -> dict[str, Any]:
    """Datasette metadata for an archive opened under the name ``database`` (its file stem)."""
    tables = {
        name: {"description": description, "columns": columns}
        for name, (description, columns) in TABLE_DOCS.items()
    }
    tables["comments"]["sort_desc"] = "posted_at"
    tables["recaps"]["sort_desc"] = "published_at"
    tables["recaps"]["facets"] = ["series_id", "author"]
    tables["comments"]["facets"] = ["recap_id", "author"]
    return {
        "title": "recap-archiver",
        "description": "Episode recaps and their comment threads, archived by recap-archiver.",
        # A copy: Datasette annotates the metadata it is given.
        "databases": {database: copy.deepcopy({"tables": tables, "queries": CANNED_QUERIES})},
    }


def metadata_json(database: str = "recaps") -> str:
    """:func:`metadata` as the JSON text Datasette's ``-m`` option reads."""
    return json.dumps(metadata(database), indent=2, ensure_ascii=False) + "\n"
