"""`scrapy crawl`, with bad arguments as one clear line and a failed start as a non-zero exit.

Scrapy lets a project's COMMANDS_MODULE replace a built-in command; this one adds
checks before and after the stock ``crawl`` and otherwise behaves the same.
Arguments are checked before Scrapy starts logging, so a bad one prints one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.spiderloader import get_spider_loader

from archiver.crawl.run import EXIT_USAGE, check_crawl, failure, print_summary
from archiver.errors import ArchiverError


class Command(ScrapyCrawlCommand):
    """Run a spider; exit 2 on a bad argument, 1 when no start URL could be fetched or the archive cannot be written."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if len(args) != 1:
            return  # the stock command reports the usage error
        assert self.settings is not None
        try:
            check_crawl(self.settings, get_spider_loader(self.settings).load(args[0]), opts.spargs)
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
        print_summary(self.settings, stats, archive, existed)
        status, message = failure(stats)
        if message:
            print(f"scrapy crawl {args[0]}: error: {message}", file=sys.stderr)
            self.exitcode = status
