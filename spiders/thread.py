"""One recap's thread while the spider assembles it, and how far a thread is followed whatever its pages claim."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archiver.items import RecapItem
from archiver.pages.disqus import DisqusEmbed
from archiver.pages.urls import CommentPages
from archiver.pages.wpdiscuz import WpdiscuzSettings


@dataclass(frozen=True)
class ThreadBounds:
    """How far one thread is followed, whatever its pages claim (settings ``ARCHIVER_MAX_*``)."""

    steps: int = 2000
    """Comment pages, load-more, show-replies and Disqus cursor requests per thread."""
    rest_pages: int = 200
    """REST API pages per thread (100 comments each), and of a site's post list."""
    comments: int = 100_000
    """Comments kept per thread."""

    @classmethod
    def from_settings(cls, settings: Any) -> ThreadBounds:
        return cls(
            settings.getint("ARCHIVER_MAX_THREAD_STEPS", cls.steps),
            settings.getint("ARCHIVER_MAX_REST_PAGES", cls.rest_pages),
            settings.getint("ARCHIVER_MAX_THREAD_COMMENTS", cls.comments),
        )


@dataclass
class Thread:
    """One recap being assembled, and what is still to fetch for it."""

    recap: RecapItem
    """The recap, its ``platform`` decided once when its post page was read (archiver.pages.reading)."""
    rest_root: str | None = None
    post_id: str | None = None
    pages: CommentPages | None = None
    """The thread's comment pages (WordPress's own, which wpDiscuz can follow too), once a page showed them."""
    next_page: int = 1
    fetched: set[int] = field(default_factory=set)
    wpd: WpdiscuzSettings | None = None
    wpd_after: str | None = None
    wpd_hidden: list[str] = field(default_factory=list)
    wpd_nonce_refreshes: int = 0
    disqus: DisqusEmbed | None = None
    disqus_thread: str | None = None
    disqus_cursor: str | None = None
    disqus_key: str | None = None
    disqus_deleted: set[str] = field(default_factory=set)
    disqus_started: bool = False
    rest_next: int | None = 1
    rest_total: int | None = None
    """``X-WP-Total`` of the post's REST comments, when the API answered."""
    api: list | None = None
    failed_pages: set[int] = field(default_factory=set)
    """Comment pages that could not be fetched or read, after retries."""
    incomplete: list[str] = field(default_factory=list)
    """Why the thread is known not to be whole; empty when nothing is known to be missing."""
    unreadable: int = 0
    """Comments shown on a page that could not be read."""
    steps: int = 0
    """Requests made for the thread after its post page."""

    @property
    def platform(self) -> str | None:
        """The recap's comment platform (``wordpress``, ``wpdiscuz``, ``disqus``)."""
        return self.recap.platform

    def lose(self, reason: str) -> None:
        """Record that part of the thread is missing, and why."""
        if reason not in self.incomplete:
            self.incomplete.append(reason)
