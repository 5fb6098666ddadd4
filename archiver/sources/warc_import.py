"""Import WARC files into an archive as raw pages, then rebuild recaps and threads from them.

Reads ``response`` records (our own ``export-warc`` output, wget's ``--warc-file``, grab-site and ArchiveTeam
WARCs) with warcio, and ``revisit`` records by finding the response they repeat (same payload digest, else the
same URL and date they refer to), in the files given or already imported. Each record becomes a row of
``pages`` keyed by the request a crawl makes for its URL, with its provenance in headers
(archiver.sources.provenance: ``warc``, the record's date, ``FILE#record-id``), in capture order so that the
newest capture of a URL is the one a re-parse reads. The same record imported again adds nothing.
The rebuild is archiver.crawl.reparse's, with pages the WARCs lack answered as missing (never fetched).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.utils.request import RequestFingerprinter
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archiver.archive.bodies import BodyReader, BodyWriter
from archiver.errors import ArchivePathError, ArchiverError
from archiver.sources.provenance import provenance_headers

logger = logging.getLogger(__name__)

DROPPED_HEADERS = {"transfer-encoding", "content-encoding", "content-length", "set-cookie", "cookie"}
"""Headers not stored: the body is stored decoded, and cookies are never kept."""
KEPT_TYPES = ("html", "json", "xml", "text/plain")
"""Content types imported; images, scripts and styles are counted and skipped."""


class WarcError(ArchiverError):
    """A WARC file that cannot be read."""


@dataclass
class WarcRecord:
    """One HTTP response as a WARC holds it, decoded."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: str
    """WARC-Date as ISO 8601 UTC."""
    capture: str
    """``FILE#record-id``."""
    digest: str | None = None
    """WARC-Payload-Digest, which revisit records name."""


@dataclass
class ImportResult:
    """What an import did."""

    records: int = 0
    """Response and revisit records read."""
    pages_new: int = 0
    """Pages stored (records not imported before)."""
    skipped_type: int = 0
    """Records skipped for their content type (images, scripts, styles)."""
    revisits_unresolved: int = 0
    """Revisit records whose original response is in none of the files."""
    sites: list[str] = field(default_factory=list)
    """Base URLs of the sites the pages belong to."""


def _iso(warc_date: str) -> str:
    text = warc_date.strip().replace("Z", "+00:00")
    if "." in text:  # WARC 1.1 fractions of a second
        head, _, tail = text.partition(".")
        text = head + tail[tail.find("+") :] if "+" in tail else head
    return text


def read_records(path: Path) -> tuple[list[WarcRecord], list[dict[str, Any]], int]:
    """Responses of one WARC file, its revisit records (to resolve), and how many records were skipped by type.

    Raises WarcError when the file is not a WARC.
    """
    responses, revisits, skipped = [], [], 0
    try:
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                if not url or urlsplit(url).scheme not in ("http", "https"):
                    continue
                status = int(record.http_headers.get_statuscode() or 0)
                headers = [(k, v) for k, v in record.http_headers.headers if k.lower() not in DROPPED_HEADERS]
                content_type = (record.http_headers.get_header("Content-Type") or "").lower()
                record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>")
                base = dict(
                    url=url,
                    status=status,
                    headers=headers,
                    date=_iso(record.rec_headers.get_header("WARC-Date") or ""),
                    capture=f"{path.name}#{record_id}",
                )
                if record.rec_type == "revisit":
                    revisits.append(
                        {
                            **base,
                            "digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                            "refers_url": record.rec_headers.get_header("WARC-Refers-To-Target-URI") or url,
                            "refers_date": record.rec_headers.get_header("WARC-Refers-To-Date"),
                        }
                    )
                    continue
                if 200 <= status < 300 and content_type and not any(t in content_type for t in KEPT_TYPES):
                    skipped += 1
                    continue
                responses.append(
                    WarcRecord(
                        body=record.content_stream().read(),
                        digest=record.rec_headers.get_header("WARC-Payload-Digest"),
                        **base,
                    )
                )
    except (ArchiveLoadFailed, OSError, ValueError) as exc:
        raise WarcError(f"{path}: not a readable WARC file ({exc})") from exc
    return responses, revisits, skipped


def import_warc_files(archive: str | Path, paths: list[str | Path]) -> tuple[ImportResult, dict[str, Any]]:
    """Import ``paths`` into the archive at ``archive`` (created if needed), then rebuild its recaps and threads
    from the stored pages when anything was new; return the import's result and the rebuild's crawl stats.

    Raises ArchivePathError or WarcError (nothing is stored then).
    """
    from archiver.archive.store import open_archive
    from archiver.crawl.reparse import reparse

    db = open_archive(archive)
    try:
        result = import_warcs(db, paths)
    finally:
        db.close()
    if not result.pages_new:
        return result, {}
    return result, reparse(archive, REBUILD_SETTINGS, urls=result.sites)


def import_warcs(db: Any, paths: list[str | Path]) -> ImportResult:
    """Store the responses of ``paths`` in ``db``'s ``pages`` (revisits resolved); return what was done.

    ``db`` is an archive opened with archiver.archive.store.open_archive. Raises ArchivePathError for a missing file
    and WarcError for one that is not a WARC.
    """
    result = ImportResult()
    records: list[WarcRecord] = []
    revisits: list[dict[str, Any]] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise ArchivePathError(f"no WARC file at {str(raw)!r}")
        responses, file_revisits, skipped = read_records(path)
        records += responses
        revisits += file_revisits
        result.skipped_type += skipped
    result.records = len(records) + len(revisits)
    by_digest = {r.digest: r for r in records if r.digest}
    by_url_date = {(r.url, r.date): r for r in records}
    for revisit in revisits:
        original = by_digest.get(revisit["digest"]) or by_url_date.get(
            (revisit["refers_url"], _iso(revisit["refers_date"] or ""))
        )
        body = original.body if original is not None else _stored_body(db, revisit["refers_url"], revisit["digest"])
        if body is None:
            result.revisits_unresolved += 1
            logger.warning(
                "revisit of %s (%s): the response it repeats is in none of the files",
                revisit["url"],
                revisit["capture"],
            )
            continue
        headers = revisit["headers"] or (original.headers if original is not None else [])
        records.append(
            WarcRecord(
                revisit["url"],
                revisit["status"] or (original.status if original else 200),
                headers,
                body,
                revisit["date"],
                revisit["capture"],
            )
        )
    fingerprinter = RequestFingerprinter()
    writer = BodyWriter()
    sites: set[str] = set()
    with db.atomic():
        for record in sorted(records, key=lambda r: r.date):
            if _store(db, record, fingerprinter, writer):
                result.pages_new += 1
            if 200 <= record.status < 400:
                parts = urlsplit(record.url)
                sites.add(f"{parts.scheme}://{parts.netloc}/")
    result.sites = sorted(sites)
    return result


def _stored_body(db: Any, url: str, digest: str | None) -> bytes | None:
    """A revisit's body from a page imported earlier (same URL), or None."""
    reader = BodyReader(db.conn)
    row = db.execute(
        f"select {reader.columns()} from pages join bodies on bodies.sha256 = "
        "pages.body_sha256 where pages.url = ? and pages.status = 200 order by pages.id desc limit 1",
        [url],
    ).fetchone()
    return reader.read(*row) if row else None


def _store(db: Any, record: WarcRecord, fingerprinter: RequestFingerprinter, writer: BodyWriter) -> bool:
    """Store one record as a page unless it was imported before; True when stored."""
    headers: dict[str, list[str]] = {}
    for name, value in record.headers:
        headers.setdefault(name, []).append(value)
    for name, value in provenance_headers("warc", record.date, record.capture).items():
        headers[name] = [value]
    headers_json = json.dumps(headers, sort_keys=True)
    digest = hashlib.sha256(record.body).hexdigest()
    conn = db.conn
    if conn.execute(
        "select 1 from pages where url = ? and body_sha256 = ? and headers = ?", [record.url, digest, headers_json]
    ).fetchone():
        return False
    writer.store(conn, record.url, record.body, digest)
    conn.execute(
        "INSERT INTO pages (fingerprint, url, method, status, headers, fetched_at, revalidated, body_sha256, crawl_id) "
        "VALUES (?, ?, 'GET', ?, ?, ?, 0, ?, NULL)",
        [
            fingerprinter.fingerprint(Request(record.url)).hex(),
            record.url,
            record.status,
            headers_json,
            record.date,
            digest,
        ],
    )
    return True


REBUILD_SETTINGS = {
    # Pages the WARCs lack are answered as missing by archiver.sources.replay (a 404 where the request takes
    # one, such as the REST API's), so a WARC without API pages still gives whole threads.
    "HTTPCACHE_IGNORE_MISSING": False,
    "ARCHIVER_OFFLINE": True,
}
