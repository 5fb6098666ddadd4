"""Scrapyd nodes: the project's egg deployed to each, one job per site of a sites file, and each site's last job.

``recap-archiver schedule`` is a thin skin over this module. The egg is built by scrapyd-client
(``scrapyd-deploy --build-egg``) in a temporary copy of the project folder, so the folder gets no ``setup.py``,
``build/`` or ``*.egg-info``; it is uploaded with Scrapyd's ``addversion.json``. Sites go to the nodes in file
order, round robin, each into an archive of its own on its node (``<archive folder>/<site>.db``); a job's id names
its site and when it was scheduled (``soundtrack-20261130T031500Z``), which is how ``--status`` finds a site's
last job among every node's ``listjobs.json``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from archiver.crawl.sites import Site
from archiver.errors import ArchiverError, ArgumentError

PROJECT_NAME = "recap_archiver"
"""The Scrapyd project (scrapy.cfg's ``[deploy] project``)."""
SPIDER = "recaps"
TIMEOUT = 30
# What the egg is built from: setuptools reads pyproject.toml (with its readme and license), scrapy.cfg names
# the settings module, and the three folders are the packages (spiders/ and pipelines/ go inside archiver/).
EGG_SOURCES = ("pyproject.toml", "scrapy.cfg", "README.md", "LICENSE", "archiver", "spiders", "pipelines")
JOB_ID = re.compile(r"(?P<site>[A-Za-z0-9_-]+)-(?P<stamp>\d{8}T\d{6}Z)")


class NodeError(ArchiverError):
    """A Scrapyd node could not be reached or refused a request; the message names the node."""


class EggError(ArchiverError):
    """The project's egg could not be built."""


@dataclass
class Assignment:
    """One site scheduled on one node."""

    site: Site
    node: str
    archive: str
    """The site's archive on its node."""
    job: str = ""
    """Scrapyd's job id, once scheduled."""


@dataclass
class JobState:
    """A site's last job as Scrapyd reports it; ``state`` is ``pending``, ``running``, ``finished`` or ``none``."""

    site: str
    node: str = ""
    job: str = ""
    state: str = "none"
    start: str = ""
    end: str = ""


def node_url(value: str) -> str:
    """A ``--scrapyd`` value as a base URL ending in ``/``; ArgumentError unless it is an http(s) address."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ArgumentError(f"--scrapyd {shown(value)!r} is not a Scrapyd address (http://host:6800)")
    return value if value.endswith("/") else value + "/"


def shown(node: str) -> str:
    """A node's URL as printed: without a user name and password given in it (``~/.netrc`` is the better place)."""
    parts = urlsplit(node)
    if parts.username is None and parts.password is None:
        return node
    host = parts.hostname or ""
    return urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))


def _call(node: str, endpoint: str, data: Any = None, files: Any = None, **params: str) -> dict[str, Any]:
    """GET (or POST, with ``data``) a Scrapyd JSON endpoint; NodeError naming the node for any failure."""
    requests = _client_library("requests")

    try:
        if data is None:
            response = requests.get(node + endpoint, params=params, timeout=TIMEOUT)
        else:
            response = requests.post(node + endpoint, data=data, files=files, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise NodeError(f"Scrapyd node {shown(node)}: unreachable ({type(exc).__name__})") from exc
    try:
        answer = response.json()
    except ValueError as exc:
        raise NodeError(
            f"Scrapyd node {shown(node)}: {endpoint} answered HTTP {response.status_code}, not JSON"
        ) from exc
    if answer.get("status") != "ok":
        message = " ".join(str(answer.get("message", answer)).split())[:300]
        raise NodeError(f"Scrapyd node {shown(node)}: {endpoint} refused: {message}")
    return answer


def _client_library(name: str) -> Any:
    """Import ``name``, a library of the ``scrapyd`` extra; ArchiverError saying how to install it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ArchiverError(f"scheduling on Scrapyd needs {name}: pip install 'recap-archiver[scrapyd]'") from exc


def check_nodes(nodes: list[str]) -> None:
    """Ask every node for its status before anything is deployed; NodeError for the first that does not answer."""
    for node in nodes:
        _call(node, "daemonstatus.json")


def project_folder() -> Path:
    """The folder holding this project's scrapy.cfg and pyproject.toml: the clone recap-archiver runs from.

    Raises EggError when recap-archiver is installed without its project folder (give --egg then).
    """
    folder = Path(__file__).resolve().parents[2]
    if not all((folder / name).exists() for name in EGG_SOURCES):
        raise EggError(
            f"no project folder (scrapy.cfg, pyproject.toml) at {folder}: build the egg there, or give --egg"
        )
    return folder


def build_egg(dest: Path, folder: Path | None = None) -> Path:
    """Build the project's egg with scrapyd-client into ``dest`` (a file); return it. EggError says why not."""
    source = folder or project_folder()
    _client_library("scrapyd_client")
    with tempfile.TemporaryDirectory(prefix="recap-archiver-egg-") as tmp:
        copy = Path(tmp) / "project"
        copy.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for name in EGG_SOURCES:
            path = source / name
            if path.is_dir():
                shutil.copytree(path, copy / name, ignore=ignore)
            else:
                shutil.copy2(path, copy / name)
        env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
        done = subprocess.run(
            [sys.executable, "-m", "scrapyd_client.deploy", "--build-egg", str(dest.resolve())],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    if done.returncode != 0 or not dest.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EggError(f"building the egg with scrapyd-deploy failed: {last}")
    return dest


def deploy(nodes: list[str], egg: Path, version: str) -> None:
    """Upload ``egg`` as ``version`` of the project to every node (``addversion.json``)."""
    for node in nodes:
        with egg.open("rb") as f:
            _call(
                node,
                "addversion.json",
                data={"project": PROJECT_NAME, "version": version},
                files=[("egg", ("project.egg", f))],
            )


def plan(sites: list[Site], nodes: list[str], archive_folder: str | None = None) -> list[Assignment]:
    """Spread ``sites`` over ``nodes`` in file order, round robin; each into ``<folder>/<site>.db`` on its node.

    The folder is ``archive_folder`` when given, else the folder of the site's archive in the sites file.
    """
    out = []
    for i, site in enumerate(sites):
        folder = archive_folder or str(site.archive.parent)
        out.append(Assignment(site, nodes[i % len(nodes)], f"{folder.rstrip('/')}/{site.name}.db"))
    return out


def setting_value(value: Any) -> str:
    """A sites-file setting as ``scrapy crawl -s NAME=VALUE`` spells it (Scrapy reads JSON for dicts and lists)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def schedule(assignments: list[Assignment], version: str, now: datetime | None = None) -> None:
    """Schedule each assignment's job (``schedule.json``) on its node; fills in ``job``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    for a in assignments:
        settings = {**a.site.crawl_settings(), "ARCHIVE_DB": a.archive}
        fields = [
            ("project", PROJECT_NAME),
            ("spider", SPIDER),
            ("_version", version),
            ("jobid", f"{a.site.name}-{stamp}"),
        ]
        fields += list(a.site.spider_arguments().items())
        fields += [("setting", f"{name}={setting_value(value)}") for name, value in settings.items()]
        a.job = _call(a.node, "schedule.json", data=fields)["jobid"]


def new_version() -> str:
    """A version for the egg, as scrapyd-deploy gives one: the time in seconds (Scrapyd runs the newest)."""
    return str(int(time.time()))


def last_jobs(sites: list[Site], nodes: list[str]) -> list[JobState]:
    """Each site's last job over all ``nodes`` (the newest by the time in its id), from ``listjobs.json``."""
    found: dict[str, tuple[str, JobState]] = {}
    for node in nodes:
        if PROJECT_NAME not in _call(node, "listprojects.json")["projects"]:
            continue  # never deployed there: no jobs (listjobs.json would answer an error)
        answer = _call(node, "listjobs.json", project=PROJECT_NAME)
        for state in ("pending", "running", "finished"):
            for job in answer.get(state, []):
                match = JOB_ID.fullmatch(str(job.get("id", "")))
                if match is None:
                    continue
                row = JobState(
                    match["site"],
                    shown(node),
                    job["id"],
                    state,
                    str(job.get("start_time") or "")[:19],
                    str(job.get("end_time") or "")[:19],
                )
                if match["site"] not in found or match["stamp"] > found[match["site"]][0]:
                    found[match["site"]] = (match["stamp"], row)
    return [found[s.name][1] if s.name in found else JobState(s.name) for s in sites]
