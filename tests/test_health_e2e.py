"""The health report on real crawls: the demo site crawled healthy, then served with broken markup on the same
address and crawled again into the same archive. The warning, `recap-archiver stats`, Datasette's `crawl_health`, the
`crawls` row and exit status 3 (from `recap-archiver crawl` and `scrapy crawl recaps`), with nothing archived earlier
lost; and no false alarm from unchanged re-crawls, a `refresh=due` one fetching a few pages included."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import (
    LOCAL_SETTINGS,
    PROJECT,
    CrawlRun,
    archive_rows,
    fetch,
    free_port,
    run_crawl,
    start_demo_site,
    stop,
)

pytestmark = pytest.mark.e2e

SMALL = ("--series", "2", "--episodes", "3", "--extra-posts", "1", "--comments", "220", "--per-page", "6")
COUNTS = "select count(*) as comments, count(gone_at) as gone, count(upvotes) as voted from comments"


@dataclass
class Healthy:
    """An archive of three healthy crawls of the demo site (first, refresh=all, refresh=due), the site stopped."""

    db: Path
    base_url: str
    port: str
    runs: list[CrawlRun]


def cli_crawl(db: Path, url: str, *spider_args: str) -> subprocess.CompletedProcess[str]:
    """`recap-archiver crawl URL --db DB` in a subprocess (its own reactor), with the test settings."""
    command = [sys.executable, "-m", "archiver.cli", "crawl", url, "--db", str(db)]
    for name, value in LOCAL_SETTINGS.items():
        command += ["-s", f"{name}={value}"]
    for arg in spider_args:
        command += ["-a", arg]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=300, env=env)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archiver.cli", *args], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Healthy:
    folder = tmp_path_factory.mktemp("health")
    port = str(free_port())
    site = start_demo_site(folder, *SMALL, "--port", port)  # a fixed port: the broken site is the same site
    db = folder / "recaps.db"
    try:
        first = run_crawl(db, f"url={site.base_url}")
        again = run_crawl(db, f"url={site.base_url}", "refresh=all")
        # Two recaps made due now: the refresh=due crawl fetches them and the listings, nothing else.
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("update recaps set next_due_at = '2000-01-01T00:00:00+00:00' where id in (1, 2)")
        conn.close()
        due = run_crawl(db, f"url={site.base_url}")
    finally:
        stop(site)
    return Healthy(db, site.base_url, port, [first, again, due])


def test_unchanged_recrawls_are_no_false_alarm(healthy: Healthy) -> None:
    first, again, due = healthy.runs
    for run in healthy.runs:
        assert run.returncode == 0, run.stderr[-2000:]
        assert "looks broken" not in run.log + run.stderr
    assert "Health: first crawl of its sites" in first.log
    assert "Health: ok, every site read as in its earlier crawls" in again.log
    assert "2 recaps saved" in due.log and "Health: ok" in due.log  # a small sample judged on what it has
    crawls = archive_rows(healthy.db, "select health, health_report from crawls order by id")
    assert [c["health"] for c in crawls] == ["first", "ok", "ok"]
    assert all(json.loads(c["health_report"]) == [] for c in crawls)
    sites = archive_rows(healthy.db, "select verdict, posts, listings from crawl_sites order by crawl_id")
    assert sites == [
        {"verdict": "first", "posts": 7, "listings": 2},
        {"verdict": "ok", "posts": 7, "listings": 2},
        {"verdict": "ok", "posts": 2, "listings": 2},
    ]


@pytest.mark.parametrize(("kind", "sign"), [("comments", "comment_area"), ("votes", "votes")])
def test_broken_markup_is_reported_with_exit_status_3(healthy: Healthy, tmp_path: Path, kind: str, sign: str) -> None:
    db = tmp_path / "recaps.db"
    source, copy = sqlite3.connect(healthy.db), sqlite3.connect(db)
    source.backup(copy)  # the archive is in WAL mode: a copy of its file alone could miss the last commits
    source.close()
    copy.close()
    before = archive_rows(db, COUNTS)[0]
    site = start_demo_site(tmp_path, *SMALL, "--port", healthy.port, "--break-markup", kind)
    try:
        assert site.base_url == healthy.base_url
        cli_run = cli_crawl(db, site.base_url, "refresh=all")
        scrapy_run = run_crawl(db, f"url={site.base_url}", "refresh=all") if kind == "comments" else None
    finally:
        stop(site)
    # recap-archiver crawl: the WARNING line, the summary, one error line at the end, exit status 3.
    assert cli_run.returncode == 3, cli_run.stderr[-3000:]
    warnings = [line for line in cli_run.stderr.splitlines() if "[archiver.crawl.health] WARNING" in line]
    assert warnings and all(f"Demo (http://127.0.0.1:{healthy.port}/) looks broken: " in w for w in warnings)
    assert "Health: " in cli_run.stderr and "that a site looks broken (exit status 3):" in cli_run.stderr
    assert cli_run.stderr.strip().splitlines()[-1].startswith("recap-archiver crawl: error: ")
    expected = {
        "comments": "post pages without a comment area: 0 of 7 (0%) post pages show one, against 14 of 14 (100%) "
        "in the last 2 healthy crawls; e.g. http://127.0.0.1:",
        "votes": "votes missing: 0 of 220 (0%) comments have votes, against",
    }[kind]
    assert expected in cli_run.stderr
    # scrapy crawl recaps: the same verdict from the same failure(), exit status 3.
    if scrapy_run is not None:
        assert scrapy_run.returncode == 3, scrapy_run.stderr[-3000:]
        assert "scrapy crawl recaps: error: " in scrapy_run.stderr and expected in scrapy_run.stderr
        assert "looks broken: post pages without a comment area" in scrapy_run.log
    # The crawls row holds the verdict and the signs; the stats count them.
    crawls = archive_rows(db, "select health, health_report, stats from crawls order by id")
    assert [c["health"] for c in crawls] == ["first", "ok", "ok"] + ["broken"] * (2 if scrapy_run else 1)
    report = json.loads(crawls[-1]["health_report"])
    assert sign in [s["sign"] for s in report]
    assert all(s["example"].startswith(healthy.base_url) for s in report)
    stats = json.loads(crawls[-1]["stats"])
    assert stats["archiver/health/broken"] == len(report) and stats[f"archiver/health/{sign}"] == 1
    # recap-archiver stats shows it.
    shown = cli("stats", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "health broken" in shown.stdout and f"(http://127.0.0.1:{healthy.port}/): broken in crawl #" in shown.stdout
    assert expected in shown.stdout
    # Datasette's canned query lists the site's latest verdict with its signs.
    [latest] = fetch(db, f"/{db.stem}/crawl_health.json?_shape=array")
    assert [(row["base_url"], row["verdict"]) for row in latest] == [(healthy.base_url, "broken")]
    assert expected in latest[0]["signs"]
    # Nothing archived earlier is lost: every comment is still there, none marked gone, votes kept.
    assert archive_rows(db, COUNTS)[0] == before == {"comments": 220, "gone": 0, "voted": 220}
