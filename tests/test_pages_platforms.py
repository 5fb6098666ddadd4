"""Page objects per platform (detection, REST API, wpDiscuz, Disqus) and site profiles, on pages the demo site serves."""

from __future__ import annotations

import json

import pytest
from scrapy.http import HtmlResponse, TextResponse

from archiver.demo.model import SiteOptions, build_site
from archiver.demo.plugins import WpdiscuzRenderer
from archiver.demo.server import DemoResource
from archiver.errors import ArgumentError
from archiver.items import CommentItem
from archiver.pages.detect import detect
from archiver.pages.disqus import DisqusEmbed, DisqusPosts, order_orphans_last
from archiver.pages.rest import RestAnswer, merge_comments, post_id, rest_url
from archiver.pages.wpdiscuz import AjaxAnswer, WpdiscuzComments, WpdiscuzSettings
from archiver.profiles import profile_for, profile_named

BASE = "http://127.0.0.1:1/"


def served(platform: str, path_of=lambda site: max(site.posts, key=lambda p: len(p.comments)).path, **options):
    site = build_site(
        SiteOptions(
            platform=platform,
            series=1,
            episodes=3,
            extra_posts=1,
            comments=160,
            seed=3,
            per_page=4,
            thread_depth=3,
            trashed=3,
            **options,
        )
    )
    resource = DemoResource(site, BASE)
    path = path_of(site)
    answer = resource.route(path, {})
    return (
        site,
        resource,
        HtmlResponse(url=BASE.rstrip("/") + path, body=answer.body, headers=answer.headers, encoding="utf-8"),
    )


@pytest.mark.parametrize("platform", ["wordpress", "wpdiscuz", "disqus"])
def test_detection(platform: str) -> None:
    _, _, response = served(platform)
    found = detect(response)
    assert found.platform == platform
    assert found.rest_root == BASE + "wp-json/"
    assert found.votes == {"wordpress": "cld", "wpdiscuz": "wpdiscuz", "disqus": "disqus"}[platform]


def test_rest_root_from_the_link_header_alone() -> None:
    response = HtmlResponse(
        url="https://r.example/x/",
        body=b"<html><body></body></html>",
        headers={"Link": '<https://r.example/wp-json/>; rel="https://api.w.org/"'},
    )
    assert detect(response).rest_root == "https://r.example/wp-json/"
    assert (
        rest_url("https://r.example/?rest_route=/", "wp/v2/comments", post=3)
        == "https://r.example/?rest_route=/wp/v2/comments&post=3"
    )


def test_rest_comments_keep_true_parents_and_replies_under_deleted_comments() -> None:
    site, resource, page = served("wordpress")
    post = max(site.posts, key=lambda p: len(p.comments))
    assert post_id(page) == str(post.id)
    api, number, pages = [], 1, 1
    while number <= pages:
        raw = resource.route("/wp-json/wp/v2/comments", {"post": str(post.id), "per_page": "100", "page": str(number)})
        response = TextResponse(
            url=BASE + "wp-json/wp/v2/comments", body=raw.body, headers=raw.headers, encoding="utf-8"
        )
        answer = RestAnswer.parse(response)
        assert answer is not None
        api, number, pages = api + answer.comments(), number + 1, answer.total_pages
    assert (
        pages == 2
        and resource.route("/wp-json/wp/v2/comments", {"post": str(post.id), "per_page": "100", "page": "3"}).status
        == 400
    )
    assert {c.site_comment_id for c in api} == {str(c.id) for c in post.public_comments}
    trashed = {str(c.id) for c in post.comments if c.status == "trash"}
    assert trashed and not trashed & {c.site_comment_id for c in api}
    html = [CommentItem("1", upvotes_raw="5", page=1), CommentItem("3", parent_site_id="1", page=1)]
    merged, report = merge_comments(
        html, [CommentItem("3", parent_site_id="2"), CommentItem("1"), CommentItem("2", "1")]
    )
    assert [c.site_comment_id for c in merged] == ["1", "3", "2"] and merged[1].parent_site_id == "2"
    assert merged[0].upvotes_raw == "5" and merged[2].upvotes_raw is None and merged[2].page is None
    assert (report.api_only, report.parents_corrected) == (1, 1)


def test_rest_api_switched_off_is_not_an_answer() -> None:
    _, resource, _ = served("wordpress", rest="off")
    answer = resource.route("/wp-json/wp/v2/comments", {"post": "1"})
    assert answer.status == 401
    response = TextResponse(url=BASE + "wp-json/wp/v2/comments", status=401, body=answer.body, encoding="utf-8")
    assert RestAnswer.parse(response) is None


def test_wpdiscuz_page_load_more_and_replies() -> None:
    site, resource, page = served("wpdiscuz")
    post = max(site.posts, key=lambda p: len(p.comments))
    thread = WpdiscuzComments.from_response(page)
    comments = thread.comments()
    shown = {str(c.id): c for c in post.html_comments}
    assert comments and all(c.site_comment_id in shown for c in comments)
    for c in comments:
        truth = shown[c.site_comment_id]
        assert c.parent_site_id == (str(truth.parent_id) if truth.parent_id else None)
        assert (c.upvotes_raw, c.downvotes_raw) == (str(truth.upvotes), str(truth.downvotes))
        assert c.body_text == truth.text and c.posted_at_raw
    after = thread.load_more_after()
    settings = WpdiscuzSettings.from_response(page, BASE)
    assert after and settings.post_id == str(post.id) and settings.nonce is None
    assert settings.ajax_url == BASE + "wp-admin/admin-ajax.php"
    plugin = WpdiscuzRenderer(site, resource.renderer)
    nonce = AjaxAnswer.parse(json.dumps(plugin.ajax({"action": "wpdGetNonce"}))).nonce()
    more = AjaxAnswer.parse(
        json.dumps(
            plugin.ajax(
                {
                    "action": "wpdLoadMoreComments",
                    "postId": str(post.id),
                    "lastParentId": after,
                    "wpdiscuz_nonce": nonce,
                }
            )
        )
    )
    assert more.success and WpdiscuzComments.from_fragment(more.field("comment_list"), BASE).comments()
    hidden = thread.hidden_replies()
    assert hidden
    replies = AjaxAnswer.parse(json.dumps(plugin.ajax({"action": "wpdShowReplies", "commentId": hidden[0]})))
    assert len(WpdiscuzComments.from_fragment(replies.field("comment_list"), BASE).comments()) > 1


def test_wpdiscuz_single_vote_total() -> None:
    fragment = (
        '<div id="wpd-comm-7_0" class="comment wpd-comment"><div class="wpd-comment-wrap">'
        '<div id="comment-7" class="wpd-comment-right"><div class="wpd-comment-author">Nabi</div>'
        '<div class="wpd-comment-date" title="2021-12-23T08:15:00+09:00">2 years ago</div>'
        '<div class="wpd-comment-text"><p>Hi</p></div><div class="wpd-comment-footer"><div class="wpd-vote">'
        '<div class="wpd-vote-result" title="1234">1.2K</div></div></div></div></div></div>'
    )
    (c,) = WpdiscuzComments.from_fragment(fragment, BASE).comments()
    assert (c.score_raw, c.upvotes_raw, c.posted_at_machine, c.body_text) == (
        "1234",
        None,
        "2021-12-23T08:15:00+09:00",
        "Hi",
    )


def test_disqus_embed_and_thread_data() -> None:
    site, resource, page = served("disqus")
    post = max(site.posts, key=lambda p: len(p.comments))
    embed = DisqusEmbed.from_response(page, page.url)
    assert embed is not None and embed.identifier.startswith(str(post.id))
    answer = resource.route("/embed/comments/", embed.embed_params())
    first = DisqusPosts.from_embed(HtmlResponse(url=BASE + "embed/comments/", body=answer.body, encoding="utf-8"))
    assert first.thread and first.api_key == "demo-public-key"
    batches, cursor = [first], first.next_cursor
    while cursor:
        raw = resource.route("/api/3.0/threads/listPostsThreaded", {"thread": first.thread, "cursor": cursor})
        batches.append(DisqusPosts.from_api(raw.body.decode()))
        cursor = batches[-1].next_cursor
    deleted = set().union(*(b.deleted_ids() for b in batches))
    comments = order_orphans_last([c for b in batches for c in b.comments()], deleted)
    assert {c.site_comment_id for c in comments} == {str(c.id) for c in post.public_comments}
    assert len(batches) > 1 and deleted and comments[-1].page is None


def test_hand_written_disqus_config() -> None:
    body = (
        b"<div id='disqus_thread'></div><script>var disqus_config = function () { this.page.identifier = 'ep-4'; };"
        b"(function() { var s = document.createElement('script'); s.src = 'https://beans.disqus.com/embed.js'; })();</script>"
    )
    embed = DisqusEmbed.from_response(HtmlResponse(url="https://r.example/p/", body=body), "https://r.example/p/")
    assert (embed.shortname, embed.identifier) == ("beans", "ep-4")


def test_dramabeans_profile() -> None:
    profile = profile_named("dramabeans")
    assert profile_for(["https://www.dramabeans.com/"]) is profile and profile_for(["https://r.example/"]) is None
    assert profile.start_urls(["https://dramabeans.com/", "https://dramabeans.com/2021/12/x/"]) == [
        "https://dramabeans.com/recaps/all/",
        "https://dramabeans.com/2021/12/x/",
    ]
    index = HtmlResponse(
        url="https://dramabeans.com/recaps/all/",
        encoding="utf-8",
        body=(
            b'<body class="page"><ul class="shows"><li><a href="/shows/soundtrack-1/">Soundtrack #1</a></li>'
            b'<li><a href="https://dramabeans.com/shows/mr-queen/">Mr. Queen</a></li></ul></body>'
        ),
    )
    assert profile.listing_urls(index) == [
        "https://dramabeans.com/shows/soundtrack-1/",
        "https://dramabeans.com/shows/mr-queen/",
    ]
    with pytest.raises(ArgumentError, match="argument profile"):
        profile_named("nope")
