"""``python -m bench --freshness-only``: 30 simulated days of the demo site, one ``due`` crawl a day, measured.

Day N is the demo site as ``archiver.demo.days.evolve`` makes it (new recaps, new comments on old and new recaps,
edits, deletions, vote changes; ``changes`` in its ground truth). Each day the site is served on 127.0.0.1 and
``scrapy crawl recaps`` runs once with the crawl's clock set to that day (``-s ARCHIVER_NOW``, the time the
truth gives as ``now``), politeness lifted for this local server only. One day is crawled twice (the second time
six hours later, the site unchanged), and that day's site is also crawled whole into a fresh archive: the full
crawl the daily ones are compared with. Then the archive is compared with the ground truth:

* ``freshness_new_comments_next_day``: the share of new comments archived by the first daily crawl after they
  were posted (the crawl of the day they appeared);
* edits, deletions and vote changes: the share seen within 1, 7 and 30 days (``within_1`` is the first crawl
  after the change; a window reaching past the last day counts only what was seen by then);
* requests and bytes per daily crawl against the full crawl, and the unchanged day's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from archiver.archive.sqlite import sqlite3
from bench.serve import free_port, stop_process

PROJECT = Path(__file__).resolve().parent.parent
DAYS = 30
UNCHANGED_DAY = 15
"""The day crawled twice: the second crawl, six hours later, finds nothing changed."""
SITE_ARGS = ("--series", "3", "--episodes", "4", "--extra-posts", "2", "--comments", "600")
LOCAL = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "ARCHIVER_READ_PROCESSES": "0",
    "TELNETCONSOLE_ENABLED": "False",
    "LOG_LEVEL": "INFO",
}
"""Politeness lifted for the bench's own server on 127.0.0.1 only."""


class DaySite:
    """The demo site as it is on one day, served by ``python -m archiver.demo`` in a subprocess."""

    def __init__(self, folder: Path, day: int, port: int, extra: tuple[str, ...] = ()) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        truth_path = folder / f"truth-{day}.json"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "archiver.demo",
                "--port",
                str(port),
                "--truth",
                str(truth_path),
                "--day",
                str(day),
                *SITE_ARGS,
                *extra,
            ],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "http://" not in line:
            self.process.kill()
            raise RuntimeError(f"demo site for day {day} did not start: {line!r}")
        self.base_url = line.split()[-1]
        self.truth = json.loads(truth_path.read_text(encoding="utf-8"))

    def __enter__(self) -> DaySite:
        return self

    def __exit__(self, *_: object) -> None:
        stop_process(self.process)


def crawl(db: Path, url: str, now: str, *args: str, settings: dict[str, str] | None = None) -> dict:
    """One ``scrapy crawl recaps`` into ``db`` with the clock at ``now``; its ``crawls`` row (stats parsed)."""
    log = db.with_name(f"{db.stem}-{now.replace(':', '')}.log")
    command = ["scrapy", "crawl", "recaps", "-a", f"url={url}", "-s", f"ARCHIVE_DB={db}", "-s", f"LOG_FILE={log}"]
    for name, value in {**LOCAL, "ARCHIVER_NOW": now, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    for arg in args:
        command += ["-a", arg]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    conn = sqlite3.connect(db)
    try:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("select * from crawls order by id desc limit 1").fetchone())
    finally:
        conn.close()
    row["stats"] = json.loads(row["stats"] or "{}")
    row["requests"] = row["stats"].get("downloader/request_count", 0)
    return row


def later(iso: str, hours: float) -> str:
    """``iso`` plus ``hours``."""
    return (datetime.fromisoformat(iso) + timedelta(hours=hours)).isoformat()


def _latency(seen_days: list[int], day: int) -> int | None:
    """Days from a change on ``day`` to the first crawl on or after it that saw it (0: that day's crawl)."""
    after = [d - day for d in seen_days if d >= day]
    return min(after) if after else None


def _share(latencies: list[int | None], days: list[int], within: int, last_day: int) -> float | None:
    """The share of changes seen fewer than ``within`` days after them, among those whose window the simulation
    reaches; a window as long as the simulation counts every change seen by its last day."""
    pairs = [
        (lat, day)
        for lat, day in zip(latencies, days, strict=True)
        if within >= last_day or day + within - 1 <= last_day
    ]
    if not pairs:
        return None
    return round(sum(1 for lat, _ in pairs if lat is not None and lat < within) / len(pairs), 4)


def measure(db: Path, changes: list[dict], crawl_days: dict[int, int], last_day: int) -> dict:
    """Compare the archive with the ground truth ``changes`` (every day's); ``crawl_days`` maps crawl ids to days."""
    conn = sqlite3.connect(db)
    try:
        by_site_id = {
            str(sid): (cid, first, gone)
            for cid, sid, first, gone in conn.execute(
                "select id, site_comment_id, first_crawl_id, gone_crawl_id from comments"
            )
        }
        versions: dict[int, list[int]] = {}
        for cid, crawl_id in conn.execute("select comment_id, replaced_crawl_id from comment_versions"):
            versions.setdefault(cid, []).append(crawl_days.get(crawl_id, -1))
        votes: dict[int, list[int]] = {}
        for cid, crawl_id in conn.execute("select comment_id, crawl_id from vote_observations"):
            votes.setdefault(cid, []).append(crawl_days.get(crawl_id, -1))
    finally:
        conn.close()
    out: dict = {}
    new = [c for c in changes if c["kind"] == "comment_new"]
    next_day = sum(
        1 for c in new if c["comment"] in by_site_id and crawl_days.get(by_site_id[c["comment"]][1]) == c["day"]
    )
    out["new_comments"] = len(new)
    out["new_comments_next_day"] = round(next_day / len(new), 4) if new else None
    out["new_comments_missing"] = sum(1 for c in new if c["comment"] not in by_site_id)
    kinds: dict[str, Callable[[tuple], list[int]]] = {
        "comment_edited": lambda row: versions.get(row[0], []),
        "comment_deleted": lambda row: [crawl_days.get(row[2], -1)] if row[2] else [],
        "votes_changed": lambda row: votes.get(row[0], []),
    }
    for kind, seen in kinds.items():
        these = [c for c in changes if c["kind"] == kind and c["comment"] in by_site_id]
        latencies = [_latency(seen(by_site_id[c["comment"]]), c["day"]) for c in these]
        days = [c["day"] for c in these]
        out[kind] = {
            "changes": len(these),
            **{f"within_{k}": _share(latencies, days, k, last_day) for k in (1, 7, 30)},
        }
    return out


def run_freshness(
    out: Path, days: int = DAYS, unchanged_day: int = UNCHANGED_DAY, log=print, settings: dict[str, str] | None = None
) -> dict:
    """Simulate ``days`` days into ``out``; return the figures (the ``freshness`` section of bench-results.json).
    ``settings`` go to every daily crawl (``{"ARCHIVER_SIGNALS": "False"}``: the schedule alone)."""
    out.mkdir(parents=True, exist_ok=True)
    db = out / "freshness.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    port = free_port()
    started = time.monotonic()
    daily: list[dict] = []
    crawl_days: dict[int, int] = {}
    changes: list[dict] = []
    unchanged: dict | None = None
    full: dict | None = None
    for day in range(1, days + 1):
        with DaySite(out / "sites", day, port) as site:
            now = site.truth["now"]
            row = crawl(db, site.base_url, now, settings=settings)
            crawl_days[row["id"]] = day
            changes += [c for c in site.truth["changes"] if c["day"] == day]
            if day > 1:
                daily.append(row)
            log(f"day {day:>2}: {row['requests']:>4} requests, {row['bytes']:>9} bytes, {row['comments_new']} new")
            if day == unchanged_day:
                again = crawl(db, site.base_url, later(now, 6), settings=settings)
                crawl_days[again["id"]] = day
                unchanged = again
                full_db = out / "full.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{full_db}{suffix}").unlink(missing_ok=True)
                full = crawl(full_db, site.base_url, now, "refresh=all")
                log(f"day {day:>2} again (unchanged): {again['requests']} requests; full crawl: {full['requests']}")
    assert full is not None and unchanged is not None
    figures = measure(db, changes, crawl_days, days)
    mean_requests = sum(r["requests"] for r in daily) / len(daily)
    mean_bytes = sum(r["bytes"] for r in daily) / len(daily)
    signals = {
        key.split("archiver/signals/", 1)[1]: sum(r["stats"].get(key, 0) for r in daily)
        for key in sorted({k for r in daily for k in r["stats"] if k.startswith("archiver/signals/")})
    }
    return {
        "days": days,
        "unchanged_day": unchanged_day,
        "wall_s": round(time.monotonic() - started, 1),
        "full_crawl": {"requests": full["requests"], "bytes": full["bytes"], "day": unchanged_day},
        "daily_requests_mean": round(mean_requests, 1),
        "daily_bytes_mean": round(mean_bytes),
        "daily_requests_vs_full": round(mean_requests / full["requests"], 4),
        "daily_bytes_vs_full": round(mean_bytes / full["bytes"], 4),
        "unchanged_day_requests": unchanged["requests"],
        "unchanged_day_requests_vs_full": round(unchanged["requests"] / full["requests"], 4),
        "signals": signals,
        **figures,
    }


def table(r: dict) -> str:
    """The figures as a few lines for the terminal."""
    lines = [
        f"\nfreshness: {r['days']} simulated days, one due crawl a day ({r['wall_s']} s)",
        f"new comments archived by the next daily crawl: {r['new_comments_next_day']:.2%} of {r['new_comments']} "
        "(target >= 99%)",
        f"{'change':<18}{'count':>7}{'1 day':>8}{'7 days':>8}{'30 days':>9}",
    ]

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.0%}"

    for kind in ("comment_edited", "comment_deleted", "votes_changed"):
        k = r[kind]
        lines.append(
            f"{kind:<18}{k['changes']:>7}{pct(k['within_1']):>8}{pct(k['within_7']):>8}{pct(k['within_30']):>9}"
        )
    lines.append(
        f"per daily crawl: {r['daily_requests_mean']} requests ({r['daily_requests_vs_full']:.1%} of a full crawl's "
        f"{r['full_crawl']['requests']}), {r['daily_bytes_mean']} bytes ({r['daily_bytes_vs_full']:.1%})"
    )
    lines.append(
        f"unchanged day: {r['unchanged_day_requests']} requests ({r['unchanged_day_requests_vs_full']:.1%} of a "
        "full crawl; target < 5%)"
    )
    lines.append("signals over the daily crawls: " + ", ".join(f"{k} {v}" for k, v in r["signals"].items()))
    return "\n".join(lines)
