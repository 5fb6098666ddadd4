"""Scrapy settings for recap-archiver: polite by default, no open ports.

Every value here can be overridden per crawl with ``-s NAME=VALUE``.
"""

from archiver import __version__

BOT_NAME = "recap-archiver"
SPIDER_MODULES = ["archiver.spiders"]
NEWSPIDER_MODULE = "archiver.spiders"
# Our `crawl` command validates arguments up front and exits non-zero when nothing could be fetched.
COMMANDS_MODULE = "archiver.crawl.commands"

# The archive: a SQLite file, created at the first recap saved.
ARCHIVE_DB = "recaps.db"

# Politeness: an honest User-Agent, robots.txt, one request at a time per site, a delay that adapts.
USER_AGENT = (
    f"recap-archiver/{__version__} (an archiver of recap comment threads; +https://pypi.org/project/recap-archiver/)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
# The per-site limit and the delay keep each site polite; the global cap only bounds a crawl of many sites at
# once (100 sites at one request a second each need 100 in flight), so it is high. The scheduler hands out the
# requests of the sites with the fewest downloads in progress first, so that one site's queue never fills the
# downloader while the others wait (Scrapy's queue for broad crawls; it ignores CONCURRENT_REQUESTS_PER_IP).
CONCURRENT_REQUESTS = 256
# Scrapy handles each callback's output with this many asyncio tasks, started for every response whatever the
# output's length (default 100). A page yields at most one recap and a few dozen requests, which need no
# concurrency: 8 took the crawl's own process from 19-20.5 to 15-16 CPU s at 100k comments.
CONCURRENT_ITEMS = 8
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
DOWNLOAD_DELAY = 1.0
# Exactly the delay, not Scrapy's +-50% jitter: Scrapy draws the jitter again each time it looks at a site's queue
# and waits for the larger draw, so "1 s" averaged 1.22 s between requests (a crawl of 100 sites got 82 pages/s).
DOWNLOAD_DELAY_JITTER = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
# Scrapy's defaults plus 429, which recap sites send when rate-limiting.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# A crawl opens no port.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# Nor talks to anyone but its sites: the crawl needs no cookies, and Scrapy's cookie handling would fetch the
# Public Suffix List from the internet (tldextract) at the first page that sets one.
COOKIES_ENABLED = False

# Store errors in a row (a locked archive past its busy timeout, a full disk) after which the crawl stops, exit 1;
# each recap not saved is listed in `failures` and fetched first by the next crawl.
ARCHIVER_STORE_ERRORS_MAX = 10
# Recaps and pages are written in batches: one transaction per ARCHIVER_BATCH_RECAPS recaps, at most
# ARCHIVER_BATCH_SECONDS old (sooner when nothing is in flight). A crawl killed outright loses its open batch,
# never counted as saved (see archiver/crawl/session.py and docs/crawling.md).
ARCHIVER_BATCH_RECAPS = 20
ARCHIVER_BATCH_SECONDS = 1.0

ITEM_PIPELINES = {
    "archiver.pipelines.clean.CleanPipeline": 100,
    "archiver.pipelines.episodes.EpisodePipeline": 200,
    "archiver.pipelines.threads.ThreadPipeline": 300,
    "archiver.pipelines.store.StorePipeline": 900,
    # Counts what each saved recap showed, for the health report (archiver/crawl/health.py).
    "archiver.pipelines.health.HealthPipeline": 950,
}

# Sites using Disqus: where the comment embed is read from (tests point it at a local stand-in).
DISQUS_EMBED_URL = "https://disqus.com/embed/comments/"

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# The crawl ends with archiver.progress's summary; Scrapy's full stats go to the DEBUG log and `crawls.stats`.
STATS_DUMP = False

# Re-crawls (`-a refresh=due`, the default): skip archived recaps that are not due, schedule those that are.
SPIDER_MIDDLEWARES = {
    "archiver.crawl.refresh.RevisitMiddleware": 600,
    # With -s JOBDIR=...: a journal that lets a killed crawl resume without losing a recap.
    "archiver.crawl.frontier.FrontierJournal": 650,
    # Where each recap and comment came from (live, wayback, warc): archiver/sources/provenance.py.
    "archiver.sources.provenance.ProvenanceMiddleware": 690,
}
# Back-off for quiet threads, in seconds: first interval, longest interval, and how recent a
# newest comment makes a thread busy (due every run).
REVISIT_START = 86_400
REVISIT_MAX = 30 * 86_400
REVISIT_ACTIVE = 7 * 86_400
# Change signals (archiver/crawl/signals.py): a `due` re-crawl first asks the site what changed since its last
# finished crawl (REST comments `after=`, the comments feed, REST posts `modified_after`, the sitemap), that start
# time less ARCHIVER_SIGNALS_MARGIN seconds (clock skew, slow commits). False: the schedule alone decides.
ARCHIVER_SIGNALS = True
ARCHIVER_SIGNALS_MARGIN = 3600
# The crawl's clock (ISO 8601 with offset), for tests and the freshness bench only: they crawl simulated days.
ARCHIVER_NOW = None

# Every response is kept in the archive (tables `pages` and `bodies`) through Scrapy's HTTP cache,
# which also makes re-crawls conditional (If-None-Match / If-Modified-Since) where a site sends
# validators. `-s HTTPCACHE_ENABLED=False` crawls without keeping raw pages.
HTTPCACHE_ENABLED = True
HTTPCACHE_STORAGE = "archiver.crawl.pagestore.ArchivePageStorage"
HTTPCACHE_POLICY = "archiver.crawl.pagestore.ArchivePolicy"
DOWNLOADER_MIDDLEWARES = {
    # First of all (before robots.txt, 100, and Scrapy's offsite filter, 50): every request and every redirect
    # target is checked against the hosts the user named, whatever its dont_filter. See archiver/crawl/scope.py.
    "archiver.crawl.scope.ScopeMiddleware": 40,
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    "archiver.crawl.pagestore.ArchiveCacheMiddleware": 900,
    # Above the retry middleware (550): they see a response before it is retried.
    "archiver.crawl.charset.CharsetMiddleware": 580,
    "archiver.crawl.politeness.PolitenessMiddleware": 570,
    "archiver.crawl.truncation.TruncationMiddleware": 560,
    # Below it: only what failed for good reaches the failures table.
    "archiver.crawl.failures.FailureRecorder": 500,
    # Closest to the downloader: with -a source=wayback, requests are answered from web-archive captures.
    "archiver.sources.replay.WaybackMiddleware": 950,
}
# -a source=wayback: the CDX server listing a site's captures and the replay prefix serving them raw (`id_`).
WAYBACK_CDX_URL = "https://web.archive.org/cdx/search/cdx"
WAYBACK_REPLAY_URL = "https://web.archive.org/web/"
# Redirect chains longer than this are a loop or a trap.
REDIRECT_MAX_TIMES = 5

# Where pages are read: "auto" reads them in worker processes (one per further CPU, at most two) when the crawl is
# CPU-bound (no download delay, no AutoThrottle), else in the crawl's own; a number sets the worker count (0: none).
# See archiver/crawl/workers.py.
ARCHIVER_READ_PROCESSES = "auto"

# Crawl feedback: a progress line every ARCHIVER_PROGRESS_INTERVAL seconds (0: none) and a summary at the end.
# The health report is judged before the progress extension logs the summary (handlers run in this order).
EXTENSIONS = {"archiver.crawl.health.HealthWatch": 400, "archiver.crawl.progress.CrawlProgress": 500}
ARCHIVER_HEALTH = True  # False: no health report (no crawl_sites rows, never exit status 3)
ARCHIVER_PROGRESS_INTERVAL = 10.0

# Bounds: how far one thread is followed whatever its pages claim, and how large a response may be. Reaching one
# is counted (archiver/bounds/...) and leaves the thread archived as incomplete, never an error.
ARCHIVER_MAX_THREAD_STEPS = 2000  # comment pages, load-more, show-replies and Disqus cursor requests per thread
ARCHIVER_MAX_REST_PAGES = 200  # REST pages (100 items each) per thread, and of a site's post list
ARCHIVER_MAX_THREAD_COMMENTS = 100_000  # comments kept per thread
ARCHIVER_MAX_PATH_DEPTH = (
    100  # levels spelled out in `comments.path`; deeper replies keep their true parent_id and depth
)
ARCHIVER_MAX_TEXT_CHARS = 16_000_000  # characters kept per text field (a body's HTML or text)
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024  # bytes of one response, after decompression
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
