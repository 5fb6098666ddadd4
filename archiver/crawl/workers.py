"""Reading pages in worker processes, so that a CPU-bound crawl uses more than Scrapy's one core.

Scrapy downloads, schedules and runs the item pipelines on one core; parsing a comment page with lxml and
walking its thread costs several times what downloading it does. When the crawl is CPU-bound (no download
delay, as in a re-parse or a first crawl of a permissive site, or a polite crawl of many sites at once), page
readings (archiver.pages.reading) run in ``ARCHIVER_READ_PROCESSES`` worker processes while the crawl's own
process goes on downloading and saving.
A polite crawl of a few sites waits on the network, so it reads pages itself.

If a worker dies, the crawl says so, counts it (``archiver/workers/broken``) and reads the rest itself.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import TextResponse
from scrapy.settings import BaseSettings

from archiver.errors import ArgumentError

logger = logging.getLogger(__name__)

T = TypeVar("T")


POLITE_PAGES_PER_S_FOR_WORKERS = 10.0
"""Pages a second a paced crawl may expect (its sites over their download delay) from which ``auto`` reads pages
in workers: at about 10 ms a page, reading ten pages a second takes a tenth of a core, a hundred the whole core
that Scrapy's downloading and saving need."""


def read_processes(settings: BaseSettings, sites: int = 1) -> int:
    """How many worker processes read pages: ``ARCHIVER_READ_PROCESSES``, or when it is ``auto``, for a
    CPU-bound crawl one per CPU beside the crawl's own, at most two (the crawl's own process is the limit beyond
    that), and none for a crawl paced by the network or on a single CPU.

    A crawl is CPU-bound when it has no download delay and no AutoThrottle, or when it is polite to so many
    ``sites`` at once (one request per site per ``DOWNLOAD_DELAY``, or AutoThrottle's start delay when higher)
    that it expects at least
    :data:`POLITE_PAGES_PER_S_FOR_WORKERS` pages a second. Raises ArgumentError naming the setting for a value
    that is neither ``auto`` nor a count.
    """
    value = str(settings.get("ARCHIVER_READ_PROCESSES", "auto")).strip().lower()
    if value == "auto":
        delay = settings.getfloat("DOWNLOAD_DELAY")
        # AutoThrottle starts each site at its start delay, never below DOWNLOAD_DELAY.
        if settings.getbool("AUTOTHROTTLE_ENABLED"):
            delay = max(delay, settings.getfloat("AUTOTHROTTLE_START_DELAY", 5.0))
        busy = delay == 0 or sites / delay >= POLITE_PAGES_PER_S_FOR_WORKERS
        return min(2, (os.cpu_count() or 1) - 1) if busy else 0
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise ArgumentError(f"setting ARCHIVER_READ_PROCESSES: {value!r} is not 'auto' or a number of processes")
    return count


@contextmanager
def _main_not_reimported() -> Iterator[None]:
    """Start worker processes without the "spawn" start method re-running the crawl's ``__main__`` in them.

    A script that runs a crawl without an ``if __name__ == "__main__"`` guard would otherwise start a second
    crawl inside each worker. A page reading needs nothing from ``__main__``.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _worker_init() -> None:
    # Ctrl-C goes to the whole process group: the crawl shuts down gracefully and stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A crawl killed outright (SIGKILL, OOM) cannot stop its workers, which would wait for work forever.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True, name="parent-watch").start()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


def _warm_up() -> None:
    import archiver.pages.reading  # noqa: F401 - what every reading needs, imported before the first page comes


def _read_remote(
    fn: Callable[..., T],
    cls: type[TextResponse],
    url: str,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    encoding: str,
    kwargs: dict[str, Any],
) -> T:
    response = cls(url=url, status=status, headers=headers, body=body, encoding=encoding)
    return fn(response, **kwargs)


class PageReaders:
    """Runs page readings on responses, in worker processes when there are any, else in this process."""

    def __init__(self, processes: int, crawler: Crawler | None = None) -> None:
        self.processes = processes
        self.crawler = crawler
        self._pool: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, sites: int = 1) -> PageReaders:
        """The readers of ``crawler``'s crawl of ``sites`` sites (hosts) at once."""
        readers = cls(read_processes(crawler.settings, sites), crawler)
        crawler.signals.connect(readers.start, signal=signals.spider_opened)
        crawler.signals.connect(readers.close, signal=signals.spider_closed)
        return readers

    def start(self) -> None:
        """Start the workers and their imports while the crawl fetches robots.txt and its first pages."""
        pool = self._executor()
        if pool is not None:
            with _main_not_reimported():
                pool.submit(_warm_up)

    def _executor(self) -> Executor | None:
        if self._pool is None and self.processes > 0:
            # spawn: a fork of the running crawl would copy its reactor, threads and open archive.
            self._pool = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init
            )
            self._stat("set_value", "archiver/workers/processes", self.processes)
        return self._pool

    async def read(self, fn: Callable[..., T], response: TextResponse, **kwargs: Any) -> T:
        """``fn(response, **kwargs)``, in a worker process when there is one.

        ``fn`` must be a module-level function of the response alone, returning picklable data.
        """
        pool = self._executor()
        if pool is None:
            return fn(response, **kwargs)
        headers = [(k, v) for k, values in response.headers.items() for v in values]
        with _main_not_reimported():  # submit() starts the workers when they are needed
            future = pool.submit(
                _read_remote,
                fn,
                type(response),
                response.url,
                response.status,
                headers,
                response.body,
                response.encoding,
                kwargs,
            )
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._broken()
            return fn(response, **kwargs)

    def _broken(self) -> None:
        if self.processes == 0:
            return
        logger.error("a page-reading worker process died; the crawl reads the remaining pages itself")
        self._stat("inc_value", "archiver/workers/broken", 1)
        self.processes = 0
        self._shutdown(wait=False)

    def _stat(self, method: str, key: str, value: int) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            getattr(self.crawler.stats, method)(key, value)

    def close(self) -> None:
        """Stop the workers (at the end of the crawl)."""
        self._shutdown(wait=True)

    def _shutdown(self, wait: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
