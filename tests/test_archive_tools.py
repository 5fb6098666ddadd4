"""`recap-archiver reparse` and `export-warc` on an archive made by a real crawl."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PROJECT, archive_rows, assert_same, differences, run_crawl, start_demo_site, stop
from warcio.archiveiterator import ArchiveIterator

pytestmark = pytest.mark.e2e

SMALL = ("--series", "2", "--episodes", "2", "--extra-posts", "1", "--comments", "120", "--per-page", "5")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archiver.cli", *args], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


def crawled_archive(tmp_path: Path) -> tuple[Path, dict]:
    site = start_demo_site(tmp_path, *SMALL)
    try:
        db = tmp_path / "tools.db"
        run = run_crawl(db, f"url={site.base_url}")
        assert run.returncode == 0, run.stderr[-2000:]
        return db, site.truth
    finally:
        stop(site)  # everything below works without the site


def test_reparse_rebuilds_recaps_and_comments_offline(tmp_path: Path) -> None:
    db, truth = crawled_archive(tmp_path)
    conn = sqlite3.connect(db)
    for table in ("vote_changes", "comment_versions", "recap_versions", "recap_terms", "comments", "recaps"):
        conn.execute(f"delete from {table}")
    conn.commit()
    conn.close()
    done = cli("reparse", str(db))
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Re-parsed {len(truth['recaps'])} recaps" in done.stdout
    assert_same(differences(db, truth, truth["recaps"]))
    last = archive_rows(db, "select * from crawls order by id desc limit 1")[0]
    assert '"reparse": "1"' in last["args"] and last["pages"] > 0
    # Nothing was fetched: no page was stored by the re-parse.
    assert archive_rows(db, "select count(*) as n from pages where crawl_id = ?", (last["id"],))[0]["n"] == 0


def test_reparse_skips_pages_never_stored_without_calling_them_failures(tmp_path: Path) -> None:
    db, truth = crawled_archive(tmp_path)
    missing = truth["recaps"][0]["url"].rstrip("/") + "-never-stored/"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from archiver.crawl.reparse import reparse; "
            "print(reparse(sys.argv[1], urls=[sys.argv[2]]).get('httpcache/ignore'))",
            str(db),
            missing,
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert int(run.stdout.split()[-1]) >= 1  # the page was asked for and skipped
    assert_same(differences(db, truth, truth["recaps"]))
    # The site never failed: the failures table stays empty, and the re-parse warns of nothing.
    assert archive_rows(db, "select url from failures") == []
    assert "failed for good" not in run.stderr


def test_export_warc_writes_every_stored_response(tmp_path: Path) -> None:
    db, truth = crawled_archive(tmp_path)
    out = tmp_path / "out.warc.gz"
    done = cli("export-warc", str(db), str(out))
    assert done.returncode == 0, done.stderr
    pages = archive_rows(db, "select url, status from pages order by id")
    with out.open("rb") as fh:
        records = [
            (r.rec_headers.get_header("WARC-Target-URI"), r.http_headers.get_statuscode(), r.content_stream().read())
            for r in ArchiveIterator(fh)
            if r.rec_type == "response"
        ]
    assert [(u, int(s)) for u, s, _ in records] == [(p["url"], p["status"]) for p in pages]
    recap = truth["recaps"][0]
    body = next(b for u, _, b in records if u == recap["url"])
    assert recap["title"].encode() in body.replace(b"&#8217;", "’".encode())


def test_tools_give_one_line_errors(tmp_path: Path) -> None:
    missing = cli("reparse", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and missing.stderr.strip() == f"Error: no archive at '{tmp_path / 'none.db'}'"
    db = tmp_path / "x.db"
    db.write_bytes(b"")
    not_archive = cli("export-warc", str(db), str(tmp_path / "out.warc.gz"))
    assert not_archive.returncode == 2 and not_archive.stderr == f"Error: '{db}' is not a recap archive\n"
    from archiver.archive.store import open_archive

    db.unlink()
    open_archive(db).close()
    bad_out = cli("export-warc", str(db), str(tmp_path / "no" / "out.warc.gz"))
    assert bad_out.returncode == 1 and "does not exist" in bad_out.stderr and bad_out.stderr.count("\n") == 1


def test_tree_json_equals_json_dumps_and_survives_a_deep_chain() -> None:
    import json as _json

    from archiver.archive.export import tree_json

    tree = [
        {"id": 1, "a": "é", "replies": [{"id": 2, "replies": []}, {"id": 3, "replies": [{"id": 4, "replies": []}]}]},
        {"id": 5, "replies": []},
    ]
    assert tree_json(tree) == _json.dumps(tree, ensure_ascii=False) and tree_json([]) == "[]"
    deep: dict = {"id": 0, "replies": []}
    node = deep
    for n in range(1, 5000):
        child = {"id": n, "replies": []}
        node["replies"].append(child)
        node = child
    text = tree_json([deep])
    assert text.startswith('[{"id": 0, "replies": [{"id": 1,') and text.endswith("]}" * 5000 + "]")
