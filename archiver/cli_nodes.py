"""`recap-archiver` commands for crawling past one machine: merging archives (and scheduling on Scrapyd nodes).

Registered on the `recap-archiver` group by archiver.cli; a thin skin over archiver.archive.merge.
"""

from __future__ import annotations

import click

from archiver.errors import ArchivePathError, ArchiverError, NotAnArchiveError
from archiver.wording import plural


class BadArchiveArgument(click.ClickException):
    """An archive argument that cannot be used (missing folder, one of the inputs): one line, exit 2."""

    exit_code = 2


@click.command("merge")
@click.argument("merged", type=click.Path(dir_okay=False))
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def merge_command(merged: str, sources: tuple[str, ...]) -> None:
    """Merge the archives SOURCES into MERGED (created if missing), history included.

    Sites, recaps and comments are matched by their URLs and the site's comment ids, never by row ids; edits,
    vote observations, gone comments, crawls, failures and raw pages come along. Sources are only read. Run it
    again with newer copies of the sources: it adds what is new and updates current values, nothing twice.

    Example: recap-archiver merge recaps.db node-a/site-a.db node-b/site-b.db
    """
    from archiver.archive.merge import merge_archives
    from archiver.cli import NotAnArchive, echo_safe

    try:
        merged_counts = merge_archives(merged, list(sources))
    except NotAnArchiveError as exc:
        raise NotAnArchive(str(exc)) from exc
    except ArchivePathError as exc:
        raise BadArchiveArgument(str(exc)) from exc
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc
    for counts in merged_counts:
        added, updated = counts.added, counts.updated
        history = sum(added.get(t, 0) for t in ("comment_versions", "recap_versions", "vote_observations"))
        echo_safe(
            f"{counts.source}: {plural(added.get('comments'), 'comment')} added, {updated.get('comments', 0)} updated; "
            f"{plural(added.get('recaps'), 'recap')}, {plural(added.get('crawls'), 'crawl')}, "
            f"{plural(history, 'history row')} and {plural(added.get('pages'), 'page')} added"
        )
    click.echo(f"Archive: {merged}. Next: recap-archiver stats {merged}")
