"""JSON and JavaScript data in pages and answers, read without trusting their shape or their size.

* :func:`assigned_object` finds ``name = {...};`` in a script in time linear in the script (a lazy
  ``\\{.*?\\};`` regex retried at every ``name`` is quadratic on a page that repeats it).
* :func:`load_json` turns every way JSON can be unreadable (bad syntax, nesting too deep for the parser)
  into one ValueError; :func:`json_object`, :func:`text_field` and :func:`object_field` read fields of
  the expected type, so a list, number or string where an object belongs reads as missing.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["assigned_object", "json_object", "load_json", "object_field", "text_field"]

_SPACE_RUN = re.compile(r"\s*")


def _ends_line(text: str, pos: int) -> bool:
    """True when only whitespace follows ``pos`` up to a newline or the end (what ``\\s*$`` accepts in MULTILINE)."""
    end = _SPACE_RUN.match(text, pos).end()  # type: ignore[union-attr]
    return end == len(text) or "\n" in text[pos:end]


def assigned_object(script: str, prefix: re.Pattern[str], line_end: bool = False) -> str | None:
    """The ``{...}`` that ``prefix`` (a pattern ending in ``\\{``) starts, up to the first ``};`` after it.

    Exactly what ``prefix`` + ``.*?\\});`` (re.S) finds; with ``line_end``, the ``};`` must end its line, as
    with ``\\});\\s*$`` (re.M). None when there is no such object.
    """
    m = prefix.search(script)
    if m is None:
        return None
    start = m.end() - 1  # the "{"
    # Any later occurrence of the prefix could only end at a "};" found here, so the first occurrence decides.
    pos = start + 1
    while True:
        close = script.find("};", pos)
        if close < 0:
            return None
        if not line_end or _ends_line(script, close + 2):
            return script[start : close + 1]
        pos = close + 1


def load_json(text: str | bytes) -> Any:
    """The JSON value of ``text``; ValueError when it is not JSON or nests deeper than the parser can go."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def json_object(text: str | bytes) -> dict[str, Any]:
    """The JSON object ``text`` holds; ValueError when it is unreadable or not an object."""
    value = load_json(text)
    if not isinstance(value, dict):
        raise ValueError(f"JSON {type(value).__name__} where an object was expected")
    return value


def object_field(data: Any, name: str) -> dict[str, Any]:
    """``data[name]`` when ``data`` is an object and that field is one too; else an empty dict."""
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def text_field(data: Any, name: str) -> str | None:
    """``data[name]`` as text when it is a string or a number (not a bool); else None (missing, null, object...)."""
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return str(value)
