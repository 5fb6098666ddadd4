"""Exports of recaps and comments: JSON lines (one recap a line, its thread nested) and CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from archiver.archive.query import RECAP_COLUMNS, find_series, nest, rows, thread
from archiver.archive.sqlite import sqlite3

CSV_COLUMNS = [
    "recap_id", "recap_url", "recap_title", "series", "episode_number", "comment_id", "site_comment_id",
    "parent_id", "depth", "path", "author", "posted_at", "upvotes", "downvotes", "score", "gone_at", "body_text",
]  # fmt: skip


# What a spreadsheet reads as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` made inert for a spreadsheet: text starting like a formula gets a leading ``'``; numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def recaps_of(conn: sqlite3.Connection, series: str | None = None) -> list[dict[str, Any]]:
    """Every recap (or one series' recaps) in series, episode and publication order.

    Raises NotFoundError when ``series`` names no series.
    """
    sql = f"select {RECAP_COLUMNS} from recaps left join series on series.id = recaps.series_id"
    params: list[Any] = []
    if series is not None:
        sql += " where recaps.series_id = ?"
        params.append(find_series(conn, series)["id"])
    return rows(conn, sql + " order by series.name, recaps.episode_number, recaps.published_at, recaps.id", params)


def iter_recaps_with_threads(conn: sqlite3.Connection, series: str | None = None) -> Iterator[dict[str, Any]]:
    """Each recap with ``comments``: its thread as a tree (``replies`` nested)."""
    for recap in recaps_of(conn, series):
        yield {**recap, "comments": nest(thread(conn, recap["id"]))}


def export_jsonl(conn: sqlite3.Connection, out: TextIO, series: str | None = None) -> int:
    """Write one JSON object per recap, its thread nested, to ``out``; return the number of recaps."""
    count = 0
    for recap in iter_recaps_with_threads(conn, series):
        head = json.dumps({k: v for k, v in recap.items() if k != "comments"}, ensure_ascii=False)
        out.write(f'{head[:-1]}, "comments": {tree_json(recap["comments"])}}}\n')
        count += 1
    return count


def tree_json(nodes: list[dict[str, Any]]) -> str:
    """``json.dumps(nodes, ensure_ascii=False)`` for a tree of comments nested under ``replies`` (their last key),
    built with an explicit stack: a reply chain thousands deep is written like any other."""
    parts = ["["]
    stack = [iter(nodes)]
    first = [True]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop(), first.pop()
            parts.append("]}" if stack else "]")
            continue
        if not first[-1]:
            parts.append(", ")
        first[-1] = False
        fields = json.dumps({k: v for k, v in node.items() if k != "replies"}, ensure_ascii=False)
        parts.append(f'{fields[:-1]}{", " if len(fields) > 2 else ""}"replies": [')
        stack.append(iter(node.get("replies") or []))
        first.append(True)
    return "".join(parts)


def export_csv(conn: sqlite3.Connection, out: TextIO, series: str | None = None) -> int:
    """Write one CSV row per comment, in thread order, with its recap's columns; return the rows written."""
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for recap in recaps_of(conn, series):
        context = {
            "recap_id": recap["id"], "recap_url": recap["url"], "recap_title": recap["title"],
            "series": recap["series_name"], "episode_number": recap["episode_number"],
        }  # fmt: skip
        for comment in thread(conn, recap["id"]):
            row = {**comment, **context, "comment_id": comment["id"]}
            writer.writerow({name: csv_cell(row.get(name)) for name in CSV_COLUMNS})
            count += 1
    return count
