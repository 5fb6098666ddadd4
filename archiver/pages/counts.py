"""The comment count a page states: "25 thoughts on “Title”", "One Comment", "No Comments", "1.2K comments".

The one count parser: the post page reads its comments heading and links with it (archiver.pages.wordpress).
"""

from __future__ import annotations

import re

from archiver.clean import parse_count

__all__ = ["parse_comment_count"]

# Bounded numbers (up to 10^21 grouped, 18 digits plain, then "1.2K"): an unbounded `\d+` is retried at every digit
# of a long run.
_COUNT_NUMBER = r"(?:\d{1,3}(?:[,.\u00a0\u202f ]\d{3}){1,6}|\d{1,18}(?:\.\d{1,3})?[kKmM]?)(?![\d.,])"
_COUNT_NOUN = r"(?:comments?|thoughts?|responses?|repl(?:y|ies)|reactions?|discussions?)"
_NUMBER_WORDS = {
    "no": 0, "zero": 0, "one": 1, "a": 1, "a single": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_LEADING_NUMBER = re.compile(rf"^[\W_]*(?P<n>{_COUNT_NUMBER})", re.I)
_NOUN_THEN_NUMBER = re.compile(rf"^[\W_]*{_COUNT_NOUN}\s*[:(\[]?\s*(?P<n>{_COUNT_NUMBER})\s*[)\]]?\s*$", re.I)
_WORD_COUNT = re.compile(
    rf"^[\W_]*(?P<n>{'|'.join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True))})\s+{_COUNT_NOUN}\b", re.I
)
_COUNT_WORD = re.compile(rf"(?<![\d.,])(?P<n>{_COUNT_NUMBER})\s*{_COUNT_NOUN}", re.I)


def parse_comment_count(text: str | None) -> int | None:
    """The count a comments heading or link states, or None when it states none. Never raises.

    ``"25 thoughts on “Title 2”"`` → 25 (the leading count, never one inside the title), ``"One Comment"`` → 1,
    ``"No Comments"`` → 0, ``"1,234"`` → 1234, ``"1.2K comments"`` → 1200, ``"Comments (25)"`` → 25. ``"Leave a
    Reply"`` states no count (None): whether it means 0 is decided by the page, from an empty comment area.
    """
    if not text:
        return None
    m = _LEADING_NUMBER.match(text) or _NOUN_THEN_NUMBER.match(text)
    if m:
        return parse_count(m["n"])
    m = _WORD_COUNT.match(text)
    if m:
        return _NUMBER_WORDS.get(" ".join(m["n"].casefold().split()))  # re.I also matches "ſix" (long s)
    m = _COUNT_WORD.search(text)
    return parse_count(m["n"]) if m else None
