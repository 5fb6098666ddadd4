"""Fixtures shared by the test modules; helper functions are in helpers.py (imported here for older imports)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# Re-exported: modules written before helpers.py import these from conftest.
from helpers import (  # noqa: F401
    LOCAL_SETTINGS,
    OUTPUT,
    PROJECT,
    CrawlRun,
    DemoSite,
    make_hostile_archive,
    run_crawl,
    start_demo_site,
    stop,
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
    run = run_crawl(db, f"url={demo_site.base_url}")
    assert run.returncode == 0, run.stderr[-2000:]
    return db, run
