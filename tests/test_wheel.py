"""The wheel installs anywhere: built from a copy of the project, installed (not editable) into a fresh virtualenv
from PyPI (pip's cache makes it quick), then both crawl commands and `recap-archiver demo` run from empty folders."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from helpers import PROJECT, assert_same, copy_project, differences, start_demo_site, stop

pytestmark = pytest.mark.slow

LOCAL = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
GENERIC_NAMES = {"spiders", "pipelines", "tests", "bench", "docs"}


def run(command: list[str | Path], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command} failed ({done.returncode}):\n{done.stderr[-3000:]}\n{done.stdout[-1000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv (no system site-packages) with the project's wheel installed; returns its bin folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = copy_project(tmp / "source")  # the build writes build/ and *.egg-info next to its sources
    env = dict(os.environ)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp / "dist", source],
        cwd=tmp,
        env=env,
    )
    (wheel,) = (tmp / "dist").glob("recap_archiver-*.whl")
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(tmp / "venv")
    bin_dir = tmp / "venv" / "bin"
    run(
        [bin_dir / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel],
        cwd=tmp,
        env=env,
        timeout=600,
    )
    return bin_dir


def clean_env(bin_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SCRAPY_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}/usr/bin:/bin"
    return {**env, **extra}


def test_the_wheel_adds_no_generic_top_level_names(installed: Path) -> None:
    done = run(
        [installed / "python", "-c", "import archiver, sys; print(archiver.__file__)"],
        cwd=installed,
        env=clean_env(installed),
    )
    package = Path(done.stdout.strip()).parent
    assert package.parent.name == "site-packages" and str(PROJECT) not in str(package)
    top = {p.name for p in package.parent.iterdir()}
    assert not (GENERIC_NAMES & top), sorted(GENERIC_NAMES & top)
    assert (package / "spiders" / "recaps.py").is_file() and (package / "pipelines" / "store.py").is_file()
    assert (package / "web" / "datasette-metadata.json").is_file() and (package / "web" / "templates").is_dir()


def test_both_crawl_commands_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    site = start_demo_site(tmp_path, "--series", "1", "--episodes", "3", "--extra-posts", "0", "--comments", "80")
    try:
        first, second = tmp_path / "first", tmp_path / "second"
        first.mkdir()
        second.mkdir()
        run(
            [installed / "recap-archiver", "crawl", site.base_url, "--db", "recaps.db", *LOCAL],
            cwd=first,
            env=clean_env(installed),
        )
        run(
            [
                installed / "scrapy",
                "crawl",
                "recaps",
                "-a",
                f"url={site.base_url}",
                "-s",
                "ARCHIVE_DB=recaps.db",
                *LOCAL,
            ],
            cwd=second,
            env=clean_env(installed, SCRAPY_SETTINGS_MODULE="archiver.settings"),
        )
    finally:
        stop(site)
    for folder in (first, second):
        assert_same(differences(folder / "recaps.db", site.truth, site.truth["recaps"]))


def test_demo_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    done = run([installed / "recap-archiver", "demo", "--db", "demo.db"], cwd=tmp_path, env=clean_env(installed))
    assert (tmp_path / "demo.db").is_file()
    assert "The demo site has" in done.stdout
