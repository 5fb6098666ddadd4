"""What an archive holds, in numbers: the end-of-crawl and `make demo` summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlite_utils import Database

from archiver.errors import ArchivePathError


def archive_summary(path: str | Path) -> dict[str, Any]:
    """Return counts of sites, series, recaps and comments, and the deepest reply.

    Raises ArchivePathError when there is no archive at ``path``.
    """
    if not Path(path).is_file():
        raise ArchivePathError(f"no archive at {str(path)!r}")
    db = Database(path)
    try:
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        deepest = db.execute(
            "select comments.depth, recaps.title from comments join recaps on recaps.id = comments.recap_id "
            "order by comments.depth desc, comments.id limit 1"
        ).fetchone()
        return {
            "sites": one("select count(*) from sites"),
            "series": one("select count(*) from series"),
            "recaps": one("select count(*) from recaps"),
            "episodes": one("select count(*) from recaps where episode_number is not null"),
            "comments": one("select count(*) from comments"),
            "threads_incomplete": one("select count(*) from recaps where not thread_complete"),
            "deepest_reply": deepest[0] if deepest else 0,
            "deepest_reply_recap": deepest[1] if deepest else None,
            "crawls": one("select count(*) from crawls"),
        }
    finally:
        db.close()


def format_summary(summary: dict[str, Any], elapsed: float | None = None) -> str:
    """The summary as a few human lines."""
    lines = [
        f"Archived {summary['recaps']} recaps ({summary['episodes']} episodes in {summary['series']} series) "
        f"and {summary['comments']} comments from {summary['sites']} site(s).",
        f"Deepest reply: depth {summary['deepest_reply']}"
        + (f" (in “{summary['deepest_reply_recap']}”)" if summary["deepest_reply_recap"] else ""),
    ]
    if summary["threads_incomplete"]:
        lines.append(f"Incomplete threads: {summary['threads_incomplete']}")
    if elapsed is not None:
        lines.append(f"Time taken: {elapsed:.1f} s")
    return "\n".join(lines)
