"""Where pages come from besides the live site: the Wayback Machine (or any CDX + replay server) and WARC files."""
