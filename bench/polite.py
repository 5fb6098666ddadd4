"""A hundred polite sites at once: ``python -m bench --polite-only`` (also run by ``make bench``).

One demo site is pre-rendered once with a placeholder address and served on 100 loopback addresses
(127.0.0.2 to 127.0.0.101, one port; Linux routes all of 127/8 to ``lo``), each address answering with its
own address in the pages' links: nginx rewrites the placeholder (``sub_filter``, one ``server`` per address),
or, without nginx, one Twisted process listening on every address does. Then ONE ``recap-archiver crawl --config
sites.toml`` (a sites file naming the 100 sites, one archive) crawls them all with the project's polite defaults
untouched (robots.txt, one request at a time per site, a 1 s delay, AutoThrottle): at best 100 pages/s in
aggregate.

Pages/s is measured from the archive's ``pages`` table (every fetch with its host and second): over the window
in which all sites are being crawled (from the second the last site got its first page to the second the
first site got its last), and over the whole crawl (Scrapy's ``elapsed_time_seconds``, which includes the
start, where each site waits for its robots.txt, and the tail, where the last sites finish alone).
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from archiver.archive.sqlite import sqlite3
from bench.measure import run_measured, scrapy_stats
from bench.serve import StaticServer, free_port
from bench.site import BenchSize, export_site, file_for

SITES = 100
FIRST_HOST = 2
"""127.0.0.2 is the first site: 127.0.0.1 stays free for everything else on the machine."""
POLITE_SIZE = BenchSize("polite", 3_000, 60)
"""Each site: 62 recaps, 3,000 comments (50 threads a comment page): about 110 pages, so about two minutes
a site at one page a second."""
PLACEHOLDER = "127.0.0.2:1"
"""The address the export is rendered with; each server answers with its own instead (never followed by a
digit in the pages, so no longer address is rewritten by mistake)."""

NGINX_SUB_FILTER = """\
    sub_filter_once off;
    sub_filter_types text/plain;
"""
NGINX_SERVER = """\
    server {{
        listen {host}:{port};
        root {root};
        index index.html;
        sub_filter '{placeholder}' '{host}:{port}';
        location / {{ try_files $uri $uri/index.html =404; }}
    }}
"""


def hosts(count: int = SITES) -> list[str]:
    """The loopback addresses the sites are served on."""
    return [f"127.0.0.{FIRST_HOST + i}" for i in range(count)]


class ManySites(StaticServer):
    """The export served on every address of ``addresses`` at ``port`` (a context manager): nginx, else Twisted."""

    start_seconds = 30
    connections = 4096

    def __init__(self, root: Path, addresses: list[str], port: int, work: Path, kind: str = "auto") -> None:
        super().__init__(root, port, work, kind)
        self.addresses = addresses

    def urls(self) -> list[str]:
        """Each site's home page."""
        return [f"http://{host}:{self.port}/" for host in self.addresses]

    def nginx_servers(self) -> str:
        return NGINX_SUB_FILTER + "".join(
            NGINX_SERVER.format(host=host, port=self.port, root=self.root, placeholder=PLACEHOLDER)
            for host in self.addresses
        )

    def twisted_command(self) -> list[str]:
        return [sys.executable, "-m", "bench.polite", str(self.root), str(self.port), *self.addresses]

    def ready_urls(self) -> list[str]:
        return [self.urls()[0] + "robots.txt", self.urls()[-1] + "robots.txt"]

    def check(self, body: bytes) -> None:
        if PLACEHOLDER.encode() in body:
            raise RuntimeError(f"{self.kind} serves the placeholder address unchanged")


def write_sites_file(path: Path, urls: list[str], archive: Path) -> Path:
    """A sites file (docs/many-sites.md) naming each of ``urls`` as a site, all into ``archive``, no settings."""
    lines = ["[defaults]", f'archive = "{archive.resolve()}"', ""]
    for url in urls:
        name = "site-" + (urlsplit(url).hostname or "").replace(".", "-")
        lines += [f"[sites.{name}]", f'urls = ["{url}"]', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def fetch_rates(archive: Path) -> dict:
    """Pages a second from the archive's ``pages`` table: while every site is being crawled, and per site."""
    conn = sqlite3.connect(archive)
    try:
        rows = conn.execute("select url, fetched_at from pages").fetchall()
    finally:
        conn.close()
    per_host: dict[str, list[int]] = defaultdict(list)
    for url, fetched_at in rows:
        second = int(datetime.fromisoformat(fetched_at).timestamp())
        per_host[urlsplit(url).netloc].append(second)
    if not per_host:
        return {"pages_stored": 0}
    start = max(min(s) for s in per_host.values())  # every site has started
    end = min(max(s) for s in per_host.values())  # no site has finished
    seconds = [s for times in per_host.values() for s in times]
    in_window = sum(1 for s in seconds if start <= s <= end)
    window = end - start + 1  # fetched_at has whole seconds: the window holds these seconds entirely
    return {
        "pages_stored": len(seconds),
        "sites_with_pages": len(per_host),
        "window_s": window,
        "window_pages": in_window,
        "window_pages_per_s": round(in_window / window, 1) if window > 0 else None,
        "pages_per_site_min": min(len(t) for t in per_host.values()),
        "pages_per_site_max": max(len(t) for t in per_host.values()),
    }


def bench_polite(
    out: Path, server_kind: str = "auto", sites: int = SITES, size: BenchSize = POLITE_SIZE, log=print
) -> dict:
    """Serve ``sites`` copies of the demo site of ``size`` and crawl them all in one polite crawl; return the
    figures."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    export = export_site(size, out, f"http://{PLACEHOLDER}/")
    log(
        f"[polite] site: {export.info['recaps']} recaps, {export.info['comments']} comments, "
        f"{export.info['pages']} pages each, {sites} sites (exported in {time.perf_counter() - start:.0f} s)"
    )
    runs = out / "run-polite"
    runs.mkdir(exist_ok=True)
    for old in runs.glob("polite.db*"):
        old.unlink()
    archive = runs / "polite.db"
    logfile = runs / "polite.log"
    logfile.unlink(missing_ok=True)
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    port = free_port()
    with ManySites(export.root, hosts(sites), port, runs / "server", server_kind) as server:
        log(f"[polite] recap-archiver crawl of {sites} sites, polite defaults ({server.kind}) ...")
        # Only the log is set: robots.txt, one request per site at a time, the delay and AutoThrottle stay.
        config = write_sites_file(runs / "sites.toml", server.urls(), archive)
        command = [
            str(bindir / "recap-archiver"),
            "crawl",
            "--config",
            str(config),
            "-s",
            f"LOG_FILE={logfile}",
            "-s",
            "STATS_DUMP=True",
        ]
        run = run_measured(command, runs, runs / "polite.out", env)
    stats = scrapy_stats(logfile.read_text(encoding="utf-8", errors="replace")) if logfile.exists() else {}
    pages = int(stats.get("downloader/response_count", 0))
    elapsed = stats.get("elapsed_time_seconds") or run.wall_s
    comments = 0
    rates: dict = {}
    if archive.exists():
        conn = sqlite3.connect(archive)
        comments = conn.execute("select count(*) from comments").fetchone()[0]
        conn.close()
        rates = fetch_rates(archive)
    return {
        "sites": sites,
        "server": server.kind,
        "site": {k: export.info[k] for k in ("recaps", "comments", "pages", "html_bytes")},
        "returncode": run.returncode,
        "pages": pages,
        "comments": comments,
        "comments_missing": sites * export.info["comments"] - comments,
        "wall_s": round(run.wall_s, 2),
        "crawl_s": round(elapsed, 2),
        **run.figures(),
        "read_processes": int(stats.get("archiver/workers/processes", 0)),
        "pages_per_s_whole_crawl": round(pages / elapsed, 1) if elapsed else None,
        **rates,
    }


def polite_keys(result: dict) -> dict:
    """The issue's two figures, for the top of ``bench-results.json``."""
    return {
        "polite_sites_pages_per_s": result.get("window_pages_per_s"),
        "polite_sites_pages_per_s_whole_crawl": result.get("pages_per_s_whole_crawl"),
        "polite_sites_peak_rss_mb": result.get("peak_rss_mb"),
    }


def polite_table(r: dict) -> str:
    """The printed lines for the polite case."""
    return (
        f"\n== {r['sites']} polite sites at once ({r['site']['pages']} pages, {r['site']['comments']} comments "
        f"each), one `recap-archiver crawl --config`, polite defaults, served by {r['server']} ==\n"
        f"pages/s while all sites are crawled: {r.get('window_pages_per_s')} (target >= 95; "
        f"{r.get('window_pages')} pages in {r.get('window_s')} s); whole crawl: {r['pages_per_s_whole_crawl']} "
        f"({r['pages']} pages in {r['crawl_s']} s, start-up and tail included)\n"
        f"peak RSS {r['peak_rss_mb']:.0f} MB, all processes (target < 500; main {r['peak_rss_main_mb']:.0f} MB, "
        f"{r['read_processes']} page-reading worker(s)); CPU {r['cpu_s']} s"
        + (f" (the rest of the machine meanwhile: {r['others_cpu_s']} s)" if r.get("others_cpu_s") is not None else "")
        + f"; comments missing: {r['comments_missing']}; exit status {r['returncode']}"
    )


def export_resource(root: Path):
    """The Twisted fallback: a leaf resource answering every address with its own address in the pages."""
    from twisted.web.resource import Resource

    class ExportResource(Resource):
        isLeaf = True

        def render_GET(self, request):  # noqa: N802 - Twisted's name
            path = request.path.decode("utf-8", "replace")
            last = path.rsplit("/", 1)[-1]
            target = file_for(root, path if path.endswith("/") or "." in last else path + "/")
            try:
                body = target.read_bytes()
            except OSError:
                request.setResponseCode(404)
                return b"not found"
            host = request.getHost()
            body = body.replace(PLACEHOLDER.encode(), f"{host.host}:{host.port}".encode())
            kind = "text/plain" if target.suffix == ".txt" else "text/html"
            request.setHeader(b"Content-Type", f"{kind}; charset=utf-8".encode())
            return body

    return ExportResource()


def main(argv: list[str]) -> None:
    """Serve export ``argv[0]`` on port ``argv[1]`` of each address ``argv[2:]`` with Twisted until terminated."""
    from twisted.internet import reactor
    from twisted.web.server import Site

    site = Site(export_resource(Path(argv[0])))
    for address in argv[2:]:
        reactor.listenTCP(int(argv[1]), site, interface=address)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1:])
