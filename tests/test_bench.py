"""The bench machinery at a tiny size: export, static server, the three spiders, the measurements (no timing asserted)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.run import bench_one
from bench.site import SIZES, build_bench_site, crawl_paths

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
    for key in ("comments_per_s_ratio_vs_naive", "pages_per_s_ratio_vs_bare", "peak_rss_mb"):
        assert r[key] > 0
    assert r["save"]["comments"] > 0 and r["queries"]["thread_comments"] > 0
    assert r["archive"]["without_raw_bytes"] < r["archive"]["compact_bytes"]


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
