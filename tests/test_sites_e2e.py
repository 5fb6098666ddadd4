"""`recap-archiver crawl --config sites.toml` end to end: two demo sites (127.0.0.1 and 127.0.0.2, different seeds and
sizes) crawled in one process into one archive and into one archive each, every recap, comment, parent and vote
compared with the sites' ground truth; a bad entry stops everything before the first request."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import (
    LOCAL_SETTINGS,
    Canary,
    DemoSite,
    archive_rows,
    assert_same,
    differences,
    run_cli,
    start_demo_site,
    stop,
    toml_table,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def other_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    """A second demo site, on another loopback address (its own Scrapy download slot), smaller and seeded apart."""
    site = start_demo_site(
        tmp_path_factory.mktemp("other"), "--host", "127.0.0.2", "--seed", "7", "--comments", "250", "--episodes", "3"
    )
    yield site
    stop(site)


def sites_file(folder: Path, one: DemoSite, two: DemoSite, two_extra: str = "") -> Path:
    path = folder / "sites.toml"
    path.write_text(
        f'[defaults]\narchive = "recaps.db"\nsettings = {toml_table(LOCAL_SETTINGS)}\n\n'
        f'[sites.one]\nurls = ["{one.base_url}"]\n\n[sites.two]\nurls = ["{two.base_url}"]\n{two_extra}',
        encoding="utf-8",
    )
    return path


def summary_line(stderr: str, name: str) -> str:
    found = re.findall(rf"^  {name}: .*$", stderr, re.M)
    assert len(found) == 1, stderr[-3000:]
    return found[0]


def expected_line(name: str, site: DemoSite, archive: Path) -> str:
    recaps = site.truth["recaps"]
    comments = sum(len(r["comments"]) for r in recaps)
    return (
        f"  {name}: {len(recaps)} recaps ({len(recaps)} new, 0 changed), {comments} comments ({comments} new), "
        f"0 incomplete threads -> {archive}"
    )


@pytest.mark.parametrize(
    ("two_extra", "crawlers"),
    [("", 1), ("settings = { RETRY_TIMES = 2 }\n", 2)],
    ids=["same-settings-one-crawler", "other-settings-two-crawlers"],
)
def test_two_sites_into_one_archive(
    tmp_path: Path, demo_site: DemoSite, other_site: DemoSite, two_extra: str, crawlers: int
) -> None:
    sites_file(tmp_path, demo_site, other_site, two_extra)
    done = run_cli("crawl", "--config", "sites.toml", "-s", "LOG_FILE=crawl.log", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    db = tmp_path / "recaps.db"
    # Every recap, comment, parent and vote of both sites, in the one archive.
    assert len(demo_site.truth["recaps"]) != len(other_site.truth["recaps"])
    for site in (demo_site, other_site):
        assert_same(differences(db, site.truth, site.truth["recaps"], only_archived=True))
    total = len(demo_site.truth["recaps"]) + len(other_site.truth["recaps"])
    assert archive_rows(db, "select count(*) as n from recaps")[0]["n"] == total
    # One summary: a line per site, then the totals.
    assert summary_line(done.stderr, "one") == expected_line("one", demo_site, db)
    assert summary_line(done.stderr, "two") == expected_line("two", other_site, db)
    comments = sum(len(r["comments"]) for s in (demo_site, other_site) for r in s.truth["recaps"])
    assert (
        f"Total: 2 sites in {crawlers} crawler{'s' if crawlers > 1 else ''}: {total} recaps ({total} new, 0 changed), "
        f"{comments} comments ({comments} new), 0 incomplete threads; 1 archive written"
    ) in done.stderr
    crawls = archive_rows(db, "select * from crawls order by id")
    assert len(crawls) == crawlers
    assert all(c["finish_reason"] == "finished" for c in crawls)
    if crawlers == 1:  # both sites' start URLs in one spider
        assert demo_site.base_url in crawls[0]["args"] and other_site.base_url in crawls[0]["args"]
    else:  # crawlers sharing an archive run one after another
        assert crawls[0]["finished_at"] <= crawls[1]["started_at"]


def test_two_sites_one_archive_each_run_side_by_side(tmp_path: Path, demo_site: DemoSite, other_site: DemoSite) -> None:
    (tmp_path / "archives").mkdir()
    sites_file(tmp_path, demo_site, other_site, 'archive = "archives/two.db"\n')
    done = run_cli("crawl", "--config", str(tmp_path / "sites.toml"), "-s", "LOG_FILE=crawl.log", cwd=tmp_path.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    one, two = tmp_path / "recaps.db", tmp_path / "archives" / "two.db"
    assert_same(differences(one, demo_site.truth, demo_site.truth["recaps"]))
    assert_same(differences(two, other_site.truth, other_site.truth["recaps"]))
    assert summary_line(done.stderr, "one") == expected_line("one", demo_site, one)
    assert summary_line(done.stderr, "two") == expected_line("two", other_site, two)
    assert "Total: 2 sites in 2 crawlers: " in done.stderr and "; 2 archives written" in done.stderr
    # Different archives: the two crawls overlap in time.
    (first,) = archive_rows(one, "select * from crawls")
    (second,) = archive_rows(two, "select * from crawls")
    assert first["started_at"] <= second["finished_at"] and second["started_at"] <= first["finished_at"]
    # --site runs one site of the file: a re-crawl of two alone, nothing new.
    again = run_cli("crawl", "--config", "sites.toml", "--site", "two", "-s", "LOG_FILE=again.log", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "  one: " not in again.stderr
    assert re.search(r"^  two: \d+ recaps \(0 new, 0 changed\), \d+ comments \(0 new\)", again.stderr, re.M)
    assert len(archive_rows(two, "select * from crawls")) == 2
    assert len(archive_rows(one, "select * from crawls")) == 1


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('[sites.bad]\nurls = ["https://b.example/"]\nsettings = { DOWNLOAD_DELAI = 1 }\n', "[sites.bad] settings: DOWNLOAD_DELAI is neither"),
        ('[sites.bad]\nurls = ["https://b.example/"]\narchive = "no/such/folder/b.db"\n', "[sites.bad] archive: ARCHIVE_DB"),
        (
            '[sites.bad]\nurls = ["https://b.example/"]\nsettings = { ARCHIVER_READ_PROCESSES = "lots" }\n',
            "[sites.bad]: setting ARCHIVER_READ_PROCESSES: 'lots'",
        ),
        ("[sites.bad]\nurls = [\n", "not valid TOML"),
    ],
    ids=["unknown-setting", "archive-folder", "bad-setting-value", "toml-syntax"],
)  # fmt: skip
def test_a_bad_entry_exits_2_in_one_line_and_fetches_nothing(
    tmp_path: Path, canary: str, entry: str, message: str
) -> None:
    """The good site is the canary server: a request to it would be recorded."""
    (tmp_path / "sites.toml").write_text(
        f'[sites.good]\nurls = ["{canary}"]\nsettings = {toml_table(LOCAL_SETTINGS)}\n\n{entry}', encoding="utf-8"
    )
    done = run_cli("crawl", "--config", "sites.toml", cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("recap-archiver crawl: error: sites.toml: ")
    assert message in lines[0]
    assert Canary.hits == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.toml"]


def test_a_stopped_run_starts_no_further_crawler(tmp_path: Path, demo_site: DemoSite, other_site: DemoSite) -> None:
    """Crawlers sharing an archive run one after another; Ctrl-C during the first ends the run without the second."""
    polite = {"DOWNLOAD_DELAY": "1", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "INFO"}
    (tmp_path / "sites.toml").write_text(
        f'[defaults]\nsettings = {toml_table(polite)}\n[sites.one]\nurls = ["{demo_site.base_url}"]\n'
        f'[sites.two]\nurls = ["{other_site.base_url}"]\nargs = {{ refresh = "all" }}\n',
        encoding="utf-8",
    )
    log = tmp_path / "crawl.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "archiver.cli", "crawl", "--config", "sites.toml", "-s", f"LOG_FILE={log}"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        # Once the spider is open the reactor runs, and Scrapy's own Ctrl-C handler with it.
        while "Spider opened" not in (log.read_text(encoding="utf-8") if log.exists() else ""):
            assert time.monotonic() < deadline and process.poll() is None, "the first crawl did not start"
            time.sleep(0.2)
        time.sleep(1)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr and "Unhandled error" not in stderr
    assert re.search(r"^  one: .* \(shutdown\) -> ", stderr, re.M), stderr
    assert re.search(r"^  two: 0 recaps .* -> not crawled; ", stderr, re.M), stderr
    assert stderr.strip().splitlines()[-1] == (
        "recap-archiver crawl: error: [sites.two]: not crawled: the run was stopped before it started"
    )
    assert "Crawling two" not in log.read_text(encoding="utf-8")
