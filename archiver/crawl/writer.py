"""The crawl's archive writer: one thread owns the archive's connection and writes in batches.

Saving a recap and keeping a raw page are mostly SQLite, zlib and SHA-256 work, which release the GIL: on their
own thread they run while Scrapy's reactor thread goes on downloading and handing out pages. Every write of the
crawl is a job on this one thread, in the order submitted; the reactor thread never touches the connection
(stored pages are read back through a read-only connection of its own, see archiver.crawl.pagestore).

Jobs write into the open batch: one transaction holding several recaps and their pages (:meth:`write`),
committed every ``ARCHIVER_BATCH_RECAPS`` recaps (the store pipeline asks), after ``ARCHIVER_BATCH_SECONDS``,
as soon as nothing is in flight, and at the crawl's end. A commit writes the indexes and full-text segments a
batch touched once rather than once per recap and page. Each batch has a number; once it is committed, or lost
to an error (rolled back), the reactor thread is told (:attr:`ArchiveWriter.listeners`), and only then does the
store pipeline count its recaps as saved. A crawl killed outright loses its open batch, never more; its recaps
were neither counted nor struck off a ``JOBDIR`` journal, so a resumed crawl fetches them again (docs/crawling.md).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from sqlite_utils import Database
from twisted.internet.task import LoopingCall

logger = logging.getLogger(__name__)

T = TypeVar("T")

QUEUED_JOBS_MAX = 64
"""Jobs waiting for the writer thread at most: past that, queueing one waits (the reactor thread too), so a writer
falling behind slows the crawl down instead of holding ever more pages in memory."""
BATCH_SECONDS = 1.0
"""Longest a batch stays open (``ARCHIVER_BATCH_SECONDS``); it is committed sooner once nothing is in flight."""

Listener = Callable[[int, sqlite3.Error | None], None]
"""Told on the reactor thread that batch ``number`` was committed (None) or lost (the error)."""


class ArchiveWriter:
    """The writer thread of one crawl's archive, opened with ``open_db`` by its first job."""

    def __init__(
        self, open_db: Callable[[], Database], batch_seconds: float = BATCH_SECONDS, idle: Callable[[], bool] = bool
    ) -> None:
        self._open_db = open_db
        self.batch_seconds = batch_seconds
        self._idle = idle
        self._db: Database | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="archive-writer")
        self._room = threading.Semaphore(QUEUED_JOBS_MAX)
        self._ticker: LoopingCall | None = None
        self._commit_queued = False
        # Writer thread: the number of the open (or last) batch, and when the open one began (None: none open).
        self.batch = 0
        self.batch_started: float | None = None
        # Reactor thread.
        self.outcomes: dict[int, sqlite3.Error | None] = {}
        """Batch number -> None once committed, the error once lost."""
        self.listeners: list[Listener] = []

    # -- the reactor thread ---------------------------------------------------------------------------------

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the writer thread; its result or exception."""
        return await asyncio.wrap_future(self.submit(fn, *args))

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(*args)`` for the writer thread."""
        if self._ticker is None:
            self._ticker = LoopingCall(self._tick)
            self._ticker.start(max(self.batch_seconds / 4, 0.01), now=False)
        self._room.acquire()
        future = self._pool.submit(fn, *args)
        future.add_done_callback(lambda _: self._room.release())
        return future

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the writer thread, waiting for it (the crawl's end only)."""
        return self.submit(fn, *args).result()

    def commit_soon(self) -> None:
        """Queue a commit of the open batch (once)."""
        if not self._commit_queued:
            self._commit_queued = True
            self.submit(self._commit)

    def _tick(self) -> None:
        started = self.batch_started
        if started is not None and (self._idle() or time.monotonic() - started >= self.batch_seconds):
            self.commit_soon()

    def _tell(self, number: int, exc: sqlite3.Error | None) -> None:
        self.outcomes[number] = exc
        for listener in self.listeners:
            listener(number, exc)

    def close(self) -> None:
        """Commit what is open, close the connection and stop the thread (at the crawl's end)."""
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        self.run(self._close)
        self._pool.shutdown(wait=True)

    # -- the writer thread ----------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._db is not None

    @property
    def db(self) -> Database:
        """The archive (writer thread only), opened at first use."""
        if self._db is None:
            self._db = self._open_db()
        return self._db

    def write(self) -> Database:
        """The archive inside the open batch (writer thread only), begun here when none is open."""
        db = self.db
        if not db.conn.in_transaction:
            self.check(None)
            db.conn.execute("BEGIN")
            self.batch += 1
            self.batch_started = time.monotonic()
        return db

    def check(self, exc: sqlite3.Error | None) -> bool:
        """After a failed write (writer thread): whether it rolled the whole open batch back (SQLite ends a
        transaction on some errors, a full disk among them); if so the batch is reported lost."""
        if self.batch_started is None or self._db is None or self._db.conn.in_transaction:
            return False
        self.batch_started = None
        lost_with = exc or sqlite3.OperationalError("the open batch was rolled back by an earlier error")
        logger.error("a write to the archive failed and rolled back its open batch (%s)", lost_with)
        self._report(self.batch, lost_with)
        return True

    def run_commit(self) -> None:
        """Commit the open batch now (writer thread only)."""
        self._commit()

    def close_db(self) -> None:
        """Commit the open batch and close the connection (writer thread only)."""
        self._close()

    def _commit(self) -> None:
        self._commit_queued = False
        if self.check(None) or self.batch_started is None or self._db is None:
            return
        self.batch_started = None
        try:
            self._db.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.conn.in_transaction:
                self._db.conn.execute("ROLLBACK")
            logger.error("could not commit to the archive (%s): its last writes are lost", exc)
            self._report(self.batch, exc)
            return
        self._report(self.batch, None)

    def _report(self, number: int, exc: sqlite3.Error | None) -> None:
        from twisted.internet import reactor  # here: importing it installs one, and Scrapy installs its own first

        reactor.callFromThread(self._tell, number, exc)  # type: ignore[attr-defined]

    def _close(self) -> None:
        self._commit()
        if self._db is not None:
            self._db.close()
            self._db = None
