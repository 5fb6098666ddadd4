"""Words for counts in what the CLI and the crawl print."""

from __future__ import annotations


def plural(count: int | None, word: str, words: str | None = None) -> str:
    """``1 recap``, ``2 recaps``, ``0 replies`` (give ``words`` where adding ``s`` is wrong)."""
    count = count or 0
    return f"{count} {word if count == 1 else (words or word + 's')}"
