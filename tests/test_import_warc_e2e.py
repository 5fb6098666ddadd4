"""`recap-archiver import-warc`: WARCs of the demo site (our own export, wget's) rebuild what a live crawl archived."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import DemoSite, run_crawl, start_demo_site, stop

CLI = str(Path(sys.executable).parent / "recap-archiver")
SITE = ("--series", "1", "--episodes", "3", "--comments", "150")


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


THREADS = (
    "select recaps.url, recaps.title, recaps.thread_complete, comments.site_comment_id, "
    "comments.parent_site_comment_id, comments.path, comments.author, comments.posted_at, comments.body_text, "
    "comments.upvotes, comments.downvotes from comments join recaps on recaps.id = comments.recap_id "
    "order by recaps.url, comments.path"
)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DemoSite]]:
    """A live crawl of a small demo site, its export-warc, and a wget WARC of the same site (then stopped)."""
    tmp = tmp_path_factory.mktemp("warc")
    site = start_demo_site(tmp, *SITE)
    try:
        run = run_crawl(tmp / "live.db", f"url={site.base_url}")
        assert run.returncode == 0, run.stderr[-2000:]
        if shutil.which("wget"):
            subprocess.run(
                [
                    "wget",
                    "-q",
                    "--recursive",
                    "--level=inf",
                    "--no-parent",
                    "--delete-after",
                    "--no-directories",
                    "-P",
                    str(tmp / "wget"),
                    "--reject-regex",
                    r"replytocom|/feed|wp-login|wp-admin|\?",
                    "--warc-file",
                    str(tmp / "wget"),
                    site.base_url,
                ],
                timeout=120,
            )
    finally:
        stop(site)
    done = subprocess.run([CLI, "export-warc", str(tmp / "live.db"), str(tmp / "export.warc.gz")], check=True)
    assert done.returncode == 0
    yield tmp, site


def import_warc(db: Path, *warcs: Path) -> str:
    done = subprocess.run([CLI, "import-warc", str(db), *map(str, warcs)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("warc", ["export.warc.gz", "wget.warc.gz"])
def test_import_warc_rebuilds_the_live_archive(recorded: tuple[Path, DemoSite], warc: str) -> None:
    tmp, site = recorded
    if not (tmp / warc).exists():
        pytest.skip("wget is not installed (apt-get install wget)")
    db = tmp / f"from-{warc}.db"
    out = import_warc(db, tmp / warc)
    assert "Rebuilt 5 recaps and 150 comments (0 incomplete threads)" in out, out
    assert rows(db, THREADS) == rows(tmp / "live.db", THREADS)
    assert len(rows(db, THREADS)) == sum(len(r["comments"]) for r in site.truth["recaps"])
    assert rows(db, "select distinct source from comments") == [("warc",)]
    assert rows(
        db,
        "select count(*) from recaps where source = 'warc' and captured_at is not null "
        f"and capture_url like '{warc}#urn:uuid:%'",
    ) == [(5,)]
    # Idempotent: the same records again add nothing, not even a crawl.
    before = {t: rows(db, f"select count(*) from {t}") for t in ("pages", "bodies", "comments", "crawls")}
    assert "Nothing new" in import_warc(db, tmp / warc)
    assert {t: rows(db, f"select count(*) from {t}") for t in before} == before


def test_import_warc_refuses_what_is_not_a_warc(tmp_path: Path) -> None:
    (tmp_path / "notes.warc.gz").write_text("hello")
    done = subprocess.run(
        [CLI, "import-warc", str(tmp_path / "a.db"), str(tmp_path / "notes.warc.gz")], capture_output=True, text=True
    )
    assert done.returncode == 1 and "not a readable WARC file" in done.stderr
    done = subprocess.run(
        [CLI, "import-warc", str(tmp_path / "a.db"), str(tmp_path / "missing.warc.gz")], capture_output=True, text=True
    )
    assert done.returncode == 1 and "no WARC file" in done.stderr
