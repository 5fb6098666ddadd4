"""Times as the site showed them: the site's UTC offset read back from a date's raw text, and a time in it.

The archive keeps ``posted_at`` in UTC beside ``posted_at_raw``, the text the page showed
(``April 23, 2021 at 1:29 pm``). The clock time in that text, compared with the UTC time,
gives the offset the site used then (DST included), so a reader sees the site's own times.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

# A clock time in a shown date: 7:29 pm, 19:29, 7:29 p.m.
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})(?::\d{2})?\s*([ap])?\.?\s*m?\b\.?", re.I)


def _utc(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def shown_offset(utc_iso: str | None, raw: str | None) -> timedelta | None:
    """The UTC offset that turns ``utc_iso`` into the clock time ``raw`` shows; None when ``raw`` shows none.

    Offsets are taken between -12:00 and +14:00, to the quarter hour.
    """
    when = _utc(utc_iso)
    match = _CLOCK.search(raw or "")
    if when is None or match is None:
        return None
    hour, minute, half = int(match[1]), int(match[2]), (match[3] or "").lower()
    if hour > 23 or minute > 59 or (half and not 1 <= hour <= 12):
        return None
    if half:
        hour = hour % 12 + (12 if half == "p" else 0)
    minutes = (hour * 60 + minute - (when.hour * 60 + when.minute)) % 1440
    if minutes > 14 * 60:
        minutes -= 1440
    return timedelta(minutes=round(minutes / 15) * 15)


def common_offset(pairs: Iterable[tuple[str | None, str | None]]) -> timedelta | None:
    """The offset most of the (UTC, raw) ``pairs`` show, or None when none shows a clock time."""
    found = Counter(o for o in (shown_offset(utc, raw) for utc, raw in pairs) if o is not None)
    return found.most_common(1)[0][0] if found else None


def zone_name(offset: timedelta | None) -> str:
    """``UTC``, ``UTC+09:00`` or ``UTC-04:00``."""
    if not offset:
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def local_time(utc_iso: str | None, offset: timedelta | None) -> dict[str, str] | None:
    """``utc_iso`` shown at ``offset``: ``{"local": "2021-04-23 13:29", "zone": "UTC+09:00", "utc": "... UTC"}``.

    None when ``utc_iso`` is not an ISO 8601 time.
    """
    when = _utc(utc_iso)
    if when is None:
        return None
    shown = when + (offset or timedelta(0))
    return {
        "local": shown.strftime("%Y-%m-%d %H:%M"),
        "zone": zone_name(offset),
        "utc": when.strftime("%Y-%m-%d %H:%M UTC"),
    }
