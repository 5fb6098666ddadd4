"""Tests for archiver.clean: counts, comment-count headings, dates, episode titles, terms."""

from __future__ import annotations

import time

import pytest

from archiver import clean
from archiver.clean import (
    parse_count,
    to_utc_iso,
    tz_offset_of,
    tzinfo_of,
)
from archiver.episodes import EpisodeInfo, match_series_term, parse_episode_title, slugify, term_key
from archiver.errors import ArgumentError
from archiver.items import Term

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is optional
    given = None

FETCHED = "2024-01-10T12:00:00+00:00"


# --- parse_count ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("3", 3),
        ("42", 42),
        ("1,234", 1234),
        ("1,234,567", 1234567),
        ("1 234", 1234),
        ("1\u00a0234", 1234),  # nbsp
        ("1\u2009234", 1234),  # thin space
        ("1\u202f234", 1234),  # narrow nbsp
        ("1\u202f234\u202f567", 1234567),
        ("1'234", 1234),
        ("1’234", 1234),
        # European thousands: one dot, exactly three digits after it, no suffix.
        ("1.234", 1234),
        ("1.234.567", 1234567),
        ("12.345", 12345),
        ("1.2K", 1200),
        ("1.2k", 1200),
        ("1.1K", 1100),
        ("2.345K", 2345),
        ("1.234K", 1234),  # with a suffix the dot is a decimal point
        ("1,2K", 1200),  # European decimal comma
        ("1.234,5K", 1234500),
        ("1,234.5K", 1234500),
        ("15K", 15000),
        ("15 K", 15000),
        ("2.5M", 2500000),
        ("2.5m", 2500000),
        ("1B", 1_000_000_000),
        ("0.3K", 300),
        ("-3", -3),
        ("\u22123", -3),  # minus sign
        ("\u20133", -3),  # en dash
        ("-1.2K", -1200),
        ("+5", 5),
        ("(12)", 12),
        ("12 likes", 12),
        ("12likes", 12),
        ("Likes: 12", 12),
        ("  \n 7 \t", 7),
        ("15K likes", 15000),
        ("1.2 kudos", None),  # "k" starting a word is no suffix; 1.2 is not whole
        ("12 likes, 3 dislikes", 12),  # the first number
        ("\uff11\uff12", 12),  # fullwidth digits
        ("007", 7),
        ("9223372036854775807", 2**63 - 1),
        ("1,000,000,000,000", 10**12),
    ],
)
def test_parse_count(text: str, expected: int | None) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "abc",
        "—",
        "-",
        "K",
        "1.5",  # not a whole count
        "1,5",
        "1.2345K",  # 1234.5
        "1,23,4",  # malformed grouping
        "1,2345",
        "1.234,567",  # mixed without a decimal reading makes a fraction: 1234.567
        "E03",  # letters touching the number
        "v2",
        "9223372036854775808",  # beyond SQLite's INTEGER
        "99999999999999999999999999",
        "9" * 5000,
        "9" * 50000 + "K",
    ],
)
def test_parse_count_none(text: str | None) -> None:
    assert parse_count(text) is None


def test_parse_count_is_exact() -> None:
    # Decimal arithmetic: no 1.1 * 1000 == 1100.0000000000002 surprises.
    assert all(parse_count(f"{i / 10}K") == i * 100 for i in range(1, 1000))
    assert all(parse_count(f"{i}.{j:03d}K") == i * 1000 + j for i in range(1, 5) for j in range(0, 1000, 7))


# --- dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("machine", "raw", "tz_hint", "expected"),
    [
        # Machine dates win.
        ("2021-12-23T08:15:00+09:00", None, None, "2021-12-22T23:15:00+00:00"),
        ("2021-12-23T08:15:00Z", None, None, "2021-12-23T08:15:00+00:00"),
        ("2021-12-23T08:15:00+00:00", None, "+09:00", "2021-12-23T08:15:00+00:00"),
        ("2021-12-23T08:15:00.123456+00:00", None, None, "2021-12-23T08:15:00+00:00"),
        ("2021-12-23T08:15:00-05:00", None, None, "2021-12-23T13:15:00+00:00"),
        ("2021-12-23T08:15:00+0900", None, None, "2021-12-22T23:15:00+00:00"),
        ("2021-12-23T08:15", None, None, "2021-12-23T08:15:00+00:00"),
        ("2021-12-23 08:15:00", None, None, "2021-12-23T08:15:00+00:00"),
        ("2021-12-23 08:15:00", None, "+09:00", "2021-12-22T23:15:00+00:00"),
        ("2021-12-23 08:15:00", None, "+0900", "2021-12-22T23:15:00+00:00"),
        ("2021-12-23 08:15:00", None, "UTC+9", "2021-12-22T23:15:00+00:00"),
        ("2021-12-23 08:15:00", None, "-05:30", "2021-12-23T13:45:00+00:00"),
        ("2021-12-23 08:15:00", None, "Asia/Seoul", "2021-12-22T23:15:00+00:00"),
        ("2021-07-01 08:15:00", None, "America/New_York", "2021-07-01T12:15:00+00:00"),  # DST
        ("2021-12-23 08:15:00", None, "Not/AZone", "2021-12-23T08:15:00+00:00"),
        ("2021-12-23", None, None, "2021-12-23T00:00:00+00:00"),
        (" 2021-12-23T08:15:00+09:00 ", None, None, "2021-12-22T23:15:00+00:00"),
        # Spellings plain ISO 8601 parsing refuses, read by the rewrites after it: a space before the offset, a
        # Unicode minus sign.
        ("2021-12-23T08:15:00 +09:00", None, None, "2021-12-22T23:15:00+00:00"),
        ("2021-12-23T08:15:00\u221205:00", None, None, "2021-12-23T13:15:00+00:00"),
        ("Thu, 23 Dec 2021 08:15:00 +0000", None, None, "2021-12-23T08:15:00+00:00"),
        ("1640247300", None, None, "2021-12-23T08:15:00+00:00"),
        ("1640247300000", None, None, "2021-12-23T08:15:00+00:00"),
        ("2021-12-23T08:15:00+09:00", "2 years ago", None, "2021-12-22T23:15:00+00:00"),
        # Raw text through the fast path.
        (None, "December 23, 2021 at 8:15 am", None, "2021-12-23T08:15:00+00:00"),
        (None, "December 23, 2021 at 8:15 am", "+09:00", "2021-12-22T23:15:00+00:00"),
        (None, "December 23, 2021 at 8:15 pm", None, "2021-12-23T20:15:00+00:00"),
        (None, "December 23, 2021 at 12:05 am", None, "2021-12-23T00:05:00+00:00"),
        (None, "December 23, 2021 at 12:05 pm", None, "2021-12-23T12:05:00+00:00"),
        (None, "Dec 23, 2021 @ 8:15 AM", None, "2021-12-23T08:15:00+00:00"),
        (None, "Sept. 3, 2021 at 8:15 p.m.", None, "2021-09-03T20:15:00+00:00"),
        (None, "Thursday, December 23, 2021 - 20:15", None, "2021-12-23T20:15:00+00:00"),
        (None, "December 23rd, 2021", None, "2021-12-23T00:00:00+00:00"),
        (None, "Posted on December 23, 2021 at 8:15\u00a0am", None, "2021-12-23T08:15:00+00:00"),
        (None, "December 23, 2021 at 8:15 am", "Asia/Seoul", "2021-12-22T23:15:00+00:00"),
        # Raw text through dateparser.
        (None, "23 December 2021", None, "2021-12-23T00:00:00+00:00"),
        (None, "23/12/2021 08:15", None, "2021-12-23T08:15:00+00:00"),
        (None, "2021-12-23 08:15", "+09:00", "2021-12-22T23:15:00+00:00"),
        (None, "December 23, 2021 8:15 am KST", None, "2021-12-22T23:15:00+00:00"),
        (None, "December 23, 2021 8:15 am KST", "America/New_York", "2021-12-22T23:15:00+00:00"),
        (None, "2 years ago", None, "2022-01-10T12:00:00+00:00"),
        (None, "a year ago", None, "2023-01-10T12:00:00+00:00"),
        (None, "3 hours ago", None, "2024-01-10T09:00:00+00:00"),
        (None, "3 hours ago", "Asia/Seoul", "2024-01-10T09:00:00+00:00"),
        (None, "5 minutes ago", "-08:00", "2024-01-10T11:55:00+00:00"),
        (None, "yesterday", None, "2024-01-09T12:00:00+00:00"),
        (None, "just now", None, "2024-01-10T12:00:00+00:00"),
        (None, "il y a 3 heures", None, "2024-01-10T09:00:00+00:00"),
        (None, "hace 2 días", None, "2024-01-08T12:00:00+00:00"),
        (None, "2021년 12월 23일", "+09:00", "2021-12-22T15:00:00+00:00"),
        (None, "23. Dezember 2021", None, "2021-12-23T00:00:00+00:00"),
        # Unparseable machine text falls back to raw, then to dateparser on itself.
        ("junk", "23 December 2021", None, "2021-12-23T00:00:00+00:00"),
        ("December 23, 2021 at 8:15 am", None, None, "2021-12-23T08:15:00+00:00"),
    ],
)
def test_to_utc_iso(machine: str | None, raw: str | None, tz_hint: str | None, expected: str) -> None:
    assert to_utc_iso(machine, raw, FETCHED, tz_hint) == expected


@pytest.mark.parametrize(
    ("machine", "raw"),
    [
        (None, None),
        ("", ""),
        ("   ", "   "),
        (None, "garbage"),
        ("junk", "more junk"),
        (None, "Reply"),
        (None, "February 30, 2021 at 8:15 am"),
        (None, "December 32, 2021 at 8:15 am"),
        (None, "x" * 10_000),
        ("9999-99-99T99:99:99", None),
    ],
)
def test_to_utc_iso_none(machine: str | None, raw: str | None) -> None:
    assert to_utc_iso(machine, raw, FETCHED) is None


def test_to_utc_iso_bad_fetched_at_never_raises() -> None:
    assert to_utc_iso(None, "3 hours ago", "not a date") is not None
    assert to_utc_iso(None, "December 23, 2021", "") == "2021-12-23T00:00:00+00:00"


def test_relative_dates_follow_fetched_at() -> None:
    assert to_utc_iso(None, "3 hours ago", "2020-06-01T00:00:00+00:00") == "2020-05-31T21:00:00+00:00"
    assert to_utc_iso(None, "3 hours ago", "2020-06-02T00:00:00Z") == "2020-06-01T21:00:00+00:00"


def test_absolute_dates_share_cache_across_fetch_times() -> None:
    clean._dateparse.cache_clear()
    for second in range(20):
        assert to_utc_iso(None, "23 December 2021", f"2024-01-10T12:00:{second:02d}+00:00") == (
            "2021-12-23T00:00:00+00:00"
        )
    info = clean._dateparse.cache_info()
    assert info.misses == 1 and info.hits == 19


def test_dates_are_fast_when_repeated() -> None:
    raws = ["December 23, 2021 at 8:15 am", "23 December 2021", "2 years ago", "3 hours ago"]
    to_utc_iso(None, raws[1], FETCHED)  # warm dateparser up
    start = time.perf_counter()
    for i in range(5000):
        to_utc_iso(None, raws[i % 4], FETCHED, "+09:00")
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("iso", "expected"),
    [
        ("2021-12-23T08:15:00+09:00", "+09:00"),
        ("2021-12-23T08:15:00-05:30", "-05:30"),
        ("2021-12-23T08:15:00+0900", "+09:00"),
        ("2021-12-23T08:15:00Z", "+00:00"),
        ("2021-12-23T08:15:00+00:00", "+00:00"),
        ("2021-12-23 08:15:00+09:00", "+09:00"),
        ("2021-12-23T08:15:00", None),
        ("2021-12-23", None),
        ("1640247300", None),
        ("garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_tz_offset_of(iso: str | None, expected: str | None) -> None:
    assert tz_offset_of(iso) == expected


def test_tz_offset_round_trips_into_to_utc_iso() -> None:
    hint = tz_offset_of("2021-12-23T08:15:00+09:00")
    assert to_utc_iso(None, "December 24, 2021 at 9:00 am", FETCHED, hint) == "2021-12-24T00:00:00+00:00"


@pytest.mark.parametrize("hint", [None, "", "Z", "UTC", "GMT", "+00:00", "nonsense", "+25:00", "Europe/Nowhere"])
def test_tzinfo_of_defaults_to_utc(hint: str | None) -> None:
    from datetime import datetime, timedelta

    assert tzinfo_of(hint).utcoffset(datetime(2021, 1, 1)) == timedelta(0)


# --- episode titles ---------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Soundtrack #1: Episode 4 (Final)", ("Soundtrack #1", 4, None, "Final")),
        ("Mr. Sunshine: Episodes 5-6", ("Mr. Sunshine", 5, 6, None)),
        ("Mr. Sunshine: Episodes 5–6", ("Mr. Sunshine", 5, 6, None)),
        ("Mr. Sunshine: Episodes 5 – 6", ("Mr. Sunshine", 5, 6, None)),
        ("Mr. Sunshine: Episodes 5 & 6", ("Mr. Sunshine", 5, 6, None)),
        ("Mr. Sunshine: Episodes 5 and 6", ("Mr. Sunshine", 5, 6, None)),
        ("Mr. Sunshine: Episodes 5 to 6", ("Mr. Sunshine", 5, 6, None)),
        ("Mr. Sunshine: Episode 5 & Episode 6", ("Mr. Sunshine", 5, 6, None)),
        ("Crash Landing on You Episode 16 Recap", ("Crash Landing on You", 16, None, None)),
        ("Crash Landing on You Episode 16 Recap and Review", ("Crash Landing on You", 16, None, None)),
        ("Hometown Cha-Cha-Cha: Ep. 3", ("Hometown Cha-Cha-Cha", 3, None, None)),
        ("Hometown Cha-Cha-Cha: Ep 3", ("Hometown Cha-Cha-Cha", 3, None, None)),
        ("Hometown Cha-Cha-Cha: E03", ("Hometown Cha-Cha-Cha", 3, None, None)),
        ("Hometown Cha-Cha-Cha: Eps. 3-4", ("Hometown Cha-Cha-Cha", 3, 4, None)),
        ("Reply 1988: Episode 12 (Finale)", ("Reply 1988", 12, None, "Finale")),
        ("Goblin: Episode 1 (Premiere)", ("Goblin", 1, None, "Premiere")),
        ("Episode 20 (Final) – Itaewon Class", ("Itaewon Class", 20, None, "Final")),
        ("Episode 4 Recap: Soundtrack #1", ("Soundtrack #1", 4, None, None)),
        ("Series: Episodes 15-16 (Final)", ("Series", 15, 16, "Final")),
        ("Vincenzo episodes 1-2 recap", ("Vincenzo", 1, 2, None)),
        ("VINCENZO EPISODE 3", ("VINCENZO", 3, None, None)),
        ("Open Thread: Weekend of March 5", (None, None, None, None)),
        ("Weekend Open Thread", (None, None, None, None)),
        ("Drama Hangover: Goblin", (None, None, None, None)),
        ("18 Again: Episode 7", ("18 Again", 7, None, None)),
        ("Reply 1988", (None, None, None, None)),
        ("Soundtrack #1", (None, None, None, None)),
        ("Episode 4", (None, 4, None, None)),
        ("Episode #4", (None, 4, None, None)),
        ("Goblin | Episode 2", ("Goblin", 2, None, None)),
        ("Goblin – Episode 2", ("Goblin", 2, None, None)),
        ("Goblin - Episode 2", ("Goblin", 2, None, None)),
        ("Goblin — Episode 2", ("Goblin", 2, None, None)),
        ("Queen’s\u00a0Gambit:\u00a0Episode 2", ("Queen’s Gambit", 2, None, None)),
        ("“Goblin”: Episode 2", ("“Goblin”", 2, None, None)),
        ("Recap: Vincenzo Episode 3", ("Vincenzo", 3, None, None)),
        ("Goblin: Episode 16 [Final]", ("Goblin", 16, None, "Final")),
        ("Goblin: Episode 16 (Part 1)", ("Goblin", 16, None, "Part 1")),
        ("Goblin: Episode 16 (Recap)", ("Goblin", 16, None, None)),
        ("Goblin: Episode 3, 2021 edition", ("Goblin", 3, None, None)),  # no range to 2021
        ("Goblin: Episodes 6-5", ("Goblin", 6, None, None)),  # backwards ranges are dropped
        ("도깨비 5화", ("도깨비", 5, None, None)),
        ("도깨비 제5회", ("도깨비", 5, None, None)),
        ("", (None, None, None, None)),
        ("   ", (None, None, None, None)),
        ("Episodes", (None, None, None, None)),
        ("Episode guide to Goblin", (None, None, None, None)),
        ("Episode 12345", (None, None, None, None)),  # more than 4 digits: not an episode number
    ],
)
def test_parse_episode_title(title: str, expected: tuple) -> None:
    assert parse_episode_title(title) == EpisodeInfo(*expected)


def test_episode_info_is_frozen() -> None:
    info = parse_episode_title("Goblin: Episode 1")
    with pytest.raises(AttributeError):
        info.number = 2  # type: ignore[misc]


def test_parse_episode_title_none() -> None:
    assert parse_episode_title(None) == EpisodeInfo()


# --- terms ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Soundtrack #1", "Soundtrack #1"),
        ("Soundtrack #1", "soundtrack #1"),
        ("Soundtrack #1", "Soundtrack 1"),
        ("Queen’s Gambit", "Queen's Gambit"),
        ("Queen’s Gambit", "Queens Gambit"),
        ("Mr. Sunshine", "mr sunshine"),
        ("Hometown Cha-Cha-Cha", "Hometown Cha Cha Cha"),
        ("Hometown  Cha-Cha-Cha ", "hometown\u00a0cha-cha-cha"),
        ("Pokémon", "pokemon"),
        ("ＳＫＹ Castle", "SKY Castle"),  # NFKC
        ("Love & War", "Love and War"),
        ("도깨비", "도깨비"),
        ("STRASSE", "straße"),
    ],
)
def test_term_key_equal(a: str, b: str) -> None:
    assert term_key(a) == term_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Goblin", "Goblin 2"),
        ("Soundtrack #1", "Soundtrack #2"),
        ("Reply 1988", "Reply 1997"),
        ("Goblin", "Goblins"),
        ("도깨비", "도깨비 2"),
    ],
)
def test_term_key_different(a: str, b: str) -> None:
    assert term_key(a) != term_key(b)


def test_term_key_empty() -> None:
    assert term_key("") == ""
    assert term_key(None) == ""
    assert term_key("#!?") == ""


def _tag(name: str, slug: str | None = None) -> Term:
    return Term(name=name, slug=slug, taxonomy="post_tag")


def _cat(name: str, slug: str | None = None) -> Term:
    return Term(name=name, slug=slug, taxonomy="category")


def test_match_series_term_exact_beats_key() -> None:
    loose, exact = _tag("soundtrack #1"), _tag("Soundtrack #1")
    assert match_series_term("Soundtrack #1", [loose, exact]) is exact


def test_match_series_term_key_match() -> None:
    tag = _tag("soundtrack 1")
    assert match_series_term("Soundtrack #1", [_tag("Recaps"), tag]) is tag


def test_match_series_term_tags_before_categories() -> None:
    cat, tag = _cat("Goblin"), _tag("Goblin")
    assert match_series_term("Goblin", [cat, tag]) is tag
    # ...but an exact category beats a key-only tag.
    loose = _tag("goblin")
    assert match_series_term("Goblin", [loose, cat]) is cat


def test_match_series_term_falls_back_to_categories_and_slugs() -> None:
    cat = _cat("Goblin")
    assert match_series_term("Goblin", [_tag("Goblin 2"), cat]) is cat
    by_slug = _tag("Mr Sunshine (2018)", slug="mr-sunshine")
    assert match_series_term("Mr. Sunshine", [by_slug]) is by_slug
    encoded = _tag("Dokkaebi", slug="%eb%8f%84%ea%b9%a8%eb%b9%84")
    assert match_series_term("도깨비", [encoded]) is encoded


@pytest.mark.parametrize(
    ("series", "terms"),
    [
        ("Goblin", [_tag("Goblin 2"), _cat("Goblins")]),
        ("Goblin", []),
        ("", [_tag("")]),
        (None, [_tag("Goblin")]),
    ],
)
def test_match_series_term_none(series: str | None, terms: list[Term]) -> None:
    assert match_series_term(series, terms) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Soundtrack #1", "soundtrack-1"),
        ("Mr. Sunshine", "mr-sunshine"),
        ("Hometown Cha-Cha-Cha", "hometown-cha-cha-cha"),
        ("Crash Landing on You", "crash-landing-on-you"),
        ("Queen’s Gambit", "queens-gambit"),
        ("Queen's Gambit", "queens-gambit"),
        ("Reply 1988", "reply-1988"),
        ("Love & War", "love-war"),
        ("Love &amp; War", "love-war"),
        ("<b>Goblin</b>", "goblin"),
        ("Pokémon", "pokemon"),
        ("Straße", "strasse"),
        ("  Goblin  -- 2  ", "goblin-2"),
        ("Goblin – The Lonely God", "goblin-the-lonely-god"),
        ("snake_case", "snake_case"),
        ("도깨비", "도깨비"),
        ("도깨비 Goblin", "도깨비-goblin"),
        ("ПРИВЕТ Мир", "привет-мир"),
        ("ダーリン", "ダーリン"),  # dakuten kept
        ("", ""),
        (None, ""),
        ("#!?", ""),
    ],
)
def test_slugify(name: str | None, expected: str) -> None:
    assert slugify(name) == expected


# --- never raise ------------------------------------------------------------

if given is not None:

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(st.none(), st.text()))
    def test_counts_never_raise(text: str | None) -> None:
        from archiver.pages.wordpress import parse_comment_count

        for result in (parse_count(text), parse_comment_count(text)):
            assert result is None or isinstance(result, int)

    @settings(max_examples=300, deadline=None)
    @given(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
    def test_count_round_trips_grouped(n: int) -> None:
        assert parse_count(f"{n:,}") == n
        assert parse_count(str(n)) == n

    @settings(max_examples=200, deadline=None)
    @given(st.one_of(st.none(), st.text(max_size=40)), st.one_of(st.none(), st.text(max_size=40)), st.text(max_size=10))
    def test_dates_never_raise(machine: str | None, raw: str | None, tz_hint: str) -> None:
        result = to_utc_iso(machine, raw, FETCHED, tz_hint)
        assert result is None or result.endswith("+00:00")
        tz_offset_of(machine)

    @settings(max_examples=300, deadline=None)
    @given(st.text())
    def test_titles_and_terms_never_raise(text: str) -> None:
        info = parse_episode_title(text)
        assert info.number is None or info.number >= 0
        assert isinstance(term_key(text), str)
        slug = slugify(text)
        assert slug == slug.strip("-") and "--" not in slug
        match_series_term(text, [_tag(text), _cat("x")])


def test_text_of_a_comment_nested_thousands_deep() -> None:
    from archiver.text import html_to_text

    deep = "<p>a" + "<span>b" * 1500 + "c" + "</span>" * 1500 + "d</p>"
    assert html_to_text(deep) == "a" + "b" * 1500 + "cd"
    assert html_to_text("<div>x<p>y<br>z</p>w</div>t") == "x\n\ny\nz\n\nw\n\nt"


def test_the_crawl_clock_runs_from_archiver_now() -> None:
    from archiver.clean import set_clock, utc_now

    try:
        set_clock("2021-03-21T08:56:00Z")
        first = utc_now()
        assert "2021-03-21T08:56:00+00:00" <= first <= "2021-03-21T08:56:05+00:00"
        set_clock("2021-03-21T17:56:00+09:00")  # the same instant, another zone
        assert utc_now().startswith("2021-03-21T08:56:0")
        for bad in ("2021-03-21T08:56:00", "tomorrow"):
            with pytest.raises(ArgumentError, match="setting ARCHIVER_NOW"):
                set_clock(bad)
    finally:
        set_clock(None)
    assert utc_now() > "2025"
