"""The Datasette plugin (entry point ``datasette``): metadata for any archive, thread and series pages.

* ``get_metadata``: the archive's titles, column descriptions, facets and canned queries
  (archiver.web.metadata.metadata) for every database that is an archive, whatever its name.
* ``/<db>/-/thread/<recap id>``: a recap's comments as a nested thread; ``/<db>/-/series/<series id>``:
  a series' episodes, a chart of comments per episode and its most-voted comments.
* ``/<db>/-/search?q=``: comments and recaps matching what a reader typed, each hit linked to its place.
* ``render_cell``: recap titles and series names link to those pages; search snippets are highlighted;
  long texts are cut short in table views (archiver.datasette_reader).

Archived HTML is shown only through archiver.sanitize; everything else is escaped by Jinja.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

from archiver.archive import query
from archiver.archive.files import connect_read_only, is_archive
from archiver.archive.localtime import common_offset, local_time, shown_offset
from archiver.archive.sqlite import sqlite3
from archiver.archive.thread_text import comment_marks, votes_text
from archiver.sanitize import highlight, safe_html, safe_url
from archiver.web import reader
from archiver.web.chart import bar_chart
from archiver.web.facets import YearFacet
from archiver.web.metadata import SNIPPET_MARK, metadata

TEMPLATES = Path(__file__).with_name("templates")
_ARCHIVE_PATHS: dict[str, bool] = {}


def _is_archive_file(path: str | None) -> bool:
    """True when the SQLite file at ``path`` is a recap archive (checked once per path)."""
    if not path:
        return False
    if path not in _ARCHIVE_PATHS:
        try:
            conn = connect_read_only(path)
            try:
                _ARCHIVE_PATHS[path] = is_archive(conn)
            finally:
                conn.close()
        except sqlite3.Error:
            _ARCHIVE_PATHS[path] = False
    return _ARCHIVE_PATHS[path]


def archive_names(datasette: Any) -> list[str]:
    """Names of the attached databases that are recap archives."""
    return [name for name, db in datasette.databases.items() if not db.is_memory and _is_archive_file(db.path)]


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict[str, Any]:
    """The archive metadata for every attached archive; nothing when none is attached."""
    names = archive_names(datasette)
    if not names:
        return {}
    meta = metadata(names[0])
    for name in names[1:]:
        meta["databases"].update(metadata(name)["databases"])
    return meta


@hookimpl
def register_facet_classes() -> list[type]:
    """The ``year`` facet the metadata configures on recaps and comments."""
    return [YearFacet]


@hookimpl
def prepare_jinja2_environment(env: Environment, datasette: Any) -> None:
    """Let Datasette find this package's templates (named ``recap_archiver_*.html``)."""
    loader = ChoiceLoader([env.loader, FileSystemLoader(str(TEMPLATES))])  # type: ignore[list-item]
    env.loader = reader.SqlExampleLoader(loader)


@hookimpl
def extra_template_vars(template: str, database: str | None, datasette: Any) -> dict[str, Any]:
    """On an archive's database page, a SQL example that means something."""
    if template == "database.html" and database in archive_names(datasette):
        return {"recap_archiver_sql": reader.SQL_EXAMPLE}
    return {}


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    """``fts_words(q)``: what a reader typed, quoted word by word for FTS5 ``match`` (the search canned query)."""
    conn.create_function("fts_words", 1, lambda q: query.escape_fts(q or ""), deterministic=True)


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Note each request's path, so ``render_cell`` knows a table view (cut long texts) from a row page."""

    def wrap(app: Any) -> Any:
        async def with_path(scope: dict[str, Any], receive: Any, send: Any) -> None:
            token = reader.request_path.set(scope.get("path", "") if scope.get("type") == "http" else "")
            try:
                await app(scope, receive, send)
            finally:
                reader.request_path.reset(token)

        return with_path

    return wrap


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    """The thread and series pages."""
    return [
        (r"^/(?P<database>[^/]+)/-/thread/(?P<recap_id>\d+)$", thread_page),
        (r"^/(?P<database>[^/]+)/-/series/(?P<series_id>\d+)$", series_page),
        (r"^/(?P<database>[^/]+)/-/search$", search_page),
    ]


def thread_path(datasette: Any, database: str, recap_id: Any) -> str:
    """The thread page's path for a recap."""
    return f"{datasette.urls.database(database)}/-/thread/{recap_id}"


def series_path(datasette: Any, database: str, series_id: Any) -> str:
    """The series page's path."""
    return f"{datasette.urls.database(database)}/-/series/{series_id}"


def _link(href: str, text: Any) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Markup | None:
    """Link recap titles to thread pages, series names to series pages and search hits to their comment;
    highlight search snippets; cut long texts in table views."""
    if database not in archive_names(datasette) or value is None:
        return None
    keys = row.keys()
    if column == "title" and table == "recaps" and "id" in keys:
        return _link(thread_path(datasette, database, row["id"]), value)
    if column == "name" and table == "series" and "id" in keys:
        return _link(series_path(datasette, database, row["id"]), value)
    if column == "title" and "recap_id" in keys:
        return _link(thread_path(datasette, database, row["recap_id"]), value)
    if column == "series_name" and "series_id" in keys:
        return _link(series_path(datasette, database, row["series_id"]), value)
    if column == "snippet" and table is None:
        return highlight(str(value), SNIPPET_MARK)
    if column == "id" and table is None and "recap_id" in keys and "snippet" in keys:
        return _link(comment_path(datasette, database, row["recap_id"], value), value)
    if table is not None and not reader.is_row_page(reader.request_path.get(), datasette.setting("base_url")):
        return reader.short_cell(value)
    return None


def comment_path(datasette: Any, database: str, recap_id: Any, comment_id: Any) -> str:
    """The thread page's path showing one comment: its page of the thread, scrolled to it."""
    return f"{thread_path(datasette, database, recap_id)}?comment={comment_id}#c{comment_id}"


async def _archive(datasette: Any, request: Any, tables: list[str]) -> Any:
    """The archive named in the URL, once the actor may see it and ``tables``. Raises NotFound."""
    name = request.url_vars["database"]
    if name not in archive_names(datasette):
        raise NotFound(f"no recap archive named {name!r}")
    await datasette.ensure_permissions(
        request.actor, [*(("view-table", (name, t)) for t in tables), ("view-database", name), "view-instance"]
    )
    return datasette.get_database(name)


async def _render(datasette: Any, request: Any, template: str, context: dict[str, Any]) -> Response:
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html)


def comment_view(comment: dict[str, Any], site_offset: Any = None) -> dict[str, Any]:
    """A thread row ready for the template: sanitised body, safe author link, marks, votes, the site's time."""
    offset = shown_offset(comment["posted_at"], comment["posted_at_raw"]) or site_offset
    return {
        **comment,
        "body": safe_html(comment["body_html"], comment["body_text"]),
        "author_href": safe_url(comment["author_url"]),
        "marks": comment_marks(comment),
        "votes": votes_text(comment),
        "time": local_time(comment["posted_at"], offset),
    }


def _int_arg(request: Any, name: str, default: int, highest: int = 1_000_000) -> int:
    value = request.args.get(name, "")
    return min(max(int(value), 1), highest) if value.isdigit() else default


async def thread_page(datasette: Any, request: Any) -> Response:
    """One recap's comments as a readable nested thread."""
    db = await _archive(datasette, request, ["recaps", "comments"])
    recap_id = int(request.url_vars["recap_id"])
    try:
        recap, comments = await db.execute_fn(
            lambda conn: (query.find_recap(conn, recap_id), query.thread(conn, recap_id))
        )
    except query.NotFoundError as exc:
        raise NotFound(str(exc)) from exc
    size = _int_arg(request, "size", reader.THREAD_PAGE_SIZE, 5000)
    page = _int_arg(request, "page", 1)
    if request.args.get("comment", "").isdigit():
        page = reader.page_with_comment(comments, int(request.args["comment"]), size)
    shown, pages = reader.thread_page_of(comments, page, size)
    page = min(page, pages)
    site_offset = common_offset((c["posted_at"], c["posted_at_raw"]) for c in comments)
    here = thread_path(datasette, db.name, recap_id)
    link = lambda n: f"{here}?page={n}" + (f"&size={size}" if size != reader.THREAD_PAGE_SIZE else "")  # noqa: E731
    context = {
        "database": db.name,
        "recap": recap,
        "recap_href": safe_url(recap["url"]),
        "series_href": series_path(datasette, db.name, recap["series_id"]) if recap["series_id"] else None,
        "comments": [comment_view(c, site_offset) for c in shown],
        "published": local_time(recap["published_at"], site_offset),
        "page": page,
        "pages": pages,
        "page_links": [(n, link(n)) for n in range(1, pages + 1)],
        "previous_href": link(page - 1) if page > 1 else None,
        "next_href": link(page + 1) if page < pages else None,
        "top_level": len(reader.top_level_groups(comments)),
        "db_path": datasette.urls.database(db.name),
    }
    return await _render(datasette, request, "recap_archiver_thread.html", context)


async def series_page(datasette: Any, request: Any) -> Response:
    """A series' episodes in order with comment counts, a chart of them, and its most-voted comments."""
    db = await _archive(datasette, request, ["series", "recaps", "comments"])
    series_id = int(request.url_vars["series_id"])

    def load(conn: sqlite3.Connection) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        return (
            query.find_series(conn, series_id),
            query.series_episodes(conn, series_id),
            query.top_comments(conn, series_id),
        )

    try:
        series, episodes, top = await db.execute_fn(load)
    except query.NotFoundError as exc:
        raise NotFound(str(exc)) from exc
    for episode in episodes:
        episode["thread_href"] = thread_path(datasette, db.name, episode["recap_id"])
    for comment in top:
        comment["thread_href"] = thread_path(datasette, db.name, comment["recap_id"]) + f"#c{comment['id']}"
    bars = [(episode_label(e), e["comments_archived"]) for e in episodes]
    context = {
        "database": db.name,
        "series": series,
        "series_href": safe_url(series["url"]),
        "episodes": episodes,
        "top": top,
        "chart": bar_chart(bars, f"Comments per episode of {series['name']}"),
        "db_path": datasette.urls.database(db.name),
    }
    return await _render(datasette, request, "recap_archiver_series.html", context)


def episode_label(episode: dict[str, Any]) -> str:
    """``4``, ``5-6`` or ``?``: an episode's number (range) for a chart label."""
    if episode.get("episode_number") is None:
        return "?"
    end = episode.get("episode_end")
    return f"{episode['episode_number']}-{end}" if end else str(episode["episode_number"])


async def search_page(datasette: Any, request: Any) -> Response:
    """Comments and recaps matching ``q`` as typed (each word quoted for FTS5), each hit linked to its place."""
    db = await _archive(datasette, request, ["recaps", "comments"])
    q = request.args.get("q", "").strip()
    comments: list[dict[str, Any]] = []
    recaps: list[dict[str, Any]] = []
    error = None
    if q:
        limit = 50

        def search(conn: sqlite3.Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            return (
                query.search_comments(conn, q, limit, mark=reader.SEARCH_MARKS),
                query.search_recaps(conn, q, 10, mark=reader.SEARCH_MARKS),
            )

        try:
            comments, recaps = await db.execute_fn(search)
        except query.SearchError as exc:
            error = str(exc)
    for hit in comments:
        hit["href"] = comment_path(datasette, db.name, hit["recap_id"], hit["id"])
        hit["thread_href"] = thread_path(datasette, db.name, hit["recap_id"])
        hit["snippet_html"] = reader.highlight_marks(hit["snippet"])
        hit["time"] = local_time(hit["posted_at"], None)
    for hit in recaps:
        hit["href"] = thread_path(datasette, db.name, hit["id"])
        hit["snippet_html"] = reader.highlight_marks(hit["snippet"])
    context = {
        "database": db.name,
        "q": q,
        "comments": comments,
        "recaps": recaps,
        "error": error,
        "db_path": datasette.urls.database(db.name),
    }
    return await _render(datasette, request, "recap_archiver_search.html", context)
