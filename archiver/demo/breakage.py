"""Markup that breaks between two crawls (``--break-markup``), for the health report's tests and demos.

A site that changes theme or plugin overnight: ``comments`` renames the comment area's classes and ids so no
reader finds it, ``votes`` drops the vote widgets, ``dates`` prints comment dates in a form nothing parses (and no
machine date), ``platform`` prints the comments with another plugin (WordPress core and wpDiscuz swap, Disqus becomes
core). ``none`` (the default) breaks nothing.
"""

from __future__ import annotations

import re

BREAKS = ("none", "comments", "votes", "dates", "platform")

OTHER_PLATFORM = {"wordpress": "wpdiscuz", "wpdiscuz": "wordpress", "disqus": "wordpress"}
"""The platform ``--break-markup platform`` switches to."""

_ATTRIBUTE = re.compile(r"""(\s(?:class|id)=)(["'])([^"']*)\2""")
_MONTHS = "January February March April May June July August September October November December".split()
_DATE = re.compile(rf"({'|'.join(_MONTHS)}) (\d{{1,2}}),? (\d{{4}})(?:,? (?:at )?(\d{{1,2}}):\d{{2}} ?[ap]m)?")
_TIME = re.compile(r"<time datetime=[\"'][^\"']*[\"']>([^<]*)</time>")


def _renamed(match: re.Match[str]) -> str:
    value = match.group(3)
    for old, new in (("comment", "remark"), ("wpd", "wpx"), ("disqus", "dsq")):
        value = value.replace(old, new)
    return f"{match.group(1)}{match.group(2)}{value}{match.group(2)}"


def _garbled(match: re.Match[str]) -> str:
    month, day, year, hour = match.groups()
    bell = f", bell {hour}" if hour else ""
    return f"day {day} of moon {_MONTHS.index(month) + 1}, year {int(year) % 100}{bell}"


def broken_comment_area(html: str, kind: str) -> str:
    """The comment area's ``html`` as ``--break-markup kind`` breaks it (``votes`` and ``platform`` are broken where
    the widgets and the plugin are printed)."""
    if kind == "comments":
        return _ATTRIBUTE.sub(_renamed, html)
    if kind == "dates":
        return _DATE.sub(_garbled, _TIME.sub(r"\1", html))
    return html
