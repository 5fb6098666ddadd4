"""`recap-archiver schedule` on two Scrapyd nodes, then `merge`: the merged archive equals one crawled in one process.

Everything runs on 127.0.0.1: two real Scrapyd processes (the venv's, each in a folder of its own) stand for two
machines, two demo sites with different seeds are the two sites of a sites file, and the single-process archive is
`recap-archiver crawl` of both sites.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import (
    BIN,
    LOCAL_SETTINGS,
    SCRAPY_PROJECT,
    DemoSite,
    Scrapyd,
    archive_by_keys,
    archive_rows,
    assert_same,
    differences,
    run,
    start_demo_site,
    start_scrapyd,
    stop,
    stop_scrapyd,
)

pytestmark = pytest.mark.e2e

JOB_TIMEOUT = 90
DEMO = ("--series", "1", "--episodes", "3", "--extra-posts", "0", "--comments", "60")
# What differs between a crawl on a node and the single-process crawl: when, and in which crawl; and the tables
# that describe crawls rather than what they archived (crawl_sites: the health report's, once it is merged in).
# When things were seen differs between two crawls of the same sites; since m014 a comment's times are stored in
# first_seen_at_stored and last_seen_at_stored (the columns of the old names are generated, and not listed).
WHEN = (
    "first_seen_at",
    "last_seen_at",
    "first_seen_at_stored",
    "last_seen_at_stored",
    "last_crawled_at",
    "next_due_at",
    "observed_at",
    "crawl_id",
)
PER_CRAWL = ("crawls", "crawl_sites", "pages", "failures")


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[list[Scrapyd]]:
    """Two Scrapyd processes on 127.0.0.1, each with its own eggs/, logs/ and dbs/; always stopped."""
    started: list[Scrapyd] = []
    try:
        for name in ("node-a", "node-b"):
            started.append(start_scrapyd(tmp_path / name))
        yield started
    finally:
        for node in started:
            stop_scrapyd(node)


def status(config: Path, nodes: list[Scrapyd]) -> dict[str, list[str]]:
    """`schedule --status`: site -> its row (node, job, state, start, end)."""
    done = run("schedule", "--config", str(config), *[a for n in nodes for a in ("--scrapyd", n.url)], "--status")
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0].split() == ["site", "node", "job", "state", "start", "end"]
    return {line.split()[0]: line.split()[1:] for line in lines[1:]}


def wait_for_new_jobs(config: Path, nodes: list[Scrapyd], earlier: set[str]) -> dict[str, list[str]]:
    """`--status` until every site's last job is one not in ``earlier`` and finished (or JOB_TIMEOUT passed)."""
    deadline = time.monotonic() + JOB_TIMEOUT
    rows = status(config, nodes)
    while time.monotonic() < deadline and not all(r[2] == "finished" and r[1] not in earlier for r in rows.values()):
        time.sleep(0.5)
        rows = status(config, nodes)
    assert all(r[2] == "finished" and r[1] not in earlier for r in rows.values()), (rows, nodes[0].log()[-2000:])
    return rows


def test_two_sites_scheduled_on_two_nodes_merge_into_the_single_process_archive(
    nodes: list[Scrapyd], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc or ~/.scrapy.cfg of the user's
    folders = [tmp_path / "site-1", tmp_path / "site-2"]
    for folder in folders:
        folder.mkdir()
    sites = [start_demo_site(folder, "--seed", str(seed), *DEMO) for seed, folder in enumerate(folders, 1)]
    single = tmp_path / "single.db"
    try:
        config = tmp_path / "sites.toml"
        settings = ", ".join(f'{name} = "{value}"' for name, value in LOCAL_SETTINGS.items())
        config.write_text(
            f"[defaults]\nsettings = {{ {settings} }}\n\n"
            f'[sites.one]\nurls = ["{sites[0].base_url}"]\n\n[sites.two]\nurls = ["{sites[1].base_url}"]\n',
            encoding="utf-8",
        )
        on_nodes = tmp_path / "on-nodes"
        on_nodes.mkdir()
        assert set(status(config, nodes)) == {"one", "two"}  # no job yet
        node_args = [a for n in nodes for a in ("--scrapyd", n.url)]
        done = run("schedule", "--config", str(config), *node_args, "--archive-dir", str(on_nodes))
        assert done.exit_code == 0, done.output
        assert f"one -> {nodes[0].url}" in done.output and f"two -> {nodes[1].url}" in done.output, done.output

        # Meanwhile, the same two sites crawled in one process.
        command = [str(BIN / "recap-archiver"), "crawl", sites[0].base_url, sites[1].base_url, "--db", str(single)]
        for name, value in LOCAL_SETTINGS.items():
            command += ["-s", f"{name}={value}"]
        crawl = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        rows = wait_for_new_jobs(config, nodes, set())
        output, _ = crawl.communicate(timeout=JOB_TIMEOUT)
        assert crawl.returncode == 0, output[-3000:]
        check_first_night(tmp_path, nodes, sites, rows, single)

        # The next night: the same command again. --status follows each site's newest job, and merging the newer
        # copies adds their crawls and nothing else (the sites did not change).
        before = archive_by_keys(tmp_path / "merged.db", skip_tables=PER_CRAWL, skip_columns=WHEN)
        time.sleep(1)  # a job id names the second it was scheduled in
        done = run("schedule", "--config", str(config), *node_args, "--archive-dir", str(on_nodes))
        assert done.exit_code == 0, done.output
        again = wait_for_new_jobs(config, nodes, {row[1] for row in rows.values()})
        assert [r[0] for r in again.values()] == [r[0] for r in rows.values()]  # the same node for each site
    finally:
        for site in sites:
            stop(site)
    done = run("merge", str(tmp_path / "merged.db"), str(on_nodes / "one.db"), str(on_nodes / "two.db"))
    assert done.exit_code == 0, done.output
    assert "0 comments added" in done.output and "1 crawl," in done.output, done.output
    assert archive_by_keys(tmp_path / "merged.db", skip_tables=PER_CRAWL, skip_columns=WHEN) == before
    assert len(archive_rows(tmp_path / "merged.db", "select id from crawls")) == 4


def check_first_night(
    tmp_path: Path, nodes: list[Scrapyd], sites: list[DemoSite], rows: dict[str, list[str]], single: Path
) -> None:
    """Each site ran on its node from the deployed egg; merged, the two archives equal the single-process one."""
    on_nodes = tmp_path / "on-nodes"
    assert rows["one"][0] == nodes[0].url and rows["two"][0] == nodes[1].url
    assert rows["one"][1].startswith("one-") and rows["two"][1].startswith("two-")
    for node, name in ((nodes[0], "one"), (nodes[1], "two")):
        (log,) = (node.folder / "logs" / SCRAPY_PROJECT / "recaps").glob(f"{name}-*.log")
        assert "Spider closed (finished)" in log.read_text(encoding="utf-8"), log.read_text()[-3000:]

    # The egg each node stored holds the project and runs from itself, not from the venv's editable install.
    (egg,) = (nodes[0].folder / "eggs" / SCRAPY_PROJECT).glob("*.egg")
    with zipfile.ZipFile(egg) as z:
        assert {"archiver/settings.py", "archiver/spiders/recaps.py", "archiver/pipelines/store.py"} <= set(
            z.namelist()
        )
        assert "settings = archiver.settings" in z.read("EGG-INFO/entry_points.txt").decode()
    modules = ("archiver.settings", "archiver.spiders.recaps", "archiver.pipelines.store", "archiver.archive.merge")
    code = f"import sys; sys.path.insert(0, {str(egg)!r}); import importlib\n" + "".join(
        f"print(importlib.import_module({m!r}).__file__)\n" for m in modules
    )
    imported = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True, env=dict(os.environ)
    )
    assert all(line.startswith(str(egg)) for line in imported.stdout.splitlines()), imported.stdout

    # Fetched back (here they are already local), merged, compared with the single-process archive.
    merged = tmp_path / "merged.db"
    done = run("merge", str(merged), str(on_nodes / "one.db"), str(on_nodes / "two.db"))
    assert done.exit_code == 0, done.output
    got = archive_by_keys(merged, skip_tables=PER_CRAWL, skip_columns=WHEN)
    want = archive_by_keys(single, skip_tables=PER_CRAWL, skip_columns=WHEN)
    assert set(got) == set(want)
    for table in want:
        assert got[table] == want[table], table
    assert len(got["comments"]) == sum(len(r["comments"]) for s in sites for r in s.truth["recaps"]) > 0
    votes = (
        "select recaps.url, site_comment_id, v.upvotes, v.downvotes, v.score from vote_observations v "
        "join comments on comments.id = comment_id join recaps on recaps.id = recap_id order by 1, 2, 3, 4, 5"
    )
    assert archive_rows(merged, votes) == archive_rows(single, votes) and archive_rows(single, votes)
    assert len(got["sites"]) == 2
    for site in sites:
        assert_same(differences(merged, site.truth, site.truth["recaps"], only_archived=True))
    # Pages: the same URLs fetched; crawls: one per node, each found again by its uid.
    pages = "select url, status, body_sha256 from pages order by url, body_sha256"
    assert archive_rows(merged, pages) == archive_rows(single, pages)
    uids = archive_rows(on_nodes / "one.db", "select uid from crawls") + archive_rows(
        on_nodes / "two.db", "select uid from crawls"
    )
    assert sorted(archive_rows(merged, "select uid from crawls"), key=repr) == sorted(uids, key=repr)
    migrations = "select name from _sqlite_migrations order by name"
    assert archive_rows(merged, migrations) == archive_rows(single, migrations)
    stats = run("stats", str(merged))
    assert stats.exit_code == 0 and "2 sites" in stats.output, stats.output


def test_a_deploy_the_node_refuses_is_one_line_naming_it(scrapyd: Scrapyd, tmp_path: Path) -> None:
    node = scrapyd
    config = tmp_path / "sites.toml"
    config.write_text('[sites.one]\nurls = ["http://127.0.0.1:9/"]\n', encoding="utf-8")
    egg = tmp_path / "broken.egg"
    egg.write_bytes(b"not a zip file")
    done = run("schedule", "--config", str(config), "--scrapyd", node.url, "--egg", str(egg))
    assert done.exit_code == 1, done.output
    assert done.output.startswith(f"Error: Scrapyd node {node.url}: addversion.json refused: "), done.output
    assert len(done.output.strip().splitlines()) == 1 and "Traceback" not in done.output
    assert node.get("listprojects.json")["projects"] == []  # nothing deployed, so nothing scheduled
