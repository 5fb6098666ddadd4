"""Page readings in worker processes: the same archive as in-process, and nothing lost when a worker dies."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import PROJECT, DemoSite, archive_rows, assert_same, differences, run_crawl
from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from archiver.crawl.workers import PageReaders, read_processes
from archiver.errors import ArgumentError

pytestmark = pytest.mark.e2e

PAGE = HtmlResponse("https://recaps.example/p/", body=b"<html><body><p>x</p></body></html>", encoding="utf-8")


def where_read(response: HtmlResponse) -> tuple[int, str]:
    """A reading that says which process ran it."""
    return os.getpid(), response.text


def die_in_a_worker(response: HtmlResponse) -> int:
    """A reading that kills the worker running it (and works in the crawl's own process)."""
    if multiprocessing.parent_process() is not None:
        os._exit(3)
    return os.getpid()


def settings(**values: object) -> Settings:
    return Settings({"DOWNLOAD_DELAY": 1.0, "AUTOTHROTTLE_ENABLED": True, **values})


def test_polite_crawls_read_pages_themselves_and_unthrottled_ones_use_a_worker() -> None:
    assert read_processes(settings()) == 0
    assert read_processes(settings(DOWNLOAD_DELAY=0)) == 0  # AutoThrottle still paces the crawl
    unthrottled = settings(DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False)
    assert read_processes(unthrottled) == min(2, (os.cpu_count() or 1) - 1)
    assert read_processes(settings(ARCHIVER_READ_PROCESSES="3")) == 3
    assert read_processes(settings(DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False, ARCHIVER_READ_PROCESSES=0)) == 0


def test_a_polite_crawl_of_many_sites_uses_a_worker() -> None:
    workers = min(2, (os.cpu_count() or 1) - 1)
    polite = settings(AUTOTHROTTLE_START_DELAY=1.0)  # as the project's settings: one page a second per site
    assert read_processes(polite, sites=9) == 0  # 9 pages a second at most: the crawl reads them itself
    assert read_processes(polite, sites=10) == workers
    assert read_processes(polite, sites=100) == workers
    assert read_processes(settings(), sites=20) == 0  # AutoThrottle's default start delay, 5 s: 4 pages a second
    assert read_processes(settings(DOWNLOAD_DELAY=0, AUTOTHROTTLE_START_DELAY=1.0), sites=10) == workers
    assert read_processes(settings(ARCHIVER_READ_PROCESSES="0", AUTOTHROTTLE_START_DELAY=1.0), sites=100) == 0
    project = Settings()
    project.setmodule("archiver.settings")
    assert read_processes(project, sites=100) == workers


def test_the_project_default_reads_pages_in_the_crawl_itself() -> None:
    project = Settings()
    project.setmodule("archiver.settings")
    assert project.get("ARCHIVER_READ_PROCESSES") == "auto"
    assert read_processes(project) == 0  # polite by default: the network, not the CPU, is the limit


@pytest.mark.parametrize("value", ["many", "-1", "1.5"])
def test_a_bad_process_count_names_the_setting(value: str) -> None:
    with pytest.raises(ArgumentError, match="ARCHIVER_READ_PROCESSES"):
        read_processes(settings(ARCHIVER_READ_PROCESSES=value))


def test_crawl_command_rejects_a_bad_process_count_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            "scrapy",
            "crawl",
            "recaps",
            "-a",
            "url=http://127.0.0.1:9/",
            "-s",
            "ARCHIVER_READ_PROCESSES=lots",
            "-s",
            f"ARCHIVE_DB={tmp_path / 'a.db'}",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"),
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "scrapy crawl recaps: error: setting ARCHIVER_READ_PROCESSES: 'lots' is not 'auto' or a number of processes"
    ]
    assert not (tmp_path / "a.db").exists()


def test_readings_run_in_a_worker_process() -> None:
    async def go() -> list[tuple[int, str]]:
        readers = PageReaders(1)
        try:
            return list(await asyncio.gather(*[readers.read(where_read, PAGE) for _ in range(5)]))
        finally:
            readers.close()

    results = asyncio.run(go())
    pids = {pid for pid, _ in results}
    assert os.getpid() not in pids and len(pids) == 1
    assert {text for _, text in results} == {PAGE.text}


def test_a_dead_worker_leaves_the_readings_to_the_crawl_itself() -> None:
    async def go() -> tuple[list[int], int]:
        readers = PageReaders(1)
        try:
            results = list(await asyncio.gather(*[readers.read(die_in_a_worker, PAGE) for _ in range(4)]))
            return results, readers.processes
        finally:
            readers.close()

    results, processes = asyncio.run(go())
    assert results == [os.getpid()] * 4
    assert processes == 0


SCRIPT_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PROJECT), str(PROJECT / "tests")]))


def reader_script(folder: Path, first: str, last: str) -> Path:
    """A script, with no ``__main__`` guard, that reads one page in a worker (``pid``: the worker's) between
    the lines ``first`` and ``last``."""
    script = folder / "reader_script.py"
    script.write_text(
        "import asyncio, os, time\n" + first + "from scrapy.http import HtmlResponse\n"
        "from archiver.crawl.workers import PageReaders\n"
        "from test_workers import where_read\n"
        "readers = PageReaders(1)\n"
        "page = HtmlResponse('https://recaps.example/', body=b'<p>x</p>', encoding='utf-8')\n"
        "pid, _ = asyncio.run(readers.read(where_read, page))\n" + last
    )
    return script


def test_a_script_without_a_main_guard_is_not_run_again_in_the_worker(tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    script = reader_script(
        tmp_path,
        f"open({str(marker)!r}, 'a').write('ran\\n')\n",
        "readers.close()\nprint('worker' if pid != os.getpid() else 'in-process')\n",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=SCRIPT_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "worker"
    assert marker.read_text() == "ran\n"


def _stat(db: Path, key: str) -> int | None:
    """A stat of the archive's last crawl (``crawls.stats``, where every crawl's stats are kept)."""
    stats = json.loads(archive_rows(db, "select stats from crawls order by id desc limit 1")[0]["stats"] or "{}")
    return stats.get(key)


@pytest.mark.parametrize("processes", ["0", "2"])
def test_worker_count_does_not_change_the_archive(demo_site: DemoSite, tmp_path: Path, processes: str) -> None:
    db = tmp_path / f"w{processes}.db"
    run = run_crawl(db, f"url={demo_site.base_url}", settings={"ARCHIVER_READ_PROCESSES": processes})
    assert run.returncode == 0, run.stderr[-2000:]
    assert_same(differences(db, demo_site.truth, demo_site.truth["recaps"]))
    assert _stat(db, "archiver/workers/processes") == (int(processes) or None)
    assert _stat(db, "archiver/workers/broken") is None


def test_the_default_test_crawl_reads_pages_in_a_worker(full_crawl: tuple[Path, object]) -> None:
    db, _ = full_crawl
    expected = min(2, (os.cpu_count() or 1) - 1) or None
    assert _stat(db, "archiver/workers/processes") == expected


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has exited; its new parent may not have reaped it yet


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_workers_exit_when_the_crawl_is_killed_outright(tmp_path: Path) -> None:
    script = reader_script(tmp_path, "", "print(pid, flush=True)\ntime.sleep(120)\n")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=SCRIPT_ENV)
    try:
        worker = int(process.stdout.readline())
        assert worker != process.pid and _alive(worker)
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker), "the worker outlived the crawl that was killed"
