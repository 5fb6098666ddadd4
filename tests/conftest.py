"""Shared test helpers: a demo site in a subprocess and `scrapy crawl recaps` in another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parent.parent
OUTPUT = PROJECT / "test-output"

# Tests crawl only servers on 127.0.0.1 that they start themselves, so they lift the politeness limits.
LOCAL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "DEBUG",
}


@dataclass
class DemoSite:
    """A running demo site and the ground truth it wrote."""

    base_url: str
    truth: dict[str, Any]
    process: subprocess.Popen


def start_demo_site(tmp: Path, *args: str) -> DemoSite:
    """Start `python -m archiver.demo` on a free port; return it once it serves."""
    truth_path = tmp / "truth.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "archiver.demo", "--port", "0", "--truth", str(truth_path), *args],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "http://" not in line:
        process.kill()
        raise RuntimeError(f"demo site did not start: {line!r}")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    return DemoSite(line.split()[-1], truth, process)


def terminate(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server process: SIGTERM, then SIGKILL if it has not gone within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop(site: DemoSite) -> None:
    terminate(site.process)


@dataclass
class CrawlRun:
    """A finished `scrapy crawl` subprocess."""

    returncode: int
    stdout: str
    stderr: str
    log: str


def run_crawl(db: Path, *spider_args: str, settings: dict[str, str] | None = None, timeout: int = 300) -> CrawlRun:
    """Run `scrapy crawl recaps` in the project folder, as a user would."""
    log_file = db.with_suffix(f".{len(list(db.parent.glob('*.log')))}.log")
    command = ["scrapy", "crawl", "recaps", "-s", f"ARCHIVE_DB={db}", "-s", f"LOG_FILE={log_file}"]
    for name, value in {**LOCAL_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    for arg in spider_args:
        command += ["-a", arg]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=timeout, env=env)
    log = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
    return CrawlRun(done.returncode, done.stdout, done.stderr, log)


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
