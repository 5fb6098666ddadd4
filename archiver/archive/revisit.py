"""When to fetch a recap again: busy threads every run, quiet ones less and less often.

A thread that gained comments since the last crawl, or whose newest comment is
recent, is due again at the next run. A quiet one backs off: its interval starts
at ``start`` and doubles at each quiet visit up to ``maximum``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


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
