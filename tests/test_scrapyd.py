"""Scrapyd: deploy this project with `scrapyd-deploy`, schedule `recaps` over the JSON API, compare the archive.

Everything runs on 127.0.0.1: a real Scrapyd (the venv's, so its jobs run with the venv's Python) in a temporary
folder, the demo site, and `scrapyd-deploy` run from a temporary copy of the project, so the working tree gets no
setup.py, build/ or *.egg-info from building the egg.
"""

from __future__ import annotations

import configparser
import importlib.metadata
import json
import subprocess
import time
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    BIN,
    PROJECT,
    SCRAPY_PROJECT,
    Scrapyd,
    archive_rows,
    assert_same,
    copy_project,
    differences,
    isolated_env,
    start_demo_site,
    stop,
)

pytestmark = pytest.mark.slow

JOB_TIMEOUT = 90


def setuptools_reads_the_pyproject(copy: Path) -> bool:
    """Whether plain `scrapyd-deploy` builds a usable egg here: pyproject.toml declares Scrapy's entry point, and
    setuptools is 77 or later (older ones cannot read its SPDX `license`)."""
    pyproject = tomllib.loads((copy / "pyproject.toml").read_text(encoding="utf-8"))
    declared = "settings" in pyproject["project"].get("entry-points", {}).get("scrapy", {})
    return declared and int(importlib.metadata.version("setuptools").split(".")[0]) >= 77


def declare_scrapy_entry_point(copy: Path) -> None:
    """Give the copy a setup.py with the project's packaging and Scrapy's entry point, and no pyproject.toml.

    `scrapyd-deploy` builds the egg with `python setup.py bdist_egg`, writing its own setup.py (packages and the
    `scrapy` entry point naming the settings module) when there is none. Next to a pyproject.toml whose [project]
    table does not declare that entry point, setuptools drops it (`entry-points` is not dynamic) and Scrapy then
    fails on the egg; setuptools older than 77 cannot read this pyproject.toml at all. In those cases the copy gets
    a setup.py made from pyproject.toml that declares the entry point, and `scrapyd-deploy` uses it.
    """
    pyproject = tomllib.loads((copy / "pyproject.toml").read_text(encoding="utf-8"))
    tool = pyproject["tool"]["setuptools"]
    cfg = configparser.ConfigParser()
    cfg.read(copy / "scrapy.cfg")
    (copy / "setup.py").write_text(
        "from setuptools import setup\n\n"
        "setup(\n"
        f"    name={pyproject['project']['name']!r},\n"
        f"    version={pyproject['project']['version']!r},\n"
        f"    packages={tool['packages']!r},\n"
        f"    package_dir={tool.get('package-dir', {})!r},\n"
        f"    package_data={tool.get('package-data', {})!r},\n"
        f"    entry_points={{'scrapy': ['settings = {cfg['settings']['default']}']}},\n"
        ")\n",
        encoding="utf-8",
    )
    (copy / "pyproject.toml").unlink()


def deploy(scrapyd: Scrapyd, copy: Path) -> dict[str, Any]:
    """Add `url` to the copy's [deploy] target and run `scrapyd-deploy` there; return Scrapyd's answer."""
    cfg = configparser.ConfigParser()
    cfg.read(copy / "scrapy.cfg")
    cfg["deploy"]["url"] = scrapyd.url
    with (copy / "scrapy.cfg").open("w") as f:
        cfg.write(f)
    done = subprocess.run(
        [BIN / "scrapyd-deploy"],
        cwd=copy,
        env=isolated_env(copy.parent),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"scrapyd-deploy failed:\n{done.stderr[-3000:]}\n{done.stdout[-2000:]}"
    answer = json.loads(done.stdout)
    assert answer["status"] == "ok" and answer["project"] == SCRAPY_PROJECT, answer
    return answer


def wait_for_job(scrapyd: Scrapyd, job: str) -> None:
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        if any(j["id"] == job for j in scrapyd.get("listjobs.json", project=SCRAPY_PROJECT)["finished"]):
            return
        time.sleep(0.25)
    pytest.fail(f"job {job} not finished after {JOB_TIMEOUT} s:\n{scrapyd.log()[-3000:]}")


def test_deploy_and_schedule_a_crawl_on_scrapyd(scrapyd: Scrapyd, tmp_path: Path) -> None:
    stray = [p for p in ("setup.py", "build") if not (PROJECT / p).exists()]
    copy = copy_project(tmp_path / "project")
    if not setuptools_reads_the_pyproject(copy):
        declare_scrapy_entry_point(copy)
    answer = deploy(scrapyd, copy)
    assert answer["spiders"] >= 1
    assert scrapyd.get("listspiders.json", project=SCRAPY_PROJECT)["spiders"] == ["recaps"]

    # The stored egg holds the whole project, so the job cannot be quietly using the venv's editable install.
    (egg,) = (scrapyd.folder / "eggs" / SCRAPY_PROJECT).glob("*.egg")
    with zipfile.ZipFile(egg) as z:
        names = set(z.namelist())
        assert {"archiver/settings.py", "archiver/spiders/recaps.py", "archiver/pipelines/store.py"} <= names
        assert not any(n.startswith(("spiders/", "pipelines/")) for n in names)  # no generic top-level names
        assert "settings = archiver.settings" in z.read("EGG-INFO/entry_points.txt").decode()

    site = start_demo_site(tmp_path, "--series", "1", "--episodes", "3", "--extra-posts", "0", "--comments", "80")
    try:
        db = tmp_path / "archive" / "recaps.db"  # absolute: jobs run in Scrapyd's folder
        db.parent.mkdir()
        scheduled = scrapyd.post(
            "schedule.json",
            [
                ("project", SCRAPY_PROJECT),
                ("spider", "recaps"),
                ("url", site.base_url),
                ("setting", f"ARCHIVE_DB={db}"),
                ("setting", "DOWNLOAD_DELAY=0"),
                ("setting", "AUTOTHROTTLE_ENABLED=False"),
                ("setting", "CONCURRENT_REQUESTS_PER_DOMAIN=8"),
            ],
        )
        assert scheduled["status"] == "ok", scheduled
        job = scheduled["jobid"]
        wait_for_job(scrapyd, job)
    finally:
        stop(site)

    job_log = scrapyd.folder / "logs" / SCRAPY_PROJECT / "recaps" / f"{job}.log"
    log = job_log.read_text(encoding="utf-8") if job_log.exists() else scrapyd.log()
    assert "Spider closed (finished)" in log, log[-3000:]
    assert db.exists(), log[-3000:]
    assert_same(differences(db, site.truth, site.truth["recaps"]))
    (crawl,) = archive_rows(db, "select * from crawls")
    assert crawl["finish_reason"] == "finished" and json.loads(crawl["args"]).get("url") == site.base_url
    assert sum(len(r["comments"]) for r in site.truth["recaps"]) == crawl["comments_new"] > 0

    # Building the egg in the copy left nothing behind in the working tree.
    assert not [p for p in stray if (PROJECT / p).exists()]
