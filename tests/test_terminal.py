"""The terminal as a newcomer meets it (issue 14): one line for a file that is not an archive, any recap URL,
a busy port, unknown crawl arguments named, plurals, and a crawl's end summary that says where and what next."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from helpers import PROJECT, CrawlRun, DemoSite, run, run_crawl


@pytest.mark.parametrize(
    "command", ["stats", "thread", "export", "search", "serve", "reparse", "export-warc", "metadata"]
)
def test_every_command_says_not_a_recap_archive_for_another_file(command: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    empty.write_bytes(b"")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table notes (text)").connection.close()
    extra = {"thread": ["1"], "search": ["words"], "export-warc": [str(tmp_path / "out.warc.gz")]}.get(command, [])
    for path in (PROJECT / "README.md", empty, other):
        result = run(command, str(path), *extra)
        assert result.exit_code == 2, (command, path, result.output)
        assert result.output == f"Error: {str(path)!r} is not a recap archive\n"


@pytest.mark.parametrize(
    "suffix", ["#comments", "comment-page-2/", "comment-page-1/#comment-12", "?cpage=3", "?cpage=2#respond"]
)
def test_thread_takes_any_url_of_a_recap(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun], suffix: str) -> None:
    db, _ = full_crawl
    recap = max(demo_site.truth["recaps"], key=lambda r: len(r["comments"]))
    result = run("thread", str(db), recap["url"].rstrip("/") + "/" + suffix)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == recap["url"]
    assert f"{len(recap['comments'])} comments" in result.output


def test_thread_shows_the_sites_time_and_labelled_votes(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]) -> None:
    db, _ = full_crawl
    # The recap with the most voted comments: ids follow the order recaps were saved, which the crawl does not fix.
    conn = sqlite3.connect(db)
    (recap,) = conn.execute(
        "select recap_id from comments where upvotes or downvotes group by recap_id order by count(*) desc limit 1"
    ).fetchone()
    conn.close()
    output = run("thread", str(db), str(recap)).output
    heads = [line for line in output.splitlines() if " · " in line]
    assert heads and all(" UTC" in h for h in heads)  # the zone is named
    assert any(" like" in h or " dislike" in h for h in heads) and " +" not in "".join(heads)


def test_serve_says_so_in_one_line_when_the_port_is_busy(full_crawl: tuple[Path, CrawlRun]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", str(full_crawl[0]), "--port", str(port))
    assert (
        result.exit_code == 1
        and result.output == f"Error: port {port} on 127.0.0.1 is in use; choose another with --port\n"
    )


def test_stats_uses_singulars(tmp_path: Path) -> None:
    from helpers import make_hostile_archive

    output = run("stats", str(make_hostile_archive(tmp_path / "one.db"))).output
    assert output.startswith("Archived 1 recap (1 episode in 1 series) and 4 comments from 1 site.")
    assert "1 recaps" not in output and "1 errors" not in output


def test_an_unknown_crawl_argument_is_named(tmp_path: Path) -> None:
    run_ = run_crawl(tmp_path / "x.db", "ur=http://127.0.0.1:9/")
    assert run_.returncode == 2 and "unknown argument ur (-a ur=...)" in run_.stderr
    assert len(run_.stderr.strip().splitlines()) == 1


def test_a_crawl_ends_with_a_summary_naming_the_archive_and_what_next(demo_site: DemoSite, tmp_path: Path) -> None:
    site = demo_site
    db = tmp_path / "shows.db"
    first = run_crawl(db, f"url={site.base_url}", settings={"LOG_LEVEL": "WARNING"})
    again = run_crawl(db, f"url={site.base_url}", settings={"LOG_LEVEL": "WARNING"})
    recaps = len(site.truth["recaps"])
    assert first.returncode == 0, first.stderr[-2000:]
    # LOG_FILE and -L WARNING: the summary still reaches the terminal, and only it.
    assert (
        first.stderr.startswith("Crawl finished in ")
        and f": {recaps} recaps saved ({recaps} new, 0 changed)" in first.stderr
    )
    assert f"Archive: {db}. Next: recap-archiver serve {db}" in first.stderr
    assert "Disabled" not in first.log and "Dumping Scrapy stats" not in first.log
    # A re-crawl counts each recap not due once, however many listings link it.
    assert f"0 recaps saved (0 new, 0 changed), {recaps} not due" in again.stderr, again.stderr
    with sqlite3.connect(db) as conn:
        stats = conn.execute("select stats from crawls order by id desc").fetchone()[0]
    assert '"archiver/recaps/not_due"' in stats  # the full stats are kept


def test_a_crawl_that_archives_nothing_writes_no_file(tmp_path: Path) -> None:
    db = tmp_path / "nothing.db"
    result = run_crawl(db, "url=http://127.0.0.1:9/", settings={"RETRY_TIMES": "0"})
    assert result.returncode == 1
    assert f"Nothing archived: {db} was not written." in result.stderr
    assert not db.exists() and not list(tmp_path.glob("nothing.db-*"))
