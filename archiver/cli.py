"""`recap-archiver`: the command line, a thin skin over library functions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

import click

from archiver.archive.schema import schema_markdown
from archiver.archive.sqlite import sqlite3
from archiver.archive.summary import archive_summary, format_summary
from archiver.errors import ArchiverError, NotAnArchiveError
from archiver.sanitize import terminal_text
from archiver.web.metadata import metadata_json
from archiver.wording import plural

# The demo crawls only the local demo site, so it may lift the politeness limits for it.
LOCAL_CRAWL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}


# Matches are marked with two private-use characters, turned into bold or brackets once the text is made safe.
_SEARCH_MARKS = ("\ue000", "\ue001")


class NotAnArchive(click.ClickException):
    """A file that is not a recap archive: one line, exit 2 (a usage error)."""

    exit_code = 2


def require_archive(path: str) -> None:
    """Stop with one line unless ``path`` is a recap archive: exit 2 for another file, 1 for no file."""
    from archiver.archive.files import open_read_only

    try:
        open_read_only(path).close()
    except NotAnArchiveError as exc:
        raise NotAnArchive(str(exc)) from exc
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc


def echo_safe(text: str, nl: bool = True) -> None:
    """Print ``text`` (archived, so written by strangers) without the control characters a terminal obeys."""
    click.echo(terminal_text(text), nl=nl)


@click.group()
@click.version_option(package_name="recap-archiver")
def cli() -> None:
    """Archive TV and drama recap sites and their comment threads into SQLite."""


def _site_options(command):  # type: ignore[no-untyped-def]
    """Add one option per demo SiteOptions field, so the CLI never drifts from the model."""
    from archiver.demo.model import CHOICES, SiteOptions

    for f in reversed(fields(SiteOptions)):
        kind = click.Choice(CHOICES[f.name]) if f.name in CHOICES else type(f.default)
        command = click.option(
            "--" + f.name.replace("_", "-"), f.name, default=f.default, show_default=True, type=kind
        )(command)
    return command


@cli.command("demo-site")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback only).")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port; 0 picks a free one."
)
@click.option(
    "--truth", type=click.Path(dir_okay=False, writable=True), help="Write the site's ground truth JSON here."
)
@_site_options
def demo_site(host: str, port: int, truth: str | None, **options: object) -> None:
    """Serve the bundled demo recap site on 127.0.0.1 until interrupted.

    Example: recap-archiver demo-site --port 8000 --truth truth.json --comments 600 --depth 5
    """
    from archiver.demo.model import SiteOptions
    from archiver.demo.server import serve_forever

    if host not in ("127.0.0.1", "localhost", "::1"):
        raise click.BadParameter("the demo site listens on loopback only", param_hint="--host")
    try:
        site_options = SiteOptions(**options)  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    serve_forever(site_options, host=host, port=port, truth_path=truth)


@cli.command()
@click.option(
    "--db", "db_path", default="demo.db", show_default=True, type=click.Path(dir_okay=False), help="Archive to write."
)
@click.option("--keep", is_flag=True, help="Keep the existing archive instead of starting afresh.")
@click.option("--force", is_flag=True, help="Start afresh even when the --db file is not a demo archive.")
def demo(db_path: str, keep: bool, force: bool) -> None:
    """Serve the demo site, crawl it with `recap-archiver crawl`, print a summary.

    An existing --db file is replaced only when it is a demo archive (or with --force).

    Example: recap-archiver demo --db demo.db
    """
    from archiver.archive.files import is_demo_archive
    from archiver.archive.store import check_archive_path
    from archiver.demo.model import SITE_NAME

    try:
        check_archive_path(db_path)
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc
    if not keep and Path(db_path).exists() and not force and not is_demo_archive(db_path, SITE_NAME):
        raise click.ClickException(f"{db_path!r} exists and is not a demo archive; use --force to replace it")
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(db_path + suffix).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        truth_path = Path(tmp) / "truth.json"
        site = subprocess.Popen(
            [sys.executable, "-m", "archiver.demo", "--port", "0", "--truth", str(truth_path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            line = site.stdout.readline() if site.stdout else ""
            if "http://" not in line:
                raise click.ClickException("the demo site did not start")
            base_url = line.strip().split()[-1]
            click.echo(f"Demo site serving at {base_url}")
            started = time.monotonic()
            # The crawl runs in its own process (Twisted's reactor starts once per process), from this folder.
            command = ["recap-archiver", "crawl", base_url, "--db", os.path.abspath(db_path)]
            for name, value in LOCAL_CRAWL_SETTINGS.items():
                command += ["-s", f"{name}={value}"]
            click.echo("$ " + " ".join(command))
            crawl = subprocess.run(
                [sys.executable, "-m", "archiver.cli", *command[1:]], stderr=subprocess.PIPE, text=True
            )
            elapsed = time.monotonic() - started
            if crawl.returncode != 0:
                sys.stderr.write(crawl.stderr[-3000:])
                raise click.ClickException(f"the crawl failed (exit {crawl.returncode})")
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
        finally:
            site.terminate()
            site.wait(timeout=10)
    summary = archive_summary(db_path)
    click.echo(format_summary(summary, elapsed))
    expected = sum(len(r["comments"]) for r in truth["recaps"])
    click.echo(f"The demo site has {len(truth['recaps'])} recaps and {expected} comments.")
    click.echo(
        f"\nOpen the archive in Datasette (thread and series pages, search, canned queries):\n"
        f"  .venv/bin/recap-archiver serve {db_path}      # then open http://127.0.0.1:8001/\n"
        f"  .venv/bin/datasette {db_path}                 # the same, with Datasette's own options\n"
        f"or in the terminal:\n"
        f"  .venv/bin/recap-archiver thread {db_path} 1\n"
        f"  sqlite3 {db_path} 'select preview from comment_threads limit 20'"
    )


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """``NAME=VALUE`` options as a dict; a value without ``=`` is a usage error naming ``option``."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint=option)
        out[name] = rest
    return out


@cli.command("crawl")
@click.argument("urls", nargs=-1)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="Archive to write (created at the first recap saved, updated in place).  [default: recaps.db]",
)
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    help="A sites file (TOML) naming every site to crawl, instead of URLS: see docs/many-sites.md.",
)
@click.option("--site", "only", multiple=True, metavar="NAME", help="With --config: crawl only this site (repeatable).")
@click.option(
    "-a",
    "spider_args",
    multiple=True,
    metavar="NAME=VALUE",
    help="A spider argument, as `scrapy crawl recaps -a` (platform=, profile=, refresh=).",
)
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting, as `scrapy crawl -s`.")
def crawl_command(
    urls: tuple[str, ...],
    db_path: str | None,
    config: str | None,
    only: tuple[str, ...],
    spider_args: tuple[str, ...],
    settings: tuple[str, ...],
) -> None:
    """Crawl URLS (site home pages, tag or category archives, single recaps) into an archive, in this process.

    The same spider, arguments and settings as `scrapy crawl recaps -a url=URL,URL -s ARCHIVE_DB=FILE`, from any
    folder. With --config, every site of a sites file (or those named with --site), in one process, with one summary.

    Example: recap-archiver crawl https://recaps.example/ --db recaps.db

    Example: recap-archiver crawl --config sites.toml --site soundtrack
    """
    from archiver.crawl.multisite import crawl_config
    from archiver.crawl.run import EXIT_USAGE, crawl

    args, overrides = _pairs(spider_args, "-a"), _pairs(settings, "-s")
    try:
        if config is not None or only or not urls:
            result = crawl_config(config, only, urls, db_path, args, overrides)
        else:
            result = crawl({**args, "url": ",".join(urls)}, {**overrides, "ARCHIVE_DB": db_path or "recaps.db"})
    except ArchiverError as exc:
        click.echo(f"recap-archiver crawl: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if result.message:
        click.echo(f"recap-archiver crawl: error: {result.message}", err=True)
    sys.exit(result.status)


@cli.command("metadata")
@click.argument("archive", type=click.Path(dir_okay=False))
def metadata_command(archive: str) -> None:
    """Print Datasette metadata (titles, column descriptions, canned queries) for ARCHIVE.

    Example: recap-archiver metadata recaps.db > metadata.json && datasette recaps.db -m metadata.json
    """
    if Path(archive).exists():
        require_archive(archive)
    click.echo(metadata_json(Path(archive).stem), nl=False)


@cli.command("reparse")
@click.argument("archive", type=click.Path(dir_okay=False))
def reparse_command(archive: str) -> None:
    """Rebuild ARCHIVE's recaps and comments from its stored pages, without the network.

    Run it after upgrading recap-archiver, so that better extraction reaches
    everything already archived; differences are kept as history.

    Example: recap-archiver reparse recaps.db
    """
    from archiver.crawl.reparse import reparse

    require_archive(archive)
    try:
        stats = reparse(archive)
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Re-parsed {plural(stats.get('archiver/recaps/saved'), 'recap')} and "
        f"{plural(stats.get('archiver/comments/saved'), 'comment')} from stored pages "
        f"({plural(stats.get('httpcache/ignore'), 'page')} not stored skipped)."
    )


@cli.command("export-warc")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace OUT if it exists (never the archive itself).")
def export_warc_command(archive: str, out: str, force: bool) -> None:
    """Write every response stored in ARCHIVE to OUT as gzipped WARC records.

    Example: recap-archiver export-warc recaps.db recaps.warc.gz
    """
    from archiver.archive.warc import export_warc

    require_archive(archive)
    try:
        count = export_warc(archive, out, force)
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {plural(count, 'response record')} to {out}")


@cli.command("import-warc")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.argument("warcs", nargs=-1, required=True, type=click.Path(dir_okay=False))
def import_warc_command(archive: str, warcs: tuple[str, ...]) -> None:
    """Import WARC files (response and revisit records) into ARCHIVE as raw pages, then rebuild recaps and
    threads from them. Importing the same records again adds nothing.

    Example: recap-archiver import-warc recaps.db site-2019.warc.gz site-2020.warc.gz
    """
    from archiver.sources.warc_import import import_warc_files

    try:
        result, stats = import_warc_files(archive, list(warcs))
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Read {result.records} records: {result.pages_new} new pages stored, {result.skipped_type} "
        f"skipped (not HTML or JSON), {result.revisits_unresolved} revisits unresolved."
    )
    if stats:
        click.echo(
            f"Rebuilt {stats.get('archiver/recaps/saved', 0)} recaps and "
            f"{stats.get('archiver/comments/saved', 0)} comments "
            f"({stats.get('archiver/threads/incomplete', 0)} incomplete threads)."
        )
    else:
        click.echo("Nothing new: the archive is unchanged.")


@contextmanager
def _archive(path: str) -> Iterator[sqlite3.Connection]:
    """The archive at ``path`` opened for reading; library errors become one-line ClickExceptions."""
    from archiver.archive.files import open_read_only

    require_archive(path)
    try:
        conn = open_read_only(path)
        try:
            yield conn
        finally:
            conn.close()
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("stats")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--top", default=5, show_default=True, type=click.IntRange(1), help="How many busiest recaps and crawls.")
def stats_command(archive: str, top: int) -> None:
    """Print what ARCHIVE holds: sites, series, recaps, comments, deepest thread, busiest recaps, last crawls, and
    each site's health (does its last crawl read it as earlier crawls did?).

    Example: recap-archiver stats recaps.db
    """
    from archiver.archive.summary import archive_stats, format_stats

    require_archive(archive)
    try:
        echo_safe(format_stats(archive_stats(archive, top)))
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("thread")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.argument("recap")
@click.option("--width", default=100, show_default=True, type=click.IntRange(40), help="Wrap text at this width.")
def thread_command(archive: str, recap: str, width: int) -> None:
    """Print the comment thread of RECAP (any of its URLs, or its archive id) as indented text.

    Example: recap-archiver thread recaps.db https://recaps.example/2021/12/23/soundtrack-1-episode-4/
    """
    from archiver.archive.query import find_recap, thread
    from archiver.archive.thread_text import format_thread

    with _archive(archive) as conn:
        found = find_recap(conn, recap)
        echo_safe(format_thread(found, thread(conn, found["id"]), width), nl=False)


@cli.command("export")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one recap a line, its thread nested under `comments` and `replies`; csv: one comment a row.",
)
@click.option("--series", help="Only this series (its name or archive id).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
@click.option("--force", is_flag=True, help="Replace the --output file if it exists (never the archive itself).")
def export_command(archive: str, fmt: str, series: str | None, output: str | None, force: bool) -> None:
    """Export ARCHIVE's recaps and comments as JSON lines or CSV.

    Example: recap-archiver export recaps.db --format jsonl --series "Soundtrack #1" -o soundtrack.jsonl
    """
    from archiver.archive.export import export_csv, export_jsonl
    from archiver.archive.files import check_output, safe_output

    write = export_jsonl if fmt == "jsonl" else export_csv
    require_archive(archive)
    try:
        if output is not None and output != "-":
            check_output(output, (archive,), force)
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc
    with _archive(archive) as conn:
        if output is None or output == "-":
            count = write(conn, sys.stdout, series)
        else:
            with safe_output(output, (archive,), force, newline="" if fmt == "csv" else None) as fh:
                count = write(conn, fh, series)
    click.echo(f"Exported {plural(count, 'recap' if fmt == 'jsonl' else 'comment')}.", err=True)


@cli.command("search")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="Most results to show.")
@click.option("--raw", is_flag=True, help='Read QUERY as FTS5 syntax (AND, OR, NEAR, "phrases", prefix*).')
def search_command(archive: str, query: str, limit: int, raw: bool) -> None:
    """Search ARCHIVE's comments (full text), best matches first, with snippets.

    Example: recap-archiver search recaps.db "flower shop"
    """
    from archiver.archive.query import search_comments

    with _archive(archive) as conn:
        found = search_comments(conn, query, limit, raw, mark=_SEARCH_MARKS)
    start, end = ("\x1b[1m", "\x1b[0m") if sys.stdout.isatty() else ("[", "]")
    for hit in found:
        echo_safe(
            f"{hit['recap_title']} · {hit['author'] or '(anonymous)'} · {(hit['posted_at'] or '')[:10]} · comment {hit['id']}"
        )
        snippet = terminal_text(hit["snippet"] or "").replace(_SEARCH_MARKS[0], start).replace(_SEARCH_MARKS[1], end)
        click.echo(f"    {snippet}")
    if not found:
        click.echo("No comments match.", err=True)


@cli.command("serve")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1.")
@click.option("--open", "open_browser", is_flag=True, help="Open a browser at the archive.")
def serve_command(archive: str, port: int, open_browser: bool) -> None:
    """Explore ARCHIVE in Datasette on 127.0.0.1: thread and series pages, canned queries, search.

    Example: recap-archiver serve recaps.db --port 8001
    """
    from archiver.web.metadata import serve_argv

    require_archive(archive)
    if port and not port_free(port):
        raise click.ClickException(f"port {port} on 127.0.0.1 is in use; choose another with --port")
    argv = serve_argv(archive, port, open_browser)
    click.echo(f"Serving {archive} at http://127.0.0.1:{port}/ (Ctrl-C stops)", err=True)
    sys.stderr.flush()
    os.execv(argv[0], argv)


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host``:``port`` and it can be bound."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


@cli.command("schema")
def schema_command() -> None:
    """Print the archive's tables and columns as Markdown (the generated part of docs/schema.md).

    Example: recap-archiver schema
    """
    click.echo(schema_markdown(), nl=False)


# Crawling past one machine (Scrapyd nodes, merging their archives) has a module of its own.
from archiver.cli_nodes import merge_command, schedule_command  # noqa: E402

cli.add_command(merge_command)
cli.add_command(schedule_command)

if __name__ == "__main__":
    cli()
