"""WordPress core comment lists (``wp_list_comments``: html5, xhtml and ``div`` styles, nested replies).

A mixin of :class:`archiver.pages.wordpress.PostPage`: one walk over the page's comment area finds every comment
with its parent and reads its author, date, body and the votes of the Comments Like Dislike or wpDiscuz widget.
Pingbacks and trackbacks are skipped; a comment element without any id is skipped too, its replies keeping the
nearest enclosing comment with an id as their parent.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache

from lxml import etree

from archiver.items import CommentItem
from archiver.pages.markup import (
    COMMENT_EL_CLASSES,
    COMMENT_EL_ID,
    COMMENT_EL_TAGS,
    COMMENT_FURNITURE_IDS,
    ELEMENTS,
    NO_CLASSES,
    PING_CLASSES,
    WIDGET_CLASSES,
    WIDGET_IDS,
    Element,
    Marked,
    class_set,
    class_tokens,
    comment_id_of,
    effective_skip,
    inner_html,
    is_comment_furniture,
    is_comment_furniture_no_text,
    may_hold_furniture_text,
    string_value,
    strip_edge_breaks,
    text_of,
    text_without,
    wpdiscuz_vote,
)
from archiver.text import element_to_text, html_to_text

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_SAYS = re.compile(r"\s*says:?\s*$", re.I)
_EDIT = re.compile(r"\s*\(?\bEdit\)?\s*$")

_CONTENT_CLASSES = frozenset(
    ("comment-content", "comment-text", "comment-entry", "wpd-comment-text", "wp-block-comment-content")
)
_FN_CLASSES = frozenset(("fn", "wp-block-comment-author-name"))
_META_CLASSES = frozenset(("comment-metadata", "commentmetadata"))
_DATE_CLASSES = frozenset(("comment-date", "wpd-comment-date"))
# A comment's own elements _comment looks at (besides <time>): the rest need not be kept.
_OWN_INTERESTING = (
    _FN_CLASSES
    | _META_CLASSES
    | _DATE_CLASSES
    | _CONTENT_CLASSES
    | {"comment-author", "comment-body", "cld-like-count-wrap", "cld-dislike-count-wrap", "wpd-vote-result"}
)
_ClassTests = tuple[frozenset[str], bool, bool, bool, bool]
"""A class attribute's tokens, and whether they make an element a comment (with the right tag), end the collecting
of a comment's own elements (replies, the reply form), are of interest to a comment, make it a widget."""


def _class_tests(value: str) -> _ClassTests:
    cls = class_set(value)
    return (
        cls,
        not COMMENT_EL_CLASSES.isdisjoint(cls),
        "children" in cls or "comment-respond" in cls,
        not _OWN_INTERESTING.isdisjoint(cls),
        not WIDGET_CLASSES.isdisjoint(cls),
    )


@lru_cache(maxsize=4096)
def _may_be_vote(cls: frozenset[str]) -> bool:
    """Whether an element with these classes can be a wpDiscuz vote node (see wpdiscuz_vote), once per class set."""
    return "wpd-vote-result" in cls or any(c.startswith("wpd-vote-result-") for c in cls)


_NO_CLASS_TESTS = (NO_CLASSES, False, False, False, False)

# Comment lists and comment navigations are found from the page index (HtmlPage._index), with these class tokens.
_COMMENT_LIST_CLASSES = frozenset("comment-list commentlist wp-block-comment-template".split())
_COMMENT_NAV_CLASSES = frozenset(
    "comments-pagination comment-navigation comments-navigation comment-nav comments-nav "
    "wp-block-comments-pagination navigation".split()
)


def _list_and_nav_tests(value: str | None) -> tuple[bool, bool, bool]:
    """What a class attribute ``value`` says: a comment list's class, the ``comments`` class (a list on an
    ``<ol>``), a comment navigation's class."""
    cls = class_set(value) if value else NO_CLASSES
    return not _COMMENT_LIST_CLASSES.isdisjoint(cls), "comments" in cls, not _COMMENT_NAV_CLASSES.isdisjoint(cls)


def lists_and_navs(marked: list[Marked]) -> tuple[list[Element], list[Element]]:
    """The ``wp_list_comments`` lists and the comment navigations among ``marked``, in document order (widgets
    included): one pass, each distinct class attribute tested once."""
    lists: list[Element] = []
    navs: list[Element] = []
    tests: dict[str | None, tuple[bool, bool, bool]] = {}
    for el, value, ident in marked:
        known = tests.get(value)
        if known is None:
            known = tests[value] = _list_and_nav_tests(value)
        list_class, comments_class, nav_class = known
        if list_class or ident == "comments-list" or (comments_class and el.tag == "ol"):
            lists.append(el)
        if nav_class or (ident is not None and ident.startswith("comment-nav-")):
            navs.append(el)
    return lists, navs


class CommentListReader:
    """The comments of a post page; the page supplies ``_comment_area``, ``comment_page()``, ``_abs`` and ``unreadable``."""

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
        widget_ids, furniture_ids, comment_tags = WIDGET_IDS, COMMENT_FURNITURE_IDS, COMMENT_EL_TAGS
        # What the walk asks of a class attribute, answered once per distinct attribute of the page (a thread
        # repeats a few dozen of them over thousands of elements).
        tests: dict[str, _ClassTests] = {}
        for area in self._comment_area:
            # (parent id, owners collecting own elements as (comment id, list), still in the main walk)
            states: list[tuple[str | None, tuple, bool]] = [(None, no_owners, True)]
            push, drop = states.append, states.pop
            # Elements only: HTML comments (WordPress ends every comment with one) can hold nothing of interest.
            walker = etree.iterwalk(area, events=("start", "end"), tag=ELEMENTS)
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
                if value:
                    known = tests.get(value)
                    if known is None:
                        known = tests[value] = _class_tests(value)
                else:
                    known = _NO_CLASS_TESTS
                cls, comment_class, ends_owners, interesting, widget = known
                is_comment = tag in comment_tags and (comment_class or bool(COMMENT_EL_ID.match(ident or "")))
                cid = comment_id_of(el) if is_comment else None
                if owners:
                    if ends_owners or ident in furniture_ids:
                        owners = no_owners
                    else:
                        if is_comment:
                            owners = tuple(o for o in owners if o[0] == cid)
                        if owners and (interesting or tag == "time"):
                            for o in owners:
                                o[1].append((el, cls))
                if live and (widget or tag == "aside" or ident in widget_ids or ident in furniture_ids):
                    live = False
                child_parent = parent
                if live and is_comment:
                    if cid is not None and cid == parent and "comment" not in cls:
                        pass  # a wrapper inside the comment's own element (twentyten's li#li-comment-N > div#comment-N)
                    elif cid is None:
                        pass  # undamaged replies still get the nearest enclosing comment with an id
                    else:
                        if PING_CLASSES.isdisjoint(cls):
                            nodes: list[tuple[Element, frozenset[str]]] = []
                            found.append((el, cid, parent, nodes))
                            owners = (*owners, (cid, nodes))
                        child_parent = cid
                push((child_parent, owners, live))
                if not (live or owners):
                    walker.skip_subtree()
        # Every comment's text is a piece of its area's text: when no area's text can hold the furniture text
        # ("Your comment is awaiting moderation"), no comment needs the per-element text test.
        quiet = not any(may_hold_furniture_text(string_value(area)) for area in self._comment_area)
        items: list[CommentItem] = []
        for el, cid, parent, nodes in found:
            try:
                items.append(self._comment(el, cid, parent, page, nodes, quiet))
            except (RecursionError, ValueError, TypeError, AttributeError) as exc:
                # One broken comment must not lose the thread; it is counted, and the thread is not whole.
                self.unreadable.append(f"{cid}: {type(exc).__name__}")
        return items

    def _comment(
        self,
        el: Element,
        cid: str,
        parent: str | None,
        page: int,
        nodes: list[tuple[Element, frozenset[str]]],
        quiet: bool = False,
    ) -> CommentItem:
        """One comment; ``quiet`` when its text is known to hold no furniture text (see effective_skip)."""
        fn = meta = time_el = content = body = author_box = None
        votes: dict[str, str] = {}  # up, down, score: the first each widget shows
        date_title = None
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
            if "cld-like-count-wrap" in cls:
                votes.setdefault("up", text_of(node))
            elif "cld-dislike-count-wrap" in cls:
                votes.setdefault("down", text_of(node))
            elif _may_be_vote(cls) and (vote := wpdiscuz_vote(node, cls)) is not None:
                votes.setdefault(*vote)

        author = _SAYS.sub("", text_of(fn)) if fn is not None else ""
        if not author and author_box is not None:
            author = _SAYS.sub("", text_of(author_box))
        author_url = None
        if fn is not None:
            link = next((a for a in fn.iter("a") if a.get("href")), None)
            if link is not None:
                author_url = self._abs(link.get("href"))

        machine = time_el.get("datetime") if time_el is not None and time_el.get("datetime") else date_title
        raw = text_of(time_el) if time_el is not None else ""
        if not raw and meta is not None:
            raw = _EDIT.sub(
                "", text_without(meta, lambda n: bool(class_tokens(n) & {"edit-link", "comment-edit-link"}))
            )
        if not raw and date_title is not None:
            raw = date_title

        container = content if content is not None else body if body is not None else el
        skip = is_comment_furniture_no_text if quiet else effective_skip(container, is_comment_furniture)
        body_html = strip_edge_breaks(inner_html(container, skip))
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
            upvotes_raw=votes.get("up"),
            downvotes_raw=votes.get("down"),
            score_raw=votes.get("score"),
            page=page,
        )
