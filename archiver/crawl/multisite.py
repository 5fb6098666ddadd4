"""`recap-archiver crawl --config sites.toml`: every site of a sites file in one process, with one summary at the end.

Sites that share everything but their URLs (archive, profile, platform, settings, arguments) are one crawler, one
spider with all their start URLs: Scrapy's per-domain download slots keep each site polite on its own (one request
at a time per site, its own delay) while the sites are fetched side by side. Sites that differ are separate crawlers
in the same reactor. Crawlers writing different archives run at the same time; crawlers sharing an archive run one
after another, because a crawl that archives nothing removes the new archive file it would have created
(archiver.crawl.session), which must not happen under another crawl writing to it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler

from archiver.archive.store import check_archive_path
from archiver.archive.summary import CRAWL_SITE_COUNTS, crawl_counts_by_site
from archiver.crawl.progress import health_lines
from archiver.crawl.run import EXIT_NOTHING_FETCHED, check_crawl, failure, project_settings, worst_status
from archiver.crawl.session import ArchiveSession
from archiver.crawl.sites import Site, SitesFile, SitesFileError, load_sites
from archiver.errors import ArchiverError, ArgumentError
from archiver.profiles import profile_for
from archiver.wording import plural

logger = logging.getLogger(__name__)

__all__ = ["SiteCrawl", "SitesRun", "crawl_config", "crawl_sites", "plan_crawls"]


@dataclass
class SiteCrawl:
    """One crawler of a sites-file run: the sites it covers and the arguments and settings they share."""

    sites: list[Site]
    arguments: dict[str, str]
    """The spider's arguments, ``url`` holding every site's start URLs."""
    settings: dict[str, Any]
    """Its settings at command-line priority, ``ARCHIVE_DB`` among them."""
    crawler: Crawler | None = None
    """Set once it has been started."""
    error: str | None = None
    """Why it could not start, when it could not."""

    @property
    def started(self) -> bool:
        """True once its spider opened (its stats have a start time)."""
        return "start_time" in self.stats()

    @property
    def archive(self) -> str:
        return str(self.settings["ARCHIVE_DB"])

    @property
    def name(self) -> str:
        return ", ".join(site.name for site in self.sites)

    def stats(self) -> dict[str, Any]:
        """Its Scrapy stats ({} when it did not start)."""
        crawler = self.crawler
        return dict(crawler.stats.get_stats()) if crawler is not None and crawler.stats else {}


def plan_crawls(
    sites: Sequence[Site], arguments: Mapping[str, str] | None = None, settings: Mapping[str, Any] | None = None
) -> list[SiteCrawl]:
    """The crawlers that run ``sites``: one per set of sites sharing archive, profile, platform, settings and
    arguments, in the order of their first site. ``arguments`` and ``settings`` (the command line's) apply to all.
    """
    groups: dict[str, SiteCrawl] = {}
    for site in sites:
        args = {**site.spider_arguments(), **(arguments or {})}
        del args["url"]
        # A profile found by domain is one of the things the sites of a crawler must share: the spider picks one
        # profile for all its start URLs.
        found = profile_for(site.urls)
        if "profile" not in args and found is not None:
            args["profile"] = found.name
        crawl_settings = {**site.crawl_settings(), **(settings or {})}
        key = json.dumps([args, crawl_settings], sort_keys=True, default=repr)
        if key in groups:
            groups[key].sites.append(site)
        else:
            groups[key] = SiteCrawl([site], args, crawl_settings)
    crawls = list(groups.values())
    for crawl in crawls:
        urls = list(dict.fromkeys(url for site in crawl.sites for url in site.urls))
        crawl.arguments = {"url": ",".join(urls), **crawl.arguments}
    return crawls


def check_crawls(sites_file: SitesFile, crawls: Sequence[SiteCrawl]) -> None:
    """Raise SitesFileError, naming the file and the first site of the crawl, for anything a crawl would refuse."""
    from archiver.spiders.recaps import RecapsSpider

    jobdirs: dict[str, str] = {}
    for crawl in crawls:
        where = sites_file.where(crawl.sites[0])
        try:
            check_archive_path(crawl.archive)
        except ArchiverError as exc:
            raise SitesFileError(f"{where} archive: {exc}") from exc
        try:
            check_crawl(project_settings(crawl.settings), RecapsSpider, crawl.arguments)
        except ArchiverError as exc:
            raise SitesFileError(f"{where}: {exc}") from exc
        jobdir = crawl.settings.get("JOBDIR")
        if jobdir:
            if str(jobdir) in jobdirs:
                raise SitesFileError(
                    f"{where} settings: JOBDIR {str(jobdir)!r} is also [sites.{jobdirs[str(jobdir)]}]'s; "
                    "each crawler needs its own"
                )
            jobdirs[str(jobdir)] = crawl.sites[0].name


@dataclass
class SitesRun:
    """A finished sites-file run."""

    status: int
    """The worst exit status of its crawlers (0 when all succeeded)."""
    message: str | None
    """Why crawlers failed, naming their sites, in one line (None when all succeeded)."""
    summary: str
    """The end summary: a line per site, then the totals."""
    crawls: list[SiteCrawl] = field(default_factory=list)


def crawl_config(
    config: str | None,
    only: Sequence[str],
    urls: Sequence[str],
    db: str | None,
    arguments: Mapping[str, str],
    settings: Mapping[str, Any],
) -> SitesRun:
    """`recap-archiver crawl --config FILE [--site NAME]...`: load the sites file and crawl its sites.

    Raises ArgumentError for options that do not go with --config (or --site without it), SitesFileError for a
    bad sites file; both before anything is fetched.
    """
    if config is None:
        if only:
            raise ArgumentError("--site: only with --config")
        raise ArgumentError("give the URLS to crawl (recap-archiver crawl https://recaps.example/) or --config FILE")
    if urls:
        raise ArgumentError("give URLS or --config, not both (the sites file names each site's urls)")
    if db is not None:
        raise ArgumentError("--db: not with --config (the sites file names each site's archive)")
    return crawl_sites(load_sites(config, only), arguments, settings)


def crawl_sites(
    sites_file: SitesFile, arguments: Mapping[str, str] | None = None, settings: Mapping[str, Any] | None = None
) -> SitesRun:
    """Crawl every site of ``sites_file`` in this process (see the module docstring for what runs together).

    ``arguments`` and ``settings`` come from the command line and apply to every site. Raises SitesFileError
    (ArchiverError) before anything is fetched when a crawl would refuse its arguments or settings.
    """
    from scrapy.crawler import CrawlerProcess
    from twisted.internet.defer import Deferred, DeferredList, succeed
    from twisted.python.failure import Failure

    from archiver.spiders.recaps import RecapsSpider

    if arguments and "url" in arguments:
        raise SitesFileError("argument url: not with --config (the sites file names each site's urls)")
    if settings and "ARCHIVE_DB" in settings:
        raise SitesFileError("setting ARCHIVE_DB: not with --config (the sites file names each site's archive)")
    crawls = plan_crawls(sites_file.sites, arguments, settings)
    check_crawls(sites_file, crawls)
    existed = {crawl.archive: Path(crawl.archive).exists() for crawl in crawls}
    process = CrawlerProcess(project_settings(settings))

    stopped = False  # a stop signal came: start no further crawler

    def failed(error: Failure, crawl: SiteCrawl) -> None:
        nonlocal stopped
        # Ctrl-C before the reactor runs (Scrapy's own handler is not installed yet) is a KeyboardInterrupt here.
        stopped = stopped or error.check(KeyboardInterrupt) is not None
        crawl.error = error.getErrorMessage() or error.type.__name__
        logger.error("%s: the crawl could not start: %s", crawl.name, error.getTraceback())

    def start(previous: object, crawl: SiteCrawl) -> Deferred[Any] | None:
        nonlocal stopped
        if isinstance(previous, Failure):  # starting the crawler before failed (not its crawl: see failed())
            logger.error("%s", previous.getTraceback())
        stopped = stopped or any(c.stats().get("finish_reason") == "shutdown" for c in crawls)
        if stopped:
            return None
        crawler = process.create_crawler(RecapsSpider)
        crawler.settings.setdict(crawl.settings, priority="cmdline")
        crawl.crawler = crawler
        logger.info("Crawling %s into %s", crawl.name, crawl.archive)
        return process.crawl(crawler, **crawl.arguments).addErrback(failed, crawl)

    chains: dict[str, Deferred[Any]] = {}
    for crawl in crawls:
        # Crawlers of one archive one after another (see the module docstring), archives side by side.
        chain = chains.get(crawl.archive, succeed(None))
        chains[crawl.archive] = chain.addBoth(start, crawl)

    def stop_reactor(_: object) -> None:
        from twisted.internet import reactor

        # Already stopping after Ctrl-C or SIGTERM (Scrapy stops it then): nothing to do.
        with contextlib.suppress(RuntimeError):
            reactor.stop()

    everything = DeferredList(list(chains.values()), consumeErrors=True)
    if not everything.called and not stopped:
        everything.addBoth(stop_reactor)
        process.start(stop_after_crawl=False)
    status, messages = 0, []
    for crawl in crawls:
        if crawl.error is not None:
            crawl_status, message = EXIT_NOTHING_FETCHED, f"the crawl could not start: {crawl.error}"
        elif not crawl.started:
            crawl_status, message = EXIT_NOTHING_FETCHED, "not crawled: the run was stopped before it started"
        else:
            crawl_status, message = failure(crawl.stats())
        status = worst_status(status, crawl_status)
        if message:
            # Every site of the crawler: a sign of the health report may be any one's.
            messages.append("[" + ", ".join(f"sites.{site.name}" for site in crawl.sites) + f"]: {message}")
    summary = sites_summary(crawls, existed)
    print(summary, file=sys.stderr)
    return SitesRun(status, "; ".join(messages) or None, summary, crawls)


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower().removeprefix("www.")


def site_lines(crawl: SiteCrawl) -> list[tuple[str, dict[str, int]]]:
    """What ``crawl`` saved, per site (sites sharing a host are one line): names and counts, from its archive."""
    groups: list[tuple[list[str], set[str]]] = []
    for site in crawl.sites:
        hosts = {_host(url) for url in site.urls}
        joined = [g for g in groups if g[1] & hosts]
        for g in joined:
            groups.remove(g)
        groups.append(([n for g in joined for n in g[0]] + [site.name], hosts.union(*(g[1] for g in joined))))
    lines = [(names, dict.fromkeys(CRAWL_SITE_COUNTS, 0)) for names, _ in groups]
    crawl_id = ArchiveSession.of(crawl.crawler).crawl_id if crawl.crawler is not None else None
    if crawl_id is not None and Path(crawl.archive).is_file():
        for base_url, counts in crawl_counts_by_site(crawl.archive, crawl_id).items():
            index = next((i for i, (_, hosts) in enumerate(groups) if _host(base_url) in hosts), None)
            if index is None:  # a host none of the sites names (a redirect's): a line of its own
                lines.append(([_host(base_url)], dict.fromkeys(CRAWL_SITE_COUNTS, 0)))
                index = len(lines) - 1
            for key in CRAWL_SITE_COUNTS:
                lines[index][1][key] += counts[key]
    return [(" + ".join(names), counts) for names, counts in lines]


def _counts_text(counts: Mapping[str, int]) -> str:
    return (
        f"{plural(counts['recaps'], 'recap')} ({counts['recaps_new']} new, {counts['recaps_changed']} changed), "
        f"{plural(counts['comments'], 'comment')} ({counts['comments_new']} new), "
        f"{plural(counts['threads_incomplete'], 'incomplete thread')}"
    )


def sites_summary(crawls: Sequence[SiteCrawl], existed: Mapping[str, bool]) -> str:
    """The end summary of a sites-file run: a line per site (what it saved, its archive), the totals, and the health
    report's signs (archiver.crawl.health) of every crawler."""
    lines = ["Sites:"]
    totals = dict.fromkeys(CRAWL_SITE_COUNTS, 0)
    archives = set()
    for crawl in crawls:
        kept = Path(crawl.archive).is_file()
        if not crawl.started:
            where = f"not crawled; {crawl.archive}"
        elif not kept and not existed.get(crawl.archive):
            where = f"nothing archived; {crawl.archive} not written"
        else:
            where = crawl.archive
            archives.add(crawl.archive)
        reason = crawl.stats().get("finish_reason")
        ended = f" ({reason})" if reason not in (None, "finished") else ""
        for name, counts in site_lines(crawl):
            lines.append(f"  {name}: {_counts_text(counts)}{ended} -> {where}")
            for key in CRAWL_SITE_COUNTS:
                totals[key] += counts[key]
    sites = sum(len(crawl.sites) for crawl in crawls)
    lines.append(
        f"Total: {plural(sites, 'site')} in {plural(len(crawls), 'crawler')}: {_counts_text(totals)}; "
        f"{plural(len(archives), 'archive')} written"
    )
    return "\n".join(lines) + health_lines(*(crawl.stats() for crawl in crawls))
