"""Wrong arguments: one clear line naming the argument, a non-zero exit, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_crawl

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["url=not-a-web-address"], "argument url: 'not-a-web-address' is not a web address"),
        (["url=ftp://recaps.example/"], "argument url: 'ftp://recaps.example/' is not a web address"),
        ([], "argument url is required"),
    ],
)
def test_bad_url_argument_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "a.db"
    run = run_crawl(db, *args)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert lines == [f"scrapy crawl recaps: error: {message}"] or (len(lines) == 1 and message in lines[0]), run.stderr
    assert not db.exists() and not list(tmp_path.glob("*.log"))


def test_archive_in_missing_folder_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "missing" / "a.db"
    run = run_crawl(db, "url=http://127.0.0.1:9/")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"scrapy crawl recaps: error: ARCHIVE_DB '{db}': folder '{db.parent}' does not exist"
    ]
    assert not db.parent.exists()


def test_unreachable_url_exits_non_zero_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    # Port 9 (discard) has no listener here: the connection is refused at once.
    run = run_crawl(db, "url=http://127.0.0.1:9/", settings={"RETRY_TIMES": "1", "LOG_LEVEL": "INFO"})
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "scrapy crawl recaps: error: no start URL could be fetched (see the log above)"
    )
    assert "cannot fetch start URL http://127.0.0.1:9/" in run.log
    assert not db.exists()


def test_bad_clock_setting_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    run = run_crawl(db, "url=http://127.0.0.1:9/", settings={"ARCHIVER_NOW": "yesterday"})
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "scrapy crawl recaps: error: setting ARCHIVER_NOW: 'yesterday' is not an ISO 8601 time with an offset"
    ]
    assert not db.exists()
