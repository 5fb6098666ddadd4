"""Markup helpers for the page objects: lxml queries, class tokens, text and inner HTML, and what is not content.

A WordPress page mixes what its author and commenters wrote with furniture (widgets, share buttons, reply links,
vote widgets, moderation notices); these helpers find elements fast and leave the furniture out.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from urllib.parse import urljoin

from cssselect import HTMLTranslator
from lxml import etree
from scrapy.http import TextResponse

from archiver.pages import has_class_token, page_root
from archiver.text import normalise_line

Element = etree._Element
Marked = tuple[Element, str | None, str | None]
"""An element with a class or id attribute, as (element, class, id)."""


@dataclass
class PageIndex:
    """What one pass over a page's elements finds (see ``HtmlPage._index``)."""

    marked: list[Marked]
    """Every element with a class or id, under every top-level element, in document order."""
    root_marked: list[Marked]
    """Those under the root element only: what a CSS query from the root sees."""
    tagged: dict[str, list[Element]]
    """Every ``<link>``, ``<meta>``, ``<script>`` and ``<a>`` by tag, in document order: what ``//link`` (XPath)
    finds, without one libxml2 scan of the whole page per question."""
    elements: list[list[Element]]
    """Every element, kept so that later walks get the same Python objects instead of making new ones."""

    @property
    def links(self) -> list[Element]:
        """Every ``<link>``."""
        return self.tagged["link"]


_INDEXED_TAGS = ("link", "meta", "script", "a")
_COMMENT_ID = re.compile(r"(?:^|-)comment-(\d+)$")
# Sidebars and widgets: never part of the post or the listing's main loop.
WIDGET_CLASSES = frozenset(
    "widget widget-area sidebar widget_recent_comments widget_recent_entries widget_tag_cloud "
    "tagcloud wp-block-tag-cloud wp-block-latest-comments wp-block-latest-posts".split()
)
WIDGET_IDS = frozenset("secondary sidebar recentcomments".split())

# Things inside a comment that are not what the commenter wrote.
_COMMENT_FURNITURE_CLASSES = frozenset(
    "comment-author comment-meta comment-metadata commentmetadata reply comment-reply-link "
    "comment-awaiting-moderation comment-respond comment-form children says avatar comment-notes "
    "required-field-message edit-link comment-edit-link logged-in-as cld-like-dislike-wrap "
    "cld-common-wrap cld-like-wrap cld-dislike-wrap wpd-vote wpd-vote-result wpd-comment-footer "
    "sharedaddy".split()
)
COMMENT_FURNITURE_IDS = frozenset("respond cancel-comment-reply commentform".split())
_DROP_TAGS = frozenset("script style form noscript template".split())
_FURNITURE_TEXT = re.compile(r"^\s*(?:your comment is awaiting moderation|required fields are marked)", re.I)
_FURNITURE_ANY = re.compile(r"your comment is awaiting moderation|required fields are marked", re.I)
# Pieces every match of _FURNITURE_ANY holds once lowercased: under re.I only i, k and s of these letters match
# non-ASCII characters (ı, İ, K, ſ), which lower() need not map to ASCII, so the pieces avoid those letters.
_FURNITURE_PIECES = ("your comment ", " are mar")


def may_hold_furniture_text(text: str) -> bool:
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


def has_css_class(value: str | None, name: str) -> bool:
    """What cssselect's ``.name`` tests on one class attribute ``value``."""
    # (the substring test first: called for every marked element of a page, and almost all fail it)
    return value is not None and name in value and has_class_token(value, (name,))


@cache
def _xpath(css: str) -> etree.XPath:
    return etree.XPath(HTMLTranslator().css_to_xpath(css, prefix="descendant-or-self::"))


def css_all(el: Element, css: str) -> list[Element]:
    """All elements under (and including) ``el`` matching ``css``, document order."""
    return _xpath(css)(el)


def css_first_in(el: Element | None, css: str) -> Element | None:
    if el is None:
        return None
    found = css_all(el, css)
    return found[0] if found else None


@lru_cache(maxsize=8192)
def class_set(value: str) -> frozenset[str]:
    return frozenset(value.split())


NO_CLASSES: frozenset[str] = frozenset()


def class_tokens(el: Element) -> frozenset[str]:
    """The class tokens of ``el`` (a shared, immutable set: class strings repeat on every comment)."""
    value = el.get("class")
    return class_set(value) if value else NO_CLASSES


# The string value of an element (what ``text_content()`` gives: libxml2 concatenates the same text nodes for
# both) without lxml.html's XPath evaluation around it, which costs twice the serialisation for small elements.
def string_value(el: Element) -> str:
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


def text_of(el: Element | None) -> str:
    return normalise_line(string_value(el)) if el is not None else ""


def is_inside(el: Element, pred: Callable[[Element], bool], stop: Element | None = None) -> bool:
    """True when ``el`` or one of its ancestors (below ``stop``) satisfies ``pred``."""
    node: Element | None = el
    while node is not None and node is not stop:
        if pred(node):
            return True
        node = node.getparent()
    return False


def is_widget(el: Element) -> bool:
    if el.tag == "aside":
        return True
    if el.get("id") in WIDGET_IDS:
        return True
    return not WIDGET_CLASSES.isdisjoint(class_tokens(el))


ELEMENTS = etree.Element  # as a tag filter for lxml's iterators: elements, not comments or PIs
COMMENT_EL_TAGS = frozenset(("li", "div", "article"))
COMMENT_EL_CLASSES = frozenset(("comment", "pingback", "trackback"))
PING_CLASSES = frozenset(("pingback", "trackback"))
COMMENT_EL_ID = re.compile(r"^(?:li-)?comment-\d+$")
_DIGITS = re.compile(r"^\d+$")


def wpdiscuz_vote(el: Element, classes: frozenset[str]) -> tuple[str, str] | None:
    """What a wpDiscuz vote node shows: ``("up", raw)``, ``("down", raw)`` or ``("score", raw)``; None for another node.

    ``raw`` is the exact number in ``title`` (the text may be rounded, "1.2K"), else the text. wpDiscuz shows
    dislikes negative ("-3"): the sign is dropped, so a dislike count is stored positive, like every other widget's.
    The one reader of wpDiscuz votes, for its own threads and for core comment lists carrying its widget.
    """
    if "wpd-vote-result" not in classes and not any(c.startswith("wpd-vote-result-") for c in classes):
        return None
    value = (el.get("title") or "").strip() or text_of(el)
    if "wpd-vote-result-like" in classes:
        return "up", value
    if "wpd-vote-result-dislike" in classes:
        return "down", value.lstrip("-\u2212")
    if "wpd-vote-result" in classes:
        return "score", value
    return None


def comment_id_of(el: Element) -> str | None:
    for attr in ("id", "data-comment-id"):
        value = el.get(attr) or ""
        m = _COMMENT_ID.search(value) if attr == "id" else _DIGITS.match(value.strip())
        if m:
            return m.group(1) if attr == "id" else value.strip()
    return None


def join_url(base: str, href: str) -> str:
    return urljoin(base, href.strip())


def effective_skip(container: Element, skip: Callable[[Element], bool]) -> Callable[[Element], bool]:
    if skip is is_comment_furniture:
        text = string_value(container)
        if not (may_hold_furniture_text(text) and _FURNITURE_ANY.search(text)):
            # No element below can start with the furniture text when the whole container does not contain it.
            return is_comment_furniture_no_text
    return skip


def inner_html(container: Element, skip: Callable[[Element], bool]) -> str:
    """Serialise the children of ``container``, leaving out ``skip`` subtrees but keeping tails."""
    skip = effective_skip(container, skip)
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
                    drop_tree(d)
            child.tail = None
        parts.append(_html(child))
        parts.append(tail)
    return "".join(parts).strip()


def drop_tree(el: Element) -> None:
    """Remove ``el`` and its subtree, keeping its tail: lxml.html's ``drop_tree``, for plain lxml elements too."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


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


def strip_edge_breaks(fragment: str) -> str:
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


def is_comment_furniture_no_text(el: Element) -> bool:
    """:func:`is_comment_furniture` without its text test (for elements known not to hold the text)."""
    tag = el.tag
    if tag in _DROP_TAGS:
        return True
    ident = el.get("id")
    value = el.get("class")
    if not value:
        # Without a class, only the id can make it furniture or a comment (the common case: called for every
        # element of every comment's text).
        return ident is not None and (
            ident in COMMENT_FURNITURE_IDS or (tag in COMMENT_EL_TAGS and bool(COMMENT_EL_ID.match(ident)))
        )
    if ident in COMMENT_FURNITURE_IDS:
        return True
    cls = class_set(value)
    # ("avatar" is one of the furniture classes, so an img.avatar is furniture here too.)
    if not _COMMENT_FURNITURE_CLASSES.isdisjoint(cls):
        return True
    return tag in COMMENT_EL_TAGS and (not COMMENT_EL_CLASSES.isdisjoint(cls) or bool(COMMENT_EL_ID.match(ident or "")))


def is_comment_furniture(el: Element) -> bool:
    if is_comment_furniture_no_text(el):
        return True
    if el.tag in _FURNITURE_TEXT_TAGS and _FURNITURE_TEXT.match(string_value(el)):
        return True
    return False


def is_body_furniture(el: Element) -> bool:
    if el.tag in _DROP_TAGS or el.tag == "ins":
        return True
    if el.get("id") in _BODY_FURNITURE_IDS:
        return True
    cls = class_tokens(el)
    if not _BODY_FURNITURE_CLASSES.isdisjoint(cls):
        return True
    return any(c.startswith(_BODY_FURNITURE_PREFIXES) for c in cls)


class HtmlPage:
    """Shared plumbing: one selector tree per response."""

    def __init__(self, response: TextResponse) -> None:
        self.response = response
        self.url = response.url
        self.root: Element = page_root(response)
        self._joined: dict[str, str | None] = {}

    def _css_first(self, *queries: str, where: Element | None = None) -> Element | None:
        """The first element outside widgets matching the first query that matches."""
        scope = self.root if where is None else where
        for css in queries:
            for el in css_all(scope, css):
                if not is_inside(el, is_widget):
                    return el
        return None

    def _abs(self, href: str | None) -> str | None:
        if not href:
            return None
        # Once per distinct href of the page: a thread links the same commenters' sites over and over.
        try:
            return self._joined[href]
        except KeyError:
            pass
        url = None
        if not href.strip().startswith(("javascript:", "#", "mailto:")):
            try:
                url = join_url(self.url, href)
            except ValueError:  # an href urllib cannot split ("http://[]/", "http://[/"): not a link
                pass
        self._joined[href] = url
        return url

    def marked(self) -> list[Marked]:
        """Every element of the page with a class or id attribute as (element, class, id), in document order."""
        return self._index.marked

    @cached_property
    def _index(self) -> PageIndex:
        """One pass over every element of the page.

        Whole-document questions (the comment lists, the comment navigation, the comments title) are answered
        from this one pass instead of one libxml2 scan each, which costs about as much per element as this
        loop. It also keeps every element's Python object alive for the walks that follow, which then do not
        make (and class-look-up) new ones.
        """
        marked: list[Marked] = []
        add = marked.append
        tagged: dict[str, list[Element]] = {tag: [] for tag in _INDEXED_TAGS}
        # Damaged markup can leave libxml2 with more than one top-level element: //* (XPath) sees them all, a CSS
        # query from the root (descendant-or-self::) only the root's.
        root = self.root
        before = [*reversed(list(root.itersiblings(ELEMENTS, preceding=True)))]
        after = list(root.itersiblings(ELEMENTS))
        everything: list[list[Element]] = []
        start = end = 0
        for top in (*before, root, *after):
            if top is root:
                start = len(marked)
            elements = list(top.iter(ELEMENTS))
            everything.append(elements)
            for el in elements:
                value = el.get("class")
                ident = el.get("id")
                if value is not None or ident is not None:
                    add((el, value, ident))
                tag = el.tag
                if tag in tagged:
                    tagged[tag].append(el)
            if top is root:
                end = len(marked)
        return PageIndex(marked, marked if not before and not after else marked[start:end], tagged, everything)

    def page_index(self) -> PageIndex:
        """What one pass over the page's elements finds (made once per page)."""
        return self._index

    def meta_values(self, attr: str, value: str, want: str = "content") -> list[str]:
        """``//meta[@attr='value']/@want``: the ``want`` attribute of every ``<meta>`` whose ``attr`` is ``value``."""
        return tagged_values(self._index.tagged["meta"], attr, value, want)


def tagged_values(elements: list[Element], attr: str, value: str, want: str) -> list[str]:
    """The ``want`` attribute of each of ``elements`` (in order) whose ``attr`` is ``value``, where it has one."""
    return [v for el in elements if el.get(attr) == value and (v := el.get(want)) is not None]


def text_without(el: Element, skip: Callable[[Element], bool]) -> str:
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
