"""Rebuild recaps and comments from the pages stored in an archive, without the network.

The crawl runs as usual, but Scrapy's HTTP cache answers every request from the
archive's ``pages`` (``DummyPolicy``) and a page that was never stored is skipped
(``HTTPCACHE_IGNORE_MISSING``): nothing is fetched. Improved extraction then
reaches every archived recap; what it reads differently is recorded as history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess

from archiver.archive.files import has_table, open_read_only
from archiver.crawl.run import project_settings
from archiver.errors import ArchivePathError

REPARSE_SETTINGS: dict[str, Any] = {
    "HTTPCACHE_ENABLED": True,
    "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.DummyPolicy",
    "HTTPCACHE_IGNORE_MISSING": True,
    "ARCHIVE_REPARSE": True,
    # Nothing goes over the network, so there is no one to be polite to.
    "ROBOTSTXT_OBEY": False,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "CONCURRENT_REQUESTS": 8,  # in flight at once, all sites together (as before the default rose for many sites)
    "LOG_LEVEL": "WARNING",
}


def archived_sites(archive: str | Path) -> list[str]:
    """Base URLs of the sites in ``archive``; raises ArchivePathError when it is not an archive."""
    conn = open_read_only(archive)
    try:
        if not has_table(conn, "pages"):
            raise ArchivePathError(f"{str(archive)!r} holds no stored pages to re-parse")
        return [row[0] for row in conn.execute("select base_url from sites order by id")]
    finally:
        conn.close()


def reparse(
    archive: str | Path, extra_settings: dict[str, Any] | None = None, urls: list[str] | None = None
) -> dict[str, Any]:
    """Re-run extraction over ``archive``'s stored pages in this process, from its sites' home pages (or
    ``urls``); return the crawl's stats."""
    sites = archived_sites(archive)
    sites += [url for url in urls or [] if url not in sites]
    settings = project_settings({**REPARSE_SETTINGS, "ARCHIVE_DB": str(archive), **(extra_settings or {})})
    if not sites:
        return {}
    from archiver.spiders.recaps import RecapsSpider

    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(RecapsSpider)
    process.crawl(crawler, url=",".join(sites), refresh="all", reparse="1")
    process.start()
    return crawler.stats.get_stats() if crawler.stats else {}
