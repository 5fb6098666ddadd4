"""Page objects for WordPress sites: single posts with their comment thread, and listings.

They read the markup WordPress core and its default themes print (``wp_list_comments`` in the
html5, xhtml and ``div`` styles, ``paginate_links``, ``body_class``) plus the vote widgets of
Comments Like Dislike and wpDiscuz. Values come back as the page shows them; dates and vote counts
are parsed by the pipelines.

Pingbacks and trackbacks (``li.pingback``, ``li.trackback``) are not reader comments and are
skipped. A comment element without any id is skipped too; its replies keep the nearest enclosing
comment that has an id as their parent, so they stay in the right thread.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Callable, Iterator
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from cssselect import HTMLTranslator
from lxml import etree
from scrapy.http import HtmlResponse, TextResponse

from archiver.items import CommentItem, RecapItem, Term
from archiver.pages import body_classes, has_class_token
from archiver.text import element_to_text, html_to_text, normalise_line

__all__ = [
    "CommentPages",
    "ListingPage",
    "PostPage",
    "read_rendered_comments",
    "body_classes",
    "strip_comment_page",
    "strip_paged",
]

Element = etree._Element
Marked = tuple[Element, str | None, str | None]
"""An element with a class or id attribute, as (element, class, id)."""


@dataclass
class _PageIndex:
    """What one pass over a page's elements finds (see ``_Page._index``)."""

    marked: list[Marked]
    """Every element with a class or id, under every top-level element, in document order."""
    root_marked: list[Marked]
    """Those under the root element only: what a CSS query from the root sees."""
    links: list[Element]
    """Every ``<link>``."""
    elements: list[list[Element]]
    """Every element, kept so that later walks get the same Python objects instead of making new ones."""

_COMMENT_ID = re.compile(r"(?:^|-)comment-(\d+)$")
_COMMENT_PAGE_PATH = re.compile(r"/comment-page-(\d+)/?$")
_COMMENT_PAGE_ANY = re.compile(r"comment-page-(\d+)")
_PAGED_PATH = re.compile(r"/page/\d+/?$")
_NUMBER = re.compile(r"^\s*(\d{1,3}(?:[,.\u00a0\u202f ]\d{3}){1,6}|\d{1,18})(?!\d)")
# Bounded numbers (up to 10^21 grouped, 18 digits plain): an unbounded `\d+` is retried at every digit of a long run.
_COUNT_WORD = re.compile(
    r"(?<!\d)(\d{1,3}(?:[,.\u00a0\u202f]\d{3}){1,6}|\d{1,18})\s*(?:comments?|thoughts?|responses?|replies|reply|reactions?)",
    re.I,
)
_ZERO_COUNT = re.compile(r"^\s*(?:no\s+(?:comments?|thoughts?|responses?|replies)|leave a (?:comment|reply))", re.I)
_ONE_COUNT = re.compile(r"^\s*one\s+(?:comment|thought|response|reply|reaction)", re.I)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_SAYS = re.compile(r"\s*says:?\s*$", re.I)
_EDIT = re.compile(r"\s*\(?\bEdit\)?\s*$")
_ARCHIVE_PREFIX = re.compile(
    r"^\s*(?:tag|tags|category|categories|tag archives?|category archives?|archives?)\s*:\s*", re.I
)

# Sidebars and widgets: never part of the post or the listing's main loop.
_WIDGET_CLASSES = frozenset(
    "widget widget-area sidebar widget_recent_comments widget_recent_entries widget_tag_cloud "
    "tagcloud wp-block-tag-cloud wp-block-latest-comments wp-block-latest-posts".split()
)
_WIDGET_IDS = frozenset("secondary sidebar recentcomments".split())

# Things inside a comment that are not what the commenter wrote.
_COMMENT_FURNITURE_CLASSES = frozenset(
    "comment-author comment-meta comment-metadata commentmetadata reply comment-reply-link "
    "comment-awaiting-moderation comment-respond comment-form children says avatar comment-notes "
    "required-field-message edit-link comment-edit-link logged-in-as cld-like-dislike-wrap "
    "cld-common-wrap cld-like-wrap cld-dislike-wrap wpd-vote wpd-vote-result wpd-comment-footer "
    "sharedaddy".split()
)
_COMMENT_FURNITURE_IDS = frozenset("respond cancel-comment-reply commentform".split())
_DROP_TAGS = frozenset("script style form noscript template".split())
_FURNITURE_TEXT = re.compile(r"^\s*(?:your comment is awaiting moderation|required fields are marked)", re.I)
_FURNITURE_ANY = re.compile(r"your comment is awaiting moderation|required fields are marked", re.I)
# Pieces every match of _FURNITURE_ANY holds once lowercased: under re.I only i, k and s of these letters match
# non-ASCII characters (ı, İ, K, ſ), which lower() need not map to ASCII, so the pieces avoid those letters.
_FURNITURE_PIECES = ("your comment ", " are mar")


def _may_hold_furniture_text(text: str) -> bool:
    """False when ``text`` certainly holds no _FURNITURE_ANY match (a plain substring test, not the regex)."""
    low = text.lower()
    return any(piece in low for piece in _FURNITURE_PIECES)
_FURNITURE_TEXT_TAGS = frozenset(("p", "em", "span", "small", "div"))

# Things inside .entry-content that are not the recap.
_BODY_FURNITURE_CLASSES = frozenset(
    "sharedaddy sd-sharing-enabled sd-like jp-relatedposts related-posts yarpp-related crp_related "
    "comment-respond widget adsbygoogle wpcnt code-block post-navigation".split()
)
_BODY_FURNITURE_IDS = frozenset("jp-relatedposts jp-post-flair respond".split())
_BODY_FURNITURE_PREFIXES = ("share", "ad-", "ads-", "advert", "wordads")

_CONTENT_CLASSES = frozenset(
    ("comment-content", "comment-text", "comment-entry", "wpd-comment-text", "wp-block-comment-content")
)
_FN_CLASSES = frozenset(("fn", "wp-block-comment-author-name"))
_META_CLASSES = frozenset(("comment-metadata", "commentmetadata"))
_DATE_CLASSES = frozenset(("comment-date", "wpd-comment-date"))
# A comment's own elements _comment looks at (besides <time>): the rest need not be kept.
_OWN_INTERESTING = (
    _FN_CLASSES | _META_CLASSES | _DATE_CLASSES | _CONTENT_CLASSES
    | {"comment-author", "comment-body", "cld-like-count-wrap", "cld-dislike-count-wrap", "wpd-vote-result"}
)
# Comment lists and comment navigations are found from the page index (_Page._index), with these class tokens.
_COMMENT_LIST_CLASSES = frozenset("comment-list commentlist wp-block-comment-template".split())
_COMMENT_NAV_CLASSES = frozenset(
    "comments-pagination comment-navigation comments-navigation comment-nav comments-nav "
    "wp-block-comments-pagination navigation".split()
)
_TAG_LINKS_XPATH = etree.XPath("//a/@rel[contains(., 'tag')]/..")


def _is_comment_list(el: Element, value: str | None, ident: str | None) -> bool:
    """``el`` (with class attribute ``value`` and id ``ident``) is a ``wp_list_comments`` list."""
    cls = _class_set(value) if value else _NO_CLASSES
    return not _COMMENT_LIST_CLASSES.isdisjoint(cls) or ident == "comments-list" or (
        "comments" in cls and el.tag == "ol"
    )


def _is_comment_nav(value: str | None, ident: str | None) -> bool:
    """An element with class attribute ``value`` and id ``ident`` is a comment navigation."""
    return (bool(value) and not _COMMENT_NAV_CLASSES.isdisjoint(_class_set(value))) or (
        ident is not None and ident.startswith("comment-nav-"))


def _has_css_class(value: str | None, name: str) -> bool:
    """What cssselect's ``.name`` tests on one class attribute ``value``."""
    # (the substring test first: called for every marked element of a page, and almost all fail it)
    return value is not None and name in value and has_class_token(value, (name,))


@lru_cache(maxsize=None)
def _xpath(css: str) -> etree.XPath:
    return etree.XPath(HTMLTranslator().css_to_xpath(css, prefix="descendant-or-self::"))


def _q(el: Element, css: str) -> list[Element]:
    """All elements under (and including) ``el`` matching ``css``, document order."""
    return _xpath(css)(el)


def _first(el: Element | None, css: str) -> Element | None:
    if el is None:
        return None
    found = _q(el, css)
    return found[0] if found else None


@lru_cache(maxsize=8192)
def _class_set(value: str) -> frozenset[str]:
    return frozenset(value.split())


_NO_CLASSES: frozenset[str] = frozenset()


def _classes(el: Element) -> frozenset[str]:
    """The class tokens of ``el`` (a shared, immutable set: class strings repeat on every comment)."""
    value = el.get("class")
    return _class_set(value) if value else _NO_CLASSES


# The string value of an element (what ``text_content()`` gives: libxml2 concatenates the same text nodes for
# both) without lxml.html's XPath evaluation around it, which costs twice the serialisation for small elements.
def _string(el: Element) -> str:
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


def _text(el: Element | None) -> str:
    return normalise_line(_string(el)) if el is not None else ""


def _inside(el: Element, pred: Callable[[Element], bool], stop: Element | None = None) -> bool:
    """True when ``el`` or one of its ancestors (below ``stop``) satisfies ``pred``."""
    node: Element | None = el
    while node is not None and node is not stop:
        if pred(node):
            return True
        node = node.getparent()
    return False


def _is_widget(el: Element) -> bool:
    if el.tag == "aside":
        return True
    if el.get("id") in _WIDGET_IDS:
        return True
    return not _WIDGET_CLASSES.isdisjoint(_classes(el))


_ELEMENTS = etree.Element  # as a tag filter for lxml's iterators: elements, not comments or PIs
_COMMENT_EL_TAGS = frozenset(("li", "div", "article"))
_COMMENT_EL_CLASSES = frozenset(("comment", "pingback", "trackback"))
_PING_CLASSES = frozenset(("pingback", "trackback"))
_COMMENT_EL_ID = re.compile(r"^(?:li-)?comment-\d+$")
_DIGITS = re.compile(r"^\d+$")


def _is_comment_el(el: Element) -> bool:
    """A comment, pingback or trackback element as ``wp_list_comments`` prints it."""
    if el.tag not in _COMMENT_EL_TAGS:
        return False
    if not _COMMENT_EL_CLASSES.isdisjoint(_classes(el)):
        return True
    ident = el.get("id") or ""
    return bool(_COMMENT_EL_ID.match(ident))


def _comment_id(el: Element) -> str | None:
    for attr in ("id", "data-comment-id"):
        value = el.get(attr) or ""
        m = _COMMENT_ID.search(value) if attr == "id" else _DIGITS.match(value.strip())
        if m:
            return m.group(1) if attr == "id" else value.strip()
    return None


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


def strip_paged(url: str) -> str:
    """The URL without ``/page/N/``, ``paged`` and fragment (an archive's first page)."""
    parts = urlsplit(url)
    path = _PAGED_PATH.sub("/", parts.path)
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k != "paged"]
    if len(kept) != len(pairs):
        query = urlencode(kept)
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def _drop_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _comment_page_of(url: str) -> int | None:
    """The comment page a URL points to (``comment-page-N`` or ``cpage=N``), else None."""
    base = _drop_fragment(url)
    m = _COMMENT_PAGE_ANY.search(urlsplit(base).path)
    if m:
        return int(m.group(1))
    for key, value in parse_qsl(urlsplit(base).query):
        if key == "cpage" and value.isdigit():
            return int(value)
    return None


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
    cls = _classes(a) | (_classes(a.getparent()) if a.getparent() is not None else _NO_CLASSES)
    if "prev" in rel or not _PREV_CLASSES.isdisjoint(cls):
        return -1
    if "next" in rel or not _NEXT_CLASSES.isdisjoint(cls):
        return 1
    return 0


def _parse_count(text: str) -> int | None:
    """A comment count from "25 thoughts on “…”", "One Comment", "1,234", "No Comments"."""
    if not text:
        return None
    if _ONE_COUNT.match(text):
        return 1
    if _ZERO_COUNT.match(text):
        return 0
    m = _NUMBER.match(text) or _COUNT_WORD.search(text)
    if m:
        return int(re.sub(r"\D", "", m.group(1)))
    return None


def _term_from_link(a: Element, base_url: str, taxonomy: str | None = None) -> Term | None:
    name = _text(a)
    href = a.get("href")
    if not name:
        return None
    url = _urljoin(base_url, href) if href else None
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
    path = _PAGED_PATH.sub("/", parts.path).rstrip("/")
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


def _urljoin(base: str, href: str) -> str:
    return urljoin(base, href.strip())


def _effective_skip(container: Element, skip: Callable[[Element], bool]) -> Callable[[Element], bool]:
    if skip is _is_comment_furniture:
        text = _string(container)
        if not (_may_hold_furniture_text(text) and _FURNITURE_ANY.search(text)):
            # No element below can start with the furniture text when the whole container does not contain it.
            return _is_comment_furniture_no_text
    return skip


def _inner_html(container: Element, skip: Callable[[Element], bool]) -> str:
    """Serialise the children of ``container``, leaving out ``skip`` subtrees but keeping tails."""
    skip = _effective_skip(container, skip)
    parts = [html.escape(container.text or "", quote=False)]
    for child in container:
        tail = html.escape(child.tail or "", quote=False)
        if not isinstance(child.tag, str) or skip(child):
            parts.append(tail)
            continue
        if any(skip(d) for d in child.iterdescendants() if isinstance(d.tag, str)):
            child = copy.deepcopy(child)
            for d in [d for d in child.iterdescendants() if isinstance(d.tag, str) and skip(d)]:
                if d.getparent() is not None:
                    d.drop_tree()
            child.tail = None
        parts.append(_html(child))
        parts.append(tail)
    return "".join(parts).strip()


_META_CONTENT_TYPE = '<meta http-equiv="Content-Type"'
_META_CONTENT_TYPE_TAG = re.compile(r'<meta http-equiv="Content-Type"[^>]*>')


def _html(el: Element) -> str:
    """``lxml.html.tostring(el, encoding="unicode", with_tail=False)``, without its Python wrapper's costs."""
    out = etree.tostring(el, method="html", encoding="unicode", with_tail=False)
    # lxml.html.tostring drops content-type <meta> tags (include_meta_content_type=False); the regex only
    # where there is one to drop.
    return _META_CONTENT_TYPE_TAG.sub("", out) if _META_CONTENT_TYPE in out else out


_EDGE_BREAK = re.compile(r"\s*<br\s*/?>")
"""One <br> (after whitespace) at a fragment's edge. Leading ones are matched one by one and trailing ones read
backwards from the last ``<``: a ``(?:<br\\s*/?>\\s*)+$`` regex is retried at every <br>, quadratic."""


def _strip_breaks(fragment: str) -> str:
    """Drop <br> left at the edges once furniture (a moderation notice, a widget) is gone."""
    pos = 0
    while m := _EDGE_BREAK.match(fragment, pos):
        pos = m.end()
    end = len(fragment)
    while True:
        stop = end
        while stop > pos and fragment[stop - 1].isspace():
            stop -= 1
        last = fragment.rfind("<", pos, stop)
        if last < 0 or not _EDGE_BREAK.fullmatch(fragment, last, stop):
            break
        end = last
    return fragment[pos:end].strip()


def _is_comment_furniture_no_text(el: Element) -> bool:
    """:func:`_is_comment_furniture` without its text test (for elements known not to hold the text)."""
    tag = el.tag
    if tag in _DROP_TAGS:
        return True
    ident = el.get("id")
    value = el.get("class")
    if not value:
        # Without a class, only the id can make it furniture or a comment (the common case: called for every
        # element of every comment's text).
        return ident is not None and (ident in _COMMENT_FURNITURE_IDS or (
            tag in _COMMENT_EL_TAGS and bool(_COMMENT_EL_ID.match(ident))))
    if ident in _COMMENT_FURNITURE_IDS:
        return True
    cls = _class_set(value)
    # ("avatar" is one of the furniture classes, so an img.avatar is furniture here too.)
    if not _COMMENT_FURNITURE_CLASSES.isdisjoint(cls):
        return True
    return tag in _COMMENT_EL_TAGS and (not _COMMENT_EL_CLASSES.isdisjoint(cls) or bool(_COMMENT_EL_ID.match(ident or "")))


def _is_comment_furniture(el: Element) -> bool:
    if _is_comment_furniture_no_text(el):
        return True
    if el.tag in _FURNITURE_TEXT_TAGS and _FURNITURE_TEXT.match(_string(el)):
        return True
    return False


def _is_body_furniture(el: Element) -> bool:
    if el.tag in _DROP_TAGS or el.tag == "ins":
        return True
    if el.get("id") in _BODY_FURNITURE_IDS:
        return True
    cls = _classes(el)
    if not _BODY_FURNITURE_CLASSES.isdisjoint(cls):
        return True
    return any(c.startswith(_BODY_FURNITURE_PREFIXES) for c in cls)


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
        if self.template and _COMMENT_PAGE_ANY.search(urlsplit(self.template).path):
            parts = urlsplit(self.template)
            path = _COMMENT_PAGE_ANY.sub(f"comment-page-{n}", parts.path)
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


class _Page:
    """Shared plumbing: one selector tree per response."""

    def __init__(self, response: TextResponse) -> None:
        self.response = response
        self.url = response.url
        self.root: Element = response.selector.root

    def _css_first(self, *queries: str, where: Element | None = None) -> Element | None:
        """The first element outside widgets matching the first query that matches."""
        scope = self.root if where is None else where
        for css in queries:
            for el in _q(scope, css):
                if not _inside(el, _is_widget):
                    return el
        return None

    def _abs(self, href: str | None) -> str | None:
        if not href or href.strip().startswith(("javascript:", "#", "mailto:")):
            return None
        try:
            return _urljoin(self.url, href)
        except ValueError:  # an href urllib cannot split ("http://[]/", "http://[/"): not a link
            return None

    @cached_property
    def _body_classes(self) -> set[str]:
        return body_classes(self.response)

    def marked(self) -> list[Marked]:
        """Every element of the page with a class or id attribute as (element, class, id), in document order."""
        return self._index.marked

    @cached_property
    def _index(self) -> _PageIndex:
        """One pass over every element of the page.

        Whole-document questions (the comment lists, the comment navigation, the comments title) are answered
        from this one pass instead of one libxml2 scan each, which costs about as much per element as this
        loop. It also keeps every element's Python object alive for the walks that follow, which then do not
        make (and class-look-up) new ones.
        """
        marked: list[Marked] = []
        add = marked.append
        links: list[Element] = []
        # Damaged markup can leave libxml2 with more than one top-level element: //* (XPath) sees them all, a CSS
        # query from the root (descendant-or-self::) only the root's.
        root = self.root
        before = [*reversed(list(root.itersiblings(_ELEMENTS, preceding=True)))]
        after = list(root.itersiblings(_ELEMENTS))
        everything: list[list[Element]] = []
        start = end = 0
        for top in (*before, root, *after):
            if top is root:
                start = len(marked)
            elements = list(top.iter(_ELEMENTS))
            everything.append(elements)
            for el in elements:
                value = el.get("class")
                ident = el.get("id")
                if value is not None or ident is not None:
                    add((el, value, ident))
                if el.tag == "link":
                    links.append(el)
            if top is root:
                end = len(marked)
        return _PageIndex(marked, marked if not before and not after else marked[start:end], links, everything)


class ListingPage(_Page):
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
        found = [el for el in _q(self.root, self._ENTRY_CSS) if not _inside(el, _is_widget)]
        ids = {id(el) for el in found}
        top = []
        for el in found:
            parent = el.getparent()
            # Only the outermost entry: an <article> inside a .hentry is the same post.
            if parent is None or not _inside(parent, lambda n: id(n) in ids):
                top.append(el)
        return top

    def post_urls(self) -> list[str]:
        """Absolute URLs of the posts in the main loop, deduplicated, in page order."""
        urls: list[str] = []
        entries = self._entries()
        if entries:
            for entry in entries:
                for css in self._PERMALINK_CSS:
                    link = _first(entry, css)
                    if link is not None:
                        urls.append(link.get("href"))
                        break
        else:
            urls = [a.get("href") for a in _q(self.root, "a[rel~=bookmark]") if not _inside(a, _is_widget)]
        out: list[str] = []
        for href in urls:
            url = self._abs(href)
            if not url or _comment_page_of(url) is not None or "/feed" in urlsplit(url).path:
                continue
            url = _drop_fragment(url)
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
        for a in _q(self.root, css):
            if _inside(a, _is_widget):
                continue
            url = self._abs(a.get("href"))
            if not url or _comment_page_of(url) is not None:
                continue
            url = _drop_fragment(url)
            if url not in out and url != _drop_fragment(self.url):
                out.append(url)
        return out

    def archive_term(self) -> Term | None:
        """The tag or category this archive lists, or None for other listings."""
        classes = self._body_classes
        canonical = self.root.xpath("//link[@rel='canonical']/@href")
        url = strip_paged(_urljoin(self.url, canonical[0]) if canonical else self.url)
        path = urlsplit(url).path
        if "tag" in classes or "/tag/" in path:
            taxonomy, prefix = "post_tag", "tag-"
        elif "category" in classes or "/category/" in path:
            taxonomy, prefix = "category", "category-"
        else:
            return None
        slug = _slug_from_url(url, taxonomy)
        if slug is None:
            for c in sorted(classes):
                rest = c[len(prefix):]
                if c.startswith(prefix) and rest and not rest.isdigit() and not rest.startswith(("paged-", "template")):
                    slug = rest
                    break
        title_el = self._css_first("h1.page-title", "h1.archive-title", ".archive-title", ".page-header h1", ".page-title")
        name = _ARCHIVE_PREFIX.sub("", _text(title_el))
        if not name:
            doc_title = _text(_first(self.root, "head title"))
            name = re.split(r"\s+[-–|·»]\s+", doc_title)[0] if doc_title else ""
            name = re.sub(r"\s+Archives?$", "", name)
        if not name:
            name = slug or ""
        if not name:
            return None
        return Term(name=name, slug=slug, url=url, taxonomy=taxonomy)


class PostPage(_Page):
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
        el = self._css_first("article[id^=post-]", "article.post", ".hentry", ".type-post", "article", "main")
        return el if el is not None else self.root

    @cached_property
    def _comment_area(self) -> list[Element]:
        lists = [el for el, value, ident in self._index.marked
                 if _is_comment_list(el, value, ident) and not _inside(el, _is_widget)]
        ids = {id(el) for el in lists}
        top = [el for el in lists if el.getparent() is None or not _inside(el.getparent(), lambda n: id(n) in ids)]
        if top:
            return top
        area = self._css_first("#comments", ".comments-area", "#comments-area")
        return [area if area is not None else self.root]

    # -- post fields ---------------------------------------------------------------------

    def canonical_url(self) -> str:
        """The post URL without comment page, ``cpage``, ``replytocom`` or fragment."""
        return self._canonical_url

    @cached_property
    def _canonical_url(self) -> str:
        # What //link[@rel='canonical']/@href gives first.
        href = next((h for h in (el.get("href") for el in self._index.links if el.get("rel") == "canonical")
                     if h is not None), None)
        return strip_comment_page(_urljoin(self.url, href) if href is not None else self.url)

    def site_url(self) -> str:
        """The site's base URL with a trailing slash."""
        api = self.root.xpath("//link[@rel='https://api.w.org/']/@href")
        if api and "/wp-json" in api[0]:
            url = _urljoin(self.url, api[0].split("/wp-json", 1)[0] + "/")
        elif api and "rest_route=" in api[0]:
            url = _urljoin(self.url, api[0].split("?", 1)[0].removesuffix("index.php"))
        else:
            home = self._css_first(".site-title a[href]", "#site-title a[href]", "a[rel~=home]")
            if home is not None:
                url = _urljoin(self.url, home.get("href"))
            else:
                parts = urlsplit(self.url)
                url = f"{parts.scheme}://{parts.netloc}/"
        url = _drop_fragment(url)
        return url if url.endswith("/") else url + "/"

    def site_name(self) -> str | None:
        """``og:site_name``, else the header's site title."""
        og = self.root.xpath("//meta[@property='og:site_name']/@content")
        if og and og[0].strip():
            return normalise_line(og[0])
        return _text(self._css_first(".site-title", "#site-title", ".site-branding a[rel~=home]", "#headerimg h1", "#header h1")) or None

    def title(self) -> str:
        """The post title, whitespace-normalised."""
        el = self._css_first(".entry-title", ".post-title", ".wp-block-post-title", "h1", "h2", where=self._article)
        if el is not None and _text(el):
            return _text(el)
        og = self.root.xpath("//meta[@property='og:title']/@content")
        return normalise_line(og[0]) if og else _text(_first(self.root, "head title"))

    def author(self) -> str | None:
        """The post author's display name."""
        el = self._css_first(
            ".byline .author a", ".byline .fn", ".entry-meta .author a", ".author.vcard .fn",
            ".author.vcard a", ".byline a", "a[rel~=author]", where=self._article,
        )
        if el is None:
            el = self._css_first(".entry-meta .author a", "a[rel~=author]")
        if el is not None and _text(el):
            return _text(el)
        meta = self.root.xpath("//meta[@name='author']/@content")
        return normalise_line(meta[0]) or None if meta else None

    def _published_el(self) -> Element | None:
        return self._css_first(
            "time.entry-date.published", "time.published", "time.entry-date",
            ".posted-on time", ".entry-meta time", ".wp-block-post-date time", "time", where=self._article,
        )

    def published_at_raw(self) -> str | None:
        """The published date as the page shows it."""
        el = self._published_el()
        if el is not None and _text(el):
            return _text(el)
        return _text(self._css_first(".entry-date", ".posted-on", where=self._article)) or None

    def published_at_machine(self) -> str | None:
        """A machine-readable published date from the markup, or None."""
        el = self._css_first("time.entry-date.published[datetime]", "time.published[datetime]", where=self._article)
        if el is not None:
            return el.get("datetime").strip()
        meta = self.root.xpath("//meta[@property='article:published_time']/@content")
        if meta and meta[0].strip():
            return meta[0].strip()
        el = self._published_el()
        return el.get("datetime").strip() if el is not None and el.get("datetime") else None

    @cached_property
    def _terms(self) -> list[Term]:
        comment_roots = {id(el) for el in self._comment_area if el is not self.root}

        def excluded(n: Element) -> bool:
            return _is_widget(n) or id(n) in comment_roots or bool(
                _classes(n) & {"jp-relatedposts", "related-posts", "comment", "navigation", "post-navigation"}
            )

        terms: list[Term] = []
        seen: set[tuple[str, str | None, str]] = set()
        links = [a for a in _TAG_LINKS_XPATH(self.root) if "tag" in (a.get("rel") or "").split()]
        links = links or _q(self.root, ".cat-links a, .tags-links a")
        for a in links:
            if _inside(a, excluded):
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
            content = next((el for el in _q(self._article, css) if el is not self._article), None)
            if content is not None:
                break
        if content is None:
            return ""
        return _strip_breaks(_inner_html(content, _is_body_furniture))

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
            lambda el, value, ident: _has_css_class(value, "comments-title"),
            lambda el, value, ident: ident == "comments-title",
            lambda el, value, ident: ident == "comments" and el.tag in ("h2", "h3", "h4"),
            lambda el, value, ident: _has_css_class(value, "comments-link"),
        ]
        for test in firsts:
            el = next((el for el, value, ident in marked if test(el, value, ident) and not _inside(el, _is_widget)),
                      None)
            if el is not None:
                count = _parse_count(_text(el))
                if count is not None:
                    return count
        for css in ("a[href$='#comments']", "a[href$='#respond']"):
            el = self._css_first(css)
            if el is not None:
                count = _parse_count(_text(el))
                if count is not None:
                    return count
        # Themes print no count where there are no comments: a comment area holding only the reply form says 0.
        has_area = any(ident in ("comments", "respond") or _has_css_class(value, "comments-area")
                       or _has_css_class(value, "wp-block-comments") for _, value, ident in marked)
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
        marked = self._index.marked
        containers = [el for el, value, ident in marked if _is_comment_nav(value, ident) and not _inside(el, _is_widget)]
        links: list[Element] = []
        for c in containers:
            links.extend(_q(c, "a[href]"))
        seen = {id(a) for a in links}
        # a.page-numbers[href]
        numbers = [el for el, value, ident in self._index.root_marked
                   if _has_css_class(value, "page-numbers") and el.tag == "a" and el.get("href") is not None]
        for a in numbers:
            if id(a) not in seen and not _inside(a, _is_widget):
                links.append(a)
        own = self.canonical_url()
        pages: list[tuple[int, str]] = []
        parents: list[Element] = list(containers)
        implied: int | None = None
        for a in links:
            url = self._abs(a.get("href"))
            if not url or strip_comment_page(url) != own:
                continue
            n = _comment_page_of(url)
            step = _nav_step(a)
            if n is None:
                # The bare post URL stands for page 1 (oldest first) or the last page (newest first): its label
                # says which, when it has a number.
                n = _label_number(_text(a)) if step == 0 else None
                if n is None:
                    continue
            pages.append((n, _drop_fragment(url)))
            if step and implied is None and n - step >= 1:
                implied = n - step
            if a.getparent() is not None:
                parents.append(a.getparent())
        current = None
        for p in parents:
            for el in _q(p, ".page-numbers.current, .current, [aria-current=page]"):
                current = _label_number(_text(el))
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
        from_url = _comment_page_of(self.url)
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
        template = next((url for n, url in self._nav[0] if _comment_page_of(url) is not None), None)
        return CommentPages(self.comment_page_count(), self.canonical_url(), template)

    def comment_page_urls(self) -> dict[int, str]:
        """Comment pages 1..count (the first 1,000 at most) mapped to their absolute URLs, without fragments."""
        pages = self.comment_pages()
        return {n: pages.url(n) for n in range(1, min(pages.count, 1000) + 1)}

    # -- comments ---------------------------------------------------------------------------

    def comments(self) -> list[CommentItem]:
        """The comments on this page in document order; pingbacks, trackbacks and id-less comments skipped."""
        return list(self._comments)

    @cached_property
    def _comments(self) -> list[CommentItem]:
        # One walk over the comment area does two things at once, exactly as two separate walks would:
        # it finds the comment elements with their parents (skipping widget and reply-form subtrees), and it
        # collects each comment's own elements (not descending into replies or reply forms) for _comment.
        # lxml's iterwalk does the tree walking in C; the state of an element (parent comment id, the comments
        # collecting its own elements, whether it is outside widgets and forms) is pushed at its start event and
        # popped at its end event, and a subtree that can hold nothing of interest is skipped.
        page = self.comment_page()
        found: list[tuple[Element, str, str | None, list[tuple[Element, frozenset[str]]]]] = []
        no_owners: tuple = ()
        # Every element the walk visits stays referenced until the comments are read: lxml then hands _comment
        # the same Python objects instead of making (and class-looking-up) new ones for every element again.
        visited: list[Element] = []
        keep = visited.append
        widget_classes, widget_ids, furniture_ids = _WIDGET_CLASSES, _WIDGET_IDS, _COMMENT_FURNITURE_IDS
        comment_tags, comment_classes, interesting = _COMMENT_EL_TAGS, _COMMENT_EL_CLASSES, _OWN_INTERESTING
        for area in self._comment_area:
            # (parent id, owners collecting own elements as (comment id, list), still in the main walk)
            states: list[tuple[str | None, tuple, bool]] = [(None, no_owners, True)]
            push, drop = states.append, states.pop
            walker = etree.iterwalk(area, events=("start", "end"))
            for event, el in walker:
                if event == "end":
                    drop()
                    continue
                keep(el)
                state = states[-1]
                value = el.get("class")
                ident = el.get("id")
                tag = el.tag
                if not value and ident is None and tag != "time" and tag != "aside":
                    # Nothing to see on the element itself: it is no comment, no widget, nothing a comment keeps.
                    push(state)
                    continue
                parent, owners, live = state
                cls = _class_set(value) if value else _NO_CLASSES
                is_comment = tag in comment_tags and (
                    not comment_classes.isdisjoint(cls) or bool(_COMMENT_EL_ID.match(ident or ""))
                )
                cid = _comment_id(el) if is_comment else None
                if owners:
                    if "children" in cls or ident in furniture_ids or "comment-respond" in cls:
                        owners = no_owners
                    else:
                        if is_comment:
                            owners = tuple(o for o in owners if o[0] == cid)
                        if owners and (tag == "time" or not interesting.isdisjoint(cls)):
                            for o in owners:
                                o[1].append((el, cls))
                if live and (tag == "aside" or ident in widget_ids or ident in furniture_ids
                             or not widget_classes.isdisjoint(cls)):
                    live = False
                child_parent = parent
                if live and is_comment:
                    if cid is not None and cid == parent and "comment" not in cls:
                        pass  # a wrapper inside the comment's own element (twentyten's li#li-comment-N > div#comment-N)
                    elif cid is None:
                        pass  # undamaged replies still get the nearest enclosing comment with an id
                    else:
                        if _PING_CLASSES.isdisjoint(cls):
                            nodes: list[tuple[Element, frozenset[str]]] = []
                            found.append((el, cid, parent, nodes))
                            owners = (*owners, (cid, nodes))
                        child_parent = cid
                push((child_parent, owners, live))
                if not (live or owners):
                    walker.skip_subtree()
        # Every comment's text is a piece of its area's text: when no area's text can hold the furniture text
        # ("Your comment is awaiting moderation"), no comment needs the per-element text test.
        quiet = not any(_may_hold_furniture_text(_string(area)) for area in self._comment_area)
        items: list[CommentItem] = []
        for el, cid, parent, nodes in found:
            try:
                items.append(self._comment(el, cid, parent, page, nodes, quiet))
            except (RecursionError, ValueError, TypeError, AttributeError) as exc:
                # One broken comment must not lose the thread; it is counted, and the thread is not whole.
                self.unreadable.append(f"{cid}: {type(exc).__name__}")
        return items

    def _comment(
        self, el: Element, cid: str, parent: str | None, page: int,
        nodes: list[tuple[Element, frozenset[str]]] | None = None, quiet: bool = False,
    ) -> CommentItem:
        """One comment; ``quiet`` when its text is known to hold no furniture text (see _effective_skip)."""
        fn = meta = time_el = content = body = author_box = None
        up = down = score = None
        date_title = None
        if nodes is None:
            nodes = [(node, _classes(node)) for node in _own_nodes(el, cid)]
        for node, cls in nodes:
            if fn is None and not cls.isdisjoint(_FN_CLASSES):
                fn = node
            if author_box is None and "comment-author" in cls:
                author_box = node
            if meta is None and not cls.isdisjoint(_META_CLASSES):
                meta = node
            if time_el is None and node.tag == "time":
                time_el = node
            if content is None and not cls.isdisjoint(_CONTENT_CLASSES):
                content = node
            if body is None and "comment-body" in cls:
                body = node
            if date_title is None and not cls.isdisjoint(_DATE_CLASSES) and _ISO_DATE.match(node.get("title") or ""):
                date_title = node.get("title").strip()
            if "cld-like-count-wrap" in cls and up is None:
                up = _text(node)
            elif "cld-dislike-count-wrap" in cls and down is None:
                down = _text(node)
            elif "wpd-vote-result" in cls:
                value = (node.get("title") or "").strip() or _text(node)
                if "wpd-vote-result-like" in cls:
                    up = up if up is not None else value
                elif "wpd-vote-result-dislike" in cls:
                    down = down if down is not None else value
                elif score is None:
                    score = value

        author = _SAYS.sub("", _text(fn)) if fn is not None else ""
        if not author and author_box is not None:
            author = _SAYS.sub("", _text(author_box))
        author_url = None
        if fn is not None:
            link = next((a for a in fn.iter("a") if a.get("href")), None)
            if link is not None:
                author_url = self._abs(link.get("href"))

        machine = time_el.get("datetime") if time_el is not None and time_el.get("datetime") else date_title
        raw = _text(time_el) if time_el is not None else ""
        if not raw and meta is not None:
            raw = _EDIT.sub("", _text_without(meta, lambda n: bool(_classes(n) & {"edit-link", "comment-edit-link"})))
        if not raw and date_title is not None:
            raw = date_title

        container = content if content is not None else body if body is not None else el
        skip = _is_comment_furniture_no_text if quiet else _effective_skip(container, _is_comment_furniture)
        body_html = _strip_breaks(_inner_html(container, skip))
        # The text straight from the tree, as html_to_text(body_html) would give it, without parsing the HTML
        # again; html_to_text where that is not certain (unusual markup, or nothing came out).
        body_text = element_to_text(container, skip)
        if not body_text:
            body_text = html_to_text(body_html)

        return CommentItem(
            site_comment_id=cid,
            parent_site_id=parent,
            author=author or None,
            author_url=author_url,
            posted_at_raw=raw or None,
            posted_at_machine=(machine or "").strip() or None,
            body_html=body_html,
            body_text=body_text,
            upvotes_raw=up,
            downvotes_raw=down,
            score_raw=score,
            page=page,
        )

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
        )


def _own_nodes(el: Element, cid: str) -> Iterator[Element]:
    """Elements of one comment, not descending into replies or reply forms."""
    stack = list(reversed(el))
    while stack:
        node = stack.pop()
        if not isinstance(node.tag, str):
            continue
        cls = _classes(node)
        if "children" in cls or node.get("id") in _COMMENT_FURNITURE_IDS or "comment-respond" in cls:
            continue
        if _is_comment_el(node) and _comment_id(node) != cid:
            continue
        yield node
        stack.extend(reversed(node))


def _text_without(el: Element, skip: Callable[[Element], bool]) -> str:
    parts: list[str] = []

    def walk(node: Element) -> None:
        if isinstance(node.tag, str) and skip(node):
            return
        if isinstance(node.tag, str) and node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return normalise_line("".join(parts))


def read_rendered_comments(contents: list[tuple[str, str]], base_url: str) -> list[CommentItem]:
    """Comments from their rendered content alone (``(id, html)``, as the REST API gives them).

    Each is read as if a page printed it (``li.comment > div.comment-content``), so the same reader takes
    votes from a widget the ``comment_text`` filter added and keeps the widget out of the text.
    """
    if not contents:
        return []
    items = "".join(f'<li id="comment-{html.escape(cid)}" class="comment"><div class="comment-content">{body}</div></li>'
                    for cid, body in contents)
    doc = f'<html><body><div id="comments"><ol class="comment-list">{items}</ol></div></body></html>'
    page = PostPage(HtmlResponse(url=base_url, body=doc.encode("utf-8"), encoding="utf-8"))
    return page.comments()
