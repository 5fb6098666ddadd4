"""URL helpers: the one place that knows WordPress's comment-page and listing-page URL shapes.

Middlewares, the frontier journal and the page objects all normalise URLs here, so "the recap this link points
to" means the same everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_COMMENT_PAGE_PATH = re.compile(r"/comment-page-(\d+)/?$")
COMMENT_PAGE_ANY = re.compile(r"comment-page-(\d+)")
PAGED_PATH = re.compile(r"/page/\d+/?$")


def strip_comment_page(url: str) -> str:
    """The URL without ``comment-page-N/``, ``cpage``, ``replytocom`` and fragment."""
    parts = urlsplit(url)
    path = _COMMENT_PAGE_PATH.sub("/", parts.path)
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k not in ("cpage", "replytocom")]
    if len(kept) != len(pairs):
        query = urlencode(kept)
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def drop_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def comment_page_of(url: str) -> int | None:
    """The comment page a URL points to (``comment-page-N`` or ``cpage=N``), else None."""
    base = drop_fragment(url)
    m = COMMENT_PAGE_ANY.search(urlsplit(base).path)
    if m:
        return int(m.group(1))
    for key, value in parse_qsl(urlsplit(base).query):
        if key == "cpage" and value.isdigit():
            return int(value)
    return None


def recap_url(url: str) -> str:
    """The archived-recap URL a link points to: comment page, ``cpage``, ``replytocom`` and fragment removed."""
    return strip_comment_page(url)


@dataclass
class CommentPages:
    """A thread's comment pages: how many there are and each one's URL, computed on demand.

    A page can claim any number of pages (``comment-page-1000000000000``): nothing here lists them.
    """

    count: int
    canonical: str
    """The post URL (what page 1 is when there is only one)."""
    template: str | None = None
    """A linked comment-page URL (``comment-page-N/`` or ``?cpage=N``) the others are built from."""

    def url(self, n: int) -> str:
        """The absolute URL of comment page ``n``, without fragment."""
        if self.count <= 1 and n == 1:
            return self.canonical
        if self.template and COMMENT_PAGE_ANY.search(urlsplit(self.template).path):
            parts = urlsplit(self.template)
            path = COMMENT_PAGE_ANY.sub(f"comment-page-{n}", parts.path)
            return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
        if self.template:
            parts = urlsplit(self.template)
            pairs = [(k, str(n) if k == "cpage" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
            return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), ""))
        parts = urlsplit(self.canonical)
        if parts.query:
            return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query + f"&cpage={n}", ""))
        return self.canonical.rstrip("/") + f"/comment-page-{n}/"

    def merged(self, other: CommentPages) -> CommentPages:
        """What both readings of the thread's navigation say: the larger count, a template from either."""
        return CommentPages(max(self.count, other.count), self.canonical, self.template or other.template)
