"""Comment lists as a browser builds them, where the markup leaves that to the HTML5 parsing rules.

WordPress's block themes print comments with the ``core/comment-template`` block. Past the thread
depth it puts a comment's replies straight inside the comment's own ``<li>``, with no ``<ol>``
around them, and closes every ``<li>`` afterwards (``<li a>…<li b>…<li c>…</li></li></li>``).
A browser follows the HTML5 rules for list items: a new ``<li>`` closes the open one, and an
``</li>`` with no open list item in its list is ignored, so the replies show flat beside their
parent. libxml2, which Scrapy parses with, closes the enclosing comment and list instead, and the
rest of the page's comments fall out of the comment list. :func:`repair_comment_lists` applies the
HTML5 list-item rules to the tags of the comment template, so libxml2 builds the tree a browser does.
"""

from __future__ import annotations

import re

__all__ = ["repair_comment_lists"]

_TEMPLATE = re.compile(r"<ol\b[^>]*\bwp-block-comment-template\b")
_LIST_TAG = re.compile(r"<(/?)(ol|ul|li)\b[^>]*>", re.I)


def repair_comment_lists(text: str) -> str | None:
    """``text`` with the block comment templates' list tags nested as HTML5 parsing nests them; None if unchanged.

    Only the tags from each ``ol.wp-block-comment-template`` to its end are touched: an ``<li>`` whose list
    item is still open closes it first, and an ``</li>`` or ``</ol>`` with nothing open to close is dropped.
    Linear in the length of the text.
    """
    out: list[str] = []
    done = 0
    changed = False
    for start in _TEMPLATE.finditer(text):
        if start.start() < done:
            continue  # inside a template already repaired
        out.append(text[done : start.start()])
        stack: list[str] = []
        pos = start.start()
        for m in _LIST_TAG.finditer(text, start.start()):
            out.append(text[pos : m.start()])
            pos = m.end()
            closing, name = m.group(1) == "/", m.group(2).lower()
            if not closing:
                if name == "li" and stack and stack[-1] == "li":
                    out.append("</li>")
                    stack.pop()
                    changed = True
                stack.append(name)
                out.append(m.group(0))
            elif name == "li":
                if stack and stack[-1] == "li":
                    stack.pop()
                    out.append(m.group(0))
                else:
                    changed = True  # no list item open in this list: a browser ignores it
            else:
                if name not in stack:
                    changed = True
                    continue
                while stack and stack[-1] != name:
                    out.append(f"</{stack.pop()}>")
                    changed = True
                stack.pop()
                out.append(m.group(0))
            if not stack:
                break
        done = pos
    if not changed:
        return None
    out.append(text[done:])
    return "".join(out)
