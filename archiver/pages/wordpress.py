"""The WordPress post page object: a single post (one comment page of it), its fields and comment navigation.

They read the markup WordPress core and its default themes print (``wp_list_comments`` in the
html5, xhtml and ``div`` styles, ``paginate_links``, ``body_class``) plus the vote widgets of
Comments Like Dislike and wpDiscuz. Values come back as the page shows them; dates and vote counts
are parsed by the pipelines.

Pingbacks and trackbacks (``li.pingback``, ``li.trackback``) are not reader comments and are
skipped. A comment element without any id is skipped too; its replies keep the nearest enclosing
comment that has an id as their parent, so they stay in the right thread.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import cached_property
from urllib.parse import parse_qsl, urlsplit

from scrapy.http import HtmlResponse, TextResponse

from archiver.items import CommentItem, RecapItem, Term
from archiver.pages.comment_list import CommentListReader, lists_and_navs
from archiver.pages.counts import parse_comment_count
from archiver.pages.markup import (
    NO_CLASSES,
    Element,
    HtmlPage,
    class_tokens,
    css_all,
    css_first_in,
    has_css_class,
    inner_html,
    is_body_furniture,
    is_inside,
    is_widget,
    join_url,
    strip_edge_breaks,
    tagged_values,
    text_of,
)
from archiver.pages.urls import PAGED_PATH, CommentPages, comment_page_of, drop_fragment, strip_comment_page
from archiver.text import html_to_text, normalise_line

__all__ = ["PostPage", "parse_comment_count", "read_rendered_comments"]

_LABEL_NUMBER = re.compile(r"(\d{1,9})\s*$")
_PREV_CLASSES = frozenset(("prev", "previous", "nav-previous", "wp-block-comments-pagination-previous"))
_NEXT_CLASSES = frozenset(("next", "nav-next", "wp-block-comments-pagination-next"))


def _label_number(text: str) -> int | None:
    """The page number a navigation label ends with: "3", "Page 3", "Comment page 3"; None otherwise."""
    m = _LABEL_NUMBER.search(text[-40:])
    return int(m.group(1)) if m else None


def _nav_step(a: Element) -> int:
    """-1 for a link to the previous comment page, 1 for the next, 0 for a numbered link."""
    rel = (a.get("rel") or "").split()
    cls = class_tokens(a) | (class_tokens(a.getparent()) if a.getparent() is not None else NO_CLASSES)
    if "prev" in rel or not _PREV_CLASSES.isdisjoint(cls):
        return -1
    if "next" in rel or not _NEXT_CLASSES.isdisjoint(cls):
        return 1
    return 0


def _term_from_link(a: Element, base_url: str, taxonomy: str | None = None) -> Term | None:
    name = text_of(a)
    href = a.get("href")
    if not name:
        return None
    url = join_url(base_url, href) if href else None
    rel = (a.get("rel") or "").split()
    if taxonomy is None:
        path = urlsplit(url or "").path
        query = dict(parse_qsl(urlsplit(url or "").query))
        if "category" in rel or "/category/" in path or "cat" in query or "category_name" in query:
            taxonomy = "category"
        else:
            taxonomy = "post_tag"
    return Term(name=name, slug=_slug_from_url(url, taxonomy), url=url, taxonomy=taxonomy)


def _slug_from_url(url: str | None, taxonomy: str) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    path = PAGED_PATH.sub("/", parts.path).rstrip("/")
    base = "/tag/" if taxonomy == "post_tag" else "/category/"
    if base in path + "/":
        rest = (path + "/").split(base, 1)[1].strip("/")
        if rest:
            return rest.rsplit("/", 1)[-1]
    query = dict(parse_qsl(parts.query))
    for key in ("tag", "category_name"):
        if query.get(key):
            return query[key]
    return None


class PostPage(CommentListReader, HtmlPage):
    """A single post page (one comment page of it) with its comment thread."""

    def __init__(self, response: TextResponse) -> None:
        super().__init__(response)
        self.unreadable: list[str] = []
        """Comments the page shows that could not be read (their id and why), once :meth:`comments` ran."""

    def parse_stopped(self) -> str | None:
        """Why libxml2 stopped building the page early (nesting deeper than it allows), else None.

        Everything after that point is missing from the tree, later comments included.
        """
        parser = self.root.getroottree().parser
        for error in parser.error_log if parser is not None else ():
            if error.type_name == "ERR_RESOURCE_LIMIT" or "Excessive depth" in error.message:
                return error.message.strip()
        return None

    @cached_property
    def _article(self) -> Element:
        # article[id^=post-] (the usual answer) from the page index, without a scan of the page.
        el = next(
            (
                el
                for el, _, ident in self._index.root_marked
                if el.tag == "article"
                and ident is not None
                and ident.startswith("post-")
                and not is_inside(el, is_widget)
            ),
            None,
        )
        if el is None:
            el = self._css_first("article.post", ".hentry", ".type-post", "article", "main")
        return el if el is not None else self.root

    @cached_property
    def _lists_and_navs(self) -> tuple[list[Element], list[Element]]:
        return lists_and_navs(self._index.marked)

    @cached_property
    def _comment_area(self) -> list[Element]:
        lists = [el for el in self._lists_and_navs[0] if not is_inside(el, is_widget)]
        ids = {id(el) for el in lists}
        top = [el for el in lists if el.getparent() is None or not is_inside(el.getparent(), lambda n: id(n) in ids)]
        if top:
            return top
        area = self._css_first("#comments", ".comments-area", "#comments-area")
        return [area if area is not None else self.root]

    def shows_comment_area(self) -> bool:
        """Whether the page shows a comment list or a comments section (``#comments``, ``.comments-area``)."""
        return self._comment_area[0] is not self.root

    # -- post fields ---------------------------------------------------------------------

    def canonical_url(self) -> str:
        """The post URL without comment page, ``cpage``, ``replytocom`` or fragment."""
        return self._canonical_url

    @cached_property
    def _canonical_url(self) -> str:
        # What //link[@rel='canonical']/@href gives first.
        href = next(
            (h for h in (el.get("href") for el in self._index.links if el.get("rel") == "canonical") if h is not None),
            None,
        )
        return strip_comment_page(join_url(self.url, href) if href is not None else self.url)

    def site_url(self) -> str:
        """The site's base URL with a trailing slash."""
        api = tagged_values(self._index.links, "rel", "https://api.w.org/", "href")
        if api and "/wp-json" in api[0]:
            url = join_url(self.url, api[0].split("/wp-json", 1)[0] + "/")
        elif api and "rest_route=" in api[0]:
            url = join_url(self.url, api[0].split("?", 1)[0].removesuffix("index.php"))
        else:
            home = self._css_first(".site-title a[href]", "#site-title a[href]", "a[rel~=home]")
            if home is not None:
                url = join_url(self.url, home.get("href"))
            else:
                parts = urlsplit(self.url)
                url = f"{parts.scheme}://{parts.netloc}/"
        url = drop_fragment(url)
        return url if url.endswith("/") else url + "/"

    def site_name(self) -> str | None:
        """``og:site_name``, else the header's site title."""
        og = self.meta_values("property", "og:site_name")
        if og and og[0].strip():
            return normalise_line(og[0])
        return (
            text_of(
                self._css_first(
                    ".site-title", "#site-title", ".site-branding a[rel~=home]", "#headerimg h1", "#header h1"
                )
            )
            or None
        )

    def title(self) -> str:
        """The post title, whitespace-normalised."""
        el = self._css_first(".entry-title", ".post-title", ".wp-block-post-title", "h1", "h2", where=self._article)
        if el is not None and text_of(el):
            return text_of(el)
        og = self.meta_values("property", "og:title")
        return normalise_line(og[0]) if og else text_of(css_first_in(self.root, "head title"))

    def author(self) -> str | None:
        """The post author's display name."""
        el = self._css_first(
            ".byline .author a",
            ".byline .fn",
            ".entry-meta .author a",
            ".author.vcard .fn",
            ".author.vcard a",
            ".byline a",
            "a[rel~=author]",
            where=self._article,
        )
        if el is None:
            el = self._css_first(".entry-meta .author a", "a[rel~=author]")
        if el is not None and text_of(el):
            return text_of(el)
        meta = self.meta_values("name", "author")
        return normalise_line(meta[0]) or None if meta else None

    def _published_el(self) -> Element | None:
        return self._css_first(
            "time.entry-date.published",
            "time.published",
            "time.entry-date",
            ".posted-on time",
            ".entry-meta time",
            ".wp-block-post-date time",
            "time",
            where=self._article,
        )

    def published_at_raw(self) -> str | None:
        """The published date as the page shows it."""
        el = self._published_el()
        if el is not None and text_of(el):
            return text_of(el)
        return text_of(self._css_first(".entry-date", ".posted-on", where=self._article)) or None

    def published_at_machine(self) -> str | None:
        """A machine-readable published date from the markup, or None."""
        el = self._css_first("time.entry-date.published[datetime]", "time.published[datetime]", where=self._article)
        if el is not None:
            return el.get("datetime").strip()
        meta = self.meta_values("property", "article:published_time")
        if meta and meta[0].strip():
            return meta[0].strip()
        el = self._published_el()
        return el.get("datetime").strip() if el is not None and el.get("datetime") else None

    @cached_property
    def _terms(self) -> list[Term]:
        comment_roots = {id(el) for el in self._comment_area if el is not self.root}

        def excluded(n: Element) -> bool:
            return (
                is_widget(n)
                or id(n) in comment_roots
                or bool(
                    class_tokens(n) & {"jp-relatedposts", "related-posts", "comment", "navigation", "post-navigation"}
                )
            )

        terms: list[Term] = []
        seen: set[tuple[str, str | None, str]] = set()
        # (//a/@rel[contains(., 'tag')]/.. narrowed to rel="tag" tokens, from the page index)
        links = [a for a in self._index.tagged["a"] if "tag" in (a.get("rel") or "").split()]
        links = links or css_all(self.root, ".cat-links a, .tags-links a")
        for a in links:
            if is_inside(a, excluded):
                continue
            term = _term_from_link(a, self.url)
            if term is None:
                continue
            key = (term.taxonomy, term.url, term.name)
            if key not in seen:
                seen.add(key)
                terms.append(term)
        return terms

    def tags(self) -> list[Term]:
        """Tags the post links to in its own meta (not the sidebar tag cloud)."""
        return [t for t in self._terms if t.taxonomy == "post_tag"]

    def categories(self) -> list[Term]:
        """Categories the post links to in its own meta."""
        return [t for t in self._terms if t.taxonomy == "category"]

    @cached_property
    def _body_html(self) -> str:
        content = None
        for css in (".entry-content", ".post-content", ".wp-block-post-content", ".entry"):
            # Twenty Twenty-One puts .entry on the <article> itself; old themes use div.entry for the content.
            content = next((el for el in css_all(self._article, css) if el is not self._article), None)
            if content is not None:
                break
        if content is None:
            return ""
        return strip_edge_breaks(inner_html(content, is_body_furniture))

    def body_html(self) -> str:
        """The post content HTML without share buttons, related posts, forms, scripts or ads."""
        return self._body_html

    def body_text(self) -> str:
        """Plain text of :meth:`body_html`."""
        return html_to_text(self._body_html)

    def comment_count_reported(self) -> int | None:
        """The comment count the page states (comments title, else the entry-meta link)."""
        # The first four selectors test only classes and ids: answered from the index, in the same order.
        marked = self._index.root_marked  # CSS queries from the root
        firsts: list[Callable[[Element, str | None, str | None], bool]] = [
            lambda el, value, ident: has_css_class(value, "comments-title"),
            lambda el, value, ident: ident == "comments-title",
            lambda el, value, ident: ident == "comments" and el.tag in ("h2", "h3", "h4"),
            lambda el, value, ident: has_css_class(value, "comments-link"),
        ]
        for test in firsts:
            el = next(
                (el for el, value, ident in marked if test(el, value, ident) and not is_inside(el, is_widget)), None
            )
            if el is not None:
                count = parse_comment_count(text_of(el))
                if count is not None:
                    return count
        for css in ("a[href$='#comments']", "a[href$='#respond']"):
            el = self._css_first(css)
            if el is not None:
                count = parse_comment_count(text_of(el))
                if count is not None:
                    return count
        # Themes print no count where there are no comments: a comment area holding only the reply form says 0.
        has_area = any(
            ident in ("comments", "respond")
            or has_css_class(value, "comments-area")
            or has_css_class(value, "wp-block-comments")
            for _, value, ident in marked
        )
        if has_area and not self._comments and not self.unreadable:
            return 0
        return None

    # -- comment pagination ---------------------------------------------------------------

    @cached_property
    def _nav(self) -> tuple[list[tuple[int, str]], int | None]:
        """(page number, absolute href) of comment-page links, and the page this response shows.

        Navigations differ: numbers, "Page N" with screen-reader text, dots, previous/next only, page 1 or
        the last page linked as the bare post URL (oldest or newest first). The current page is the number
        the navigation marks as current, else the one its previous/next links imply, else the URL's.
        """
        containers = [el for el in self._lists_and_navs[1] if not is_inside(el, is_widget)]
        links: list[Element] = []
        for c in containers:
            links.extend(css_all(c, "a[href]"))
        seen = {id(a) for a in links}
        # a.page-numbers[href]
        numbers = [
            el
            for el, value, ident in self._index.root_marked
            if has_css_class(value, "page-numbers") and el.tag == "a" and el.get("href") is not None
        ]
        for a in numbers:
            if id(a) not in seen and not is_inside(a, is_widget):
                links.append(a)
        own = self.canonical_url()
        pages: list[tuple[int, str]] = []
        parents: list[Element] = list(containers)
        implied: int | None = None
        for a in links:
            url = self._abs(a.get("href"))
            if not url or strip_comment_page(url) != own:
                continue
            n = comment_page_of(url)
            step = _nav_step(a)
            if n is None:
                # The bare post URL stands for page 1 (oldest first) or the last page (newest first): its label
                # says which, when it has a number.
                n = _label_number(text_of(a)) if step == 0 else None
                if n is None:
                    continue
            pages.append((n, drop_fragment(url)))
            if step and implied is None and n - step >= 1:
                implied = n - step
            if a.getparent() is not None:
                parents.append(a.getparent())
        current = None
        for p in parents:
            for el in css_all(p, ".page-numbers.current, .current, [aria-current=page]"):
                current = _label_number(text_of(el))
                if current is not None:
                    break
            if current is not None:
                break
        if current is None:
            current = implied
        return pages, current

    def comment_page(self) -> int:
        """The comment page this response shows (1-based)."""
        return self._comment_page

    @cached_property
    def _comment_page(self) -> int:
        pages, current = self._nav
        if current is not None:
            return current
        from_url = comment_page_of(self.url)
        if from_url is not None:
            return from_url
        # The bare post URL with nothing marking it: newest first when the navigation links to page 1.
        linked = {n for n, _ in pages}
        return max(linked) + 1 if 1 in linked else 1

    def comment_page_count(self) -> int:
        """The highest comment page number the navigation shows; 1 without navigation."""
        pages, current = self._nav
        return max([n for n, _ in pages] + [current or 1, self._comment_page])

    def comment_pages(self) -> CommentPages:
        """How many comment pages the thread has and how to reach each, without listing them."""
        template = next((url for n, url in self._nav[0] if comment_page_of(url) is not None), None)
        return CommentPages(self.comment_page_count(), self.canonical_url(), template)

    def comment_page_urls(self) -> dict[int, str]:
        """Comment pages 1..count (the first 1,000 at most) mapped to their absolute URLs, without fragments."""
        pages = self.comment_pages()
        return {n: pages.url(n) for n in range(1, min(pages.count, 1000) + 1)}

    def recap(self, fetched_at: str) -> RecapItem:
        """The post with the comments of this comment page; pipelines fill the parsed fields."""
        return RecapItem(
            url=self.canonical_url(),
            site_url=self.site_url(),
            fetched_at=fetched_at,
            site_name=self.site_name(),
            title=self.title(),
            author=self.author(),
            published_at_raw=self.published_at_raw(),
            published_at_machine=self.published_at_machine(),
            tags=self.tags(),
            categories=self.categories(),
            body_html=self.body_html(),
            body_text=self.body_text(),
            comment_count_reported=self.comment_count_reported(),
            comments=self.comments(),
            comment_pages=self.comment_page_count(),
            comment_pages_fetched=1,
            comment_area=self.shows_comment_area(),
        )


def read_rendered_comments(contents: list[tuple[str, str]], base_url: str) -> list[CommentItem]:
    """Comments from their rendered content alone (``(id, html)``, as the REST API gives them).

    Each is read as if a page printed it (``li.comment > div.comment-content``), so the same reader takes
    votes from a widget the ``comment_text`` filter added and keeps the widget out of the text.
    """
    if not contents:
        return []
    items = "".join(
        f'<li id="comment-{html.escape(cid)}" class="comment"><div class="comment-content">{body}</div></li>'
        for cid, body in contents
    )
    doc = f'<html><body><div id="comments"><ol class="comment-list">{items}</ol></div></body></html>'
    page = PostPage(HtmlResponse(url=base_url, body=doc.encode("utf-8"), encoding="utf-8"))
    return page.comments()
