"""Run a child process and measure it: wall seconds, CPU seconds and peak RSS (stdlib only)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    """One measured child process."""

    returncode: int
    wall_s: float
    cpu_s: float
    """User plus system CPU seconds of the child (and of any children it waited for)."""
    peak_rss_mb: float
    """Its largest resident set (``VmHWM`` polled from /proc, else ``ru_maxrss``), in MiB."""


def _hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((int(l.split()[1]) for l in fh if l.startswith("VmHWM:")), 0)
    except (OSError, ValueError):
        return 0


def run_measured(command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``command`` to its end with stdout and stderr in ``log``; measure it with ``os.wait4``."""
    with open(log, "ab") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        # ru_maxrss survives execve (a child forked from a big parent reports the parent's size), so the
        # peak is read from the child's own VmHWM while it runs.
        peak_kb = 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, _hwm_kb(process.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(process.returncode, wall, usage.ru_utime + usage.ru_stime, (peak_kb or usage.ru_maxrss) / 1024)


STAT = re.compile(r"'(?P<key>[a-z_/0-9]+)': (?P<value>\d+(?:\.\d+)?)")


def scrapy_stats(log_text: str) -> dict[str, float]:
    """The numeric stats from the last ``Dumping Scrapy stats`` block of a Scrapy log."""
    at = log_text.rfind("Dumping Scrapy stats")
    if at < 0:
        return {}
    block = log_text[at: log_text.find("}", at) + 1]
    return {m["key"]: float(m["value"]) for m in STAT.finditer(block)}
