"""Reliability pieces on their own: Retry-After, cut-off pages, charsets, the failures table."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from sqlite_utils import Database

from archiver.archive.schema import ensure_schema
from archiver.archive.store import record_failures, resolve_failures, start_crawl, unresolved_failures
from archiver.crawl.charset import CharsetMiddleware
from archiver.crawl.politeness import retry_after_seconds
from archiver.crawl.truncation import looks_truncated


@pytest.mark.parametrize(
    ("value", "expected"),
    [(b"120", 120.0), ("7", 7.0), (None, None), (b"", None), (b"soon", None)],
)
def test_retry_after_seconds(value: bytes | str | None, expected: float | None) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_as_http_date() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)
    assert retry_after_seconds(formatdate(now - 30, usegmt=True), now=now) == 0


def html(body: bytes, content_type: bytes = b"text/html; charset=UTF-8", status: int = 200) -> HtmlResponse:
    return HtmlResponse("http://127.0.0.1/x/", status=status, body=body, headers={"Content-Type": content_type})


def test_cut_off_html_is_noticed() -> None:
    whole = b"<html><body><ol class='comment-list'><li>a</li></ol></body></html>\n"
    assert not looks_truncated(html(whole))
    assert looks_truncated(html(whole[:40]))
    assert not looks_truncated(html(whole[:40], status=500))
    assert not looks_truncated(HtmlResponse("http://x/", body=b"{}", headers={"Content-Type": b"application/json"}))
    # AJAX answers WordPress sends as text/html are not documents, so not cut-off pages.
    assert not looks_truncated(html(b"Nonce is invalid."))
    assert looks_truncated(html(b"\xef\xbb\xbf<!-- cache --> <!DOCTYPE html><html><body><ol><li>a"))


def test_wrong_header_charset_on_a_utf8_page_is_corrected() -> None:
    middleware = CharsetMiddleware.from_crawler(get_crawler())
    body = '<html><head><meta charset="UTF-8"></head><body>한국어 café</body></html>'.encode()
    wrong = html(body, b"text/html; charset=ISO-8859-1")
    assert "café" not in wrong.text  # what a naive reading gives: mojibake
    fixed = middleware.process_response(Request(wrong.url), wrong)
    assert "한국어 café" in fixed.text
    latin = html("<html><body>café</body></html>".encode("latin-1"), b"text/html; charset=ISO-8859-1")
    assert middleware.process_response(Request(latin.url), latin) is latin


def test_failures_accumulate_and_resolve(tmp_path) -> None:
    path = tmp_path / "f.db"
    db = Database(path)
    ensure_schema(db)
    first = start_crawl(db, "recaps", {}, "2024-01-01T00:00:00+00:00")
    record_failures(db, first, [("http://x/a/", "HTTP 503", 4, "2024-01-01T00:01:00+00:00")])
    second = start_crawl(db, "recaps", {}, "2024-01-02T00:00:00+00:00")
    record_failures(
        db,
        second,
        [
            ("http://x/a/", "TimeoutError", 4, "2024-01-02T00:01:00+00:00"),
            ("http://x/b/", "HTTP 500", 4, "2024-01-02T00:01:00+00:00"),
        ],
    )
    row = db["failures"].get(1)
    assert row["attempts"] == 8 and row["reason"] == "TimeoutError" and row["first_crawl_id"] == first
    assert unresolved_failures(path) == ["http://x/a/", "http://x/b/"]
    assert resolve_failures(db, second, ["http://x/a/", "http://x/nope/"], "2024-01-02T00:02:00+00:00") == 1
    assert unresolved_failures(path) == ["http://x/b/"]


def test_an_author_mailto_link_is_never_stored() -> None:
    from archiver.pages.wordpress import PostPage

    page = (
        '<html><body class="single single-post postid-1"><article><h1 class="entry-title">T: Episode 1</h1>'
        '<div class="entry-content"><p>x</p></div></article><div id="comments"><ol class="comment-list">'
        '<li id="comment-5" class="comment depth-1"><article class="comment-body"><footer class="comment-meta">'
        '<div class="comment-author vcard"><b class="fn"><a href="mailto:me@x.example" class="url">Me</a></b>'
        '</div></footer><div class="comment-content"><p>hi</p></div></article></li></ol></div></body></html>'
    )
    comments = PostPage(HtmlResponse(url="http://127.0.0.1/p/", body=page, encoding="utf-8")).comments()
    assert [(c.author, c.author_url) for c in comments] == [("Me", None)]
