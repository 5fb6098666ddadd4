"""The reader's pages in headless Chromium (issue 14): search with ', # and - in the query, a hit's link landing on
its comment, a table view with long texts cut, a thread in pages, and a thread read with JavaScript off.

Screenshots of the thread page and of search results are saved in test-output/ (the README's are in docs/).
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers import CHROMIUM, LONG_TEXT, WORDS, CrawlRun, chromium, serve

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it: apt-get install chromium)"
)


@pytest.fixture(scope="module")
def served(reader_archive: Path) -> Iterator[str]:  # noqa: F811
    process, base = serve(reader_archive)
    yield f"{base}/reader"
    process.terminate()
    process.wait(timeout=10)


def dom(url: str, *args: str) -> str:
    return chromium(url, "--dump-dom", *args).stdout


@pytest.mark.parametrize("typed", ["PHS's", "Soundtrack #1", "Sae-Bom"])
def test_search_with_quote_hash_and_hyphen_lands_on_the_comment(served: str, typed: str) -> None:
    page = dom(f"{served}/-/search?q={quote(typed)}")
    hits = page.split('class="ra-hits ra-comment-hits"')[1].split("</ol>")[0]
    assert "<mark>" in hits and "syntax error" not in page
    href = re.search(r'<a class="ra-hit" href="([^"]+)"', hits)
    assert href, hits[:1000]
    comment_id = href.group(1).split("#c")[1]
    landed = dom(served.rsplit("/", 1)[0] + href.group(1).replace("&amp;", "&"))
    target = re.search(rf'<li class="ra-comment[^"]*" id="c{comment_id}"[^>]*>(.*?)</li>', landed, re.S)
    assert target and WORDS[{"PHS's": 450, "Soundtrack #1": 451, "Sae-Bom": 452}[typed]].replace(
        "'", "&#39;"
    ) in target.group(1).replace("'", "&#39;")


def test_a_table_view_cuts_long_texts(served: str) -> None:
    page = dom(f"{served}/recaps")
    assert "cut to 200 of" in page and LONG_TEXT.strip() not in page


def test_a_long_thread_comes_in_pages(served: str) -> None:
    page = dom(f"{served}/-/thread/1?page=2")
    assert len(re.findall(r'<li class="ra-comment', page)) == 400
    assert "page 2 of 3" in page and 'rel="prev"' in page and 'rel="next"' in page


def test_a_thread_reads_without_javascript(served: str) -> None:
    # The page as served carries the whole thread, and nothing in it is a script.
    with urllib.request.urlopen(f"{served}/-/thread/1") as response:
        html = response.read().decode("utf-8")
    content = html.split('<section class="content">')[1].split("</section>")[0]
    assert len(re.findall(r'<li class="ra-comment', content)) == 400 and "<script" not in content
    assert "Comment number 2." in content and "UTC-04:00" in content and "1 like, 1 dislike" in content
    # What Chromium shows is what was served: no script adds or changes a comment. (Chromium's own JavaScript switch,
    # --blink-settings=scriptEnabled=false, also stops --dump-dom and --screenshot in headless mode.)
    shown = dom(f"{served}/-/thread/1").split('<section class="content">')[1].split("</section>")[0]
    ids = lambda text: re.findall(r'<li class="ra-comment[^"]*" id="c(\d+)"', text)  # noqa: E731
    assert ids(shown) == ids(content)


def test_screenshots_of_a_thread_and_of_search_results(full_crawl: tuple[Path, CrawlRun], output_dir: Path) -> None:
    from helpers import serve as serve_archive

    db, _ = full_crawl
    process, base = serve_archive(db)
    shots = {
        "thread-page.png": f"{base}/{db.stem}/-/thread/14",
        "search-results.png": f"{base}/{db.stem}/-/search?q=flower",
    }
    try:
        for name, url in shots.items():
            path = output_dir / f"reader-{name}"
            path.unlink(missing_ok=True)
            chromium(url, f"--screenshot={path}", "--window-size=1000,760", "--hide-scrollbars")
            assert path.is_file() and path.stat().st_size > 5000
    finally:
        process.terminate()
        process.wait(timeout=10)
