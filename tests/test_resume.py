"""A crawl killed with SIGKILL leaves a consistent archive, and resuming with JOBDIR completes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import LOCAL_SETTINGS, PROJECT, assert_same, differences, run_crawl, start_demo_site, stop

pytestmark = pytest.mark.e2e


def saved_recaps(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("select count(*) from recaps").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_kill_9_then_resume_with_jobdir(tmp_path: Path) -> None:
    site = start_demo_site(tmp_path)
    db, jobdir = tmp_path / "resume.db", tmp_path / "job"
    # Slow enough to be killed in the middle: one request at a time, a short delay.
    slow = {**LOCAL_SETTINGS, "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOAD_DELAY": "0.05", "LOG_LEVEL": "INFO"}
    try:
        command = [
            "scrapy",
            "crawl",
            "recaps",
            "-a",
            f"url={site.base_url}",
            "-s",
            f"ARCHIVE_DB={db}",
            "-s",
            f"JOBDIR={jobdir}",
            "-s",
            f"LOG_FILE={tmp_path / 'killed.log'}",
        ]
        for name, value in slow.items():
            command += ["-s", f"{name}={value}"]
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        crawl = subprocess.Popen(command, cwd=PROJECT, env=env)
        deadline = time.monotonic() + 60
        while saved_recaps(db) < 4 and time.monotonic() < deadline and crawl.poll() is None:
            time.sleep(0.05)
        assert crawl.poll() is None, "the crawl finished before it could be killed"
        crawl.send_signal(signal.SIGKILL)
        crawl.wait(timeout=10)

        # What was committed is whole: every archived recap has its whole thread, nothing half-written.
        conn = sqlite3.connect(db)
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        truth = {r["url"]: r for r in site.truth["recaps"]}
        archived = conn.execute(
            "select recaps.url, count(comments.id) from recaps left join comments on comments.recap_id = recaps.id "
            "group by recaps.id"
        ).fetchall()
        conn.close()
        assert 4 <= len(archived) < len(truth)
        for url, count in archived:
            assert count == len(truth[url]["comments"]), url

        resumed = run_crawl(db, f"url={site.base_url}", settings={"JOBDIR": str(jobdir)})
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert_same(differences(db, site.truth, site.truth["recaps"]))
        conn = sqlite3.connect(db)
        assert conn.execute("select count(*) from comments").fetchone()[0] == sum(
            len(r["comments"]) for r in site.truth["recaps"]
        )
        conn.close()
    finally:
        stop(site)
