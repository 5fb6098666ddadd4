"""``python -m bench --sizes 10k,100k``: export, serve, run the three spiders one after another, measure, print.

Prints a table per size and writes every figure to ``bench-results.json`` (sizes measured earlier and not
measured now are kept, so ``make bench`` and ``make bench-large`` add up to one file).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from archiver.archive.sqlite import sqlite3
from bench.large import bench_queries_1m
from bench.measure import run_measured, scrapy_stats
from bench.micro import bench_queries, bench_save, bench_size
from bench.polite import bench_polite, polite_keys, polite_table
from bench.serve import StaticServer, free_port
from bench.site import export_site, parse_size

PROJECT = Path(__file__).resolve().parent.parent
# Politeness lifted for the bench's own server on 127.0.0.1 only; the same for all three spiders.
LOCAL = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "ROBOTSTXT_OBEY": "True",
    "TELNETCONSOLE_ENABLED": "False",
    "LOG_LEVEL": "INFO",
    "STATS_DUMP": "True",  # the measures are read from Scrapy's stats dump (bench/measure.py)
}


def _settings(extra: dict[str, str]) -> list[str]:
    out: list[str] = []
    for name, value in {**LOCAL, **extra}.items():
        out += ["-s", f"{name}={value}"]
    return out


def _recaps(bindir: Path, base_url: str, archive: Path, logfile: Path) -> list[str]:
    """``scrapy crawl recaps`` of ``base_url`` into ``archive``, logging to ``logfile``, with the bench's settings."""
    return [
        str(bindir / "scrapy"),
        "crawl",
        "recaps",
        "-a",
        f"url={base_url}",
        *_settings({"ARCHIVE_DB": str(archive), "LOG_FILE": str(logfile)}),
    ]


def machine() -> dict:
    """What the figures were measured on."""
    cpu = ""
    try:
        cpu = next(row.split(":", 1)[1].strip() for row in open("/proc/cpuinfo") if row.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import scrapy

    return {
        "cpus": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "sqlite": sqlite3.sqlite_version,
        "system": platform.platform(),
    }


def _spider_row(name: str, run, stats: dict, comments: int | None) -> dict:
    pages = int(stats.get("downloader/response_count", 0))
    return {
        "spider": name,
        "returncode": run.returncode,
        "pages": pages,
        "comments": comments,
        "wall_s": round(run.wall_s, 2),
        **run.figures(),
        "pages_per_s": round(pages / run.wall_s, 1),
        "comments_per_s": round(comments / run.wall_s, 1) if comments is not None else None,
        "status_404": int(stats.get("downloader/response_status_count/404", 0)),
    }


def bench_one(size_text: str, out: Path, server_kind: str, reparse: bool = True, log=print) -> dict:
    """Every measurement at one size; returns the figures."""
    size = parse_size(size_text)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/"
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    export = export_site(size, out, base_url)
    log(
        f"[{size.name}] site: {export.info['recaps']} recaps, {export.info['comments']} comments, "
        f"{export.info['pages']} pages, biggest thread {export.info['biggest_thread']['comments']} "
        f"(exported in {time.perf_counter() - start:.0f} s to {export.root})"
    )
    runs = out / f"run-{size.name}"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir()
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    outside = Path(tempfile.mkdtemp(prefix="recap-bench-"))  # no scrapy.cfg here: plain Scrapy defaults
    results: dict = {"size": size.name, "site": export.info, "server": None, "spiders": {}}
    with StaticServer(export.root, port, runs / "server", server_kind) as server:
        results["server"] = server.kind
        baseline = str(Path(__file__).with_name("baseline.py"))
        for kind in ("bare", "naive"):
            logfile = runs / f"{kind}.log"
            feed = runs / f"{kind}.jsonl"
            command = [
                sys.executable,
                "-m",
                "scrapy",
                "runspider",
                baseline,
                "-a",
                f"urls={export.urls_file}",
                "-a",
                f"kind={kind}",
                *_settings({"LOG_FILE": str(logfile)}),
            ]
            if kind == "naive":
                command += ["-O", str(feed)]
            log(f"[{size.name}] {kind} spider ...")
            run = run_measured(command, outside, runs / f"{kind}.out", env)
            stats = scrapy_stats(logfile.read_text(encoding="utf-8", errors="replace"))
            comments = sum(1 for _ in open(feed, encoding="utf-8")) if kind == "naive" and feed.exists() else None
            results["spiders"][kind] = _spider_row(kind, run, stats, comments)
        archive = runs / "recaps.db"
        logfile = runs / "recaps.log"
        log(f"[{size.name}] scrapy crawl recaps ...")
        run = run_measured(_recaps(bindir, base_url, archive, logfile), PROJECT, runs / "recaps.out", env)
        stats = scrapy_stats(logfile.read_text(encoding="utf-8", errors="replace"))
        comments = 0
        if archive.exists():
            conn = sqlite3.connect(archive)
            comments = conn.execute("select count(*) from comments").fetchone()[0]
            conn.close()
        results["spiders"]["recaps"] = _spider_row("recaps", run, stats, comments)
        if archive.exists():
            results["recrawl"] = _recrawl(archive, runs, bindir, base_url, env, run, stats, log, size.name)
    shutil.rmtree(outside, ignore_errors=True)
    ours, bare, naive = (results["spiders"][k] for k in ("recaps", "bare", "naive"))
    results["comments_per_s_ratio_vs_naive"] = round(
        ours["comments_per_s"] / max(naive["comments_per_s"] or 0, 1e-9), 2
    )
    results["pages_per_s_ratio_vs_bare"] = round(ours["pages_per_s"] / max(bare["pages_per_s"], 1e-9), 2)
    results["cpu_ratio_vs_naive"] = round(ours["cpu_s"] / max(naive["cpu_s"], 1e-9), 2)
    results.update(speed_ratios(ours, naive))
    results["peak_rss_mb"] = ours["peak_rss_mb"]
    results["peak_rss_main_mb"] = ours["peak_rss_main_mb"]
    results["comments_missing"] = export.info["comments"] - ours["comments"]
    if archive.exists():
        log(f"[{size.name}] saving, queries, archive size ...")
        results["save"] = bench_save(runs / "save.db", min(size.comments, 100_000))
        results["queries"] = bench_queries(archive)
        results["archive"] = a = bench_size(archive, runs)
        # Issue 17's size targets at the top level, the layout before m008 (same crawl) beside them.
        results["archive_bytes_per_comment"] = a["bytes_per_comment_without_raw"]
        results["archive_bytes_per_comment_baseline"] = a["bytes_per_comment_without_raw_before_m008"]
        results["archive_bytes_per_comment_with_raw"] = a["bytes_per_comment"]
        results["raw_bytes_vs_warc_gz"] = a["raw_bytes_vs_warc_gz"]
        results["raw_bytes_vs_warc_gz_baseline"] = a["raw_bytes_vs_warc_gz_baseline"]
        if reparse:
            log(f"[{size.name}] recap-archiver reparse ...")
            rlog = runs / "reparse.out"
            run = run_measured([str(bindir / "recap-archiver"), "reparse", str(archive)], PROJECT, rlog, env)
            results["reparse"] = {
                "returncode": run.returncode,
                "wall_s": round(run.wall_s, 2),
                **run.figures(),
                "comments_per_s": round(ours["comments"] / run.wall_s, 1),
                "pages_per_s": round(ours["pages"] / run.wall_s, 1),
            }
    return results


def speed_ratios(ours: dict, naive: dict) -> dict:
    """Issue 17's CPU and wall targets, against the naive spider measured in the same run: CPU seconds (all
    processes) per archived comment (target <= 0.33) and comments a second (target >= 3)."""
    ours_cpu = ours["cpu_s"] / max(ours["comments"] or 0, 1)
    naive_cpu = naive["cpu_s"] / max(naive["comments"] or 0, 1)
    return {
        "cpu_per_comment_ms": round(1000 * ours_cpu, 4),
        "naive_cpu_per_comment_ms": round(1000 * naive_cpu, 4),
        "cpu_per_comment_ratio_vs_naive": round(ours_cpu / max(naive_cpu, 1e-12), 2),
        "comments_per_s_ratio_vs_naive": round(ours["comments_per_s"] / max(naive["comments_per_s"] or 0, 1e-9), 2),
    }


def _recrawl(
    archive: Path, runs: Path, bindir: Path, base_url: str, env: dict, first, first_stats: dict, log, name: str
) -> dict:
    """The same crawl again, the site unchanged, into (a copy of) the same archive: what the revisit schedule saves."""
    again = runs / "recrawl.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(str(archive) + suffix).exists():
            shutil.copyfile(str(archive) + suffix, str(again) + suffix)
    logfile = runs / "recrawl.log"
    log(f"[{name}] scrapy crawl recaps again, site unchanged ...")
    run = run_measured(_recaps(bindir, base_url, again, logfile), PROJECT, runs / "recrawl.out", env)
    stats = scrapy_stats(logfile.read_text(encoding="utf-8", errors="replace"))
    first_bytes = int(first_stats.get("downloader/response_bytes", 0))
    again_bytes = int(stats.get("downloader/response_bytes", 0))
    return {
        "returncode": run.returncode,
        "pages": int(stats.get("downloader/response_count", 0)),
        "bytes": again_bytes,
        "first_bytes": first_bytes,
        "bytes_ratio": round(again_bytes / max(first_bytes, 1), 4),
        "recaps_not_due": int(stats.get("archiver/recaps/not_due", 0)),
        "wall_s": round(run.wall_s, 2),
        "first_wall_s": round(first.wall_s, 2),
        "wall_ratio": round(run.wall_s / max(first.wall_s, 1e-9), 3),
        **run.figures(),
    }


def table(r: dict) -> str:
    """The printed table for one size."""
    lines = [
        f"\n== {r['size']}: {r['site']['recaps']} recaps, {r['site']['comments']} comments, "
        f"{r['site']['pages']} pages, served by {r['server']} on 127.0.0.1 ==",
        f"{'spider':<26}{'pages':>7}{'comments':>10}{'wall s':>8}{'pages/s':>9}{'comm/s':>9}{'CPU s':>8}{'RSS MB, all procs':>19}{'main':>6}",
    ]
    names = {
        "bare": "(1) bare Scrapy, no parse",
        "naive": "(2) naive response.css",
        "recaps": "(3) scrapy crawl recaps",
    }
    for key in ("bare", "naive", "recaps"):
        s = r["spiders"][key]
        comm = "-" if s["comments"] is None else str(s["comments"])
        cps = "-" if s["comments_per_s"] is None else f"{s['comments_per_s']:.0f}"
        lines.append(
            f"{names[key]:<26}{s['pages']:>7}{comm:>10}{s['wall_s']:>8.1f}{s['pages_per_s']:>9.1f}{cps:>9}"
            f"{s['cpu_s']:>8.1f}{s['peak_rss_mb']:>19.0f}{s.get('peak_rss_main_mb', 0):>6.0f}"
        )
    lines.append(
        f"ratios: comments/s vs naive {r['comments_per_s_ratio_vs_naive']} (target >= 2.5), "
        f"pages/s vs bare {r['pages_per_s_ratio_vs_bare']} (target >= 0.6); "
        f"comments missing from the archive: {r['comments_missing']}"
    )
    lines.append(
        f"CPU per comment vs naive {r['cpu_per_comment_ratio_vs_naive']} (target <= 0.33: "
        f"{r['cpu_per_comment_ms']} ms against {r['naive_cpu_per_comment_ms']} ms), comments/s vs naive "
        f"{r['comments_per_s_ratio_vs_naive']} (target >= 3)"
    )
    lines.append(
        "CPU s and RSS MB, all procs: the spider process with every process it started (pool workers "
        "included), RSS summed at each 50 ms poll; main: the spider process alone"
    )
    others = [r["spiders"][key].get("others_cpu_s") for key in ("bare", "naive", "recaps")]
    if None not in others:
        lines.append(
            "CPU s the rest of the machine spent meanwhile (the server, the bench's polling, anything else): "
            f"bare {others[0]}, naive {others[1]}, ours {others[2]}"
        )
    if "recrawl" in r:
        c = r["recrawl"]
        lines.append(
            f"re-crawl, site unchanged: {c['pages']} pages, {c['bytes']} bytes ({100 * c['bytes_ratio']:.1f}% "
            f"of the first crawl's), {c['wall_s']} s ({100 * c['wall_ratio']:.0f}% of the first crawl's), "
            f"{c['recaps_not_due']} recaps not due"
        )
    if "save" in r:
        q, a, s = r["queries"], r["archive"], r["save"]
        lines.append(f"saving alone: {s['comments_per_s']} comments/s ({s['comments']} comments, target >= 50000)")
        if "reparse" in r:
            p = r["reparse"]
            lines.append(
                f"reparse from stored pages: {p['wall_s']} s, {p['comments_per_s']:.0f} comments/s, "
                f"{p['cpu_s']} CPU s, peak RSS {p['peak_rss_mb']:.0f} MB with its workers "
                f"({p['peak_rss_main_mb']:.0f} MB the main process)"
            )
        lines.append(
            f"thread of the largest recap ({q['thread_comments']} comments): {q['thread_ms']} ms (target < 20); "
            f"FTS '{q['fts_term']}' ({q['fts_matches']} matches): first 20 {q['fts_first20_ms']} ms "
            f"(target < 50), ranked 20 {q['fts_ranked20_ms']} ms, count {q['fts_count_ms']} ms"
        )
        lines.append(
            f"archive: {a['bytes_per_comment']} bytes/comment with raw pages, "
            f"{a['bytes_per_comment_without_raw']} without; without raw = {a['without_raw_vs_text']} x the text "
            f"(target <= 2), {a['without_raw_vs_text_and_html']} x text + HTML; before m008 "
            f"{a['bytes_per_comment_without_raw_before_m008']} without raw (target <= 600)"
        )
        lines.append(
            f"raw pages: {a['bodies_bytes'] + a['dictionaries_bytes']} bytes (zstd + dictionaries) = "
            f"{a['raw_bytes_vs_warc_gz']} x the .warc.gz of the same {a['warc_records']} responses (target <= 0.25; "
            f"zlib level 1 as before m008: {a['raw_bytes_vs_warc_gz_baseline']} x)"
        )
    return "\n".join(lines)


def _polite(document: dict, results_path: Path, out: Path, server: str) -> None:
    """The hundred polite sites (bench/polite.py), under ``polite_sites`` and the issue's keys at the top."""
    r = bench_polite(out, server)
    r["date"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    document["polite_sites"] = r
    document.update(polite_keys(r), date=r["date"], machine=machine())
    results_path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(polite_table(r), flush=True)


def write_freshness(document: dict, results_path: Path, out: Path, days: int, signals: bool = True) -> None:
    """Run the freshness simulation (bench/freshness.py), print its table and add its figures to ``document``
    (without signals: in ``freshness_without_signals`` only, for comparison)."""
    from bench.freshness import run_freshness
    from bench.freshness import table as freshness_table

    r = run_freshness(out, days=days, settings=None if signals else {"ARCHIVER_SIGNALS": "False"})
    r["date"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    document["freshness" if signals else "freshness_without_signals"] = r
    for key in (
        ()
        if not signals
        else (
            "freshness_new_comments_next_day",
            "daily_requests_vs_full",
            "daily_bytes_vs_full",
            "unchanged_day_requests_vs_full",
        )
    ):
        document[key] = r[key.removeprefix("freshness_")]
    document.update(machine=machine())
    results_path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(freshness_table(r), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="10k,100k", help="comma-separated: tiny, 10k, 100k, 1m or COMMENTS:RECAPS")
    parser.add_argument("--out", default=str(PROJECT / "bench" / "out"), help="exports and run folders")
    parser.add_argument("--results", default=str(PROJECT / "bench-results.json"))
    parser.add_argument("--server", default="auto", choices=["auto", "nginx", "twisted"])
    parser.add_argument("--no-reparse", action="store_true")
    parser.add_argument("--polite-only", action="store_true", help="only the hundred polite sites (bench/polite.py)")
    parser.add_argument("--no-polite", action="store_true", help="leave out the hundred polite sites")
    parser.add_argument("--freshness-only", action="store_true", help="only the 30-day freshness simulation")
    parser.add_argument("--no-freshness", action="store_true", help="skip the freshness simulation")
    parser.add_argument("--days", type=int, default=30, help="days the freshness simulation runs (at least 16)")
    parser.add_argument(
        "--no-signals", action="store_true", help="freshness with the schedule alone (ARCHIVER_SIGNALS=False)"
    )
    parser.add_argument(
        "--queries-1m", action="store_true", help="also time the read queries on a synthetic 1M-comment archive"
    )
    args = parser.parse_args(argv)
    # The spiders run in other folders: a relative --out or --results would name a different place for them.
    args.out, args.results = str(Path(args.out).resolve()), str(Path(args.results).resolve())
    if args.days < 16:
        parser.error("argument --days: at least 16 (day 15 is crawled twice, unchanged)")
    results_path = Path(args.results)
    try:
        document = json.loads(results_path.read_text())
    except (OSError, ValueError):
        document = {}
    document.setdefault("sizes", {})
    if not args.no_freshness and not args.polite_only:
        write_freshness(document, results_path, Path(args.out) / "freshness", args.days, signals=not args.no_signals)
    if args.freshness_only:
        print(f"\nwritten to {results_path}")
        return 0
    if args.queries_1m:
        document["queries_1m"] = q = bench_queries_1m(Path(args.out))
        document["fts_ranked_ms_1m"] = q["fts_ranked_ms_1m"]
        document["fts_ranked_ms_1m_baseline"] = q["fts_ranked_ms_1m_baseline"]
        results_path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        print(
            f"\n== synthetic 1M comments ('{q['term']}' in {q['merged']['fts_matches']}): ranked 20 "
            f"{q['fts_ranked_ms_1m']} ms (target < 50; {q['fts_ranked_ms_1m_baseline']} ms before the index merge), "
            f"first 20 {q['fts_first20_ms_1m']} ms, thread of {q['merged']['thread_comments']} "
            f"{q['thread_1000_ms_1m']} ms ==",
            flush=True,
        )
    for size in [] if args.polite_only else filter(None, args.sizes.split(",")):
        r = bench_one(size.strip(), Path(args.out), args.server, reparse=not args.no_reparse)
        r["date"] = datetime.now(UTC).replace(microsecond=0).isoformat()
        document["sizes"][r["size"]] = r
        document.update(date=r["date"], machine=machine())
        results_path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        print(table(r), flush=True)
    if not args.no_polite:
        _polite(document, results_path, Path(args.out), args.server)
    print(f"\nwritten to {results_path}")
    return 0
