"""`recap-archiver` commands for crawling past one machine: scheduling sites on Scrapyd nodes, merging archives.

Registered on the `recap-archiver` group by archiver.cli; thin skins over archiver.crawl.nodes and
archiver.archive.merge.
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
        history = sum(added.get(t, 0) for t in ("comment_versions", "recap_versions", "vote_changes"))
        echo_safe(
            f"{counts.source}: {plural(added.get('comments'), 'comment')} added, {updated.get('comments', 0)} updated; "
            f"{plural(added.get('recaps'), 'recap')}, {plural(added.get('crawls'), 'crawl')}, "
            f"{plural(history, 'history row')} and {plural(added.get('pages'), 'page')} added"
        )
    click.echo(f"Archive: {merged}. Next: recap-archiver stats {merged}")


class BadScheduleArgument(click.ClickException):
    """A sites file or ``--scrapyd`` value that cannot be used: one line naming it, exit 2."""

    exit_code = 2


@click.command("schedule")
@click.option("--config", required=True, type=click.Path(dir_okay=False), help="The sites file (TOML).")
@click.option("--scrapyd", "nodes", multiple=True, required=True, metavar="URL", help="A Scrapyd node; repeat it.")
@click.option("--site", "only", multiple=True, metavar="NAME", help="Only this site of the file; repeat it.")
@click.option("--status", is_flag=True, help="Show each site's last job (node, job, state, start, end) instead.")
@click.option(
    "--archive-dir",
    metavar="DIR",
    help="Folder of the archives on the nodes; each site is crawled into DIR/<site>.db "
    "[default: the folder of the site's archive in the sites file].",
)
@click.option("--egg", type=click.Path(exists=True, dir_okay=False), help="Deploy this egg instead of building one.")
def schedule_command(
    config: str, nodes: tuple[str, ...], only: tuple[str, ...], status: bool, archive_dir: str | None, egg: str | None
) -> None:
    """Deploy the project to Scrapyd nodes and schedule one crawl per site of a sites file, spread over them.

    Sites go to the nodes in file order, round robin, each into an archive of its own on its node; the job id names
    the site. With --status, print each site's last job instead. Fetch the archives back and `recap-archiver merge`
    them (docs/scrapyd.md).

    Example: recap-archiver schedule --config sites.toml --scrapyd http://node-a:6800 --scrapyd http://node-b:6800
    """
    import tempfile
    from pathlib import Path

    from archiver.crawl import nodes as scrapyd
    from archiver.crawl.sites import load_sites

    try:
        sites = load_sites(config, only).sites
        urls = [scrapyd.node_url(n) for n in nodes]
    except ArchiverError as exc:  # a sites file's errors name the file, the entry and the key
        raise BadScheduleArgument(str(exc)) from exc
    try:
        if status:
            rows = [("site", "node", "job", "state", "start", "end")]
            rows += [(j.site, j.node, j.job, j.state, j.start, j.end) for j in scrapyd.last_jobs(sites, urls)]
            widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
            for row in rows:
                click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
            return
        scrapyd.check_nodes(urls)
        version = scrapyd.new_version()
        with tempfile.TemporaryDirectory(prefix="recap-archiver-egg-") as tmp:
            built = Path(egg) if egg else scrapyd.build_egg(Path(tmp) / f"{scrapyd.PROJECT_NAME}-{version}.egg")
            scrapyd.deploy(urls, built, version)
        click.echo(f"Deployed {scrapyd.PROJECT_NAME} version {version} to {plural(len(urls), 'node')}.")
        assignments = scrapyd.plan(sites, urls, archive_dir)
        scrapyd.schedule(assignments, version)
    except ArchiverError as exc:
        raise click.ClickException(str(exc)) from exc
    for a in assignments:
        click.echo(f"{a.site.name} -> {scrapyd.shown(a.node)}  job {a.job}  archive {a.archive}")
    again = " ".join(f"--scrapyd {scrapyd.shown(u)}" for u in urls)
    click.echo(f"Next: recap-archiver schedule --config {config} {again} --status")
