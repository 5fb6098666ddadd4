"""Plain text from HTML fragments, with whitespace normalised and all characters kept."""

from __future__ import annotations

import re
from collections.abc import Callable

import lxml.html
from lxml import etree

# Elements whose content starts a new paragraph in the plain text.
BLOCK_TAGS = frozenset(
    "address article aside blockquote dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tr ul".split()
)
# Elements whose content is never text a reader sees.
SKIP_TAGS = frozenset("script style noscript template button form input select textarea svg".split())

# libxml2 cuts text nodes at 10 MB unless told otherwise; a 10 MB comment must come through whole.
HTML_PARSER = lxml.html.HTMLParser(huge_tree=True)

_SPACES = re.compile(r"[^\S\n\u00a0]+|\u00a0")  # any run of whitespace except newlines; nbsp too
_ZERO_WIDTH_AROUND_NL = re.compile(r"[ \t]*\n[ \t]*")
_MANY_NL = re.compile(r"\n{3,}")


def normalise_space(text: str | None) -> str:
    """Collapse runs of spaces and tabs to one space, trim each line, keep paragraph breaks.

    Returns "" for None. Emoji, non-Latin and right-to-left text pass through untouched.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Line by line, as _SPACES then _ZERO_WIDTH_AROUND_NL over the whole text would do (neither crosses a
    # newline), skipping the regex for lines with nothing to fold: a printable line holds no whitespace but the
    # ASCII space. Each line loses the spaces at both ends; those of the first and last line go at the final strip.
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line.isprintable() or "  " in line:
            line = _SPACES.sub(" ", line)
        lines[i] = line.strip(" ")
    text = "\n".join(lines)
    if "\n\n\n" in text:
        text = _MANY_NL.sub("\n\n", text)
    return text.strip()


def normalise_line(text: str | None) -> str:
    """Collapse all whitespace, newlines included, to single spaces (for names and titles)."""
    return " ".join((text or "").split())


def html_to_text(html: str | None) -> str:
    """Render an HTML fragment as plain text.

    Block elements become paragraphs separated by a blank line, ``<br>`` a line break;
    scripts, styles and form controls are dropped. Returns "" for empty input.
    """
    if not html or not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div", parser=HTML_PARSER)
    except (etree.ParserError, ValueError):
        return normalise_space(html)
    parts: list[str] = []
    _walk(root, parts, False)
    return normalise_space("".join(parts))


_SOURCE_WS = re.compile(r"\s+")


def _flow(text: str | None, pre: bool) -> str:
    # Line breaks in HTML source are just spaces; only <br>, blocks and <pre> break lines.
    if not text:
        return ""
    if pre or (text.isprintable() and "  " not in text):
        # Printable text holds no whitespace but the ASCII space (str.isprintable), so there is nothing to fold.
        return text
    return _SOURCE_WS.sub(" ", text)


def _walk(
    top: etree._Element, parts: list[str], pre: bool, skip: Callable[[etree._Element], bool] | None = None
) -> None:
    # With ``skip`` (element_to_text): subtrees it names are left out (their tails stay), and an element
    # whose serialised form might not parse back the same ends the walk (_NotRoundTrip).
    # An explicit stack, not recursion: a comment can nest thousands of elements deep.
    # Entries: (element, pre of its context, None) to enter it; (element, pre of its context, block) to leave it.
    stack: list[tuple[etree._Element, bool, bool | None]] = [(top, pre, None)]
    while stack:
        el, pre, leaving = stack.pop()
        if leaving is not None:
            if leaving:
                parts.append("\n\n")
            parts.append(_flow(el.tail, pre))
            continue
        tag = el.tag if isinstance(el.tag, str) else ""
        if skip is not None and tag:
            if skip(el):
                parts.append(_flow(el.tail, pre))
                continue
            if tag not in _ROUND_TRIP_TAGS or (tag in _ITEM_PARENTS and el.getparent().tag not in _ITEM_PARENTS[tag]):
                raise _NotRoundTrip
        if tag in SKIP_TAGS:
            parts.append(_flow(el.tail, pre))
            continue
        block = tag in BLOCK_TAGS
        if block:
            parts.append("\n\n")
        if tag == "br":
            parts.append("\n")
        elif tag == "img" and _is_smiley(el):
            # WordPress's convert_smilies() turns ":)" and emoji into <img class="wp-smiley" alt="🙂">.
            parts.append(el.get("alt") or "")
        inner_pre = pre or tag == "pre"
        if isinstance(el.tag, str):
            parts.append(_flow(el.text, inner_pre))
        stack.append((el, pre, block))
        stack.extend((child, inner_pre, None) for child in reversed(el))


def _is_smiley(el: etree._Element) -> bool:
    classes = (el.get("class") or "").split()
    return "wp-smiley" in classes or "emoji" in classes


# Elements whose serialised HTML parses back into the same tree (and so the same text) wherever they are:
# the markup comments are made of. Anything else (tables, <pre>, forms, head elements, embedded documents)
# makes element_to_text give up, and the caller goes through html_to_text on the serialised fragment.
_ROUND_TRIP_TAGS = frozenset(
    "a abbr b big blockquote br center cite code dd del dfn div dl dt em font h1 h2 h3 h4 h5 h6 hr i img ins "
    "kbd li mark ol p q s samp small span strike strong sub sup tt u ul var".split()
)
# List items re-nest when they are not where they belong.
_ITEM_PARENTS = {"li": ("ul", "ol"), "dd": ("dl",), "dt": ("dl",)}


class _NotRoundTrip(Exception):
    pass


def element_to_text(container: etree._Element, skip: Callable[[etree._Element], bool]) -> str | None:
    """``html_to_text`` of the children of ``container`` with ``skip`` subtrees left out, without serialising.

    Gives the same string as ``html_to_text`` of that inner HTML (as ``_inner_html`` in
    archiver.pages.wordpress writes it), or None when the subtree holds an element for which that is not
    certain (see ``_ROUND_TRIP_TAGS``); the caller then takes the HTML path.
    """
    parts: list[str] = [_flow(container.text, False)]
    try:
        for child in container:
            _walk(child, parts, False, skip)
    except _NotRoundTrip:
        return None
    return normalise_space("".join(parts))
