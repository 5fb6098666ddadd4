"""Stored page bodies and headers: how ``pages`` and ``bodies`` hold a response (compressed, private headers out).

New bodies are compressed with zstandard using a dictionary trained per site (``body_dictionaries``): WordPress
pages repeat their header, sidebar, footer and comment markup, which a dictionary holds once instead of in every
page. A site's first pages are stored with zstandard alone until :data:`TRAIN_AFTER` of them are in; then a
dictionary is trained on them, they are recompressed with it, and every later page of the site uses it. The
dictionary itself is stored compressed (a zstd frame): its samples repeat each other too.

A thread's later comment pages (``comment-page-N``) repeat much of its post page (the recap text, and whatever of
the header, sidebar and footer the dictionary lacks): once the site has a dictionary, such a page is compressed
against the dictionary followed by the post page's latest body, and ``bodies.base_sha256`` names that body (the
base; 10% fewer bytes for the comment pages of the 100k bench). A base is never itself stored
against a base, so reading a page reads at most one other body. Bodies stored before (``zlib``, or without a
dictionary or base) stay readable: :class:`BodyReader` reads any row.
"""

from __future__ import annotations

import json
import zlib
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import zstandard

from archiver.archive.sqlite import sqlite3
from archiver.clean import utc_now
from archiver.pages.urls import comment_page_of, strip_comment_page

# Headers never stored: they identify the crawler's or a reader's session, not the page.
PRIVATE_HEADERS = {"set-cookie", "cookie"}

ZSTD_LEVEL = 9
"""With a dictionary, level 9 costs about what zlib level 1 did per page and stores a fifth of its bytes."""
TRAIN_AFTER = 64
"""A site's dictionary is trained once this many of its bodies are stored (more samples gained little)."""
DICTIONARY_BYTES = 112_640
"""zstd's default dictionary size; larger ones trained on these pages did no better."""
MAX_TRAINING = 2
"""Dictionaries trained on the thread at once: each holds its samples in memory (64 pages, about 7 MB), and a crawl of
a hundred sites reaches the training of all of them within seconds."""
MAX_COMPRESSORS = 16
"""Compressors kept ready (about 0.6 MB each); a crawl of more sites re-creates them as it goes."""
MAX_BASED = 4
"""Compressors (about 1.7 MB each) and decompressors against a base kept ready, for all sites together: a thread's
comment pages come one after the other, so the last few threads' are enough."""
BASED_TABLE_LOG = 17
"""Match-finder tables of 2^17 entries against a base: level 9's (2 M and 1 M entries, sized for inputs of megabytes)
are filled anew for every new dictionary, which cost more than the compression itself (2.2 ms a comment page of
the 100k bench against 1.1 ms, for 1.5% more bytes)."""
BASED_SEARCH_LOG = 6
"""Level 9 searches 2^4 candidates for a match; against a base 2^6 (1.4 ms a comment page, 3% fewer bytes): the
raw-content dictionary has no trained statistics, so finding the longer matches is what its bytes depend on."""
MAX_BASE_DEPTH = 2
"""How many bases one read follows: the writer stores one at most, but ``merge`` may join two archives where the
same content is a base in one and based on another body in the other."""
BODY_COLUMNS = ("encoding", "body", "dictionary_id", "base_sha256")
"""The ``bodies`` columns :meth:`BodyReader.read` takes, in order."""
ZSTD_FRAME = zstandard.FRAME_HEADER
"""How a stored dictionary compressed with zstd begins; a trained dictionary begins with its own magic number."""


def headers_to_json(headers: Any) -> str:
    """Scrapy headers as JSON ``{name: [values]}``, private headers left out."""
    out: dict[str, list[str]] = {}
    for name, values in headers.items():
        key = name.decode("latin-1")
        if key.lower() not in PRIVATE_HEADERS:
            out[key] = [v.decode("latin-1") for v in values]
    return json.dumps(out, sort_keys=True)


def headers_from_json(text: str) -> dict[str, list[str]]:
    """The inverse of :func:`headers_to_json`."""
    return json.loads(text) if text else {}


def site_of(url: str) -> str:
    """The site a page belongs to for its dictionary: its origin, e.g. ``https://recaps.example``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class BodyReader:
    """Reads any stored body of one archive connection: ``zlib`` rows and ``zstd`` rows with or without a
    dictionary and a base.

    Every reader of raw pages (the page store, ``export-warc``, ``import-warc``, ``merge``'s sources) selects
    :meth:`columns` and passes them to :meth:`read`.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._decompressors: OrderedDict[tuple[int | None, str | None], zstandard.ZstdDecompressor] = OrderedDict()
        self._dictionaries: dict[int, bytes] = {}
        self._names: set[str] | None = None

    def columns(self, table: str = "bodies") -> str:
        """The SQL selecting :data:`BODY_COLUMNS` from ``table`` (a name or alias of ``bodies``), ``null`` for a
        column an archive from before its migration lacks (a read-only archive is not migrated)."""
        if self._names is None:  # once per reader: the page store asks for every cached response
            self._names = {row[1] for row in self.conn.execute("pragma table_info(bodies)")}
        return ", ".join(f"{table}.{c}" if c in self._names else "null" for c in BODY_COLUMNS)

    def read(
        self,
        encoding: str | None,
        data: bytes,
        dictionary_id: int | None = None,
        base: str | None = None,
        depth: int = 0,
    ) -> bytes:
        """A stored body as received (``base``: the SHA-256 of the body it was compressed against). Raises
        ValueError for an unknown encoding, a missing dictionary or base, or bases deeper than MAX_BASE_DEPTH."""
        if encoding == "zstd":
            return self._decompressor(dictionary_id, base, depth).decompress(data)
        if encoding == "zlib":
            return zlib.decompress(data)
        if encoding in ("", "identity", None):
            return data
        raise ValueError(f"unknown body encoding {encoding!r}")

    def read_digest(self, digest: str, depth: int = 0) -> bytes:
        """The body stored under ``digest`` as received. Raises ValueError when there is none."""
        row = self.conn.execute(f"select {self.columns()} from bodies where sha256 = ?", [digest]).fetchone()
        if row is None:
            raise ValueError(f"body {digest} is missing")
        return self.read(*row, depth=depth)

    def dictionary(self, dictionary_id: int) -> bytes:
        """The dictionary ``dictionary_id`` as trained. Raises ValueError when it is missing."""
        found = self._dictionaries.get(dictionary_id)
        if found is None:
            row = self.conn.execute("select bytes from body_dictionaries where id = ?", [dictionary_id]).fetchone()
            if row is None:
                raise ValueError(f"body dictionary {dictionary_id} is missing")
            found = self._dictionaries[dictionary_id] = stored_dictionary(row[0])
        return found

    def _decompressor(self, dictionary_id: int | None, base: str | None, depth: int) -> zstandard.ZstdDecompressor:
        key = (dictionary_id, base)
        found = self._decompressors.get(key)
        if found is not None:
            self._decompressors.move_to_end(key)
            return found
        if base is not None:
            if depth >= MAX_BASE_DEPTH:
                raise ValueError(f"body {base} is a base deeper than {MAX_BASE_DEPTH} bodies")
            dictionary = self.dictionary(dictionary_id) if dictionary_id is not None else b""
            found = zstandard.ZstdDecompressor(
                dict_data=based_dictionary(dictionary, self.read_digest(base, depth + 1))
            )
        elif dictionary_id is None:
            found = zstandard.ZstdDecompressor()
        else:
            found = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(self.dictionary(dictionary_id)))
        self._decompressors[key] = found
        if base is not None and sum(1 for _, b in self._decompressors if b is not None) > MAX_BASED:
            oldest = next(k for k in self._decompressors if k[1] is not None)
            del self._decompressors[oldest]
        return found


def stored_dictionary(stored: bytes) -> bytes:
    """A dictionary as trained from its ``body_dictionaries.bytes`` (compressed since m011, raw before)."""
    return zstandard.ZstdDecompressor().decompress(stored) if stored.startswith(ZSTD_FRAME) else stored


def based_dictionary(dictionary: bytes, base: bytes) -> zstandard.ZstdCompressionDict:
    """What a body stored against the body ``base`` was compressed with: the site's dictionary (``b""``: none),
    then the base, as raw content (zstd then finds the post page's text and chrome as back-references)."""
    return zstandard.ZstdCompressionDict(dictionary + base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def based_compressor(dictionary: bytes, base: bytes, level: int) -> zstandard.ZstdCompressor:
    """The compressor of a body stored against ``base``: smaller match tables than the level's, which are sized for
    megabytes and would be built again for every new base."""
    params = zstandard.ZstdCompressionParameters.from_level(
        level, hash_log=BASED_TABLE_LOG, chain_log=BASED_TABLE_LOG, search_log=BASED_SEARCH_LOG
    )
    return zstandard.ZstdCompressor(dict_data=based_dictionary(dictionary, base), compression_params=params)


def thread_base_url(url: str) -> str | None:
    """The URL of the page a comment page repeats (its post page), or None for any other page."""
    return strip_comment_page(url) if comment_page_of(url) is not None else None


@dataclass
class _Site:
    """What the writer knows of one site: its dictionary, or the bodies waiting to train one."""

    dictionary_id: int | None = None
    dictionary: bytes | None = None
    """The dictionary as trained (``body_dictionaries.bytes`` decompressed)."""
    pending: dict[str, str] = field(default_factory=dict)
    """Digest -> URL of the bodies stored without a dictionary in this process, the samples of the site's
    dictionary (in the order stored)."""
    next_training: int = TRAIN_AFTER


EARLIER_SAMPLES_SQL = """
select bodies.sha256, min(pages.url) from pages join bodies on bodies.sha256 = pages.body_sha256
where pages.url >= ?1 and pages.url < ?2 and bodies.encoding = 'zstd' and bodies.dictionary_id is null
group by bodies.sha256 order by min(pages.id)
"""
"""The bodies of a site (its pages' URLs, ``origin/`` up to ``origin0``, an index range) stored without a dictionary."""


class BodyWriter:
    """Stores bodies once per content (``bodies``), compressed with the site's dictionary once it has one.

    One writer serves one archive connection; ``train_after`` and ``level`` are for tests and benches.
    """

    def __init__(self, level: int = ZSTD_LEVEL, train_after: int = TRAIN_AFTER, background: bool = False) -> None:
        self.level = level
        self.train_after = train_after
        self.background = background
        """Train dictionaries on a thread (zstandard releases the GIL), stored by a later ``store`` or ``collect``:
        a crawl of many sites would otherwise spend a tenth of its reactor thread training them."""
        self._pool: ThreadPoolExecutor | None = None
        self._training: dict[str, Future[tuple[bytes | None, dict[str, bytes], int, bytes]]] = {}
        self._sites: dict[str, _Site] = {}
        self._compressors: OrderedDict[int | None, zstandard.ZstdCompressor] = OrderedDict()
        self._based: OrderedDict[tuple[int, str], zstandard.ZstdCompressor] = OrderedDict()
        self._reader: BodyReader | None = None

    def store(self, conn: sqlite3.Connection, url: str, body: bytes, digest: str) -> bool:
        """Store ``body`` (SHA-256 ``digest``) fetched from ``url`` unless stored already; True when stored."""
        if conn.execute("select 1 from bodies where sha256 = ?", [digest]).fetchone() is not None:
            return False
        if self._training:  # first: a dictionary that came in meanwhile is this page's too
            self.collect(conn)
        site = self._site(conn, site_of(url))
        base = self._base(conn, url, digest) if site.dictionary_id is not None else None
        compressor = self._compressor(site) if base is None else self._based_compressor(conn, site, base)
        conn.execute(
            "INSERT INTO bodies (sha256, size, encoding, body, dictionary_id, base_sha256) "
            "VALUES (?, ?, 'zstd', ?, ?, ?)",
            [digest, len(body), compressor.compress(body), site.dictionary_id, base],
        )
        name = site_of(url)
        if site.dictionary_id is None:
            site.pending[digest] = url  # the samples, or recompressed once the dictionary is in
            if (
                name not in self._training
                and len(site.pending) >= site.next_training
                and len(self._training) < MAX_TRAINING
            ):
                self._train(conn, name, site)
        return True

    def forget(self) -> None:
        """Forget what the writer holds of the archive, after a rollback took rows it names: each site's dictionary
        id (a new dictionary may get the same id), its waiting bodies, the compressors, the dictionaries still
        training (their results are dropped). The next body stored reads it all again from the archive."""
        self._sites.clear()
        self._compressors.clear()
        self._based.clear()
        self._training.clear()

    @property
    def training(self) -> bool:
        """Whether a dictionary is being trained in the background."""
        return bool(self._training)

    @property
    def untrained(self) -> bool:
        """Whether a site has enough pages for a dictionary but none yet (it waited for the thread)."""
        return any(s.dictionary_id is None and len(s.pending) >= s.next_training for s in self._sites.values())

    def collect(self, conn: sqlite3.Connection, wait: bool = False) -> None:
        """Store the dictionaries trained in the background so far (all of them, once done, when ``wait``)."""
        for name, future in list(self._training.items()):
            if wait or future.done():
                del self._training[name]
                self._trained(conn, name, self._sites[name], *future.result())
        if not wait:
            return
        for name, site in self._sites.items():  # sites that waited for the thread: train them now
            if site.dictionary_id is None and len(site.pending) >= site.next_training:
                self._train(conn, name, site, background=False)
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _site(self, conn: sqlite3.Connection, name: str) -> _Site:
        site = self._sites.get(name)
        if site is None:
            row = conn.execute(
                "select id, bytes from body_dictionaries where site = ? order by id desc limit 1", [name]
            ).fetchone()
            if row:
                site = _Site(row[0], stored_dictionary(row[1]))
            else:
                # A small site, or one crawled a few pages a day, may never store enough pages in one crawl: the
                # bodies earlier crawls stored without a dictionary are samples too, and get recompressed with it.
                site = _Site(next_training=self.train_after)
                site.pending = dict(conn.execute(EARLIER_SAMPLES_SQL, [f"{name}/", f"{name}0"]).fetchall())
            self._sites[name] = site
        return site

    @staticmethod
    def _base(conn: sqlite3.Connection, url: str, digest: str) -> str | None:
        """The body a comment page is stored against: its post page's latest, unless that has a base itself."""
        post = thread_base_url(url)
        if post is None:
            return None
        row = conn.execute(
            "select pages.body_sha256, bodies.base_sha256 from pages join bodies on bodies.sha256 = pages.body_sha256 "
            "where pages.url = ? order by pages.id desc limit 1",
            [post],
        ).fetchone()
        if row is None or row[1] is not None or row[0] == digest:
            return None
        return row[0]

    def _based_compressor(self, conn: sqlite3.Connection, site: _Site, base: str) -> zstandard.ZstdCompressor:
        assert site.dictionary_id is not None and site.dictionary is not None
        key = (site.dictionary_id, base)
        found = self._based.get(key)
        if found is None:
            base_body = self._reader_of(conn).read_digest(base)
            found = self._based[key] = based_compressor(site.dictionary, base_body, self.level)
            if len(self._based) > MAX_BASED:
                self._based.popitem(last=False)
        else:
            self._based.move_to_end(key)
        return found

    def _reader_of(self, conn: sqlite3.Connection) -> BodyReader:
        if self._reader is None or self._reader.conn is not conn:
            self._reader = BodyReader(conn)
        return self._reader

    def _compressor(self, site: _Site) -> zstandard.ZstdCompressor:
        key = site.dictionary_id
        found = self._compressors.get(key)
        if found is None:
            data = zstandard.ZstdCompressionDict(site.dictionary) if site.dictionary else None
            found = self._compressors[key] = zstandard.ZstdCompressor(level=self.level, dict_data=data)
            if len(self._compressors) > MAX_COMPRESSORS:
                self._compressors.popitem(last=False)
        else:
            self._compressors.move_to_end(key)
        return found

    def _train(self, conn: sqlite3.Connection, name: str, site: _Site, background: bool | None = None) -> None:
        """Train the site's dictionary on its pending bodies and recompress them with it (on a thread when
        ``background``)."""
        reader = self._reader_of(conn)
        bodies = {
            digest: reader.read(*row)
            for digest, *row in conn.execute(
                f"select sha256, {reader.columns()} from bodies where sha256 in (select value from json_each(?))",
                [json.dumps(list(site.pending))],
            )
        }
        samples = [bodies[digest] for digest in list(site.pending)[: site.next_training] if digest in bodies]
        # Every pending body is compressed with the new dictionary where it is trained, comment pages against their
        # post page too: done here, on the crawl's thread, it held it for tens of ms a site (100 sites: seconds).
        bases = {digest: self._base(conn, url, digest) for digest, url in site.pending.items()}
        base_bodies = {base: bodies.get(base) or reader.read_digest(base) for base in set(bases.values()) if base}
        pending = {
            digest: (body, bases.get(digest), base_bodies.get(bases.get(digest) or ""))
            for digest, body in bodies.items()
        }
        if not (self.background if background is None else background):
            self._trained(conn, name, site, *_train(samples, pending, self.level))
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="body-dictionary")
        self._training[name] = self._pool.submit(_train, samples, pending, self.level)

    def _trained(
        self,
        conn: sqlite3.Connection,
        name: str,
        site: _Site,
        dictionary: bytes | None,
        compressed: dict[str, tuple[bytes, str | None]],
        samples: int,
        stored: bytes,
    ) -> None:
        """Store a site's new dictionary (``stored``: compressed) and its samples recompressed with it."""
        if dictionary is None:
            # Too little to learn from (a few tiny pages): try again once more pages are in.
            site.next_training = len(site.pending) + self.train_after
            return
        site.dictionary = dictionary
        site.dictionary_id = conn.execute(
            "INSERT INTO body_dictionaries (site, trained_at, samples, bytes) VALUES (?, ?, ?, ?) RETURNING id",
            [name, utc_now(), samples, stored],
        ).fetchone()[0]
        bases = {digest: self._base(conn, url, digest) for digest, url in site.pending.items()}
        bodies = {digest: body for digest, (body, base) in compressed.items() if bases.get(digest, base) == base}
        # Stored while it was training, or a comment page whose post page came in meanwhile: compressed here.
        redo = [digest for digest in bases if digest not in bodies]
        if redo:
            reader = self._reader_of(conn)
            for digest in redo:
                base = bases[digest]
                compressor = self._compressor(site) if base is None else self._based_compressor(conn, site, base)
                bodies[digest] = compressor.compress(reader.read_digest(digest))
        conn.executemany(
            "UPDATE bodies SET body = ?, dictionary_id = ?, base_sha256 = ? WHERE sha256 = ?",
            [(body, site.dictionary_id, bases[digest], digest) for digest, body in bodies.items()],
        )
        site.pending = {}


def _train(
    samples: list[bytes], pending: dict[str, tuple[bytes, str | None, bytes | None]], level: int
) -> tuple[bytes | None, dict[str, tuple[bytes, str | None]], int, bytes]:
    """A dictionary trained on ``samples``; every ``pending`` body (digest -> body, its base's digest and body)
    compressed with it, against its base where it has one; how many samples; and the dictionary as stored
    (compressed: its pieces of the site's pages repeat each other, 110 kB became 13 kB on the bench's pages).
    (None, {}, n, b"") when too few to train."""
    try:
        trained = zstandard.train_dictionary(DICTIONARY_BYTES, samples)
    except zstandard.ZstdError:
        return None, {}, len(samples), b""
    dictionary = trained.as_bytes()
    compressor = zstandard.ZstdCompressor(level=level, dict_data=trained)
    compressed = {}
    for digest, (body, base, base_body) in pending.items():
        if base is None or base_body is None:
            compressed[digest] = (compressor.compress(body), None)
        else:
            compressed[digest] = (based_compressor(dictionary, base_body, level).compress(body), base)
    return dictionary, compressed, len(samples), zstandard.ZstdCompressor(level=level).compress(dictionary)
