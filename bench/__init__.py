"""``make bench``: the crawl measured side by side with plain Scrapy on a large static export of the demo site.

Modules: ``site`` (build and pre-render the demo site to static files), ``serve`` (nginx, else Twisted's
static ``File``, on 127.0.0.1), ``baseline`` (the bare and naive Scrapy spiders), ``measure`` (CPU seconds
and peak RSS of a child process), ``micro`` (saving, re-parsing, queries, archive size), ``run`` (the table
and ``bench-results.json``). Benchmarks print; they never assert times.
"""
