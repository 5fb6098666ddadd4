"""Test helpers for dead sites: record a live demo site into a WARC, serve WARCs with pywb on 127.0.0.1.

`record_site` walks a site as a web archive's crawler would (every same-host link of every page, no reply
links, feeds or log-in pages), writing each answer as it came, redirects included, as a WARC response record
dated ``when``. `Pywb` runs pywb's ``wayback`` over a collection, optionally behind a WSGI wrapper that answers
429 with ``Retry-After`` for chosen captures.
"""

from __future__ import annotations

import http.client
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from archiver.spiders.recaps import followable
from helpers import terminate
from parsel import Selector
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

Edit = Callable[[str, int, list[tuple[str, str]], bytes], "tuple[int, list[tuple[str, str]], bytes] | None"]
"""Change what is recorded for a URL: (url, status, headers, body) to new (status, headers, body), or None to
record nothing for it."""


def fetch_raw(url: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """One GET without following redirects: status, headers, body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(
            "GET",
            parts.path + (f"?{parts.query}" if parts.query else ""),
            headers={"User-Agent": "wayback-lab-recorder"},
        )
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def site_links(url: str, body: bytes, host: str) -> list[str]:
    """Same-host links of a page, fragments removed, that a recap crawl would follow."""
    links = []
    for href in Selector(text=body.decode("utf-8", "replace")).css("a::attr(href)").getall():
        link = urldefrag(urljoin(url, href))[0]
        if urlsplit(link).netloc == host and followable(link) and "?" not in link:
            links.append(link)
    return links


def record_site(base_url: str, out: Path, when: datetime, edit: Edit | None = None, limit: int = 2000) -> list[str]:
    """Record every page of the site at ``base_url`` into the WARC ``out``, dated ``when``; return the URLs."""
    host = urlsplit(base_url).netloc
    queue, seen, recorded = [base_url], {base_url}, []
    date = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with out.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        while queue and len(recorded) < limit:
            url = queue.pop(0)
            status, headers, body = fetch_raw(url)
            for link in site_links(url, body, host) if status == 200 else []:
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
            if status in (301, 302):
                target = urljoin(url, dict((k.lower(), v) for k, v in headers)["location"])
                if target not in seen and urlsplit(target).netloc == host:
                    seen.add(target)
                    queue.append(target)
            changed = edit(url, status, headers, body) if edit else (status, headers, body)
            if changed is None:
                continue
            write_response(writer, url, *changed, date=date)
            recorded.append(url)
    return recorded


def write_response(
    writer: WARCWriter, url: str, status: int, headers: list[tuple[str, str]], body: bytes, date: str
) -> None:
    """Write one response record (headers without Transfer-Encoding, Content-Length fixed)."""
    kept = [(k, v) for k, v in headers if k.lower() not in ("transfer-encoding", "content-length")]
    kept.append(("Content-Length", str(len(body))))
    reason = http.client.responses.get(status, "")
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        http_headers=StatusAndHeaders(f"{status} {reason}", kept, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": date},
    )
    writer.write_record(record)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Pywb:
    """pywb's ``wayback`` serving one collection on 127.0.0.1."""

    root: Path
    collection: str = "dead"
    port: int = 0
    throttle: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.collection}"

    @property
    def cdx_url(self) -> str:
        return f"{self.base}/cdx"

    @property
    def replay_url(self) -> str:
        return f"{self.base}/"

    def add(self, warcs: Iterable[Path]) -> None:
        """Index WARCs into the collection (``wb-manager init`` / ``add``)."""
        manager = str(Path(sys.executable).parent / "wb-manager")
        if not (self.root / "collections" / self.collection).is_dir():
            subprocess.run([manager, "init", self.collection], cwd=self.root, check=True, capture_output=True)
        subprocess.run(
            [manager, "add", self.collection, *map(str, warcs)], cwd=self.root, check=True, capture_output=True
        )

    def start(self, throttle_file: Path | None = None) -> None:
        """Serve the collection; with ``throttle_file``, behind the 429 wrapper (tests/wayback_throttle.py)."""
        self.port = free_port()
        env = dict(os.environ)
        if throttle_file is not None:
            env["WAYBACK_THROTTLE_FILE"] = str(throttle_file)
            command = [sys.executable, str(Path(__file__).parent / "wayback_throttle.py"), str(self.port)]
        else:
            command = [str(Path(sys.executable).parent / "wayback"), "-b", "127.0.0.1", "-p", str(self.port)]
        self.process = subprocess.Popen(
            command, cwd=self.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2).read()
                return
            except OSError as exc:
                if self.process.poll() is not None:
                    raise RuntimeError(f"pywb exited: {self.process.stderr.read()[-2000:]!r}") from exc
                time.sleep(0.2)
        raise RuntimeError("pywb did not start within 60 s")

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process)
            self.process = None
