"""Items: what page objects extract and pipelines normalise.

A spider yields one :class:`RecapItem` per recap, carrying every comment of
every comment page of that recap, so that the reply hierarchy can be computed
once the whole thread is in. Fields ending in ``_raw`` hold text exactly as the
page shows it; their parsed twins are filled in by the pipelines.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Term:
    """A WordPress tag or category as a page links to it."""

    name: str
    """Display name, e.g. ``"Soundtrack #1"``."""
    slug: str | None = None
    """URL slug, e.g. ``"soundtrack-1"``; None when the link has none."""
    url: str | None = None
    """Absolute URL of the term's archive page."""
    taxonomy: str = "post_tag"
    """``"post_tag"`` or ``"category"``."""


@dataclass
class CommentItem:
    """One comment as a comment page shows it, plus normalised fields."""

    site_comment_id: str
    """The site's own comment id, e.g. ``"1234"`` (from ``id="comment-1234"``)."""
    parent_site_id: str | None = None
    """The site id of the comment it replies to, None for a top-level comment."""
    author: str | None = None
    """Display name of the commenter, whitespace-normalised."""
    author_url: str | None = None
    """The commenter's link, absolute, or None."""
    posted_at_raw: str | None = None
    """The date text as shown, e.g. ``"December 23, 2021 at 8:15 am"`` or ``"2 years ago"``."""
    posted_at_machine: str | None = None
    """A machine-readable date from the markup (``time[datetime]``, a ``title``), or None."""
    body_html: str = ""
    """The comment's own content HTML: no reply link, reply form or vote widget."""
    body_text: str = ""
    """Plain text of ``body_html``; paragraphs separated by blank lines."""
    upvotes_raw: str | None = None
    """Likes as shown (exact ``title`` attribute preferred), e.g. ``"1,234"``, ``"1.2K"``."""
    downvotes_raw: str | None = None
    """Dislikes as shown, or None when the page shows no dislike count."""
    score_raw: str | None = None
    """A single net score as shown (wpDiscuz ``.wpd-vote-result``), or None."""
    page: int | None = None
    """The comment page (1-based) the comment was found on."""

    # Filled in by pipelines.
    posted_at: str | None = None
    """ISO 8601 UTC (``2021-12-23T08:15:00+00:00``), or None when unparseable."""
    upvotes: int | None = None
    """Parsed likes; None where the page shows none."""
    downvotes: int | None = None
    """Parsed dislikes; None where the page shows none."""
    score: int | None = None
    """Net score: the shown score, else likes minus dislikes, else likes."""
    depth: int | None = None
    """1 for a top-level comment, 2 for a reply to it, and so on."""
    position: int | None = None
    """1-based position among its siblings, in thread order."""
    path: str | None = None
    """Zero-padded positions joined by dots; text order is depth-first thread order."""
    root_site_id: str | None = None
    """Site id of the top-level comment of its thread (itself when top-level)."""
    parent_missing: bool = False
    """True when ``parent_site_id`` names a comment that never appeared."""

    # Filled in as responses are read (archiver.sources.provenance).
    source: str | None = None
    """Where the page showing it came from: ``"live"``, ``"wayback"`` or ``"warc"``."""
    captured_at: str | None = None
    """When that capture was made, ISO 8601 UTC; None for the live site."""
    capture_url: str | None = None
    """The capture read: a replay URL, or ``FILE.warc.gz#record-id``; None for the live site."""


@dataclass
class RecapItem:
    """One recap post with its whole comment thread."""

    url: str
    """Canonical post URL: no ``comment-page-N/``, ``cpage`` or fragment."""
    site_url: str
    """The site's base URL, e.g. ``"https://recaps.example/"``."""
    fetched_at: str
    """When the post page was fetched, ISO 8601 UTC."""
    site_name: str | None = None
    """The site's name (``og:site_name`` or the header title)."""
    title: str = ""
    """Post title, whitespace-normalised."""
    author: str | None = None
    """Post author's display name."""
    published_at_raw: str | None = None
    """Published date as shown."""
    published_at_machine: str | None = None
    """Machine date from the markup (``time.published[datetime]``, ``article:published_time``)."""
    tags: list[Term] = field(default_factory=list)
    """Tags the post links to."""
    categories: list[Term] = field(default_factory=list)
    """Categories the post links to."""
    body_html: str = ""
    """Post content HTML without share buttons, related posts or comment form."""
    body_text: str = ""
    """Plain text of ``body_html``."""
    comment_count_reported: int | None = None
    """The comment count the page itself states, or None."""
    comments: list[CommentItem] = field(default_factory=list)
    """Every comment of every comment page, in page order then document order."""
    comment_pages: int = 1
    """How many comment pages the thread has."""
    comment_pages_fetched: int = 1
    """How many of them were fetched and parsed."""
    platform: str | None = None
    """The comment platform (``"wordpress"``, ``"wpdiscuz"``, ``"disqus"``), decided once when the post page is read
    (detected, or ``-a platform=``); the store pipeline drops a recap without one."""
    comment_area: bool | None = None
    """Whether the post page shows a comment area (a comment list, ``#comments``, a wpDiscuz or Disqus thread);
    None when not read from a post page. The health report (archiver.archive.health) counts pages without one."""
    incomplete_reasons: list[str] = field(default_factory=list)
    """Why the thread is known not to be whole (a step not read, fewer comments than reported); empty if none."""

    # Filled in by pipelines.
    published_at: str | None = None
    """ISO 8601 UTC."""
    series_name: str | None = None
    """Series parsed from the title, e.g. ``"Soundtrack #1"``; None for non-episode posts."""
    episode_number: int | None = None
    """First (or only) episode number, e.g. 4."""
    episode_end: int | None = None
    """Last episode of a range ("Episodes 5-6" gives 6), else None."""
    episode_label: str | None = None
    """A label in brackets after the number, e.g. ``"Final"``, ``"Finale"``; None for none."""
    series_term: Term | None = None
    """The tag or category whose name matches the series, if any."""

    # Filled in as responses are read (archiver.sources.provenance).
    source: str | None = None
    """Where the post page came from: ``"live"``, ``"wayback"`` or ``"warc"``."""
    captured_at: str | None = None
    """When the post page's capture was made, ISO 8601 UTC; None for the live site."""
    capture_url: str | None = None
    """The post page's capture: a replay URL, or ``FILE.warc.gz#record-id``."""
    captured_first_at: str | None = None
    """The oldest capture the thread was read from (ISO 8601 UTC); None for the live site."""
    captured_last_at: str | None = None
    """The newest capture the thread was read from (ISO 8601 UTC); None for the live site."""

    @property
    def complete(self) -> bool:
        """True when every step of the thread was read and its comments account for the count reported."""
        return self.comment_pages_fetched >= self.comment_pages and not self.incomplete_reasons

    @property
    def incomplete_reason(self) -> str | None:
        """Why the thread is not whole (its reasons joined by "; "), or None when it is."""
        if self.complete:
            return None
        return "; ".join(
            self.incomplete_reasons or [f"{self.comment_pages_fetched} of {self.comment_pages} comment pages read"]
        )
