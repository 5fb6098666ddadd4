"""When to fetch a recap again: busy threads every run, quiet ones less and less often.

A thread that gained comments since the last crawl, or whose newest comment is
recent, is due again at the next run. A quiet one backs off: its interval starts
at ``start`` and doubles at each quiet visit up to ``maximum``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from archiver.archive.files import connect_read_only, has_table, is_archive


@dataclass(frozen=True)
class RevisitPolicy:
    """The back-off schedule, in seconds (settings ``REVISIT_START``, ``REVISIT_MAX``, ``REVISIT_ACTIVE``)."""

    start: int = 86_400
    """First interval for a quiet thread: one day."""
    maximum: int = 30 * 86_400
    """Longest interval: thirty days."""
    active: int = 7 * 86_400
    """A thread whose newest comment is younger than this is busy: due every run."""


def next_visit(
    policy: RevisitPolicy,
    fetched_at: str,
    previous_interval: int | None,
    gained_comments: bool,
    last_activity_at: str | None,
) -> tuple[int, str]:
    """Return ``(interval_seconds, next_due_at)`` for a recap fetched at ``fetched_at``.

    ``gained_comments`` is whether this visit found comments the archive did not
    have (False on a recap's first visit); ``last_activity_at`` is its newest
    comment's (or, with none, its publication's) time, ISO 8601.
    """
    fetched = datetime.fromisoformat(fetched_at)
    busy = gained_comments
    if last_activity_at:
        try:
            busy = busy or fetched - datetime.fromisoformat(last_activity_at) < timedelta(seconds=policy.active)
        except ValueError:
            pass
    if busy:
        interval = 0
    elif not previous_interval:
        interval = policy.start
    else:
        interval = min(previous_interval * 2, policy.maximum)
    return interval, (fetched + timedelta(seconds=interval)).isoformat()


def is_due(next_due_at: str | None, now: str) -> bool:
    """True when a recap has never been scheduled or its due time has come."""
    return next_due_at is None or next_due_at <= now


@dataclass(frozen=True)
class ArchivedRecap:
    """A recap already in the archive, as a re-crawl sees it."""

    url: str
    next_due_at: str | None
    """When it is due again (ISO 8601 UTC), or None when never scheduled."""
    incomplete: bool
    """Its thread was not archived whole."""
    covered: bool
    """One of the crawl's start URLs covers it: its site's home page, or a tag or category page it is filed under."""
    interval: int | None = None
    """Its ``revisit_interval`` (seconds; 0 for a busy thread), None when never scheduled."""
    platform: str | None = None
    """Its site's comment platform (``sites.platform``): a Disqus thread's comments are not WordPress's."""

    def due_with_signals(self, now: str, shortest: int) -> bool:
        """Whether it is due when the site's comment signal answered: a busy thread (interval 0) is due every run
        only to catch new comments, which the signal now reports, so it waits ``shortest`` seconds (the
        schedule's first interval) for the edits, deletions and votes no signal shows."""
        if self.next_due_at is None or self.interval != 0:
            return is_due(self.next_due_at, now)
        try:
            waited = datetime.fromisoformat(now) - datetime.fromisoformat(self.next_due_at)
        except ValueError:
            return True
        return waited >= timedelta(seconds=shortest)


def archived_recaps(path: str | Path, start_urls: list[str]) -> list[ArchivedRecap]:
    """Every recap archived at ``path``, read without writing; [] without an archive or one made before revisits."""
    if not Path(path).is_file():
        return []
    conn = connect_read_only(path)
    try:
        if not is_archive(conn) or not has_table(conn, "recaps", "next_due_at"):
            return []
        starts = json.dumps(start_urls)
        rows = conn.execute(
            "select recaps.url, recaps.next_due_at, not coalesce(recaps.thread_complete, 1), recaps.revisit_interval, sites.platform, "
            "  sites.base_url in (select value from json_each(:starts)) or exists("
            "    select 1 from recap_terms join terms on terms.id = recap_terms.term_id"
            "    where recap_terms.recap_id = recaps.id and terms.url in (select value from json_each(:starts))) "
            "from recaps join sites on sites.id = recaps.site_id",
            {"starts": starts},
        ).fetchall()
    finally:
        conn.close()
    return [
        ArchivedRecap(url, due, bool(incomplete), bool(covered), interval, platform)
        for url, due, incomplete, interval, platform, covered in rows
    ]


def last_crawl_start(path: str | Path, starts: list[str]) -> str | None:
    """When the last finished crawl that covered ``starts`` (start URLs of one host) began, ISO 8601 UTC; None
    without an archive or such a crawl. A crawl covers them when its ``url`` argument names the host's home page
    or every one of ``starts``: a crawl of a single recap says nothing about the others. A crawl cut short
    (``finish_reason`` not ``finished``) or read from a web archive (``source`` not ``live``) does not count."""
    if not starts or not Path(path).is_file():
        return None
    host = urlsplit(starts[0]).netloc
    conn = connect_read_only(path)
    try:
        if not is_archive(conn):
            return None
        rows = conn.execute(
            "select started_at, args from crawls where finished_at is not null and finish_reason = 'finished' "
            "order by started_at desc"
        ).fetchall()
    finally:
        conn.close()
    for started_at, args in rows:
        try:
            parsed = json.loads(args or "{}")
            urls = [u.strip() for u in str(parsed.get("url") or "").split(",") if u.strip()]
        except (ValueError, AttributeError):
            continue
        if str(parsed.get("source") or "live").lower() != "live":
            continue
        mine = [u for u in urls if urlsplit(u).netloc == host]
        home = any(urlsplit(u).path in ("", "/") for u in mine)
        if started_at and mine and (home or set(starts) <= set(mine)):
            return started_at
    return None


def archived_comment_ids(path: str | Path, urls: list[str]) -> dict[str, set[str]]:
    """The site comment ids archived for each recap of ``urls`` (recaps not archived are left out)."""
    if not urls or not Path(path).is_file():
        return {}
    conn = connect_read_only(path)
    try:
        if not is_archive(conn):
            return {}
        rows = conn.execute(
            "select recaps.url, comments.site_comment_id from recaps join comments on comments.recap_id = recaps.id "
            "where recaps.url in (select value from json_each(?))",
            [json.dumps(sorted(set(urls)))],
        ).fetchall()
    finally:
        conn.close()
    out: dict[str, set[str]] = {}
    for url, comment_id in rows:
        out.setdefault(url, set()).add(str(comment_id))
    return out
