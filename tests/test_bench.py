"""The bench machinery at a tiny size: export, static server, the three spiders, the measurements (no timing asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import bench_one, table
from bench.site import SIZES, build_bench_site, crawl_paths

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent


def test_bench_tiny(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    r = bench_one("tiny", tmp_path / "out", "auto", reparse=False, log=lambda *a: None)
    site = r["site"]
    assert set(r["spiders"]) == {"bare", "naive", "recaps"}
    assert all(s["returncode"] == 0 for s in r["spiders"].values())
    # The same pages for the two plain spiders, and the same comments for the naive one and ours.
    assert r["spiders"]["bare"]["pages"] == site["pages"] == r["spiders"]["naive"]["pages"]
    assert r["spiders"]["naive"]["comments"] == site["comments"] == r["spiders"]["recaps"]["comments"]
    assert r["comments_missing"] == 0
    assert 0 < r["peak_rss_main_mb"] <= r["peak_rss_mb"]
    assert all(0 < s["peak_rss_main_mb"] <= s["peak_rss_mb"] for s in r["spiders"].values())
    assert "RSS MB, all procs" in table(r)
    for key in (
        "comments_per_s_ratio_vs_naive",
        "cpu_per_comment_ratio_vs_naive",
        "pages_per_s_ratio_vs_bare",
        "peak_rss_mb",
    ):
        assert r[key] > 0
    assert r["save"]["comments"] > 0 and r["queries"]["thread_comments"] > 0
    assert r["archive"]["without_raw_bytes"] < r["archive"]["compact_bytes"]
    # Issue 17's size figures, with the layout before m008 measured on the same crawl.
    assert 0 < r["raw_bytes_vs_warc_gz"] < r["raw_bytes_vs_warc_gz_baseline"]
    assert r["archive"]["warc_records"] == site["pages"] + 1  # and robots.txt
    assert 0 < r["archive_bytes_per_comment"] < r["archive_bytes_per_comment_baseline"]


def test_queries_on_a_synthetic_archive(tmp_path: Path) -> None:
    from bench.large import bench_queries_1m

    r = bench_queries_1m(tmp_path, comments=4_000, log=lambda *a: None)
    assert r["comments"] == 4_000 and r["merged"]["thread_comments"] == 1_000
    assert 0.1 < r["merged"]["fts_matches"] / 4_000 < 0.2
    assert r["merged"]["fts_matches"] == r["as_crawled"]["fts_matches"]
    assert r["fts_ranked_ms_1m"] > 0 and r["fts_ranked_ms_1m_baseline"] > 0
    assert not list(tmp_path.glob("queries-1m.db*"))


def test_static_export_matches_the_live_demo_site() -> None:
    """Every exported path renders as the demo server renders it (the export's speed-ups change nothing)."""
    from archiver.demo.server import DemoResource
    from bench.site import _fast_paths, _render

    site = build_bench_site(SIZES["tiny"])
    paths = list(crawl_paths(site))
    expected = {p: DemoResource(site, "http://127.0.0.1:1/").route(p, {}).body for p in paths}
    _fast_paths(site)
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        _render(paths, site, "http://127.0.0.1:1/", Path(folder))
        for p in paths:
            target = Path(folder) / (p.lstrip("/") + "index.html" if p.endswith("/") else p.lstrip("/"))
            assert target.read_bytes() == expected[p], p


POOL_CHILD = """
import sys, time
from concurrent.futures import ProcessPoolExecutor
import multiprocessing


def hold(mb):
    block = b"x" * (mb << 20)  # written, so resident
    start = time.process_time()
    while time.process_time() - start < 0.5:  # CPU seconds the worker's parent never waits for (forkserver)
        pass
    time.sleep(1.0)
    return len(block)


if __name__ == "__main__":
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(sys.argv[1])) as pool:
        print(pool.submit(hold, 150).result())
"""


def test_run_measured_counts_worker_processes(tmp_path: Path) -> None:
    """A pool worker's memory is in the tree's peak, not in the main process's; its CPU is counted."""
    from bench.measure import run_measured

    script = tmp_path / "pool_child.py"
    script.write_text(POOL_CHILD)
    run = run_measured([sys.executable, str(script), "forkserver"], tmp_path, tmp_path / "pool.log")
    assert run.returncode == 0, (tmp_path / "pool.log").read_text()
    assert run.peak_rss_main_mb < 100
    assert run.peak_rss_mb >= 150 + run.peak_rss_main_mb * 0.5
    assert run.processes >= 2
    assert run.cpu_s >= 0.5  # the worker was reaped by the forkserver, itself an orphan: counted all the same
    assert run.wall_s >= 1.0


def test_run_measured_counts_what_the_rest_of_the_machine_spent_meanwhile(tmp_path: Path) -> None:
    """A process busy beside the measured one shows in ``others_cpu_s``, not in the run's own CPU seconds."""
    from bench.measure import run_measured

    quiet = run_measured(["sleep", "1"], tmp_path, tmp_path / "quiet.log")
    spin = "import time\nend = time.time() + 3\nwhile time.time() < end: pass"
    neighbour = subprocess.Popen([sys.executable, "-c", spin])
    try:
        busy = run_measured(["sleep", "1.5"], tmp_path, tmp_path / "busy.log")
    finally:
        neighbour.kill()
        neighbour.wait()
    assert busy.cpu_s < 0.3 and quiet.others_cpu_s is not None and busy.others_cpu_s is not None
    assert busy.others_cpu_s >= quiet.others_cpu_s + 0.7  # about 1.5 s of the neighbour's spinning


def test_run_measured_reports_status_and_missing_command(tmp_path: Path) -> None:
    from bench.measure import run_measured

    run = run_measured(["sh", "-c", "exit 3"], tmp_path, tmp_path / "a.log")
    assert run.returncode == 3 and run.peak_rss_mb >= run.peak_rss_main_mb > 0
    with pytest.raises(FileNotFoundError):
        run_measured([str(tmp_path / "missing")], tmp_path, tmp_path / "b.log")
