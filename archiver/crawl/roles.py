"""What a request is for, set once where the spider builds it and read by the middlewares.

Every request the crawl makes carries ``meta[ROLE]``; the middlewares (``refresh``, ``frontier``) read it rather
than guessing from the callback's name or the URL's shape. Redirects and retries copy ``meta``, so the role holds.
"""

from __future__ import annotations

from typing import Any

ROLE = "archiver_role"
"""The ``Request.meta`` key holding the role."""

START = "start"
"""A page the crawl asked for itself (a start URL, a failure retried, a resumed request): read for what it shows."""
LISTING = "listing"
"""The next page of a listing (home page, tag or category archive)."""
INDEX = "index"
"""A site's own index or series page, linked by its profile (archiver.profiles)."""
POST = "post"
"""A recap's post page, linked from a listing or the REST post list, or scheduled as due."""
REST_POSTS = "rest_posts"
"""A page of the REST API's post list."""
COMMENT_PAGE = "comment_page"
"""One more WordPress comment page of a thread being assembled."""
REST = "rest"
"""A page of a post's comments from the REST API."""
WPDISCUZ = "wpdiscuz"
"""A wpDiscuz AJAX call (nonce, load-more, show-replies)."""
DISQUS = "disqus"
"""The Disqus embed or its cursor endpoint."""
SIGNAL = "signal"
"""A change signal asked before a re-crawl decides what to fetch (REST changes, comments feed, sitemap)."""

PAGE_ROLES = frozenset({START, LISTING, INDEX, POST})
"""Requests read by the spider's ``parse``: whatever the page shows decides what it is."""
THREAD_ROLES = frozenset({COMMENT_PAGE, REST, WPDISCUZ, DISQUS})
"""Requests that complete a thread being assembled."""


def role_of(request: Any) -> str | None:
    """The role a request was built with, or None for a request the crawl did not build (e.g. robots.txt)."""
    meta = getattr(request, "meta", None)
    return meta.get(ROLE) if meta is not None else None


def with_role(role: str, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """``meta`` (a new dict) with ``ROLE`` set to ``role``."""
    return {**(meta or {}), ROLE: role}
