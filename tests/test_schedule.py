"""`recap-archiver schedule` without Scrapyd: how sites are spread, what a job is given, and bad arguments
(a sites file with a mistake, a --scrapyd value that is not an address, a node nobody answers on)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import free_port, run

from archiver.crawl.nodes import JOB_ID, plan, setting_value
from archiver.crawl.sites import load_sites

SITES = """
[defaults]
archive = "all.db"
settings = { DOWNLOAD_DELAY = 2, AUTOTHROTTLE_ENABLED = true }

[sites.one]
urls = ["https://one.example/"]

[sites.two]
urls = ["https://two.example/tag/show/"]
profile = "dramabeans"

[sites.three]
urls = ["https://three.example/"]
archive = "elsewhere/three.db"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "sites.toml"
    path.write_text(SITES, encoding="utf-8")
    return path


def test_sites_go_round_robin_in_file_order_each_into_its_own_archive(config: Path) -> None:
    sites = load_sites(config).sites
    nodes = ["http://a:6800/", "http://b:6800/"]
    got = [(a.site.name, a.node, a.archive) for a in plan(sites, nodes)]
    folder = config.parent
    assert got == [
        ("one", "http://a:6800/", f"{folder}/one.db"),
        ("two", "http://b:6800/", f"{folder}/two.db"),
        ("three", "http://a:6800/", f"{folder}/elsewhere/three.db"),
    ]
    assert [a.archive for a in plan(sites, nodes, "/srv/recaps/")] == [
        "/srv/recaps/one.db",
        "/srv/recaps/two.db",
        "/srv/recaps/three.db",
    ]
    assert plan(sites, nodes) == plan(sites, nodes)  # deterministic


def test_settings_are_spelled_as_scrapy_reads_them() -> None:
    assert [setting_value(v) for v in (2, 0.5, True, False, "INFO")] == ["2", "0.5", "True", "False", "INFO"]
    assert setting_value({"a.B": 100}) == '{"a.B": 100}' and setting_value(["x", "y"]) == '["x", "y"]'


def test_job_ids_name_their_site() -> None:
    match = JOB_ID.fullmatch("soundtrack-1-20261130T031500Z")
    assert match and match["site"] == "soundtrack-1" and match["stamp"] == "20261130T031500Z"
    assert JOB_ID.fullmatch("5f1e0c2a9b7d11efb3f00242ac120002") is None  # a job scheduled by other means


def one_line_error(args: list[str], status: int, says: str) -> None:
    done = run("schedule", *args)
    assert done.exit_code == status, done.output
    assert says in done.output and "Traceback" not in done.output
    assert len(done.output.strip().splitlines()) == 1, done.output


def test_bad_arguments_are_one_line_exit_2(config: Path, tmp_path: Path) -> None:
    node = f"http://127.0.0.1:{free_port()}"
    one_line_error(["--config", str(tmp_path / "none.toml"), "--scrapyd", node], 2, "none.toml")
    one_line_error(["--config", str(config), "--scrapyd", "ftp://node-a"], 2, "--scrapyd 'ftp://node-a'")
    one_line_error(["--config", str(config), "--scrapyd", node, "--site", "four"], 2, "no site named 'four'")
    broken = tmp_path / "broken.toml"
    broken.write_text('[sites.one]\nurls = ["https://one.example/"]\nprofle = "x"\n', encoding="utf-8")
    one_line_error(["--config", str(broken), "--scrapyd", node], 2, "[sites.one] profle: unknown key")


def test_a_node_nobody_answers_on_is_named_in_one_line(config: Path) -> None:
    node = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for extra in ([], ["--status"]):
        one_line_error(["--config", str(config), "--scrapyd", node, *extra], 1, f"Scrapyd node {node}/: unreachable")
    # A password given in the address is not printed.
    with_password = node.replace("http://", "http://archivist:s3cret@")
    done = run("schedule", "--config", str(config), "--scrapyd", with_password)
    assert f"Scrapyd node {node}/: unreachable" in done.output and "s3cret" not in done.output
