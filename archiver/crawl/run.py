"""Run the `recaps` spider in this process: what `recap-archiver crawl` and `recap-archiver reparse` call.

The same checks and exit statuses as `scrapy crawl recaps` (archiver.crawl.commands.crawl): a bad argument is one
line (:class:`ArchiverError`), no start URL fetched or an archive that cannot be written is exit status 1, a site
that looks broken (the health report) exit status 3.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings, Settings

from archiver.archive.store import check_archive_path
from archiver.clean import set_clock
from archiver.crawl.progress import RECAPS, crawl_summary
from archiver.crawl.refresh import check_refresh
from archiver.crawl.workers import read_processes
from archiver.errors import ArchiverError
from archiver.wording import plural

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NOTHING_FETCHED = 1
EXIT_STORE_FAILED = 1
EXIT_BROKEN = 3
"""A site looks broken (the health report, archiver.crawl.health): the crawl ran, but what it read does not look
like what earlier crawls read; cron mails it. A store failure or nothing fetched (1) wins over it."""


def project_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """archiver.settings, with ``overrides`` at command-line priority (as ``-s NAME=VALUE``)."""
    settings = Settings()
    settings.setmodule("archiver.settings", priority="project")
    settings.setdict(dict(overrides or {}), priority="cmdline")
    return settings


def check_crawl(settings: Settings, spidercls: type, spider_args: Mapping[str, Any]) -> None:
    """Raise ArchiverError naming the first bad argument or setting of a crawl, before anything starts."""
    check_archive_path(settings.get("ARCHIVE_DB", "recaps.db"))
    read_processes(settings)
    check = getattr(spidercls, "check_arguments", None)
    if check is not None:
        check(**spider_args)
    # The re-crawl middleware serves every spider of the project: its argument is checked here.
    check_refresh(spider_args.get("refresh"))
    # The crawl's clock (tests and the freshness bench simulate days): set here, before anything reads it.
    set_clock(settings.get("ARCHIVER_NOW"))


def summary_on_terminal(settings: BaseSettings) -> bool:
    """True when the log, shown on the terminal at INFO or below, already carries the crawl's summary."""
    if not settings.getbool("LOG_ENABLED", True) or settings.get("LOG_FILE"):
        return False
    level = settings.get("LOG_LEVEL", "INFO")
    number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
    return isinstance(number, int) and number <= logging.INFO


def print_summary(settings: BaseSettings, stats: Mapping[str, Any], archive: str, existed: bool) -> None:
    """Print the crawl's summary to stderr when the log did not already show it (``-L WARNING``, a log file)."""
    if not summary_on_terminal(settings):
        discarded = not existed and not stats.get(RECAPS)
        print(
            crawl_summary(
                dict(stats),
                stats.get("finish_reason", "finished"),
                stats.get("elapsed_time_seconds"),
                archive,
                discarded,
            ),
            file=sys.stderr,
        )


def failure(stats: Mapping[str, Any]) -> tuple[int, str | None]:
    """The exit status a finished crawl's stats call for, and the one line that says why (None when it succeeded)."""
    if stats.get("archiver/store/stopped"):
        return EXIT_STORE_FAILED, (
            f"stopped after {stats['archiver/store/stopped']} store errors in a row: the archive cannot be written "
            "(locked or disk full?); the recaps not saved are listed in its failures table and fetched first by the "
            "next crawl"
        )
    if stats.get("archiver/errors/start_url") and not stats.get("archiver/pages/parsed"):
        return EXIT_NOTHING_FETCHED, "no start URL could be fetched (see the log above)"
    broken = stats.get("archiver/health/broken")
    if broken:
        signs = stats.get("archiver/health/signs") or [""]
        more = f" (and {plural(broken - 1, 'more sign')}, see the summary)" if broken > 1 else ""
        return EXIT_BROKEN, f"{signs[0]}{more}"
    return EXIT_OK, None


def worst_status(*statuses: int) -> int:
    """The exit status of several crawls (a sites-file run): a failure (1, or 2) wins over a site that looks broken
    (3), which wins over success (0)."""
    return max(statuses, key=lambda status: (status != EXIT_OK, status != EXIT_BROKEN, status), default=EXIT_OK)


@dataclass
class CrawlResult:
    """A finished in-process crawl."""

    status: int
    """0, or the exit status `scrapy crawl recaps` would have ended with."""
    message: str | None
    """Why it failed, in one line; None when it succeeded."""
    stats: dict[str, Any] = field(default_factory=dict)
    """The crawl's Scrapy stats (``archiver/...`` among them)."""


def crawl(spider_args: Mapping[str, Any], settings: Mapping[str, Any] | None = None) -> CrawlResult:
    """Crawl with the `recaps` spider in this process; raise ArchiverError on a bad argument (nothing started)."""
    from scrapy.crawler import CrawlerProcess

    from archiver.spiders.recaps import RecapsSpider

    project = project_settings(settings)
    check_crawl(project, RecapsSpider, spider_args)
    archive = project.get("ARCHIVE_DB", "recaps.db")
    existed = Path(archive).exists()
    process = CrawlerProcess(project, install_root_handler=True)
    crawler = process.create_crawler(RecapsSpider)
    process.crawl(crawler, **spider_args)
    process.start()
    if process.bootstrap_failed:
        return CrawlResult(EXIT_NOTHING_FETCHED, "the crawl could not start (see the log above)")
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print_summary(project, stats, archive, existed)
    status, message = failure(stats)
    return CrawlResult(status, message, stats)


__all__ = [
    "EXIT_BROKEN",
    "EXIT_USAGE",
    "ArchiverError",
    "CrawlResult",
    "check_crawl",
    "crawl",
    "failure",
    "project_settings",
    "worst_status",
]
