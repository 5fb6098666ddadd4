"""The Wayback and WARC sources' plain parts: CDX answers, capture choice, backoff, provenance, WARC records."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.http import TextResponse
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from sqlite_utils import Database
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.archive.schema import ensure_schema
from archiver.archive.store import may_mark_gone
from archiver.errors import ArgumentError
from archiver.items import CommentItem, RecapItem
from archiver.sources.provenance import LIVE, provenance_headers, provenance_of, stamp
from archiver.sources.replay import WaybackMiddleware, looks_soft_404
from archiver.sources.warc_import import import_warcs
from archiver.sources.wayback import (
    Capture,
    CaptureIndex,
    backoff_delay,
    capture_key,
    cdx_request_url,
    check_source_arguments,
    parse_cdx,
    parse_wayback_at,
    replay_url,
)

IA_PAGE = """[["urlkey","timestamp","original","mimetype","statuscode","digest","length"],
["example,dead)/","20190101000000","http://dead.example/","text/html","200","AAA","100"],
["example,dead)/post","20200101000000","https://www.dead.example/post/","text/html","200","BBB","100"],
[],
["example,dead)/post 20200101000000"]]"""


def test_parse_cdx_reads_the_internet_archive_s_json_with_its_resumption_key() -> None:
    captures, resume = parse_cdx(IA_PAGE)
    assert [c.original for c in captures] == ["http://dead.example/", "https://www.dead.example/post/"]
    assert resume == "example,dead)/post 20200101000000"
    assert captures[1].captured_at == "2020-01-01T00:00:00+00:00"


def test_parse_cdx_reads_plain_text_and_pywb_json_lines() -> None:
    text = "example,dead)/ 20190101000000 http://dead.example/ text/html 200 AAA 100\n\nKEY123\n"
    captures, resume = parse_cdx(text)
    assert (
        captures == [Capture("http://dead.example/", "20190101000000", "200", "text/html", "AAA")]
        and resume == "KEY123"
    )
    lines = '{"urlkey": "x", "timestamp": "20190101000000", "url": "http://dead.example/", "status": "200"}\n'
    assert parse_cdx(lines)[0][0].original == "http://dead.example/"
    assert parse_cdx("") == ([], None)
    with pytest.raises(ValueError):
        parse_cdx("nonsense")


def test_capture_choice_newest_or_nearest_a_date() -> None:
    index = CaptureIndex()
    index.add(
        [Capture("http://dead.example/p/", ts, "200") for ts in ("20190101000000", "20200601000000", "20210101000000")]
    )
    index.add([Capture("http://dead.example/p/", "20220101000000", "301")])  # not usable
    assert index.choose("https://www.dead.example/p/#comments").timestamp == "20210101000000"
    assert index.choose("http://dead.example/p/", "20200501000000").timestamp == "20200601000000"
    assert index.choose("http://dead.example/other/") is None
    assert capture_key("HTTP://WWW.Dead.Example:80/a?b=1") == "dead.example/a?b=1"
    assert (
        replay_url("http://127.0.0.1:8080/coll/", index.choose("http://dead.example/p/"))
        == "http://127.0.0.1:8080/coll/20210101000000id_/http://dead.example/p/"
    )
    url = cdx_request_url("https://web.archive.org/cdx/search/cdx", "https://dead.example/tag/x/", "KEY")
    assert "url=dead.example%2F" in url and "matchType=prefix" in url and "resumeKey=KEY" in url
    assert "filter=statuscode%3A200" in url


def test_source_arguments_are_checked() -> None:
    assert check_source_arguments(None) == "live" and check_source_arguments("wayback", "20200101") == "wayback"
    assert parse_wayback_at("2020-01-02") == "20200102000000"
    for source, at in (("tape", None), ("live", "20200101"), ("wayback", "2020"), ("wayback", "20201340")):
        with pytest.raises(ArgumentError):
            check_source_arguments(source, at)


def test_backoff_doubles_honours_retry_after_and_is_capped() -> None:
    assert [backoff_delay(n, None, 10, 900) for n in (1, 2, 3)] == [10, 20, 40]
    assert backoff_delay(1, 120, 10, 900) == 120 and backoff_delay(20, None, 10, 900) == 900


def test_provenance_rides_in_headers_and_stamps_recaps_and_comments() -> None:
    headers = provenance_headers("wayback", "2020-01-01T00:00:00+00:00", "http://a/20200101000000id_/http://d/")
    response = TextResponse("http://d/", body=b"", headers=headers)
    seen = provenance_of(response)
    assert (seen.source, seen.captured_at) == ("wayback", "2020-01-01T00:00:00+00:00")
    assert provenance_of(TextResponse("http://d/", body=b"")) == LIVE
    recap = RecapItem("http://d/p/", "http://d/", "2026-01-01T00:00:00+00:00", comments=[CommentItem("1")])
    stamp(recap, seen, post_page=True)
    recap.comments.append(CommentItem("2"))
    later = provenance_of(
        TextResponse("http://d/", body=b"", headers=provenance_headers("wayback", "2021-01-01T00:00:00+00:00", None))
    )
    stamp(recap, later, post_page=False)
    assert [c.captured_at[:4] for c in recap.comments] == ["2020", "2021"] and recap.captured_at[:4] == "2020"
    assert (recap.captured_first_at[:4], recap.captured_last_at[:4]) == ("2020", "2021")
    # Gone only from a whole thread none of whose pages is older than what is archived.
    assert may_mark_gone(recap, "2019-06-01T00:00:00+00:00") and not may_mark_gone(recap, "2020-06-01T00:00:00+00:00")
    recap.incomplete_reasons = ["comment page(s) 2 not read"]
    assert not may_mark_gone(recap, None)


def _middleware(pages: list[TextResponse], **settings: object) -> tuple[WaybackMiddleware, list[str]]:
    crawler = SimpleNamespace(settings=Settings({"WAYBACK_BACKOFF_START": 0.01, **settings}), spider=None)
    crawler.stats = MemoryStatsCollector(crawler)
    middleware = WaybackMiddleware(crawler)  # type: ignore[arg-type]
    asked: list[str] = []

    async def download(request):  # type: ignore[no-untyped-def]
        asked.append(request.url)
        return pages.pop(0)

    middleware._download = download  # type: ignore[method-assign]
    return middleware, asked


def test_listing_follows_resumption_keys_and_waits_out_429() -> None:
    second = '[["urlkey","timestamp","original"],["k","20210101000000","http://dead.example/page/2/"]]'
    pages = [
        TextResponse("http://cdx/", status=429, body=b"", headers={"Retry-After": "0"}),
        TextResponse("http://cdx/", body=IA_PAGE.encode()),
        TextResponse("http://cdx/", body=second.encode()),
    ]
    middleware, asked = _middleware(pages)
    asyncio.run(middleware._list("http://dead.example/"))
    assert len(middleware.index) == 3
    assert "resumeKey=example%2Cdead%29%2Fpost+20200101000000" in asked[2]
    assert middleware.stats.get_value("archiver/wayback/throttled") == 1
    assert middleware.stats.get_value("archiver/wayback/cdx_pages") == 2


def test_soft_404_is_recognised() -> None:
    assert looks_soft_404(TextResponse("http://d/", body=b'<html><body class="error404 hfeed">Not found</body>'))
    assert not looks_soft_404(TextResponse("http://d/", body=b'<html><body class="single">A post</body>'))


def _warc(path: Path, records: list[tuple[str, str, bytes, str]]) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for kind, url, body, date in records:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8")], protocol="HTTP/1.1")
            if kind == "response":
                record = writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=headers,
                    warc_headers_dict={"WARC-Date": date},
                )
                digest = record.rec_headers.get_header("WARC-Payload-Digest")
            else:
                record = writer.create_revisit_record(url, digest, url, "2019-01-01T00:00:00Z", http_headers=headers)
                record.rec_headers.replace_header("WARC-Date", date)
            writer.write_record(record)


def test_warc_import_resolves_revisits_and_is_idempotent(tmp_path: Path) -> None:
    _warc(
        tmp_path / "a.warc.gz",
        [
            ("response", "http://d/p/", b"<html>same</html>", "2019-01-01T00:00:00Z"),
            ("revisit", "http://d/p/", b"", "2020-01-01T00:00:00Z"),
        ],
    )
    db = Database(memory=True)
    ensure_schema(db)
    result = import_warcs(db, [tmp_path / "a.warc.gz"])
    assert (result.records, result.pages_new, result.revisits_unresolved, result.sites) == (2, 2, 0, ["http://d/"])
    pages = db.execute("select fetched_at, body_sha256 from pages order by id").fetchall()
    assert [p[0] for p in pages] == ["2019-01-01T00:00:00+00:00", "2020-01-01T00:00:00+00:00"]
    assert pages[0][1] == pages[1][1]
    assert import_warcs(db, [tmp_path / "a.warc.gz"]).pages_new == 0
