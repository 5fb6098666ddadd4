"""Fixtures shared by the test modules; helper functions are in helpers.py (imported here for older imports)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

# Re-exported: modules written before helpers.py import these from conftest.
from helpers import (  # noqa: F401
    CANARY_HOST,
    DEBUG_LOG,
    LOCAL_SETTINGS,
    OUTPUT,
    PROJECT,
    Canary,
    CrawlRun,
    DemoSite,
    Scrapyd,
    make_hostile_archive,
    open_archive,
    reader_recap,
    run_crawl,
    save_recap,
    start_crawl,
    start_demo_site,
    start_scrapyd,
    stop,
    stop_scrapyd,
    terminate,
)


@pytest.fixture(scope="session")
def hostile_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive whose comments try to inject script (helpers.make_hostile_archive), for the whole session."""
    return make_hostile_archive(tmp_path_factory.mktemp("hostile") / "hostile.db")


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    """The demo site at its default size, for the whole test session."""
    site = start_demo_site(tmp_path_factory.mktemp("site"))
    yield site
    stop(site)


@pytest.fixture(scope="session")
def full_crawl(demo_site: DemoSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CrawlRun]:
    """An archive of the whole demo site, made by one `scrapy crawl recaps` from its home page."""
    db = tmp_path_factory.mktemp("archive") / "recaps.db"
    # DEBUG: test_crawl_e2e reads the URLs fetched from Scrapy's "Crawled (200)" lines.
    run = run_crawl(db, f"url={demo_site.base_url}", settings=DEBUG_LOG)
    assert run.returncode == 0, run.stderr[-2000:]
    return db, run


@pytest.fixture
def canary() -> Iterator[str]:
    try:
        server = ThreadingHTTPServer((CANARY_HOST, 0), Canary)
    except OSError as exc:  # pragma: no cover - a system without 127.0.0.0/8 on loopback
        pytest.skip(f"cannot listen on {CANARY_HOST}: {exc}")
    Canary.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{CANARY_HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def reader_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reader") / "reader.db"
    db = open_archive(path)
    save_recap(db, reader_recap(), start_crawl(db, "test", {}, "2021-07-05T00:00:00+00:00"))
    db.close()
    return path


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[Scrapyd]:
    """A Scrapyd on 127.0.0.1 in its own folder (helpers.start_scrapyd); stopped with its jobs."""
    server = start_scrapyd(tmp_path / "scrapyd")
    try:
        yield server
    finally:
        stop_scrapyd(server)
