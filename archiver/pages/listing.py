"""The listing page object: a blog index, tag, category or date archive (post links and pagination)."""

from __future__ import annotations

from urllib.parse import urlsplit

from archiver.pages.markup import Element, HtmlPage, css_all, css_first_in, is_inside, is_widget
from archiver.pages.urls import comment_page_of, drop_fragment


class ListingPage(HtmlPage):
    """A blog index, tag, category or date archive: a list of posts plus pagination."""

    _ENTRY_CSS = "article, .hentry, .type-post, li.wp-block-post"
    _PERMALINK_CSS = (
        ".entry-title a[href]",
        ".post-title a[href]",
        ".wp-block-post-title a[href]",
        "h1 a[href], h2 a[href], h3 a[href]",
        "a[rel~=bookmark]",
    )

    def _entries(self) -> list[Element]:
        found = [el for el in css_all(self.root, self._ENTRY_CSS) if not is_inside(el, is_widget)]
        ids = {id(el) for el in found}
        top = []
        for el in found:
            parent = el.getparent()
            # Only the outermost entry: an <article> inside a .hentry is the same post.
            if parent is None or not is_inside(parent, lambda n: id(n) in ids):
                top.append(el)
        return top

    def post_urls(self) -> list[str]:
        """Absolute URLs of the posts in the main loop, deduplicated, in page order."""
        urls: list[str] = []
        entries = self._entries()
        if entries:
            for entry in entries:
                for css in self._PERMALINK_CSS:
                    link = css_first_in(entry, css)
                    if link is not None:
                        urls.append(link.get("href"))
                        break
        else:
            urls = [a.get("href") for a in css_all(self.root, "a[rel~=bookmark]") if not is_inside(a, is_widget)]
        out: list[str] = []
        for href in urls:
            url = self._abs(href)
            if not url or comment_page_of(url) is not None or "/feed" in urlsplit(url).path:
                continue
            url = drop_fragment(url)
            if url not in out:
                out.append(url)
        return out

    def pagination_urls(self) -> list[str]:
        """Absolute URLs of the listing's own other pages (numbers, next/previous), deduplicated."""
        css = (
            "a.page-numbers, a.next, a.prev, .nav-previous a, .nav-next a, "
            ".wp-block-query-pagination a, .pagination a, .posts-navigation a"
        )
        out: list[str] = []
        for a in css_all(self.root, css):
            if is_inside(a, is_widget):
                continue
            url = self._abs(a.get("href"))
            if not url or comment_page_of(url) is not None:
                continue
            url = drop_fragment(url)
            if url not in out and url != drop_fragment(self.url):
                out.append(url)
        return out
