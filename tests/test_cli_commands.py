"""The research commands (stats, thread, export, search, serve) on an archive made by a real crawl."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import CrawlRun, DemoSite, run, serve

pytestmark = pytest.mark.e2e


def busiest(truth: dict[str, Any]) -> dict[str, Any]:
    return max(truth["recaps"], key=lambda r: len(r["comments"]))


def walk(comments: list[dict[str, Any]], depth: int = 1) -> Iterator[tuple[dict[str, Any], int]]:
    for comment in comments:
        yield comment, depth
        yield from walk(comment["replies"], depth + 1)


def test_stats_counts_what_the_crawl_archived(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]) -> None:
    result = run("stats", str(full_crawl[0]))
    assert result.exit_code == 0, result.output
    comments = sum(len(r["comments"]) for r in demo_site.truth["recaps"])
    assert f"Archived {len(demo_site.truth['recaps'])} recaps" in result.output
    assert f"and {comments} comments" in result.output
    top = busiest(demo_site.truth)
    assert f"{len(top['comments']):>5} comments" in result.output.split("Busiest recaps:")[1].splitlines()[1]
    assert "Last crawls (1 in all):" in result.output and "finished" in result.output


def test_thread_prints_every_comment_indented_by_depth(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]) -> None:
    recap = busiest(demo_site.truth)
    result = run("thread", str(full_crawl[0]), recap["url"])
    assert result.exit_code == 0, result.output
    heads = [
        line for line in result.output.splitlines()[4:] if line.strip() and (len(line) - len(line.lstrip())) % 4 == 0
    ]
    assert len(heads) == len(recap["comments"])
    for line, comment in zip(heads, recap["comments"], strict=False):
        assert line == " " * 4 * (comment["depth"] - 1) + line.lstrip()
        assert line.lstrip().startswith(comment["author"] or "(anonymous)")


def test_commands_turn_library_errors_into_one_line(full_crawl: tuple[Path, CrawlRun], tmp_path: Path) -> None:
    db = str(full_crawl[0])
    for args, message in [
        (
            ["thread", db, "https://nowhere.example/post/"],
            "Error: no recap with id or URL 'https://nowhere.example/post/'",
        ),
        (["export", db, "--series", "No Such Show"], "Error: no series 'No Such Show' in the archive"),
        (["search", db, '"unclosed', "--raw"], "Error: cannot search for"),
        (["stats", str(tmp_path / "missing.db")], "Error: no archive at"),
        (["serve", str(tmp_path / "missing.db")], "Error: no archive at"),
    ]:
        result = run(*args)
        assert result.exit_code == 1 and result.output.startswith(message), (args, result.output)
        assert len(result.output.strip().splitlines()) == 1


def test_export_jsonl_nests_every_thread(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun]) -> None:
    result = run("export", str(full_crawl[0]), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    recaps = {r["url"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(recaps) == {r["url"] for r in demo_site.truth["recaps"]}
    for truth in demo_site.truth["recaps"]:
        walked = list(walk(recaps[truth["url"]]["comments"]))
        assert [(c["site_comment_id"], d) for c, d in walked] == [(c["id"], c["depth"]) for c in truth["comments"]]


def test_export_csv_of_one_series(demo_site: DemoSite, full_crawl: tuple[Path, CrawlRun], tmp_path: Path) -> None:
    series = demo_site.truth["series"][0]["name"]
    out = tmp_path / "series.csv"
    result = run("export", str(full_crawl[0]), "--format", "csv", "--series", series, "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    want = [c["id"] for r in demo_site.truth["recaps"] if r["series"] == series for c in r["comments"]]
    assert sorted(r["site_comment_id"] for r in rows) == sorted(want) and {r["series"] for r in rows} == {series}


def test_search_shows_snippets(full_crawl: tuple[Path, CrawlRun]) -> None:
    result = run("search", str(full_crawl[0]), "flower shop", "--limit", "3")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 6 and all("[flower] [shop]" in line for line in lines[1::2])


def test_serve_starts_datasette_with_the_plugin(full_crawl: tuple[Path, CrawlRun]) -> None:
    db, _ = full_crawl
    process, base = serve(db)
    try:
        plugins = json.load(urllib.request.urlopen(base + "/-/plugins.json"))
        assert "recap-archiver" in [p["name"] for p in plugins]
        with urllib.request.urlopen(f"{base}/{db.stem}/-/thread/1") as response:
            assert response.status == 200
        # Facet suggestions cost seconds a page on a large archive; the configured facets are still there.
        table = json.load(urllib.request.urlopen(f"{base}/{db.stem}/comments.json?_size=1"))
        assert table["suggested_facets"] == [] and {"recap_id", "author"} <= set(table["facet_results"])
    finally:
        process.terminate()
        process.wait(timeout=10)
