"""Run a child process and measure it: wall seconds, CPU seconds and peak RSS (stdlib only).

The command runs under ``bench/reaper.py``, a small parent that adopts the processes the command leaves
orphaned (a ``forkserver`` and its pool workers), so that their CPU seconds are counted too. Memory is
polled from /proc every 50 ms over the whole process tree: the command and every process it started.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REAPER = Path(__file__).resolve().with_name("reaper.py")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
POLL_S = 0.05


@dataclass
class Run:
    """One measured child process."""

    returncode: int
    wall_s: float
    cpu_s: float
    """User plus system CPU seconds of the child and of every process it started (pool workers included)."""
    peak_rss_mb: float
    """Peak resident memory of the whole process tree, in MiB: the largest sum of the RSS of the child and all
    its descendants seen at one poll, or the child's own peak (``VmHWM``) if larger."""
    peak_rss_main_mb: float = 0.0
    """The child's own largest resident set (``VmHWM`` polled from /proc, else ``ru_maxrss``), in MiB."""
    processes: int = 1
    """The most processes of the tree seen running at once."""
    others_cpu_s: float | None = None
    """CPU seconds the rest of the machine spent meanwhile (/proc/stat's busy time less ``cpu_s``): the server, the
    bench's own polling, and anything else running. Seconds here are seconds the measured processes may have waited
    for, so a figure far above the quiet machine's says the run's times are inflated."""

    def figures(self) -> dict:
        """The run's CPU seconds (its own and the rest of the machine's) and its peak RSS (the whole process tree,
        worker processes included, and the main process alone), rounded as ``bench-results.json`` has them."""
        return {
            "cpu_s": round(self.cpu_s, 2),
            "others_cpu_s": None if self.others_cpu_s is None else round(self.others_cpu_s, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "peak_rss_main_mb": round(self.peak_rss_main_mb, 1),
            "processes": self.processes,
        }


def machine_busy_s() -> float | None:
    """CPU seconds all the machine's CPUs have spent busy since boot (/proc/stat), or None where it cannot be read."""
    try:
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:9]]  # user .. steal; guest time is inside user
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle and iowait
    return (sum(values) - idle) / CLK_TCK


def _hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((int(row.split()[1]) for row in fh if row.startswith("VmHWM:")), 0)
    except (OSError, ValueError):
        return 0


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE_KB
    except (OSError, ValueError, IndexError):
        return 0


def _children() -> dict[int, list[int]]:
    """Parent pid to child pids, for every process in /proc."""
    out: dict[int, list[int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            out.setdefault(int(fields[1]), []).append(int(name))
    return out


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (not ``pid`` itself)."""
    children = _children()
    found: list[int] = []
    todo = list(children.get(pid, ()))
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, ()))
    return found


def run_measured(command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``command`` to its end with stdout and stderr in ``log``; measure it and every process it starts."""
    read_fd, write_fd = os.pipe()
    with open(log, "ab") as out, os.fdopen(read_fd, "r") as report:
        start = time.perf_counter()
        busy_before = machine_busy_s()
        try:
            reaper = subprocess.Popen(
                [sys.executable, "-I", "-S", str(REAPER), str(write_fd), *command],
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                pass_fds=[write_fd],
            )
        finally:
            os.close(write_fd)
        first = json.loads(report.readline() or "{}")
        if "pid" not in first:
            reaper.wait()
            if "error" in first:
                raise OSError(first.get("errno"), f"cannot run {command[0]}: {first['error']}")
            raise RuntimeError(f"bench/reaper.py failed (exit {reaper.returncode}), see {log}")
        main_pid = first["pid"]
        # ru_maxrss survives execve (a child forked from a big parent reports the parent's size), so the
        # peaks are read from /proc while the processes run.
        peak_main_kb = peak_tree_kb = 0
        most = 1
        while True:
            pid, status, usage = os.wait4(reaper.pid, os.WNOHANG)
            if pid:
                break
            tree = descendants(reaper.pid)  # the command, its descendants, and orphans adopted by the reaper
            peak_main_kb = max(peak_main_kb, _hwm_kb(main_pid))
            peak_tree_kb = max(peak_tree_kb, sum(_rss_kb(p) for p in tree))
            most = max(most, len(tree))
            time.sleep(POLL_S)
        wall = time.perf_counter() - start
        busy_after = machine_busy_s()
        lines = report.read().split("\n")
    try:
        last = json.loads(next((line for line in reversed(lines) if line.strip()), "{}"))
    except ValueError:
        last = {}
    reaper.returncode = os.waitstatus_to_exitcode(status)
    returncode = last.get("returncode", reaper.returncode)
    if "cpu_s" in last:  # everything the reaper waited for, without its own interpreter
        wall, cpu, maxrss_kb = last["wall_s"], last["cpu_s"], last["maxrss_kb"]
    else:
        cpu, maxrss_kb = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
    main_kb = peak_main_kb or maxrss_kb
    others = None if busy_before is None or busy_after is None else max(0.0, busy_after - busy_before - cpu)
    return Run(returncode, wall, cpu, max(peak_tree_kb, main_kb) / 1024, main_kb / 1024, most, others)


STAT = re.compile(r"'(?P<key>[a-z_/0-9]+)': (?P<value>\d+(?:\.\d+)?)")


def scrapy_stats(log_text: str) -> dict[str, float]:
    """The numeric stats from the last ``Dumping Scrapy stats`` block of a Scrapy log."""
    at = log_text.rfind("Dumping Scrapy stats")
    if at < 0:
        return {}
    block = log_text[at : log_text.find("}", at) + 1]
    return {m["key"]: float(m["value"]) for m in STAT.finditer(block)}
