"""Page objects and readers on real WordPress markup, recorded from the lab (tests/fixtures/record_lab.py).

Each ``tests/fixtures/lab/<cell>.warc.gz`` holds the exchanges a crawler has with one lab cell (Debian's
WordPress 6.1, Twenty Twenty-One or Twenty Twenty-Three, no plugin, Comments Like Dislike 1.2.4 or wpDiscuz
7.6.63); ``<cell>.json`` says what each answer should read as, taken from the lab's ground truth. No lab needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Response, TextResponse
from warcio.archiveiterator import ArchiveIterator

from archiver.items import CommentItem
from archiver.pages.reading import read_comment_page, read_page
from archiver.pages.rest import RestAnswer
from archiver.pages.wpdiscuz import AjaxAnswer, WpdiscuzComments

LAB = Path(__file__).parent / "fixtures" / "lab"
FETCHED_AT = "2026-01-01T00:00:00+00:00"
CELLS = sorted(p.name.removesuffix(".json") for p in LAB.glob("*.json"))


def load_responses(cell: str) -> list[Response]:
    """The recorded responses of a cell, in recording order, as Scrapy builds them."""
    out: list[Response] = []
    with open(LAB / f"{cell}.warc.gz", "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            headers = [(k.encode(), v.encode()) for k, v in record.http_headers.headers]
            status = int(record.http_headers.get_statuscode())
            body = record.content_stream().read()
            kind = HtmlResponse if "html" in (record.http_headers.get_header("Content-Type") or "") else TextResponse
            out.append(kind(url=url, status=status, headers=headers, body=body))
    return out


def exchanges(cell: str) -> list[tuple[dict[str, Any], Response]]:
    doc = json.loads((LAB / f"{cell}.json").read_text(encoding="utf-8"))
    responses = load_responses(cell)
    assert [r.url for r in responses] == [e["url"] for e in doc["exchanges"]], "WARC and expectations disagree"
    return [({**e, "platform": doc["platform"]}, r) for e, r in zip(doc["exchanges"], responses, strict=False)]


CASES = [
    pytest.param(cell, i, id=f"{cell}-{i}-{e['what'].replace(' ', '_')}")
    for cell in CELLS
    for i, e in enumerate(json.loads((LAB / f"{cell}.json").read_text(encoding="utf-8"))["exchanges"])
]


def votes(raw: str | None) -> int | None:
    return None if raw is None else int(raw.replace(",", ""))


def page_count(reading: Any) -> int:
    """How many comment pages a reading says the thread has (``CommentPages.count``, or the older URL map)."""
    pages = getattr(reading, "comment_pages", None)
    if pages is not None and hasattr(pages, "count"):
        return pages.count
    return max(
        getattr(reading, "comment_page", None) or getattr(reading, "number", None) or 1,
        max(reading.comment_page_urls, default=1),
    )


def readings(comments: list[CommentItem]) -> list[dict[str, Any]]:
    """Comments as the expectations write them."""
    return [
        {
            "id": c.site_comment_id,
            "parent": c.parent_site_id,
            "author": c.author,
            "text": c.body_text,
            "likes": votes(c.upvotes_raw),
            "dislikes": votes(c.downvotes_raw),
        }
        for c in comments
    ]


def differences(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[str]:
    """What differs, comment by comment (order first), to say exactly where a reader and the markup part."""
    if [c["id"] for c in got] != [c["id"] for c in want]:
        return [f"ids in page order: got {[c['id'] for c in got]}, want {[c['id'] for c in want]}"]
    return [
        f"comment {w['id']} {field}: got {g[field]!r}, want {w[field]!r}"
        for g, w in zip(got, want, strict=False)
        for field in w
        if g[field] != w[field]
    ]


def test_the_fixtures_are_there_and_small() -> None:
    assert len(CELLS) >= 6
    total = sum(p.stat().st_size for p in LAB.iterdir())
    assert total < 600_000, f"{total} bytes of lab fixtures"
    themes = {json.loads((LAB / f"{c}.json").read_text())["lab_cell"]["theme"] for c in CELLS}
    plugins = {json.loads((LAB / f"{c}.json").read_text())["lab_cell"]["plugin"] for c in CELLS}
    assert themes == {"twentytwentyone", "twentytwentythree"} and plugins == {"none", "cld", "wpdiscuz"}


def test_every_request_is_recorded_with_its_response() -> None:
    for cell in CELLS:
        kinds: list[str] = []
        with open(LAB / f"{cell}.warc.gz", "rb") as stream:
            for record in ArchiveIterator(stream):
                kinds.append(record.rec_type)
                if record.rec_type == "request":
                    assert record.http_headers.get_header("Host", "").startswith("127.0.0.1:")
        assert kinds.count("request") == kinds.count("response") > 0, cell


@pytest.mark.parametrize(("cell", "index"), CASES)
def test_reader_on_real_markup(cell: str, index: int) -> None:
    want, response = exchanges(cell)[index]
    kind = want["kind"]
    if kind == "post" and "comment-page-" not in response.url:  # a post as a link reaches it
        reading = read_page(response, FETCHED_AT)
        assert reading.kind == "post"
        post = reading.post
        assert post is not None
        assert post.platform == want["platform"]
        assert post.post_id == want["post_id"]
        assert post.recap.comment_count_reported == want["reported_count"]
        assert post.comment_page == want["comment_page"]
        assert page_count(post) == want["comment_pages"]
        comments = post.wpdiscuz.comments if post.wpdiscuz is not None else post.recap.comments
        found = differences(readings(comments), want["comments"])
        assert not found, f"{cell} {want['what']}:\n" + "\n".join(found[:10])
        assert not post.unreadable
    elif kind == "post":  # a further comment page of its thread
        reading = read_comment_page(response, platform=want["platform"])
        assert reading.number == want["comment_page"]
        assert page_count(reading) == want["comment_pages"]
        found = differences(readings(reading.comments), want["comments"])
        assert not found, f"{cell} {want['what']}:\n" + "\n".join(found[:10])
        assert not reading.unreadable
    elif kind == "nonce":
        answer = AjaxAnswer.parse(response.text)
        assert answer is not None and answer.nonce()
    elif kind == "load_more":
        answer = AjaxAnswer.parse(response.text)
        assert answer is not None and answer.success, response.text[:200]
        assert answer.field("last_parent_id") == want["last_parent_id"]
        assert str(answer.field("is_show_load_more")).lower() in (
            ("true", "1") if want["is_show_load_more"] else ("false", "0", "", "none")
        )
        fragment = WpdiscuzComments.from_fragment(answer.field("comment_list") or "", response.url)
        found = differences(readings(fragment.comments()), want["comments"])
        assert not found, f"{cell} {want['what']}:\n" + "\n".join(found[:10])
    elif kind == "rest" and want["status"] != 200:
        assert response.status == want["status"]
        assert RestAnswer.parse(response) is None
    else:
        answer = RestAnswer.parse(response)
        assert answer is not None
        assert (answer.total, answer.total_pages) == (want["total"], want["total_pages"])
        comments = answer.comments(response.url)
        found = differences(readings(comments), want["comments"])
        assert not found, f"{cell} {want['what']}:\n" + "\n".join(found[:10])
        for c in comments:  # no plugin widget in the text (Comments Like Dislike's counts ride in content.rendered)
            assert "cld-" not in c.body_html and "cld-like" not in c.body_text


def test_block_theme_page_nests_replies_past_the_depth_as_li_inside_li() -> None:
    """The recorded Twenty Twenty-Three depth-2 page is the case archiver.pages.lists exists for: read as libxml2
    nests it, the threads after the deep reply fall out of the comment list; read as a browser nests it, all show."""
    from archiver.pages.lists import repair_comment_lists
    from archiver.pages.wordpress import PostPage

    cases = [(cell, e, r) for cell in CELLS for e, r in exchanges(cell) if "li inside li" in e["what"]]
    assert cases
    for cell, want, response in cases:
        assert repair_comment_lists(response.text) is not None, cell
        raw = [c.site_comment_id for c in PostPage(response).comments()]
        assert raw != [c["id"] for c in want["comments"]], f"{cell}: the page no longer needs the repair"
        reading = read_comment_page(response, platform=want["platform"])
        assert [c.site_comment_id for c in reading.comments] == [c["id"] for c in want["comments"]]
