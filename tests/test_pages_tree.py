"""The tree pages are read from (archiver.pages.page_root) and the page index's answers, against lxml.html and XPath."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from lxml import etree
from scrapy.http import HtmlResponse
from scrapy.selector import Selector

from archiver.pages import page_root, release_tree
from archiver.pages.detect import detect, rest_root
from archiver.pages.markup import drop_tree
from archiver.pages.rest import post_id
from archiver.pages.wordpress import PostPage

FIXTURES = Path(__file__).parent / "fixtures" / "wordpress"
URL = "https://recaps.example/2022/04/a-post/"


def fixture_response(case: Path) -> HtmlResponse:
    url = (case / "url.txt").read_text(encoding="utf-8").strip()
    return HtmlResponse(url=url, body=(case / "body.html").read_bytes(), encoding="utf-8")


@pytest.mark.parametrize("case", sorted(p for p in FIXTURES.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_page_root_parses_as_scrapys_selector_into_plain_elements(case: Path) -> None:
    response = fixture_response(case)
    root = page_root(response)
    scrapys = Selector(fixture_response(case)).root  # what response.selector parses, with lxml.html's classes
    assert not isinstance(root, lxml.html.HtmlElement)
    assert isinstance(scrapys, lxml.html.HtmlElement)
    assert etree.tostring(root.getroottree()) == etree.tostring(scrapys.getroottree())
    # The selector around it is the response's, so response.xpath reads the same tree; released, it parses anew.
    assert response.selector.root is root
    assert response.xpath("//title/text()").get() == scrapys.findtext(".//title")
    release_tree(response)
    assert page_root(response) is not root


# Damaged markup: a second top-level tree after </html> (XPath's // sees it), links and metas without the wanted
# attribute, a shortlink before the JSON link, scripts with and without text.
DAMAGED = (
    "<html><head>"
    '<link rel="https://api.w.org/"><link rel="shortlink" href="/?p=12">'
    '<link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/34">'
    '<meta property="og:site_name"><meta property="og:site_name" content=" Recaps ">'
    '<script src="/a.js"></script><script id="x">var disqus_config = 1;</script>'
    "</head><body class='single postid-56'><article id='post-56'><h1 class='entry-title'>T</h1>"
    '<footer><a rel="category tag" href="/category/a/">A</a><a rel="tags" href="/x/">X</a></footer>'
    "<div class='entry-content'><p>text</p></div></article></body></html>"
    '<div><link rel="https://api.w.org/" href="https://recaps.example/wp-json/"><meta name="author" content="B">'
    '<a rel="tag" href="/tag/b/">B</a></div>'
)


def test_the_page_index_answers_as_the_xpath_it_replaces() -> None:
    response = HtmlResponse(url=URL, body=DAMAGED.encode(), encoding="utf-8")
    page = PostPage(response)
    root, index = page.root, page.page_index()
    assert root.getnext() is not None  # the damage is there: two top-level trees
    assert page.meta_values("property", "og:site_name") == root.xpath("//meta[@property='og:site_name']/@content")
    assert page.meta_values("name", "author") == root.xpath("//meta[@name='author']/@content") == ["B"]
    assert rest_root(response, index) == rest_root(response) == "https://recaps.example/wp-json/"
    assert post_id(response, index) == post_id(response) == "12"
    assert detect(response, index) == detect(response)
    assert detect(response, index).platform == "disqus"  # from the script's text
    # rel="tag" links of both trees (rel="tags" is no tag link), as //a/@rel[contains(., 'tag')]/.. finds them
    assert [(t.taxonomy, t.slug) for t in page.categories() + page.tags()] == [("category", "a"), ("post_tag", "b")]


@pytest.mark.parametrize(
    "fragment",
    [
        "<div>a<b>b</b>tail<i>i</i></div>",
        "<div><b>b</b>tail</div>",
        "<div>text<!-- c --><b>b</b>tail</div>",
        "<div><b>b</b></div>",
    ],
)
def test_drop_tree_keeps_tails_as_lxml_html_does(fragment: str) -> None:
    ours = etree.fromstring(fragment, etree.HTMLParser()).find(".//div")
    theirs = lxml.html.fragment_fromstring(fragment)
    drop_tree(ours.find("b"))
    theirs.find("b").drop_tree()
    assert ours.find("b") is None
    assert etree.tostring(ours, method="html") == etree.tostring(theirs, method="html")
