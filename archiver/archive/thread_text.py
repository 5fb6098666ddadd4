"""A recap's thread as indented plain text, for the terminal (`recap-archiver thread`)."""

from __future__ import annotations

import textwrap
from typing import Any

from archiver.archive.localtime import common_offset, local_time, shown_offset
from archiver.wording import plural

INDENT = "    "


def comment_marks(comment: dict[str, Any]) -> list[str]:
    """Short marks for a comment's state: ``edited`` (earlier texts kept), ``deleted`` (gone), ``parent missing``."""
    marks = []
    if comment.get("versions"):
        marks.append("edited")
    if comment.get("gone_at"):
        marks.append("deleted")
    if comment.get("parent_missing"):
        marks.append("parent missing")
    return marks


def votes_text(comment: dict[str, Any]) -> str:
    """Votes as shown on a comment line: ``12 likes, 3 dislikes``, ``score 5``, or empty when the page showed none."""
    if comment.get("upvotes") is not None or comment.get("downvotes") is not None:
        parts = [plural(comment["upvotes"], "like") if comment.get("upvotes") is not None else ""]
        parts.append(plural(comment["downvotes"], "dislike") if comment.get("downvotes") is not None else "")
        return ", ".join(p for p in parts if p)
    return f"score {comment['score']}" if comment.get("score") is not None else ""


def shown_time(comment: dict[str, Any], site_offset: Any = None) -> str:
    """When a comment was posted, in the site's time with the zone named (``2021-04-23 13:29 UTC+09:00``)."""
    offset = shown_offset(comment.get("posted_at"), comment.get("posted_at_raw")) or site_offset
    shown = local_time(comment.get("posted_at"), offset)
    return f"{shown['local']} {shown['zone']}" if shown else (comment.get("posted_at_raw") or "")


def format_thread(recap: dict[str, Any], comments: list[dict[str, Any]], width: int = 100) -> str:
    """The recap's heading, then every comment indented by depth, wrapped to ``width`` columns."""
    lines = [recap["title"] or recap["url"], recap["url"], plural(len(comments), "comment"), ""]
    site_offset = common_offset((c.get("posted_at"), c.get("posted_at_raw")) for c in comments)
    for comment in comments:
        pad = INDENT * max((comment.get("depth") or 1) - 1, 0)
        head = [comment.get("author") or "(anonymous)", shown_time(comment, site_offset)]
        head += [votes_text(comment)] + [f"[{m}]" for m in comment_marks(comment)]
        lines.append(pad + " · ".join(h for h in head if h))
        body_width = max(width - len(pad) - 2, 20)
        for paragraph in (comment.get("body_text") or "").split("\n\n"):
            wrapped = textwrap.wrap(paragraph, body_width) or [""]
            lines.extend(pad + "  " + w for w in wrapped)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
