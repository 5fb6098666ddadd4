"""`scrapy crawl`, with bad arguments as one clear line and a failed start as a non-zero exit.

Scrapy lets a project's COMMANDS_MODULE replace a built-in command; this one adds
checks before and after the stock ``crawl`` and otherwise behaves the same.
Arguments are checked before Scrapy starts logging, so a bad one prints one line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.settings import BaseSettings
from scrapy.spiderloader import get_spider_loader

from archiver.errors import ArchiverError
from archiver.middlewares import check_refresh
from archiver.progress import RECAPS, crawl_summary
from archiver.store import check_archive_path
from archiver.workers import read_processes

EXIT_USAGE = 2
EXIT_NOTHING_FETCHED = 1
EXIT_STORE_FAILED = 1


class Command(ScrapyCrawlCommand):
    """Run a spider; exit 2 on a bad argument, 1 when no start URL could be fetched or the archive cannot be written."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if len(args) != 1:
            return  # the stock command reports the usage error
        assert self.settings is not None
        try:
            check_archive_path(self.settings.get("ARCHIVE_DB", "recaps.db"))
            read_processes(self.settings)
            spidercls = get_spider_loader(self.settings).load(args[0])
            check = getattr(spidercls, "check_arguments", None)
            if check is not None:
                check(**opts.spargs)
            # The re-crawl middleware serves every spider of the project: its argument is checked here.
            check_refresh(opts.spargs.get("refresh"))
        except ArchiverError as exc:
            print(f"scrapy crawl {args[0]}: error: {exc}", file=sys.stderr)
            sys.exit(EXIT_USAGE)
        except KeyError:
            return  # unknown spider: the stock command says so

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)
            return
        assert self.crawler_process and self.settings is not None
        archive = self.settings.get("ARCHIVE_DB", "recaps.db")
        existed = Path(archive).exists()
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        stats = crawler.stats.get_stats() if crawler.stats else {}
        if not summary_on_terminal(self.settings):
            discarded = not existed and not stats.get(RECAPS)
            print(crawl_summary(stats, stats.get("finish_reason", "finished"), stats.get("elapsed_time_seconds"),
                                archive, discarded), file=sys.stderr)
        if stats.get("archiver/store/stopped"):
            print(f"scrapy crawl {args[0]}: error: stopped after {stats['archiver/store/stopped']} store errors in a row: "
                  "the archive cannot be written (locked or disk full?); the recaps not saved are listed in its "
                  "failures table and fetched first by the next crawl", file=sys.stderr)
            self.exitcode = EXIT_STORE_FAILED
            return
        if stats.get("archiver/errors/start_url") and not stats.get("archiver/pages/parsed"):
            print(f"scrapy crawl {args[0]}: error: no start URL could be fetched (see the log above)", file=sys.stderr)
            self.exitcode = EXIT_NOTHING_FETCHED


def summary_on_terminal(settings: BaseSettings) -> bool:
    """True when the log, shown on the terminal at INFO or below, already carries the crawl's summary."""
    if not settings.getbool("LOG_ENABLED", True) or settings.get("LOG_FILE"):
        return False
    level = settings.get("LOG_LEVEL", "INFO")
    number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
    return isinstance(number, int) and number <= logging.INFO
