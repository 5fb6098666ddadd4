"""Make archived HTML safe to show: nothing a commenter wrote may run in a reader's browser."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup, escape

# Inline and block text markup comments use; no images, forms, frames, scripts or styles.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "del", "em", "i", "ins", "li", "ol", "p", "pre",
    "q", "s", "small", "span", "strike", "strong", "sub", "sup", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "q": {"cite"}, "blockquote": {"cite"}}


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, else None (no ``javascript:`` or ``data:`` links)."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


# An href whose value is a mailto: address, quoted or not (each quantifier bounded by a character class it stops at).
_MAILTO_HREF = re.compile(r"""\shref\s*=\s*(?:"\s*mailto:[^"]*"|'\s*mailto:[^']*'|mailto:[^\s>]*)""", re.I)
# C0 controls but tab and newline, DEL and the C1 controls: what a terminal may read as a command.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def drop_mailto_links(html: str | None) -> str | None:
    """``html`` with every ``href="mailto:..."`` attribute removed (in any letter case); None stays None."""
    return _MAILTO_HREF.sub("", html) if html and "mailto" in html.lower() else html


def terminal_text(text: str) -> str:
    """``text`` without control characters (ESC, BEL, other C0 but tab and newline, DEL, C1) for a terminal."""
    return _CONTROLS.sub("", text)


def text_html(text: str | None) -> Markup:
    """Plain text as escaped HTML paragraphs (blank lines separate paragraphs)."""
    paragraphs = [p for p in (text or "").split("\n\n") if p.strip()]
    return Markup("").join(Markup("<p>{}</p>").format(p) for p in paragraphs)


def safe_html(html: str | None, text: str | None = None) -> Markup:
    """Archived ``html`` cleaned with nh3 to harmless text markup; the escaped ``text`` when there is no HTML."""
    if not html:
        return text_html(text)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(cleaned)


def highlight(snippet: str | None, mark: tuple[str, str]) -> Markup:
    """Escape ``snippet`` and turn the text between ``mark`` pairs into ``<mark>`` elements."""
    out = escape(snippet or "")
    start, end = escape(mark[0]), escape(mark[1])
    return Markup(out.replace(start, Markup("<mark>")).replace(end, Markup("</mark>")))
