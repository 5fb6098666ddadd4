"""The demo site checked against real WordPress: the same model, served by both, gives the same archive.

For a few lab cells (archiver.demo.wordpress_lab) the demo site is started with the equivalent options (the
lab's SiteOptions, the cell's comment paging, thread depth, plugin and REST switch), both are crawled with a
real `scrapy crawl recaps`, and the two archives are compared in SQL (the demo's archive ATTACHed to the
lab's): every recap and every comment, by URL path and comment id. Where they differ, the demo is wrong.
Skipped with the reason where the lab cannot run (and failing under CI=true), like tests/test_wordpress_lab.py.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import pytest
from helpers import run_crawl, start_demo_site, stop

from archiver.demo.wordpress_lab import LAB_OPTIONS, LabCell, WordPressLab, available

pytestmark = pytest.mark.lab

TT1 = "twentytwentyone"
CELLS = [
    # stock Twenty Twenty-One, 5 threads a page, newest page on the bare URL, REST answering 401
    LabCell(TT1, True, 5, "newest", 5, "none", False, "401"),
    # Comments Like Dislike, oldest page first, replies nested 10 deep, REST on
    LabCell(TT1, True, 5, "oldest", 10, "cld", False, "on"),
    # Comments Like Dislike on one unpaged list, REST answering 401 (votes from the pages only)
    LabCell(TT1, False, 50, "newest", 5, "cld", False, "401"),
    # wpDiscuz, its default load-more
    LabCell(TT1, False, 50, "newest", 5, "wpdiscuz", False, "on"),
    # wpDiscuz following WordPress comment pages
    LabCell(TT1, True, 5, "newest", 2, "wpdiscuz", True, "401"),
]

RECAP_SQL = """
select substr(r.url, :base) as path, r.title, s.name as series, r.episode_number,
       r.comment_count_reported, r.comment_pages, r.thread_complete
from {db}.recaps r left join {db}.series s on s.id = r.series_id
"""
COMMENT_SQL = """
select substr(r.url, :base) as path, c.site_comment_id, c.parent_site_comment_id, c.position, c.depth,
       c.author, replace(c.author_url, :url, '/') as author_url, c.posted_at, c.body_text, c.upvotes, c.downvotes
from {db}.comments c join {db}.recaps r on r.id = c.recap_id
"""


@pytest.fixture(scope="module")
def lab() -> Iterator[WordPressLab]:
    ok, why = available()
    if not ok:
        message = f"WordPress lab unavailable, demo-vs-lab comparison NOT RUN: {why} (run `make wordpress-lab` as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with WordPressLab() as running:
        yield running


def demo_arguments(cell: LabCell) -> list[str]:
    """``python -m archiver.demo`` options serving the lab's model as the lab serves it in ``cell``."""
    args = []
    for f in fields(LAB_OPTIONS):
        value = getattr(LAB_OPTIONS, f.name)
        if value != f.default and f.name != "per_page":
            args += ["--" + f.name.replace("_", "-"), str(value)]
    platform = "wpdiscuz" if cell.plugin == "wpdiscuz" else "wordpress"
    return args + [
        "--per-page",
        str(cell.comments_per_page),
        "--thread-depth",
        str(cell.thread_comments_depth),
        "--rest",
        "on" if cell.rest == "on" else "off",
        "--platform",
        platform,
        "--page-comments",
        "on" if cell.page_comments else "off",
        "--default-comments-page",
        cell.default_comments_page,
        "--cld",
        "on" if cell.plugin == "cld" else "off",
        "--wpdiscuz-pages",
        "on" if cell.wpdiscuz_pages else "off",
    ]


def differences(lab_db: Path, lab_url: str, demo_db: Path, demo_url: str, sql: str) -> list[tuple]:
    """Rows of ``sql`` the two archives do not share: ('lab', ...) only in the lab's, ('demo', ...) only in the
    demo's; URLs are compared as paths (each site has its own base URL)."""
    conn = sqlite3.connect(lab_db)
    try:
        conn.execute("attach database ? as demo", (str(demo_db),))
        lab_rows = sql.format(db="main").replace(":base", ":lab_base").replace(":url", ":lab_url")
        demo_rows = sql.format(db="demo").replace(":base", ":demo_base").replace(":url", ":demo_url")
        params = {"lab_base": len(lab_url), "lab_url": lab_url, "demo_base": len(demo_url), "demo_url": demo_url}
        params = {name: value for name, value in params.items() if f":{name}" in lab_rows + demo_rows}
        found = [("lab", *row) for row in conn.execute(f"{lab_rows} except {demo_rows}", params)]
        found += [("demo", *row) for row in conn.execute(f"{demo_rows} except {lab_rows}", params)]
        return sorted(found, key=lambda row: (row[1:3], row[0]))
    finally:
        conn.close()


def test_every_cell_kind_is_covered() -> None:
    kinds = {(c.plugin, c.wpdiscuz_pages, c.paged, c.rest) for c in CELLS}
    assert ("none", False, True, "401") in kinds
    assert {("wpdiscuz", False, False, "on"), ("wpdiscuz", True, True, "401")} <= kinds
    assert any(c.plugin == "cld" for c in CELLS)
    assert {c.default_comments_page for c in CELLS if c.paged} == {"newest", "oldest"}


def test_demo_arguments_build_the_labs_model() -> None:
    from archiver.demo.__main__ import parse_options
    from archiver.demo.model import build_site

    for cell in CELLS:
        options = parse_options(demo_arguments(cell))
        content = ("seed", "series", "episodes", "extra_posts", "comments", "depth", "trashed", "posts_per_page")
        assert [getattr(options, name) for name in content] == [getattr(LAB_OPTIONS, name) for name in content]
        assert options.per_page == cell.comments_per_page and options.thread_depth == cell.thread_comments_depth
    demo, lab = build_site(parse_options(demo_arguments(CELLS[0]))), build_site(LAB_OPTIONS)
    assert [(c.id, c.parent_id, c.text) for p in demo.posts for c in p.comments] == [
        (c.id, c.parent_id, c.text) for p in lab.posts for c in p.comments
    ]


@pytest.mark.parametrize("cell", CELLS, ids=[c.label for c in CELLS])
def test_demo_archive_equals_the_labs(lab: WordPressLab, cell: LabCell, tmp_path: Path) -> None:
    lab.configure(cell)
    lab_db = tmp_path / "lab.db"
    run = run_crawl(lab_db, f"url={lab.base_url}")
    assert run.returncode == 0, run.stderr[-2000:]
    site = start_demo_site(tmp_path, *demo_arguments(cell))
    try:
        demo_db = tmp_path / "demo.db"
        run = run_crawl(demo_db, f"url={site.base_url}")
        assert run.returncode == 0, run.stderr[-2000:]
    finally:
        stop(site)
    # the same model on both sides: the same posts and comment ids
    assert {r["post_id"] for r in site.truth["recaps"]} == {r["post_id"] for r in lab.truth(cell)["recaps"]}
    problems = []
    for what, sql in (("recap", RECAP_SQL), ("comment", COMMENT_SQL)):
        found = differences(lab_db, lab.base_url, demo_db, site.base_url, sql)
        problems += [f"{what} only in the {row[0]}'s archive: {row[1:]}" for row in found]
    counts = sqlite3.connect(lab_db).execute("select count(*) from comments").fetchone()[0]
    assert counts > 150, "the lab's archive holds the thread"
    assert not problems, f"{cell.label}: {len(problems)} differing rows:\n" + "\n".join(p[:300] for p in problems[:30])
