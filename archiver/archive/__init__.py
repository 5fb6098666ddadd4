"""The archive: its SQLite schema, saving, read queries, exports and summaries. Nothing here imports Scrapy."""
