"""JSON answers of any shape and depth are read or refused, never raise past their handlers; odd Retry-After values
are unusable, not fatal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, TextResponse

from archiver.crawl.politeness import retry_after_seconds
from archiver.items import CommentItem
from archiver.pages.disqus import DisqusEmbed, DisqusPosts
from archiver.pages.jsdata import json_object, load_json
from archiver.pages.rest import RestAnswer
from archiver.pages.wpdiscuz import AjaxAnswer, WpdiscuzSettings

DEEP = "[" * 200_000 + "]" * 200_000
DEEP_OBJECT = '{"a":' * 200_000 + "1" + "}" * 200_000

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
COMMENT_KEYS = ["id", "post", "parent", "author_name", "author_url", "date", "date_gmt", "content", "type", "link"]
DISQUS_KEYS = ["id", "parent", "author", "createdAt", "message", "likes", "dislikes", "isDeleted", "isSpam"]


def rest(body: str, pages: str = "1") -> TextResponse:
    return TextResponse(
        url="http://127.0.0.1/wp-json/wp/v2/comments",
        body=body.encode(),
        encoding="utf-8",
        headers={"X-WP-TotalPages": pages, "Content-Type": "application/json"},
    )


def check_comments(comments: list[CommentItem]) -> None:
    for c in comments:
        assert isinstance(c.site_comment_id, str) and c.site_comment_id
        for value in (c.parent_site_id, c.author, c.author_url, c.posted_at_raw, c.posted_at_machine):
            assert value is None or isinstance(value, str)
        assert isinstance(c.body_html, str) and isinstance(c.body_text, str)


@pytest.mark.parametrize("text", [DEEP, DEEP_OBJECT, "[" * 200_000, "", "not json", "\x00"])
def test_unreadable_json_is_the_unreadable_path(text: str) -> None:
    with pytest.raises(ValueError):
        json_object(text)
    assert RestAnswer.parse(rest(text)) is None or text == DEEP  # a list, however deep, is a list of nothing usable
    answer = AjaxAnswer.parse(text)  # main (issue 11) answers None here; this branch an unsuccessful answer
    assert answer is None or (not answer.success and answer.field("comment_list") is None)
    with pytest.raises(ValueError):
        DisqusPosts.from_api(text)
    embed = HtmlResponse(
        url="http://127.0.0.1/embed/",
        encoding="utf-8",
        body=f"<html><script id='disqus-threadData'>{text}</script></html>".encode(),
    )
    if text.strip("\x00"):  # an embed page without thread data (lxml drops NUL) is an empty batch
        with pytest.raises(ValueError):
            DisqusPosts.from_embed(embed)


def test_a_deep_rest_list_reads_as_no_comments() -> None:
    answer = RestAnswer.parse(rest("[" + DEEP + "]"))
    assert answer is None or answer.comments() == []


@settings(max_examples=300)
@given(JSON)
def test_any_json_document_is_read_or_refused(doc: Any) -> None:
    text = json.dumps(doc)
    assert load_json(text) == doc
    answer = RestAnswer.parse(rest(text))
    if answer is not None:
        check_comments(answer.comments())
    ajax = AjaxAnswer.parse(text)
    assert ajax is None or ajax.field("comment_list") is None or isinstance(ajax.field("comment_list"), str)
    try:
        check_comments(DisqusPosts.from_api(text).comments())
    except ValueError:
        assert not isinstance(doc, dict)


@settings(max_examples=300)
@given(st.lists(st.fixed_dictionaries({}, optional={k: JSON for k in COMMENT_KEYS}), max_size=4), st.text(max_size=4))
def test_rest_comments_of_any_field_types(items: list[dict[str, Any]], pages: str) -> None:
    answer = RestAnswer.parse(rest(json.dumps(items), pages.encode("utf-8", "replace").decode("latin-1")))
    assert answer is not None and answer.total_pages >= 0
    check_comments(answer.comments())


@settings(max_examples=300)
@given(st.lists(st.fixed_dictionaries({}, optional={k: JSON for k in DISQUS_KEYS}), max_size=4), JSON, JSON)
def test_disqus_posts_of_any_field_types(posts: list[dict[str, Any]], cursor: Any, thread: Any) -> None:
    batch = DisqusPosts.from_api(json.dumps({"response": posts, "cursor": cursor}))
    check_comments(batch.comments())
    batch.deleted_ids()
    assert batch.next_cursor is None or isinstance(batch.next_cursor, str)
    data = json.dumps({"response": {"thread": thread, "posts": posts}, "cursor": cursor})
    embed = HtmlResponse(
        url="http://127.0.0.1/embed/",
        encoding="utf-8",
        body=f"<html><script id='disqus-threadData'>{data}</script></html>".encode(),
    )
    check_comments(DisqusPosts.from_embed(embed).comments())


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(
            ["url", "wc_post_id", "wpdiscuz_nonce", "disqusShortname", "disqusUrl", "disqusIdentifier", "disqusTitle"]
        ),
        JSON,
    )
)
def test_page_settings_of_any_field_types(data: dict[str, Any]) -> None:
    text = json.dumps(data).replace("};", "} ;")
    page = (
        f"<html><body><script>\nvar wpdiscuzAjaxObj = {text};\n</script>"
        f"<script>var embedVars = {text};</script></body></html>"
    )
    response = HtmlResponse(url="http://127.0.0.1/p/", body=page.encode(), encoding="utf-8")
    settings_ = WpdiscuzSettings.from_response(response, "http://127.0.0.1/")
    assert isinstance(settings_.ajax_url, str)
    embed = DisqusEmbed.from_response(response, "http://127.0.0.1/p/")
    assert embed is None or all(isinstance(v, str) for v in embed.embed_params().values())


@pytest.mark.parametrize("value", ["²", b"\xb2", "١٢", "1e3", "-1", "Mon, 01 Jan 99999 00:00:00 GMT", "", b"\xff"])
def test_odd_retry_after_values_are_unusable_not_fatal(value: str | bytes) -> None:
    assert retry_after_seconds(value) is None


@settings(max_examples=300)
@given(st.text(max_size=40) | st.binary(max_size=40))
def test_any_retry_after_is_a_duration_or_none(value: str | bytes) -> None:
    seconds = retry_after_seconds(value)
    assert seconds is None or seconds >= 0
