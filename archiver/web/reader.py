"""What the Datasette plugin adds for readers: search, long threads in pages, short cells, a useful SQL example.

Pure helpers and the ``/<db>/-/search`` page; archiver.datasette_plugin wires them to Datasette's hooks.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from jinja2 import BaseLoader, Environment, TemplateNotFound
from markupsafe import Markup, escape

# Top-level comments (each with its replies) per thread page.
THREAD_PAGE_SIZE = 200
# Characters of a text cell shown in a table view; the row page shows it whole.
CELL_CHARS = 200
# Marks around matches in search snippets: private-use characters no archived text is expected to hold.
SEARCH_MARKS = ("\ue000", "\ue001")
# The example in the database page's SQL box.
SQL_EXAMPLE = (
    "select recaps.title, recaps.published_at, count(comments.id) as comments\n"
    "from recaps left join comments on comments.recap_id = recaps.id\n"
    "group by recaps.id\norder by recaps.published_at desc\nlimit 20"
)

# The path of the request being answered (set by the plugin's ASGI wrapper), so a cell knows its page.
request_path: contextvars.ContextVar[str] = contextvars.ContextVar("recap_archiver_request_path", default="")


def is_row_page(path: str, base_url: str = "/") -> bool:
    """True when ``path`` is a row page (``/db/table/pk``), where cells are shown whole."""
    parts = [p for p in path[len(base_url.rstrip("/")) :].split("/") if p]
    return len(parts) >= 3 and parts[1] != "-"


def short_cell(value: Any, chars: int = CELL_CHARS) -> Markup | None:
    """A text longer than ``chars`` cut to them with an ellipsis (escaped), else None (Datasette's own display)."""
    if not isinstance(value, str) or len(value) <= chars:
        return None
    return Markup('<span title="cut to {} of {} characters; the row page shows it all">{}…</span>').format(
        chars, len(value), value[:chars].rstrip()
    )


def top_level_groups(comments: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Thread-ordered comments grouped by top-level comment: each group a top-level comment and its replies."""
    groups: list[list[dict[str, Any]]] = []
    for comment in comments:
        if (comment.get("depth") or 1) <= 1 or not groups:
            groups.append([])
        groups[-1].append(comment)
    return groups


def thread_page_of(
    comments: list[dict[str, Any]], page: int, size: int = THREAD_PAGE_SIZE
) -> tuple[list[dict[str, Any]], int]:
    """The comments on page ``page`` (1-based) of ``size`` top-level threads, and the number of pages (at least 1)."""
    groups = top_level_groups(comments)
    pages = max(1, -(-len(groups) // size))
    page = min(max(page, 1), pages)
    return [c for group in groups[(page - 1) * size : page * size] for c in group], pages


def page_with_comment(comments: list[dict[str, Any]], comment_id: int, size: int = THREAD_PAGE_SIZE) -> int:
    """The page (1-based) of ``size`` top-level threads that holds ``comment_id``; 1 when it is not there."""
    for index, group in enumerate(top_level_groups(comments)):
        if any(c["id"] == comment_id for c in group):
            return index // size + 1
    return 1


def highlight_marks(snippet: str | None) -> Markup:
    """A snippet made with :data:`SEARCH_MARKS`, escaped, its matches in ``<mark>``."""
    out = escape(snippet or "")
    return Markup(out.replace(SEARCH_MARKS[0], Markup("<mark>")).replace(SEARCH_MARKS[1], Markup("</mark>")))


# Datasette's database page opens its SQL box on ``select * from <first table>``; an archive gets SQL_EXAMPLE.
_SQL_BOX = "{% if tables %}select * from {{ tables[0].name|escape_sqlite }}"
_SQL_BOX_ARCHIVE = "{% if recap_archiver_sql %}{{ recap_archiver_sql }}{% elif tables %}select * from {{ tables[0].name|escape_sqlite }}"


class SqlExampleLoader(BaseLoader):
    """Loads ``database.html`` through ``loader`` with the SQL box reading ``recap_archiver_sql`` when set.

    Other templates, and a ``database.html`` without the expected text, pass through unchanged.
    """

    def __init__(self, loader: BaseLoader) -> None:
        self.loader = loader

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.loader.get_source(environment, template)
        if template in ("database.html", "default:database.html") and _SQL_BOX in source:
            source = source.replace(_SQL_BOX, _SQL_BOX_ARCHIVE, 1)
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        try:
            return self.loader.list_templates()
        except TypeError:
            raise TemplateNotFound("list_templates") from None
