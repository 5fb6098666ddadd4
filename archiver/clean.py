"""Cleaning: small pure functions that turn text as pages show it into typed values.

Counts (``"1.2K"`` → 1200) and dates (to ISO 8601 UTC); comment-count headings are read by the post page
(archiver.pages.counts.parse_comment_count), episode titles in archiver.episodes. No Scrapy imports; none of the
public functions raises on bad input: they return None (or an empty result) instead.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from archiver.errors import ArgumentError

__all__ = [
    "DATE_LANGUAGES",
    "parse_count",
    "set_clock",
    "to_utc_iso",
    "tz_offset_of",
    "tzinfo_of",
    "utc_now",
]

# ---------------------------------------------------------------------------
# Counts
# ---------------------------------------------------------------------------

#: Largest count returned; bigger numbers would overflow SQLite's INTEGER.
MAX_COUNT = 2**63 - 1

_MINUS = "\\-\u2212\u2013\u2012\ufe63\uff0d"  # hyphen-minus, minus sign, en dash, figure dash, small/fullwidth
_SPACE_SEPS = " \u00a0\u2009\u202f\u2007\u2008\u200a"  # space, nbsp, thin, narrow nbsp, figure, punctuation, hair
_GROUP_SEPS = ",." + _SPACE_SEPS + "'\u2019"
_SUFFIX = {"k": 3, "m": 6, "b": 9}
_COUNT = re.compile(
    rf"(?<![\w.,])(?P<sign>[+{_MINUS}])?"  # sign must touch the digits
    rf"(?P<num>\d(?:[{_GROUP_SEPS}]?\d)*)"
    rf"(?:[{_SPACE_SEPS}]?(?P<suffix>[kKmMbB])(?![^\W\d_]))?"
)


@functools.lru_cache(maxsize=4096)  # a crawl sees the same few vote counts ("3", "12") on every comment
def parse_count(text: str | None) -> int | None:
    """Return the first vote/comment count in ``text`` as an int, or None.

    Accepts ``"3"``, ``"1,234"``, ``"1 234"`` (any space, nbsp or thin space), ``"1'234"``,
    ``"1.2K"``/``"15k"``/``"2.5M"``/``"1B"``, signs ``+``, ``-``, ``−`` (U+2212) and ``–``
    (en dash) touching the digits, and surrounding text (``"(12)"``, ``"Likes: 12"``).

    Separator rule: a ``.`` or ``,`` is a decimal point when it is the last separator and is
    different from the earlier ones (``"1.234,5K"``), or when it occurs once and either a
    K/M/B suffix follows or it is not followed by exactly 3 digits (``"1.2K"``, ``"1,5"``).
    Otherwise separators group thousands, so ``"1.234"`` (no suffix) is 1234 and
    ``"1,234"`` is 1234. Results that are not whole numbers (``"1.5"``, ``"1.2345K"``),
    malformed groupings (``"1,23,4"``) and counts beyond 2**63-1 give None. Never raises.
    """
    if not text:
        return None
    m = _COUNT.search(unicodedata.normalize("NFKC", text) if not text.isascii() else text)
    if not m or len(m["num"]) > 40:  # far beyond MAX_COUNT; skip the arithmetic
        return None
    value = _number_value(m["num"], bool(m["suffix"]))
    if value is None:
        return None
    if m["suffix"]:
        value = value.scaleb(_SUFFIX[m["suffix"].lower()])
    if value != value.to_integral_value():
        return None
    result = int(value)
    if m["sign"] and m["sign"] != "+":
        result = -result
    return result if abs(result) <= MAX_COUNT else None


def _number_value(num: str, has_suffix: bool) -> Decimal | None:
    """The Decimal value of a digit string with separators, or None when malformed."""
    parts = re.split(rf"([{_GROUP_SEPS}])", num)
    digits, seps = parts[0::2], parts[1::2]
    if not seps:
        return _decimal(num)
    last = seps[-1]
    decimal_point = last in ",." and (
        any(s != last for s in seps[:-1]) or (len(seps) == 1 and (has_suffix or len(digits[-1]) != 3))
    )
    if decimal_point:
        integer_digits, integer_seps, fraction = digits[:-1], seps[:-1], digits[-1]
    else:
        integer_digits, integer_seps, fraction = digits, seps, ""
    if integer_seps:
        kinds = {"space" if s in _SPACE_SEPS else s for s in integer_seps}
        if len(kinds) != 1 or len(integer_digits[0]) > 3 or any(len(g) != 3 for g in integer_digits[1:]):
            return None
    return _decimal("".join(integer_digits) + ("." + fraction if fraction else ""))


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

#: Languages dateparser may try, in order. Fewer languages parse faster.
DATE_LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "nl", "id", "ko", "ja", "zh")

_DATEPARSER_SETTINGS_BASE = {
    "PREFER_DATES_FROM": "past",
    "PARSERS": ["timestamp", "relative-time", "custom-formats", "absolute-time"],
}
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+\-\u2212])(\d{1,2}):?(\d{2})?$", re.IGNORECASE)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )  # fmt: skip
    for m in names
}
# WordPress's default "F j, Y \a\t g:i a" and its close relatives, parsed without dateparser.
_WP_DATE = re.compile(
    r"^(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
    r"(?P<month>[a-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
    r"(?:,?\s*(?:at|@|-|–)?\s*(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?)?$",
    re.IGNORECASE,
)
_RELATIVE_HINT = re.compile(
    r"ago|now|today|yesterday|tomorrow|last|this|next|hour|minute|second|week|month|year|day|"
    r"hace|il y a|vor |fa\b|geleden|lalu|전|前|어제|오늘|hier|ayer|ontem|ieri|gestern|\bin\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


@functools.lru_cache(maxsize=256)  # asked once per comment, with the one hint of its page
def tzinfo_of(tz_hint: str | None) -> tzinfo:
    """Return the tzinfo a hint names: ``"+09:00"``, ``"+0900"``, ``"UTC+9"``, ``"Z"`` or an IANA name.

    Returns UTC for None, empty or unknown hints. Never raises.
    """
    if not tz_hint or not tz_hint.strip():
        return UTC
    hint = tz_hint.strip()
    if hint.upper() in ("Z", "UTC", "GMT", "UTC+00:00"):
        return UTC
    m = _OFFSET.match(hint)
    if m:
        hours, minutes = int(m[2]), int(m[3] or 0)
        if hours > 23 or minutes > 59:
            return UTC
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if m[1] != "+" else delta)
    try:
        return ZoneInfo(hint)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


_clock_offset = timedelta(0)  # how far the crawl's clock runs from the real one (setting ARCHIVER_NOW)


def set_clock(now: str | None) -> None:
    """Make ``utc_now()`` read ``now`` (ISO 8601 with offset) at this instant and run on from there; None: the real
    clock. Only tests and the freshness bench set it (setting ``ARCHIVER_NOW``), to crawl a simulated day.

    Raises ArgumentError naming the setting when ``now`` is not an ISO 8601 time with an offset.
    """
    global _clock_offset
    if not now:
        _clock_offset = timedelta(0)
        return
    try:
        wanted = datetime.fromisoformat(now.strip().replace("Z", "+00:00"))
    except ValueError:
        wanted = None
    if wanted is None or wanted.tzinfo is None:
        raise ArgumentError(f"setting ARCHIVER_NOW: {now!r} is not an ISO 8601 time with an offset")
    _clock_offset = wanted - datetime.now(UTC)


def utc_now() -> str:
    """Now, ISO 8601 UTC to the second (``2024-05-01T12:00:00+00:00``): every ``fetched_at`` and crawl time.

    The crawl's clock: the real one unless ``set_clock`` moved it.
    """
    return (datetime.now(UTC) + _clock_offset).replace(microsecond=0).isoformat()


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).replace(microsecond=0).isoformat(timespec="seconds")


def _localise(value: datetime, tz: tzinfo) -> datetime:
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _parse_machine(machine: str) -> datetime | None:
    """A datetime (naive when the text has no offset) from ISO 8601, RFC 2822 or epoch text."""
    text = machine.strip()
    if not text:
        return None
    if not text.isdigit():
        # Most machine dates are plain ISO 8601 ("2021-12-23T08:15:00+09:00"): read them without the rewrites below,
        # which only make other spellings readable. All digits may be epoch seconds, checked first below.
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    if re.fullmatch(r"\d{9,13}", text):  # epoch seconds or milliseconds
        seconds = int(text) / (1000 if len(text) > 11 else 1)
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    iso = text.replace("\u2212", "-")
    if re.match(r"\d{4}-\d\d-\d\d \d", iso):
        iso = iso[:10] + "T" + iso[11:]
    iso = re.sub(r"\s+(?=[+-]\d\d:?\d\d$|Z$)", "", iso)  # "2021-12-23T08:15:00 +09:00"
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)  # "Thu, 23 Dec 2021 08:15:00 +0000"
    except (TypeError, ValueError, IndexError):
        return None


def _parse_wp_date(raw: str) -> datetime | None:
    """A naive datetime for English "December 23, 2021 at 8:15 am"-style text, else None."""
    m = _WP_DATE.match(raw)
    if not m:
        return None
    month = _MONTHS.get(m["month"].lower())
    if month is None:
        return None
    hour, minute, second = int(m["hour"] or 0), int(m["minute"] or 0), int(m["second"] or 0)
    if m["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m["ampm"].lower().startswith("p") else 0)
    try:
        return datetime(int(m["year"]), month, int(m["day"]), hour, minute, second)
    except ValueError:
        return None


def _clean_raw_date(raw: str) -> str:
    text = " ".join(raw.replace("\u00a0", " ").split())
    text = re.sub(r"^(?:posted|published|updated|written)?\s*(?:on|at)?\s*:?\s+", "", text, flags=re.I)
    return text.strip(" |·•-–—")


def _is_base_independent(raw: str) -> bool:
    """True when the text names a full date with a year and no relative words."""
    return bool(_YEAR.search(raw)) and not _RELATIVE_HINT.search(_YEAR.sub("", _strip_months(raw)))


def _strip_months(raw: str) -> str:
    # Month names like "may" or "march" must not look relative; drop every alphabetic month name.
    return re.sub(r"[A-Za-z]+", lambda m: "" if m[0].lower() in _MONTHS else m[0], raw)


@functools.lru_cache(maxsize=65536)
def _dateparse(raw: str, base_iso: str | None, tz_key: str) -> str | None:
    """Parse ``raw`` with dateparser relative to ``base_iso`` (UTC); return ISO UTC or None.

    ``base_iso`` is None when the text does not depend on the base (a full absolute date),
    so that repeated dates share one cache entry across pages fetched at different times.
    """
    import dateparser  # imported lazily: it takes a while to load

    tz = tzinfo_of(tz_key)
    base_utc = _parse_machine(base_iso) if base_iso else None
    if base_utc is None:
        base_utc = datetime(2000, 1, 1, tzinfo=UTC)
    base_utc = _localise(base_utc, UTC)
    base_local = base_utc.astimezone(tz).replace(tzinfo=None)
    settings = dict(_DATEPARSER_SETTINGS_BASE, RELATIVE_BASE=base_local)
    try:
        result = dateparser.parse(raw, languages=list(DATE_LANGUAGES), settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input; never let them out
        return None
    if result is None:
        return None
    return _utc_iso(_localise(result, tz))


def to_utc_iso(machine: str | None, raw: str | None, fetched_at: str, tz_hint: str | None = None) -> str | None:
    """Return a date as ISO 8601 UTC (``"2021-12-23T08:15:00+00:00"``), or None when nothing parses.

    ``machine`` (ISO 8601, with or without offset; also RFC 2822 or epoch seconds) wins; a
    naive machine date is read in ``tz_hint``. Otherwise ``raw`` is parsed (a fast path for
    WordPress's "December 23, 2021 at 8:15 am", else dateparser restricted to
    :data:`DATE_LANGUAGES`), with relative dates ("3 hours ago", "yesterday") counted back
    from ``fetched_at`` and naive results read in ``tz_hint`` (an offset like ``"+09:00"``
    or an IANA name; UTC when None). Results are cached. Never raises.
    """
    tz_key = (tz_hint or "").strip()
    tz = tzinfo_of(tz_key)
    if machine:
        parsed = _parse_machine(machine)
        if parsed is not None:
            try:
                return _utc_iso(_localise(parsed, tz))
            except (OverflowError, ValueError):
                pass
    for text in (raw, machine):
        if not text or not isinstance(text, str):
            continue
        cleaned = _clean_raw_date(text)
        if not cleaned or len(cleaned) > 200:
            continue
        fast = _parse_wp_date(cleaned)
        if fast is not None:
            try:
                return _utc_iso(fast.replace(tzinfo=tz))
            except (OverflowError, ValueError):
                return None
        base = None if _is_base_independent(cleaned) else (fetched_at or None)
        result = _dateparse(cleaned, base, tz_key)
        if result is not None:
            return result
    return None


def tz_offset_of(iso: str | None) -> str | None:
    """Return the UTC offset of an ISO 8601 date as ``"+09:00"`` (``"Z"`` gives ``"+00:00"``).

    Returns None for None, naive dates and unparseable text. Never raises.
    """
    if not iso:
        return None
    parsed = _parse_machine(iso) if not re.fullmatch(r"\s*\d+\s*", iso) else None
    if parsed is None or parsed.utcoffset() is None:
        return None
    offset = parsed.utcoffset()
    assert offset is not None
    total = int(offset.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"
