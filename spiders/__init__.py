"""Scrapy spiders: thin, site-agnostic crawl logic over archiver.pages page objects."""
