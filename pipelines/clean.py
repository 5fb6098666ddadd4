"""Normalise what pages show: whitespace, dates to ISO 8601 UTC, vote counts to integers."""

from __future__ import annotations

from collections.abc import Callable

from archiver.pipelines import CountingPipeline

from archiver.clean import parse_count, to_utc_iso, tz_offset_of
from archiver.items import CommentItem, RecapItem
from archiver.sanitize import drop_mailto_links, safe_url
from archiver.text import normalise_line, normalise_space


def clean_recap_text(recap: RecapItem) -> RecapItem:
    """Titles and names on one line; body text with paragraph breaks kept."""
    recap.title = normalise_line(recap.title)
    recap.author = normalise_line(recap.author) or None
    recap.body_text = normalise_space(recap.body_text)
    recap.body_html = drop_mailto_links(recap.body_html) or ""
    return recap


def site_timezone(recap: RecapItem) -> str | None:
    """The UTC offset the page's own machine dates use, to read its text-only dates."""
    for machine in [recap.published_at_machine] + [c.posted_at_machine for c in recap.comments]:
        offset = tz_offset_of(machine)
        if offset:
            return offset
    return None


def clean_recap_date(recap: RecapItem, tz_hint: str | None) -> RecapItem:
    """Fill ``published_at`` from the machine date, else from the shown text."""
    if recap.published_at is None:
        recap.published_at = to_utc_iso(recap.published_at_machine, recap.published_at_raw, recap.fetched_at, tz_hint)
    return recap


def clean_comment_text(comment: CommentItem) -> CommentItem:
    """Author on one line, body text with paragraph breaks kept."""
    comment.author = normalise_line(comment.author) or None
    comment.body_text = normalise_space(comment.body_text)
    return comment


def clean_comment_links(comment: CommentItem) -> CommentItem:
    """Only an http(s) ``author_url`` is kept, and no ``mailto:`` link in the body (e-mail addresses are never stored)."""
    comment.author_url = safe_url(comment.author_url)
    comment.body_html = drop_mailto_links(comment.body_html) or ""
    return comment


def clean_comment_date(comment: CommentItem, fetched_at: str, tz_hint: str | None) -> CommentItem:
    """Fill ``posted_at`` (UTC) from the machine date, else from the shown text relative to the fetch."""
    if comment.posted_at is None:
        comment.posted_at = to_utc_iso(comment.posted_at_machine, comment.posted_at_raw, fetched_at, tz_hint)
    return comment


def clean_votes(comment: CommentItem) -> CommentItem:
    """Parse likes, dislikes and score; score is the shown one, else likes minus dislikes, else likes."""
    comment.upvotes = parse_count(comment.upvotes_raw)
    comment.downvotes = parse_count(comment.downvotes_raw)
    comment.score = parse_count(comment.score_raw)
    if comment.score is None and comment.upvotes is not None:
        comment.score = comment.upvotes - (comment.downvotes or 0)
    return comment


class CleanPipeline(CountingPipeline):
    """Apply the cleaning steps above to a recap and each of its comments, counting failures."""

    def process_item(self, item: RecapItem) -> RecapItem:
        if not isinstance(item, RecapItem):
            return item
        tz_hint = site_timezone(item)
        clean_recap_date(clean_recap_text(item), tz_hint)
        if item.published_at is None and (item.published_at_machine or item.published_at_raw):
            self.stats.inc_value("archiver/dates/unparsed")
        steps: list[Callable[[CommentItem], CommentItem]] = [
            clean_comment_text,
            clean_comment_links,
            lambda c: clean_comment_date(c, item.fetched_at, tz_hint),
            clean_votes,
        ]
        for comment in item.comments:
            for step in steps:
                step(comment)
            if comment.posted_at is None and (comment.posted_at_machine or comment.posted_at_raw):
                self.stats.inc_value("archiver/dates/unparsed")
        return item
