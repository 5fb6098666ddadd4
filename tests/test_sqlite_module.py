"""One SQLite module for every connection: with pysqlite3 installed (a newer SQLite that sqlite-utils and
Datasette then take), a crawl uses it throughout, archives everything and gets through a refused write.

Before, the crawl's own connections used the standard library's sqlite3 while sqlite-utils' used pysqlite3: an
error of the latter escaped every ``except sqlite3.Error`` and the crawl stalled at its first failed commit.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from helpers import PROJECT, archive_rows, assert_same, crawl_refusing_second_comment_pages, differences

PYSQLITE3 = Path(sys.prefix) / "pysqlite3"
"""Where `make pysqlite3` installs pysqlite3-binary: beside the project's venv, not in it, so that every other test
runs on the standard library's sqlite3 as most users do."""


def test_no_module_imports_the_standard_sqlite3_but_the_one_that_chooses() -> None:
    chooser = PROJECT / "archiver" / "archive" / "sqlite.py"
    offenders = []
    for folder in ("archiver", "pipelines", "spiders", "bench"):
        for path in sorted((PROJECT / folder).rglob("*.py")):
            if path == chooser:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                module = node.module if isinstance(node, ast.ImportFrom) else None
                if "sqlite3" in names or module == "sqlite3" or (module or "").startswith("sqlite3."):
                    offenders.append(str(path.relative_to(PROJECT)))
    assert offenders == []


@pytest.mark.e2e
def test_a_crawl_with_pysqlite3_installed_uses_it_and_loses_nothing(tmp_path: Path) -> None:
    if not (PYSQLITE3 / "pysqlite3").is_dir():
        pytest.skip(f"pysqlite3-binary is not installed in {PYSQLITE3} (make pysqlite3)")
    # A write the archive refuses mid-crawl: the crawl must log and count it, and go on.
    site, db, run = crawl_refusing_second_comment_pages(tmp_path, {}, env={"PYTHONPATH": str(PYSQLITE3)}, timeout=120)
    assert "(pysqlite3)" in run.log and "(sqlite3)" not in run.log, run.log[:3000]
    assert run.returncode == 0 and "Spider closed (finished)" in run.log, run.log[-3000:]
    assert run.log.count("database or disk is full") > 0, run.log[-3000:]
    lost = {
        line.split(": comment_page lost")[0].split("ERROR: ")[-1]
        for line in run.log.splitlines()
        if "comment_page lost" in line
    }
    whole = [r for r in site.truth["recaps"] if r["url"] not in lost]
    touched = [r for r in site.truth["recaps"] if r["url"] in lost]
    assert whole and touched
    # Threads whose second comment page was not refused are archived exactly; the others keep every comment (from
    # the REST API) and are flagged incomplete: the page that could not be stored counts as not read.
    assert_same(differences(db, site.truth, whole, only_archived=True))
    for recap in touched:
        rows = archive_rows(
            db,
            "select recaps.thread_complete, comments.site_comment_id from recaps "
            "join comments on comments.recap_id = recaps.id where recaps.url = ?",
            (recap["url"],),
        )
        assert {r["site_comment_id"] for r in rows} == {str(c["id"]) for c in recap["comments"]}, recap["url"]
        assert {r["thread_complete"] for r in rows} == {0}, recap["url"]
    refused = archive_rows(db, "select count(*) as n from pages where url like '%/comment-page-2/%'")
    assert refused == [{"n": 0}]
