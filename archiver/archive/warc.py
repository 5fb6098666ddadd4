"""Export the archive's stored responses as WARC records, for replay with standard tools."""

from __future__ import annotations

import io
from http import HTTPStatus
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.archive.bodies import BodyReader, headers_from_json
from archiver.archive.files import check_output, has_table, open_read_only, safe_output


def export_warc(archive: str | Path, out: str | Path, force: bool = False) -> int:
    """Write every stored response of ``archive`` to ``out`` (gzipped WARC 1.1); return how many.

    ``out`` is written through a temporary file renamed into place, never over ``archive``, and over an existing
    file only with ``force``. Raises ArchivePathError when ``archive`` is not an archive or ``out``'s folder is
    missing, OutputRefused when ``out`` may not be written.
    """
    archive, out = Path(archive), Path(out)
    conn = open_read_only(archive)
    try:
        check_output(out, (archive,), force)
        count = 0
        if not has_table(conn, "pages"):
            return 0
        with safe_output(out, (archive,), force, binary=True) as fh:
            writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
            reader = BodyReader(conn)
            rows = conn.execute(
                f"select pages.url, pages.status, pages.headers, pages.fetched_at, {reader.columns()} "
                "from pages join bodies on bodies.sha256 = pages.body_sha256 order by pages.id"
            )
            for url, status, headers, fetched_at, *stored in rows:
                reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
                header_list = [(k, v) for k, values in headers_from_json(headers).items() for v in values]
                http_headers = StatusAndHeaders(f"{status} {reason}".strip(), header_list, protocol="HTTP/1.1")
                record = writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(reader.read(*stored)),
                    http_headers=http_headers,
                    warc_headers_dict={"WARC-Date": fetched_at.replace("+00:00", "Z")},
                )
                writer.write_record(record)
                count += 1
        return count
    finally:
        conn.close()
