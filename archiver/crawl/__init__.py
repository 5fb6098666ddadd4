"""Scrapy components of a crawl: downloader and spider middlewares, the page store, the frontier journal,
worker processes, the crawl session, progress, scope and the `scrapy` commands."""
