"""End to end against the demo's bounds posts (``--hostile on``, archiver.demo.hostile): a site that links comment
page one trillion, claims a billion REST pages, loads more forever, nests 3,000 elements deep, chains 2,000 replies,
tortures the regexes and serves a page larger than DOWNLOAD_MAXSIZE. The crawl ends in bounded time and memory,
asks the canary nothing, archives every ordinary comment, and counts every loss in the thread it belongs to."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner
from helpers import Canary, archive_rows, assert_same, differences, run_crawl, start_demo_site, stop

from archiver.cli import cli

SITE = (
    "--series",
    "1",
    "--episodes",
    "2",
    "--extra-posts",
    "1",
    "--comments",
    "40",
    "--hostile",
    "on",
    "--huge-comment-kb",
    "0",
    "--hostile-thread",
    "20",
    "--huge-response-kb",
    str(12 * 1024),
)
BOUNDS = {
    "ARCHIVER_MAX_THREAD_STEPS": "50",
    "ARCHIVER_MAX_REST_PAGES": "25",  # the 2,000-comment chain needs 20 pages of 100; the endless post claims 10^9
    "DOWNLOAD_MAXSIZE": str(8 << 20),  # the chain's one page is about 4.4 MB, the huge page 12 MB
    "DOWNLOAD_WARNSIZE": str(4 << 20),
    "LOG_LEVEL": "INFO",
}
WALL_SECONDS = 120
PEAK_RSS_MB = 600


def _tree_peak_kb(db: Path) -> int:
    """The summed peak RSS (VmHWM) of the `scrapy crawl` writing ``db`` and its children, 0 when none runs."""
    procs: dict[int, tuple[int, int]] = {}  # pid -> (parent, VmHWM kB)
    roots = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        peak = int(fields.get("VmHWM", "0 kB").split()[0])
        procs[int(entry)] = (int(fields["PPid"]), peak)
        if f"ARCHIVE_DB={db}".encode() in cmdline:
            roots.add(int(entry))
    total, todo = 0, list(roots)
    while todo:
        pid = todo.pop()
        total += procs[pid][1]
        todo += [child for child, (parent, _) in procs.items() if parent == pid]
    return total


@contextmanager
def peak_memory(db: Path) -> Iterator[list[int]]:
    """Poll /proc while the crawl runs; the list holds the largest summed peak RSS (kB) seen."""
    peak = [0]
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], _tree_peak_kb(db))

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


def test_a_hostile_site_cannot_stall_steer_or_silently_shrink_a_crawl(tmp_path: Path, canary: str) -> None:
    site = start_demo_site(tmp_path, *SITE, "--canary", canary)
    try:
        truth = site.truth
        db = tmp_path / "bounds.db"
        started = time.monotonic()
        with peak_memory(db) as peak:
            run = run_crawl(db, f"url={site.base_url}", settings=BOUNDS, timeout=WALL_SECONDS + 60)
        elapsed = time.monotonic() - started
    finally:
        stop(site)
    print(f"\nbounds crawl: {elapsed:.1f} s, peak RSS {peak[0] / 1024:.0f} MB")
    assert run.returncode == 0, run.stderr[-3000:]
    assert Canary.hits == []
    assert elapsed < WALL_SECONDS
    assert 0 < peak[0] < PEAK_RSS_MB * 1024

    stats = json.loads(archive_rows(db, "select stats from crawls")[0]["stats"])
    recaps = {r["url"]: r for r in archive_rows(db, "select * from recaps")}
    vectors = truth["hostile"]["bounds"]
    by_url = {r["url"]: r for r in truth["recaps"]}
    for vector, url in vectors.items():
        want = by_url[url]["bounds"]
        assert url in recaps, f"{vector}: recap not archived"
        recap = recaps[url]
        archived = {
            r["site_comment_id"]
            for r in archive_rows(db, "select site_comment_id from comments where recap_id = ?", (recap["id"],))
        }
        missing = set(want["ordinary"]) - archived
        assert not missing, f"{vector}: {len(missing)} ordinary comment(s) not archived: {sorted(missing)[:5]}"
        if want["whole"]:
            assert recap["thread_complete"] == 1, (vector, recap["incomplete_reason"])
        else:
            assert recap["thread_complete"] == 0 and recap["incomplete_reason"], vector
        if want["stat"]:
            assert stats.get(want["stat"], 0) >= 1, (vector, want["stat"], stats)

    # Each vector makes only its own thread incomplete (the escape post loses its REST comments to the scope).
    expected = {url for vector, url in vectors.items() if not by_url[url]["bounds"]["whole"]}
    expected.add(truth["hostile"]["escape_post_url"])
    assert {url for url, r in recaps.items() if not r["thread_complete"]} == expected
    reasons = {vector: recaps[url]["incomplete_reason"] for vector, url in vectors.items()}
    assert "ARCHIVER_MAX_THREAD_STEPS" in reasons["endless_pages"]
    assert "ARCHIVER_MAX_THREAD_STEPS" in reasons["endless_wpdiscuz"]
    assert "ARCHIVER_MAX_REST_PAGES" in reasons["endless_rest"]
    assert "nested too deeply" in reasons["deep_nesting"]
    assert "comment page(s) 1 not read" in reasons["huge_response"]
    failed = [r["url"] for r in archive_rows(db, "select url from failures")]
    assert failed == [vectors["huge_response"] + "comment-page-1/"], failed  # retried by the next crawl
    assert stats["archiver/bounds/thread_steps"] >= 2 and stats["archiver/bounds/rest_pages"] >= 1
    assert stats["archiver/pages/parse_stopped"] >= 1

    # The reply chain: every parent kept, the path bounded, the archive exported.
    chain = recaps[vectors["reply_chain"]]
    depth = archive_rows(
        db, "select max(depth) as d, max(length(path)) as p from comments where recap_id = ?", (chain["id"],)
    )[0]
    assert depth["d"] == 2000 and depth["p"] < 2000, depth
    export = tmp_path / "all.jsonl"
    done = CliRunner().invoke(cli, ["export", str(db), "--format", "jsonl", "-o", str(export)])
    assert done.exit_code == 0, done.output[-2000:]
    line = next(line for line in export.open(encoding="utf-8") if json.dumps(vectors["reply_chain"]) in line)
    assert line.count('"replies": [') == 2000  # nested 2,000 deep (deeper than json.loads reads back)

    # The pathological post: a 96 kB title of noise words read, and its thread whole.
    assert recaps[vectors["pathological"]]["title"].startswith("Regex Torture")

    # Ordinary posts of the same site whole and as the truth has them.
    ordinary = [
        r
        for r in truth["recaps"]
        if not r.get("bounds")
        and not r.get("quirks")
        and not r.get("escape")
        and r["url"] != truth["hostile"]["charset_post_url"]
    ]
    assert ordinary
    assert_same(differences(db, truth, ordinary, only_archived=True))
