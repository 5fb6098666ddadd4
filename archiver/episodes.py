"""Episodes: what a recap's title says (series, episode number or range, label) and which tag names its series.

``"Soundtrack #1: Episode 4 (Final)"`` is series ``Soundtrack #1``, episode 4, label ``Final``. No Scrapy imports;
none of the public functions raises on bad input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from archiver.items import Term

__all__ = ["EpisodeInfo", "match_series_term", "parse_episode_title", "slugify", "strip_noise_words", "term_key"]


# ---------------------------------------------------------------------------
# Episode titles
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeInfo:
    """What an episode post's title says about the episode; all None for other posts."""

    series: str | None = None
    """Series name, e.g. ``"Soundtrack #1"``; None when the title names none."""
    number: int | None = None
    """First (or only) episode number."""
    end: int | None = None
    """Last episode of a range, else None."""
    label: str | None = None
    """A parenthesised label beside the number, e.g. ``"Final"``."""


_EP_NUM = r"(\d{1,4})(?![\d#])"
_EPISODE = re.compile(
    r"(?<![\w#])(?:episodes?|eps?\.?|e(?=\d))\s*#?\s*" + _EP_NUM
    + r"(?:\s*(?:-|–|—|&|\+|/|,|\band\b|\bto\b|\bthrough\b)\s*(?:(?:episodes?|eps?\.?|e(?=\d))\s*)?" + _EP_NUM + ")?"
    + r"(?![.,]?\d)(?![^\W\d_])",
    re.IGNORECASE,
)  # fmt: skip
_KOREAN_EPISODE = re.compile(r"(?:제\s*)?" + _EP_NUM + r"\s*(?:화|회)(?:\s*[-~–]\s*" + _EP_NUM + r"\s*(?:화|회)?)?")
_LABEL = re.compile(r"^\s*[:\-–—]?\s*[(\[]\s*([^)\]]+?)\s*[)\]]")
_SEPARATORS = " \t:-–—|,/·•~"
# Words that end a title without naming the series ("... Recap", "... Review | Thoughts"), each matched alone and
# chained from the end by strip_noise_words: a single `(?:word seps)+$` regex is retried at every word, quadratic.
_NOISE_WORD = re.compile(r"\b(?:recaps?|reviews?|thoughts|impressions|roundup|open thread)\b", re.I)
_NOISE_SEPS = re.compile(r"[\s:\-–—|]*")


def strip_noise_words(text: str) -> str:
    """``text`` without its trailing run of noise words and separators (linear in ``text``).

    The same as removing ``(?:\\b(?:recaps?|...|open thread)\\b[\\s:\\-–—|]*)+$``.
    """
    cut = len(text)
    end = len(text)  # where the separators after the next word (leftwards) must stop
    for word in reversed(list(_NOISE_WORD.finditer(text))):
        if word.end() > cut or not _NOISE_SEPS.fullmatch(text, word.end(), end):
            break
        cut = end = word.start()
    return text[:cut]


_NOISE_PREFIX = re.compile(r"^(?:recap|review|first impressions?)\s*[:\-–—|]\s*", re.I)


def parse_episode_title(title: str | None) -> EpisodeInfo:
    """Return the series, episode number, range end and label a post title states.

    ``"Soundtrack #1: Episode 4 (Final)"`` → ("Soundtrack #1", 4, None, "Final");
    ``"Mr. Sunshine: Episodes 5-6"`` → ("Mr. Sunshine", 5, 6, None); numbers in series
    names ("Reply 1988", "18 Again") are never episode numbers; a title with no
    "Episode N"/"Ep. N"/"E03"/"N화" marker gives all None. A trailing "Recap" word is
    dropped, never a label. Never raises.
    """
    if not title:
        return EpisodeInfo()
    text = " ".join(title.replace("\u00a0", " ").split())
    m = _EPISODE.search(text) or _KOREAN_EPISODE.search(text)
    if not m:
        return EpisodeInfo()
    number = int(m[1])
    end = int(m[2]) if m[2] else None
    if end is not None and not number < end < number + 100:  # "Episode 3, 2021" is no range
        end = None
    after = text[m.end() :]
    label = None
    lm = _LABEL.match(after)
    if lm:
        label = lm[1]
        after = after[lm.end() :]
    series = _trim_series(text[: m.start()])
    if series is None:
        series = _trim_series(after)  # "Episode 20 (Final) – Itaewon Class"
    if label is not None and label.casefold() in ("recap", "review"):
        label = None
    return EpisodeInfo(series=series, number=number, end=end, label=label)


def _trim_series(text: str) -> str | None:
    text = _NOISE_PREFIX.sub("", text.strip(_SEPARATORS))
    text = strip_noise_words(text).strip(_SEPARATORS)
    if text.count("(") > text.count(")"):
        text = text.rstrip("( ").strip(_SEPARATORS)
    return text or None


# ---------------------------------------------------------------------------
# Series ↔ tag matching
# ---------------------------------------------------------------------------

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"'})  # fmt: skip
_LATIN_EXTRA = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
                              "ł": "l", "Ł": "L", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH", "ð": "d"})  # fmt: skip


def _fold_accents(text: str) -> str:
    """Drop combining marks that sit on ASCII letters ("é" → "e"); keep those of other scripts."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text.translate(_LATIN_EXTRA)):
        if unicodedata.combining(ch) and out and out[-1].isascii():
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def term_key(name: str | None) -> str:
    """Return a key under which spellings of one series name are equal.

    NFKC, accents on Latin letters dropped, casefolded, apostrophes removed, ``&`` read as
    "and", every other punctuation run a space, spaces collapsed: ``"Soundtrack #1"`` and
    ``"soundtrack 1"`` share a key, ``"Goblin"`` and ``"Goblin 2"`` do not. "" for None.
    """
    if not name:
        return ""
    text = _fold_accents(unicodedata.normalize("NFKC", name)).translate(_QUOTES).casefold()
    text = text.replace("'", "").replace("&", " and ")
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def match_series_term(series: str | None, terms: list[Term]) -> Term | None:
    """Return the tag or category naming ``series``, or None.

    Tries, in order: the exact name (whitespace-normalised), then :func:`term_key`, then the
    term's slug against :func:`slugify`; within each pass tags come before categories,
    then page order.
    """
    if not series or not terms:
        return None
    ordered = sorted(terms, key=lambda t: t.taxonomy != "post_tag")  # stable: tags first
    name = " ".join(series.split())
    key = term_key(series)
    slug = slugify(series)
    passes = (
        lambda t: " ".join(t.name.split()) == name,
        lambda t: bool(key) and term_key(t.name) == key,
        lambda t: bool(slug) and bool(t.slug) and unquote(t.slug).lower() == slug,
    )
    for matches in passes:
        for term in ordered:
            if matches(term):
                return term
    return None


def slugify(name: str | None) -> str:
    """Return a slug like WordPress's ``sanitize_title``: ``"Soundtrack #1"`` → ``"soundtrack-1"``.

    Accents on Latin letters are dropped, apostrophes and quotes removed, ``.``, spaces and
    dashes become single hyphens, other punctuation is removed; non-Latin letters are kept
    as lowercased Unicode (where WordPress would percent-encode them). "" for None.
    """
    if not name:
        return ""
    text = _fold_accents(unicodedata.normalize("NFKC", name)).translate(_QUOTES).lower()
    text = re.sub(r"<[^>]*>", "", text)  # strip tags
    text = re.sub(r"&[^\s;]+;", "", text)  # strip entities
    text = text.replace("×", "x")
    text = re.sub(r"[\u00a0\u2013\u2014.]", "-", text)
    text = re.sub(r"[^\w\s-]", "", text)
    text = re.sub(r"\s+", "-", text.strip())
    text = re.sub(r"-+", "-", text)
    return text.strip("-")
