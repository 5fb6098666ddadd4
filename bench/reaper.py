"""``python reaper.py FD COMMAND...``: run COMMAND as a child subreaper would, so that no CPU second goes unseen.

``os.wait4`` counts a child's CPU together with that of the descendants it waited for, but a process
orphaned on the way (a ``forkserver`` and the pool workers it reaped, say) is handed to init and its CPU is
lost. This small parent marks itself a child subreaper (Linux ``prctl``), so orphans are handed to it; it
waits for the command and then for every orphan, and writes JSON lines to the file descriptor FD: first
``{"pid": ...}`` once COMMAND runs, last the exit status, wall seconds and CPU seconds of everything it reaped
(``RUSAGE_CHILDREN``, its own interpreter excluded). Standard library only, and nothing from ``bench``:
it runs as a script, with ``-I -S``, from any folder.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
ORPHAN_GRACE_S = 10.0
"""How long to wait, once COMMAND has ended, for processes it left behind."""


def _subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def main(argv: list[str]) -> int:
    out = os.fdopen(int(argv[0]), "w", buffering=1)
    command = argv[1:]
    subreaper = _subreaper()
    # Ctrl-C reaches the whole process group: leave it to the command (a Python handler, unlike SIG_IGN, is
    # reset to the default in the command). A SIGTERM for this parent is passed on while the command runs.
    state: dict = {"pid": None, "status": None}

    def terminate(*_) -> None:
        if state["pid"] is not None and state["status"] is None:
            os.kill(state["pid"], signal.SIGTERM)

    signal.signal(signal.SIGINT, lambda *_: None)
    signal.signal(signal.SIGTERM, terminate)
    start = time.perf_counter()
    try:
        child = subprocess.Popen(command)
    except OSError as exc:
        out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}", "errno": exc.errno}) + "\n")
        return 127
    state["pid"] = child.pid
    out.write(json.dumps({"pid": child.pid, "subreaper": subreaper}) + "\n")
    wall = 0.0
    orphans = 0
    deadline = 0.0
    left_running = False
    while True:
        try:
            pid, status, _ = os.wait4(-1, 0 if state["status"] is None else os.WNOHANG)
        except ChildProcessError:
            break  # nothing left to wait for
        if pid == child.pid:
            state["status"], wall = status, time.perf_counter() - start
            child.returncode = os.waitstatus_to_exitcode(status)
            deadline = time.monotonic() + ORPHAN_GRACE_S
        elif pid:
            orphans += 1
        elif time.monotonic() > deadline:
            left_running = True  # given up on: its CPU is not counted
            break
        else:
            time.sleep(0.01)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    out.write(
        json.dumps(
            {
                "returncode": child.returncode,
                "wall_s": wall,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "maxrss_kb": usage.ru_maxrss,
                "orphans": orphans,
                "left_running": left_running,
            }
        )
        + "\n"
    )
    out.close()
    code = child.returncode
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
