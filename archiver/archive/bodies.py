"""Stored page bodies and headers: how ``pages`` and ``bodies`` hold a response (compressed, private headers out).

New bodies are compressed with zstandard using a dictionary trained per site (``body_dictionaries``): WordPress
pages repeat their header, sidebar, footer and comment markup, which a dictionary holds once instead of in every
page. A site's first pages are stored with zstandard alone until :data:`TRAIN_AFTER` of them are in; then a
dictionary is trained on them, they are recompressed with it, and every later page of the site uses it. Bodies
stored before (``zlib``) stay readable: :class:`BodyReader` reads any row.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import zstandard

from archiver.clean import utc_now

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
    """Reads any stored body of one archive connection: ``zlib`` rows and ``zstd`` rows with or without a dictionary.

    Every reader of raw pages (the page store, ``export-warc``, ``import-warc``) goes through :meth:`read`.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._decompressors: dict[int | None, zstandard.ZstdDecompressor] = {}

    def read(self, encoding: str | None, data: bytes, dictionary_id: int | None = None) -> bytes:
        """A stored body as received. Raises ValueError for an unknown encoding or a missing dictionary."""
        if encoding == "zstd":
            return self._decompressor(dictionary_id).decompress(data)
        if encoding == "zlib":
            return zlib.decompress(data)
        if encoding in ("", "identity", None):
            return data
        raise ValueError(f"unknown body encoding {encoding!r}")

    def _decompressor(self, dictionary_id: int | None) -> zstandard.ZstdDecompressor:
        found = self._decompressors.get(dictionary_id)
        if found is None:
            if dictionary_id is None:
                found = zstandard.ZstdDecompressor()
            else:
                row = self.conn.execute("select bytes from body_dictionaries where id = ?", [dictionary_id]).fetchone()
                if row is None:
                    raise ValueError(f"body dictionary {dictionary_id} is missing")
                found = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(row[0]))
            self._decompressors[dictionary_id] = found
        return found


@dataclass
class _Site:
    """What the writer knows of one site: its dictionary, or the bodies waiting to train one."""

    dictionary_id: int | None = None
    dictionary: bytes | None = None
    pending: list[str] = field(default_factory=list)
    """Digests stored without a dictionary in this process, the samples of the site's dictionary."""
    next_training: int = TRAIN_AFTER


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
        self._training: dict[str, Future[tuple[bytes | None, dict[str, bytes], int]]] = {}
        self._sites: dict[str, _Site] = {}
        self._compressors: OrderedDict[int | None, zstandard.ZstdCompressor] = OrderedDict()

    def store(self, conn: sqlite3.Connection, url: str, body: bytes, digest: str) -> bool:
        """Store ``body`` (SHA-256 ``digest``) fetched from ``url`` unless stored already; True when stored."""
        if conn.execute("select 1 from bodies where sha256 = ?", [digest]).fetchone() is not None:
            return False
        site = self._site(conn, site_of(url))
        conn.execute(
            "INSERT INTO bodies (sha256, size, encoding, body, dictionary_id) VALUES (?, ?, 'zstd', ?, ?)",
            [digest, len(body), self._compressor(site).compress(body), site.dictionary_id],
        )
        if self._training:
            self.collect(conn)
        name = site_of(url)
        if site.dictionary_id is None:
            site.pending.append(digest)  # the samples, or recompressed once the dictionary is in
            if (
                name not in self._training
                and len(site.pending) >= site.next_training
                and len(self._training) < MAX_TRAINING
            ):
                self._train(conn, name, site)
        return True

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
            site = self._sites[name] = _Site(*row) if row else _Site(next_training=self.train_after)
        return site

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
        reader = BodyReader(conn)
        samples = {
            digest: reader.read(encoding, data, dictionary_id)
            for digest, encoding, data, dictionary_id in conn.execute(
                "select sha256, encoding, body, dictionary_id from bodies where sha256 in (select value from json_each(?))",
                [json.dumps(site.pending[: site.next_training])],
            )
        }
        if not (self.background if background is None else background):
            self._trained(conn, name, site, *_train(samples, self.level))
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="body-dictionary")
        self._training[name] = self._pool.submit(_train, samples, self.level)

    def _trained(
        self,
        conn: sqlite3.Connection,
        name: str,
        site: _Site,
        dictionary: bytes | None,
        bodies: dict[str, bytes],
        samples: int,
    ) -> None:
        """Store a site's new dictionary and its samples recompressed with it."""
        if dictionary is None:
            # Too little to learn from (a few tiny pages): try again once more pages are in.
            site.next_training = len(site.pending) + self.train_after
            return
        site.dictionary = dictionary
        site.dictionary_id = conn.execute(
            "INSERT INTO body_dictionaries (site, trained_at, samples, bytes) VALUES (?, ?, ?, ?) RETURNING id",
            [name, utc_now(), samples, dictionary],
        ).fetchone()[0]
        late = [digest for digest in site.pending if digest not in bodies]  # stored while it was training
        if late:
            reader, compressor = BodyReader(conn), self._compressor(site)
            for digest, encoding, data, dictionary_id in conn.execute(
                "select sha256, encoding, body, dictionary_id from bodies where sha256 in (select value from json_each(?))",
                [json.dumps(late)],
            ).fetchall():
                bodies[digest] = compressor.compress(reader.read(encoding, data, dictionary_id))
        conn.executemany(
            "UPDATE bodies SET body = ?, dictionary_id = ? WHERE sha256 = ?",
            [(body, site.dictionary_id, digest) for digest, body in bodies.items()],
        )
        site.pending = []


def _train(samples: dict[str, bytes], level: int) -> tuple[bytes | None, dict[str, bytes], int]:
    """A dictionary trained on ``samples`` and each sample compressed with it; (None, {}, n) when too few to train."""
    try:
        trained = zstandard.train_dictionary(DICTIONARY_BYTES, list(samples.values()))
    except zstandard.ZstdError:
        return None, {}, len(samples)
    compressor = zstandard.ZstdCompressor(level=level, dict_data=trained)
    return trained.as_bytes(), {digest: compressor.compress(body) for digest, body in samples.items()}, len(samples)
