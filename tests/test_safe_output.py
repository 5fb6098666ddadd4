"""Commands never destroy an archive, write files atomically, and never hand a reader live formulas,
terminal commands or e-mail links; archive paths with ``#``, ``?`` or ``%`` open the right file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from archiver.pipelines.clean import clean_comment_links
from click.testing import CliRunner, Result
from helpers import make_recap

from archiver.archive.export import csv_cell
from archiver.archive.files import OutputRefused, connect_read_only, is_demo_archive, safe_output
from archiver.archive.store import open_archive, save_recap, start_crawl
from archiver.cli import cli
from archiver.demo.model import SITE_NAME
from archiver.items import CommentItem
from archiver.sanitize import drop_mailto_links, safe_html, terminal_text


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def make_archive(path: Path, body: str = "Wow", author: str = "Ana") -> Path:
    """A small archive at ``path`` with one recap and two comments."""
    db = open_archive(path)
    crawl = start_crawl(db, "recaps", {}, "2024-01-01T00:00:00+00:00")
    save_recap(
        db,
        make_recap(
            [
                CommentItem("101", None, author=author, body_text=body, page=1),
                CommentItem("102", "101", author="Bo", body_text="-2 for that", page=1),
            ]
        ),
        crawl,
    )
    db.close()
    return path


@pytest.mark.parametrize("name", ["a#b.db", "a?mode=rw.db", "100%25.db", "we?ird#%20.db"])
def test_read_only_connections_open_the_named_file(tmp_path: Path, name: str) -> None:
    path = make_archive(tmp_path / name)
    decoy = make_archive(tmp_path / "a", author="Decoy")  # what a naive file:a#... URI would open
    conn = connect_read_only(path)
    try:
        assert conn.execute("select author from comments order by id").fetchone() == ("Ana",)
    finally:
        conn.close()
    assert decoy.exists() and run("stats", str(path)).exit_code == 0


def test_export_refuses_to_write_over_its_own_archive(tmp_path: Path) -> None:
    db = make_archive(tmp_path / "A.db")
    size = db.stat().st_size
    for args in (
        ["export", str(db), "-o", str(db)],
        ["export-warc", str(db), str(db)],
        ["export", str(db), "-o", str(db), "--force"],
        ["export-warc", str(db), str(db), "--force"],
        ["export", str(db), "-o", str(tmp_path / "." / "A.db")],
    ):
        result = run(*args)
        assert result.exit_code == 1 and "archive being read" in result.output, (args, result.output)
    assert db.stat().st_size == size and run("stats", str(db)).exit_code == 0


def test_export_asks_for_force_before_replacing_a_file(tmp_path: Path) -> None:
    db = make_archive(tmp_path / "A.db")
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    result = run("export", str(db), "-o", str(out))
    assert result.exit_code == 1 and "--force" in result.output
    assert out.read_text() == "precious\n"
    assert run("export", str(db), "-o", str(out), "--force").exit_code == 0
    assert '"comments"' in out.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old")
    with pytest.raises(RuntimeError), safe_output(out, force=True) as fh:
        fh.write("half")
        raise RuntimeError("interrupted")
    assert out.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    with pytest.raises(OutputRefused):
        with safe_output(out):
            pass


def test_demo_keeps_a_file_that_is_not_its_archive(tmp_path: Path) -> None:
    precious = tmp_path / "thesis.db"
    precious.write_text("not an archive")
    result = run("demo", "--db", str(precious))
    assert result.exit_code == 1 and "--force" in result.output and precious.read_text() == "not an archive"
    other = make_archive(tmp_path / "other.db")
    assert not is_demo_archive(other, SITE_NAME) and run("demo", "--db", str(other)).exit_code == 1


def test_csv_cells_are_neutralised(tmp_path: Path) -> None:
    assert [csv_cell(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok", -3, None)] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "ok",
        -3,
        None,
    ]
    db = make_archive(tmp_path / "A.db", body='=HYPERLINK("http://evil.example","click")', author="@admin")
    out = tmp_path / "out.csv"
    assert run("export", str(db), "--format", "csv", "-o", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0]["body_text"].startswith("'=HYPERLINK") and rows[0]["author"] == "'@admin"
    assert rows[1]["body_text"] == "'-2 for that" and rows[0]["depth"] == "1"


def test_terminal_output_carries_no_control_characters(tmp_path: Path) -> None:
    assert terminal_text("a\x1b[2Jb\x07c\x9bd\x7f\te\nf\x00") == "a[2Jbcd\te\nf"
    db = make_archive(tmp_path / "A.db", body="clear \x1b]0;pwned\x07 screen \x1b[2J flower", author="Es\x1bc")
    for args in (["thread", str(db), "1"], ["search", str(db), "flower"], ["stats", str(db)]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert not any(ch in result.output for ch in "\x1b\x07\x9b\x00"), (args, result.output)
    assert "[flower]" in run("search", str(db), "flower").output


@pytest.mark.parametrize("scheme", ["mailto", "MAILTO", "MailTo", " mailto"])
def test_mailto_is_never_stored_nor_rendered(scheme: str) -> None:
    html = f'<p>write <a href="{scheme}:me@x.example">me</a> or <a href={scheme}:me@x.example>me</a></p>'
    assert "mailto" not in str(safe_html(html)).lower()
    assert "mailto" not in drop_mailto_links(html).lower()
    comment = clean_comment_links(CommentItem("1", None, author_url=f"{scheme}:me@x.example", body_html=html))
    assert comment.author_url is None and "mailto" not in comment.body_html.lower()
    kept = clean_comment_links(CommentItem("2", None, author_url="HTTPS://me.example/", body_html="<p>hi</p>"))
    assert kept.author_url == "HTTPS://me.example/" and kept.body_html == "<p>hi</p>"
