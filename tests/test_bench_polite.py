"""The hundred-polite-sites bench case (bench/polite.py), at three small sites: served on their own loopback
addresses, crawled in one polite crawl, measured from the archive (no rate asserted)."""

from __future__ import annotations

import os
import sqlite3
import sys
import urllib.request
from pathlib import Path

import pytest

from bench.polite import PLACEHOLDER, ManySites, bench_polite, fetch_rates, hosts, polite_keys, polite_table
from bench.serve import find_nginx, free_port
from bench.site import BenchSize, export_site

pytestmark = pytest.mark.slow

SMALL = BenchSize("polite-test", 60, 3)
"""Five posts of a dozen comments, one listing page: about eight pages a site, eight seconds at one a second."""


@pytest.mark.parametrize("kind", ["twisted", "nginx"])
def test_each_address_serves_the_site_with_its_own_links(tmp_path: Path, kind: str) -> None:
    if kind == "nginx" and find_nginx() is None:
        pytest.skip("nginx is not installed")
    export = export_site(SMALL, tmp_path / "out", f"http://{PLACEHOLDER}/")
    addresses = hosts(3)
    assert addresses == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    with ManySites(export.root, addresses, free_port(), tmp_path / "server", kind) as server:
        assert server.kind == kind
        for address, url in zip(addresses, server.urls(), strict=True):
            home = urllib.request.urlopen(url, timeout=10).read().decode()
            assert PLACEHOLDER not in home
            assert f'href="http://{address}:{server.port}/' in home
            other = {a for a in addresses if a != address}
            assert not any(f"//{a}:{server.port}/" in home for a in other)
        missing = urllib.request.Request(server.urls()[0] + "no/such/page/")
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(missing, timeout=10)
        assert error.value.code == 404


def test_three_polite_sites_in_one_crawl(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    r = bench_polite(tmp_path / "out", sites=3, size=SMALL, log=lambda *a: None)
    assert r["returncode"] == 0
    assert r["sites_with_pages"] == 3 and r["comments_missing"] == 0
    assert r["comments"] == 3 * r["site"]["comments"]
    assert r["pages_stored"] == r["pages"] >= 3 * r["site"]["pages"]
    assert r["read_processes"] == 0  # three sites at one page a second each: the crawl reads pages itself
    # One request a second per site at most: each site's first page at 0 s, its N-th at N - 1 s or later. A page's
    # fetched_at is when its answer was stored, whole seconds: a slow answer and the next quick one can share a
    # second, so a window of W whole seconds holds up to W + 1 pages of a site (seen once under load: 39 in 12 s).
    assert 0 < r["pages"] <= 3 * (r["crawl_s"] + 1)
    assert 0 < r["window_pages"] <= 3 * (r["window_s"] + 1)
    assert polite_keys(r)["polite_sites_peak_rss_mb"] == r["peak_rss_mb"] > 0
    assert "polite sites at once" in polite_table(r)


def test_fetch_rates_counts_the_seconds_all_sites_were_crawled(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    conn = sqlite3.connect(db)
    conn.execute("create table pages (url text, fetched_at text)")
    rows = [(f"http://127.0.0.2:8/{i}", f"2026-01-01T00:00:{i:02d}+00:00") for i in range(0, 10)]  # seconds 0-9
    rows += [(f"http://127.0.0.3:8/{i}", f"2026-01-01T00:00:{i:02d}+00:00") for i in range(2, 6)]  # seconds 2-5
    conn.executemany("insert into pages values (?, ?)", rows)
    conn.commit()
    conn.close()
    rates = fetch_rates(db)
    # Both sites ran in seconds 2 to 5: 4 pages of each in those 4 seconds.
    assert rates["window_s"] == 4 and rates["window_pages"] == 8 and rates["window_pages_per_s"] == 2.0
    assert rates["pages_stored"] == 14 and rates["sites_with_pages"] == 2
    assert (rates["pages_per_site_min"], rates["pages_per_site_max"]) == (4, 10)
