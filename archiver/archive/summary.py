"""What an archive holds, in numbers: the end-of-crawl and `make demo` summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlite_utils import Database

from archiver.archive.files import open_read_only
from archiver.archive.health import latest_health
from archiver.archive.query import rows
from archiver.wording import plural


def archive_summary(path: str | Path) -> dict[str, Any]:
    """Return counts of sites, series, recaps and comments, and the deepest reply.

    Raises ArchivePathError when there is no archive at ``path``.
    """
    db = Database(open_read_only(path))  # raises ArchivePathError (or NotAnArchiveError) unless it is an archive
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


CRAWL_SITE_COUNTS = ("recaps", "recaps_new", "recaps_changed", "threads_incomplete", "comments", "comments_new")


def crawl_counts_by_site(path: str | Path, crawl_id: int) -> dict[str, dict[str, int]]:
    """What crawl ``crawl_id`` saved, per site (``sites.base_url``): the :data:`CRAWL_SITE_COUNTS`, read from the
    rows it wrote (recaps and comments it saw, first saw, and recaps whose earlier version it replaced).

    Raises ArchivePathError when there is no archive at ``path``.
    """
    conn = open_read_only(path)
    try:
        counts: dict[str, dict[str, int]] = {}
        for row in rows(
            conn,
            "select sites.base_url, count(*) as recaps, coalesce(sum(recaps.first_crawl_id = :c), 0) as recaps_new, "
            "coalesce(sum(exists(select 1 from recap_versions v where v.recap_id = recaps.id "
            "and v.replaced_crawl_id = :c)), 0) as recaps_changed, "
            "coalesce(sum(not recaps.thread_complete), 0) as threads_incomplete "
            "from recaps join sites on sites.id = recaps.site_id where recaps.last_crawl_id = :c group by sites.id",
            {"c": crawl_id},
        ):
            base_url = row.pop("base_url")
            counts[base_url] = {**dict.fromkeys(CRAWL_SITE_COUNTS, 0), **row}
        for row in rows(
            conn,
            "select sites.base_url, count(*) as comments, coalesce(sum(comments.first_crawl_id = :c), 0) as "
            "comments_new from comments join recaps on recaps.id = comments.recap_id "
            "join sites on sites.id = recaps.site_id where comments.last_crawl_id = :c group by sites.id",
            {"c": crawl_id},
        ):
            counts.setdefault(row["base_url"], dict.fromkeys(CRAWL_SITE_COUNTS, 0)).update(
                comments=row["comments"], comments_new=row["comments_new"]
            )
        return counts
    finally:
        conn.close()


def format_summary(summary: dict[str, Any], elapsed: float | None = None) -> str:
    """The summary as a few human lines."""
    lines = [
        f"Archived {plural(summary['recaps'], 'recap')} ({plural(summary['episodes'], 'episode')} in "
        f"{plural(summary['series'], 'series', 'series')}) and {plural(summary['comments'], 'comment')} "
        f"from {plural(summary['sites'], 'site')}.",
        f"Deepest reply: depth {summary['deepest_reply']}"
        + (f" (in “{summary['deepest_reply_recap']}”)" if summary["deepest_reply_recap"] else ""),
    ]
    if summary["threads_incomplete"]:
        lines.append(f"Incomplete threads: {summary['threads_incomplete']}")
    if elapsed is not None:
        lines.append(f"Time taken: {elapsed:.1f} s")
    return "\n".join(lines)


def archive_stats(path: str | Path, top: int = 5) -> dict[str, Any]:
    """:func:`archive_summary` plus the ``top`` busiest recaps, the ``top`` latest crawls and each site's latest
    health verdict (archiver.archive.health).

    Raises ArchivePathError when there is no archive at ``path``.
    """
    stats = archive_summary(path)
    conn = open_read_only(path)
    try:
        stats["busiest_recaps"] = rows(
            conn,
            "select recaps.id, recaps.title, recaps.url, count(comments.id) as comments, max(comments.depth) as depth "
            "from recaps join comments on comments.recap_id = recaps.id "
            "group by recaps.id order by comments desc, recaps.id limit ?",
            [top],
        )
        columns = {row[1] for row in conn.execute("pragma table_info(crawls)")}
        health = "health" if "health" in columns else "null as health"  # an archive from before m007
        stats["last_crawls"] = rows(
            conn,
            "select id, started_at, finished_at, finish_reason, pages, recaps, recaps_new, comments_new, errors, "
            f"{health} from crawls order by id desc limit ?",
            [top],
        )
        stats["health"] = latest_health(conn)
    finally:
        conn.close()
    return stats


def format_stats(stats: dict[str, Any]) -> str:
    """:func:`archive_stats` as human lines: the summary, the busiest recaps, the last crawls, each site's health."""
    lines = [format_summary(stats), "", "Busiest recaps:"]
    lines += [
        f"  {plural(r['comments'], 'comment'):>14}, depth {r['depth'] or 0}: {r['title']} (id {r['id']})"
        for r in stats["busiest_recaps"]
    ] or ["  (none)"]
    lines += ["", f"Last crawls ({stats['crawls']} in all):"]
    lines += [
        f"  #{c['id']} {c['started_at']} {c['finish_reason'] or 'unfinished'}: {plural(c['pages'], 'page')}, "
        f"{plural(c['recaps'], 'recap')} ({c['recaps_new'] or 0} new), {plural(c['comments_new'], 'new comment')}, "
        f"{plural(c['errors'], 'error')}" + (f", health {c['health']}" if c["health"] else "")
        for c in stats["last_crawls"]
    ] or ["  (none)"]
    if stats["health"]:
        lines += ["", "Health (each site's latest crawl; docs/when-things-go-wrong.md):"]
        for site in stats["health"]:
            lines.append(f"  {site['site']} ({site['base_url']}): {site['verdict']} in crawl #{site['crawl_id']}")
            lines += [f"    {message}" for message in site["signs"]]
    return "\n".join(lines)
