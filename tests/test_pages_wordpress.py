"""WordPress page objects against saved pages: one test per fixture case, then focused cases."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from archiver.pages import page_kind
from archiver.pages.listing import ListingPage
from archiver.pages.urls import strip_comment_page
from archiver.pages.wordpress import PostPage, parse_comment_count
from archiver.text import normalise_line

FIXTURES = Path(__file__).parent / "fixtures"
WORDPRESS = FIXTURES / "wordpress"
SEED = WORDPRESS / "seed-soundtrack-1-ep4"

_spec = importlib.util.spec_from_file_location("fixtures_record", FIXTURES / "record.py")
record = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record)

CASES = record.cases()


def response(body: str, url: str = "https://recaps.example/2022/04/a-post/") -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8")


def case_page(name: str) -> HtmlResponse:
    return record.load(WORDPRESS / name)


@pytest.mark.parametrize("case_dir", CASES, ids=[c.name for c in CASES])
def test_fixture_case(case_dir: Path) -> None:
    expected = json.loads((case_dir / "expected.json").read_text(encoding="utf-8"))
    assert record.extract(record.load(case_dir)) == expected


def test_fixture_cases_cover_the_layouts() -> None:
    assert {c.name for c in CASES} >= {
        "html5-nested-cld-paged",
        "xhtml-text-dates-cpage",
        "tag-archive-listing",
        "seed-soundtrack-1-ep4",
    }


# -- the seed page ---------------------------------------------------------------------------


def seed_dump() -> tuple[str, list[tuple[str, list[str]]]]:
    """The dump's recap body text and its 25 (comment text, vote numbers) blocks."""
    text = (SEED / "dump.txt").read_text(encoding="utf-8")
    head, _, thread = text.partition("\n\nTags: , , , ,\n\n25\n\nRequired fields are marked *\n\n")
    body = head.split("\n\n", 2)[2].rsplit("RELATED POSTS", 1)[0]
    blocks = []
    for block in thread.split("Required fields are marked *"):
        lines = [line for line in block.strip("\n").split("\n")]
        if not block.strip():
            continue
        assert lines[-1] == "reply"
        votes = []
        while re.fullmatch(r"\d+", lines[-2]):
            votes.insert(0, lines.pop(-2))
        blocks.append(("\n".join(lines[:-1]), votes))
    return body, blocks


def test_seed_dump_has_25_comment_blocks() -> None:
    _, blocks = seed_dump()
    assert len(blocks) == 25
    assert sum(1 for _, v in blocks if len(v) == 1) == 6  # replies show likes only


def test_seed_post_fields() -> None:
    page = PostPage(case_page("seed-soundtrack-1-ep4"))
    assert page_kind(page.response) == "post"
    assert page.title() == "Soundtrack #1: Episode 4 (Final)"
    assert page.comment_count_reported() == 25
    assert page.canonical_url() == "https://recaps.example/2022/04/soundtrack-1-episode-4-final/"
    assert page.comment_page() == 1 and page.comment_page_count() == 1
    body, _ = seed_dump()
    assert normalise_line(page.body_text()) == normalise_line(body)
    assert "EPISODE 4 WEECAP" in page.body_text()
    assert "RELATED POSTS" not in page.body_text() and "Share this" not in page.body_text()
    assert [t.name for t in page.tags()] == ["Disney+", "Han So-hee", "Kim Hee-won", "Park Hyung-shik", "Soundtrack #1"]
    assert "Snowdrop" not in [t.name for t in page.tags()]  # sidebar tag cloud


def test_seed_comments_match_the_dump() -> None:
    page = PostPage(case_page("seed-soundtrack-1-ep4"))
    comments = page.comments()
    _, blocks = seed_dump()
    assert len(comments) == len(blocks) == 25
    for comment, (text, votes) in zip(comments, blocks, strict=False):
        assert normalise_line(comment.body_text) == normalise_line(text)
        assert comment.upvotes_raw == votes[0]
        assert comment.downvotes_raw == (votes[1] if len(votes) == 2 else None)
        # Replies (one number) have a parent; top-level comments (two numbers) have none.
        assert (comment.parent_site_id is None) == (len(votes) == 2)
        assert "Required fields" not in comment.body_html and "reply" not in comment.body_text[-6:]
    assert "✅" in comments[6].body_text and "🙃" in comments[9].body_text and "♥️" in comments[20].body_text
    assert len({c.site_comment_id for c in comments}) == 25
    assert all(c.author and c.posted_at_machine and c.page == 1 for c in comments)


# -- html5, nested, paginated ----------------------------------------------------------------


def test_html5_nesting_pagination_and_votes() -> None:
    page = PostPage(case_page("html5-nested-cld-paged"))
    comments = {c.site_comment_id: c for c in page.comments()}
    assert list(comments) == ["701", "702", "703", "704", "705", "706", "708"]  # 707 is a pingback
    chain = ["701", "702", "703", "704", "705"]
    assert [comments[c].parent_site_id for c in chain] == [None] + chain[:-1]
    assert comments["706"].parent_site_id == "701"
    assert comments["701"].upvotes_raw == "1,234" and comments["701"].downvotes_raw == "12"
    assert "awaiting moderation" not in comments["705"].body_html
    assert comments["701"].posted_at_raw == "April 10, 2022 at 10:15 am"
    assert comments["708"].author == "Tangerine Dream"
    assert page.comment_page() == 2
    assert page.comment_page_count() == 7
    urls = page.comment_page_urls()
    assert list(urls) == list(range(1, 8))
    assert urls[5] == "https://recaps.example/2022/04/our-blues-episodes-1-2/comment-page-5/"
    assert not any("#" in u for u in urls.values())
    assert page.canonical_url() == "https://recaps.example/2022/04/our-blues-episodes-1-2/"
    assert page.comment_count_reported() == 1234
    assert [t.name for t in page.categories()] == ["Recaps"]
    assert "adsbygoogle" not in page.body_html() and "<script" not in page.body_html()


def test_xhtml_text_dates() -> None:
    page = PostPage(case_page("xhtml-text-dates-cpage"))
    comments = page.comments()
    assert [c.site_comment_id for c in comments] == ["41", "42", "44"]  # 43 is a trackback
    assert comments[0].posted_at_raw == "January 17, 2016 at 2:03 am"
    assert comments[0].posted_at_machine is None
    assert comments[1].parent_site_id == "41"
    assert "(Edit)" not in comments[0].body_text and "awaiting" not in comments[2].body_html
    assert page.comment_page() == 2 and page.comment_page_count() == 3
    assert page.canonical_url() == "https://oldrecaps.example/?p=123"


def test_tag_archive_listing() -> None:
    resp = case_page("tag-archive-listing")
    assert page_kind(resp) == "listing"
    page = ListingPage(resp)
    urls = page.post_urls()
    assert len(urls) == 3
    assert not any("comment-page" in u or "#" in u or "our-blues" in u for u in urls)
    assert "https://recaps.example/tag/han-so-hee/page/9/" in page.pagination_urls()


# -- focused cases ------------------------------------------------------------------------------


def html5_comment(cid: str, text: str, children: str = "", extra: str = "") -> str:
    return (
        f'<li id="comment-{cid}" class="comment"><article id="div-comment-{cid}" class="comment-body">'
        f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">A{cid}</b> '
        f'<span class="says">says:</span></div><div class="comment-metadata"><a href="#comment-{cid}">'
        f'<time datetime="2022-01-0{cid[-1]}T10:00:00+00:00">January {cid[-1]}, 2022 at 10:00 am</time></a>'
        f'</div></footer><div class="comment-content"><p>{text}</p>{extra}</div>'
        f'<div class="reply"><a class="comment-reply-link" href="?replytocom={cid}#respond">Reply</a></div>'
        f"</article>{children}</li>"
    )


def post_html(comments: str, head: str = "", nav: str = "") -> str:
    return (
        f"<html><head>{head}</head><body class='single single-post postid-9'>"
        "<article id='post-9' class='post'><h1 class='entry-title'>A post</h1>"
        "<div class='entry-content'><p>Body.</p></div></article>"
        f"<div id='comments' class='comments-area'><ol class='comment-list'>{comments}</ol>{nav}</div>"
        "</body></html>"
    )


@pytest.mark.parametrize(
    "body",
    [
        "",
        "<html><body></body></html>",
        "<html><body class='single'><article><h1 class='entry-title'>T</h1></article>"
        "<p class='no-comments'>Comments are closed.</p></body></html>",
        "<html><body><div id='comments'><ol class='comment-list'><li class='comment'>",
        "<html><body><ol class='commentlist'><li id='comment-1' class='comment'></li></ol>",
    ],
)
def test_damaged_pages_do_not_raise(body: str) -> None:
    page = PostPage(response(body or "<html></html>"))
    page.recap("2026-01-01T00:00:00+00:00")
    assert page.comment_page_count() >= 1
    assert page.comment_page_urls()[1]
    ListingPage(response(body or "<html></html>")).post_urls()
    assert page_kind(response(body or "<html></html>")) in {"post", "listing", "other"}


def test_no_comments_page() -> None:
    page = PostPage(response(post_html("")))
    assert page.comments() == []
    # Themes print no count over an empty thread (Twenty Twenty-One shows only the reply form): an empty comment
    # area says 0, which the thread check needs; a page with no comment area at all says nothing (None).
    assert page.comment_count_reported() == 0
    assert (
        PostPage(
            response(
                post_html("")
                .replace("id='comments' class='comments-area'", "")
                .replace("<ol class='comment-list'></ol>", "")
            )
        ).comment_count_reported()
        is None
    )
    assert page.comment_page_urls() == {1: "https://recaps.example/2022/04/a-post/"}


def test_comment_without_id_is_skipped_and_its_replies_keep_the_thread() -> None:
    broken = html5_comment("2", "no id", children="<ol class='children'>" + html5_comment("3", "reply") + "</ol>")
    broken = broken.replace('id="comment-2" ', "").replace('id="div-comment-2" ', "")
    body = post_html(html5_comment("1", "top", children=f"<ol class='children'>{broken}</ol>"))
    comments = PostPage(response(body)).comments()
    assert [(c.site_comment_id, c.parent_site_id) for c in comments] == [("1", None), ("3", "1")]


def test_div_style_comments_nest_without_children_lists() -> None:
    body = post_html(
        '<div id="comment-1" class="comment depth-1"><div class="comment-author vcard"><cite class="fn">Ann</cite>'
        ' <span class="says">says:</span></div><div class="comment-meta commentmetadata"><a href="#c">March 1, 2020'
        ' at 1:00 pm</a>&nbsp;&nbsp;<a class="comment-edit-link" href="/e">(Edit)</a></div><p>Top text</p>'
        '<div class="reply"><a class="comment-reply-link" href="#">Reply</a></div>'
        '<div id="comment-2" class="comment depth-2"><div class="comment-author vcard"><cite class="fn">Bob</cite>'
        "</div><p>Reply text</p></div></div>"
    )
    comments = PostPage(response(body)).comments()
    assert [(c.site_comment_id, c.parent_site_id, c.author) for c in comments] == [
        ("1", None, "Ann"),
        ("2", "1", "Bob"),
    ]
    assert comments[0].body_text == "Top text"
    assert comments[0].posted_at_raw == "March 1, 2020 at 1:00 pm"


def test_twentyten_style_wrapper_is_not_a_second_comment() -> None:
    body = post_html(
        '<li class="comment depth-1" id="li-comment-5"><div id="comment-5"><div class="comment-author vcard">'
        '<cite class="fn"><a href="http://x.example/" class="url">Xi</a></cite> <span class="says">says:</span>'
        '</div><div class="comment-meta commentmetadata"><a href="#comment-5">May 5, 2010 at 5:05 pm</a></div>'
        '<div class="comment-body"><p>Hello</p></div><div class="reply"><a href="#">Reply</a></div></div>'
        '<ul class="children"><li class="comment depth-2" id="li-comment-6"><div id="comment-6">'
        '<div class="comment-body"><p>Hi back</p></div></div></li></ul></li>'
    )
    comments = PostPage(response(body)).comments()
    assert [(c.site_comment_id, c.parent_site_id, c.body_text) for c in comments] == [
        ("5", None, "Hello"),
        ("6", "5", "Hi back"),
    ]
    assert comments[0].author_url == "http://x.example/"


def test_wpdiscuz_votes_prefer_exact_title() -> None:
    votes = (
        "<div class='wpd-vote'><div class='wpd-vote-result wpd-vote-result-like wpd-up' title='1234'>1.2K</div>"
        "<div class='wpd-vote-result-sep'></div>"
        "<div class='wpd-vote-result wpd-vote-result-dislike wpd-down' title='7'>7</div></div>"
    )
    total = "<div class='wpd-vote'><div class='wpd-vote-result' title='-3'>-3</div></div>"
    body = post_html(html5_comment("1", "a", extra=votes) + html5_comment("2", "b", extra=total))
    a, b = PostPage(response(body)).comments()
    assert (a.upvotes_raw, a.downvotes_raw, a.score_raw) == ("1234", "7", None)
    assert (b.upvotes_raw, b.downvotes_raw, b.score_raw) == (None, None, "-3")
    assert a.body_html == "<p>a</p>"


def test_wpdiscuz_dislikes_on_core_markup_are_stored_positive_as_in_its_own_threads() -> None:
    """One reader of wpDiscuz votes (archiver.pages.markup.wpdiscuz_vote): its dislike is shown negative, and
    stored positive whether the widget sits in a core comment list or in wpDiscuz's own thread."""
    from archiver.pipelines.clean import clean_votes

    from archiver.pages.wpdiscuz import WpdiscuzComments

    votes = (
        "<div class='wpd-vote'><div class='wpd-vote-result wpd-vote-result-like' title='12'>12</div>"
        "<div class='wpd-vote-result wpd-vote-result-dislike' title='-7'>-7</div></div>"
    )
    (core,) = PostPage(response(post_html(html5_comment("1", "a", extra=votes)))).comments()
    wpd_body = (
        '<div id="wpdcom"><div id="wpd-comm-1_0" class="wpd-comment"><div class="wpd-comment-right" '
        f'id="comment-1"><div class="wpd-comment-text"><p>a</p></div>{votes}</div></div></div>'
    )
    (own,) = WpdiscuzComments.from_response(response(f"<html><body>{wpd_body}</body></html>")).comments()
    for comment in (core, own):
        assert (comment.upvotes_raw, comment.downvotes_raw) == ("12", "7")
        clean_votes(comment)
        assert (comment.upvotes, comment.downvotes, comment.score) == (12, 7, 5)


def test_embedded_reply_form_and_notes_are_not_comment_text() -> None:
    form = (
        '<div id="respond" class="comment-respond"><form class="comment-form"><p class="comment-notes">'
        "Required fields are marked *</p><textarea></textarea></form></div>"
        "<p class='comment-awaiting-moderation'>Your comment is awaiting moderation.</p>"
    )
    (c,) = PostPage(response(post_html(html5_comment("1", "Only this", extra=form)))).comments()
    assert c.body_text == "Only this"


def test_moderation_notice_without_a_class_is_dropped_whatever_its_case() -> None:
    notices = [
        "<p><em>Your comment is awaiting moderation.</em></p>",
        "<em>YOUR COMMENT IS AWAITING MODERATION.</em>",
        "<small>Required fields are marked *</small>",
    ]
    for notice in notices:
        (c,) = PostPage(response(post_html(html5_comment("1", "Only this", extra=notice)))).comments()
        assert c.body_text == "Only this", notice
        assert "moderation" not in c.body_html.lower() and "required" not in c.body_html.lower()
    # Text that merely mentions a comment, or quotes the notice mid-sentence, is the commenter's own.
    for text in ("I love your comment about the ending", "She wrote: your comment is awaiting moderation, lol"):
        (c,) = PostPage(response(post_html(html5_comment("1", text)))).comments()
        assert c.body_text == text


def test_markup_with_two_top_level_elements_keeps_its_comments_and_count() -> None:
    # Damaged markup ("</html><html>" mid-page) leaves libxml2 with two top-level elements.
    body = (
        post_html(html5_comment("1", "first") + html5_comment("2", "second"))
        .replace("<ol class='comment-list'>", "<h2 class='comments-title'>2 Comments</h2><ol class='comment-list'>")
        .replace(
            "</body></html>", "</body></html><html><p>junk after the page</p><h2 class='comments-title'>9 Comments</h2>"
        )
    )
    page = PostPage(response(body))
    assert len(list(page.root.itersiblings())) == 1
    assert [(c.site_comment_id, c.body_text) for c in page.comments()] == [("1", "first"), ("2", "second")]
    assert page.comment_count_reported() == 2


def test_recent_comments_widget_is_never_a_comment() -> None:
    widget = (
        "<aside class='widget-area'><section class='widget widget_recent_comments'><ul id='recentcomments'>"
        "<li id='comment-77' class='comment recentcomments'><a href='https://recaps.example/x/comment-page-4/"
        "#comment-77'>x</a></li></ul></section></aside>"
    )
    body = post_html(html5_comment("1", "real")).replace("</body>", widget + "</body>")
    page = PostPage(response(body))
    assert [c.site_comment_id for c in page.comments()] == ["1"]
    assert page.comment_page_count() == 1


def test_comment_pages_from_cpage_links_and_newest_first() -> None:
    nav = (
        "<nav class='navigation comments-pagination'><div class='nav-links'>"
        "<a class='page-numbers' href='/?p=9&cpage=1#comments'>1</a><span class='page-numbers dots'>…</span>"
        "<a class='page-numbers' href='/?p=9&cpage=11#comments'>11</a>"
        "<span aria-current='page' class='page-numbers current'>12</span></div></nav>"
    )
    page = PostPage(response(post_html(html5_comment("1", "x"), nav=nav), url="https://recaps.example/?p=9"))
    assert page.comment_page() == 12  # the newest page is shown at the bare URL
    assert page.comment_page_count() == 12
    urls = page.comment_page_urls()
    assert urls[1] == "https://recaps.example/?p=9&cpage=1"
    assert urls[12] == "https://recaps.example/?p=9&cpage=12"
    assert page.comments()[0].page == 12


@pytest.mark.parametrize(
    ("title", "count"),
    [
        ("25 thoughts on “Soundtrack #1: Episode 4 (Final)”", 25),
        ("One thought on “Episode 4: 3 things”", 1),
        ("One Comment", 1),
        ("1,234 Comments", 1234),
        ("25", 25),
        ("2 replies on “Soundtrack #1”", 2),
        ("No Comments", 0),
    ],
)
def test_comment_count_reported(title: str, count: int) -> None:
    body = post_html("").replace(
        "<ol class='comment-list'>", f"<h2 class='comments-title'>{title}</h2><ol class='comment-list'>"
    )
    assert PostPage(response(body)).comment_count_reported() == count


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://r.example/a/comment-page-3/#comments", "https://r.example/a/"),
        ("https://r.example/a/?replytocom=12#respond", "https://r.example/a/"),
        ("https://r.example/?p=5&cpage=2#comment-9", "https://r.example/?p=5"),
        ("https://r.example/a/", "https://r.example/a/"),
    ],
)
def test_strip_comment_page(url: str, canonical: str) -> None:
    assert strip_comment_page(url) == canonical


def test_canonical_link_with_comment_page_is_stripped() -> None:
    head = "<link rel='canonical' href='https://recaps.example/2022/04/a-post/comment-page-2/#comments'>"
    page = PostPage(response(post_html("", head=head), url="https://recaps.example/2022/04/a-post/comment-page-2/"))
    assert page.canonical_url() == "https://recaps.example/2022/04/a-post/"
    assert page.comment_page() == 2


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("<body class='post-template-default single single-post postid-3'></body>", "post"),
        ("<body class='archive category category-recaps category-3'></body>", "listing"),
        ("<body class='home blog'></body>", "listing"),
        ("<body class='home page-template-default page page-id-2'></body>", "other"),
        ("<body><article><div class='entry-content'>x</div></article><div id='comments'></div></body>", "post"),
        ("<body><article class='post'></article><article class='post'></article></body>", "listing"),
        ("<body><p>hi</p></body>", "other"),
    ],
)
def test_page_kind(body: str, kind: str) -> None:
    assert page_kind(response(f"<html>{body}</html>")) == kind


def test_block_theme_comment_template() -> None:
    body = post_html("").replace(
        "<ol class='comment-list'></ol>",
        '<ol class="wp-block-comment-template"><li id="comment-3" class="comment even thread-even depth-1">'
        '<div class="wp-block-group"><div class="wp-block-comment-author-name"><a rel="external nofollow ugc" '
        'href="https://z.example/" target="_self">Zed</a></div><div class="wp-block-comment-date">'
        '<time datetime="2023-05-01T10:00:00+00:00"><a href="#comment-3">May 1, 2023 at 10:00 am</a></time></div>'
        '<div class="wp-block-comment-content"><p>Block themes too.</p></div>'
        '<div class="wp-block-comment-reply-link"><a class="comment-reply-link" href="#">Reply</a></div>'
        "</div></li></ol>",
    )
    (c,) = PostPage(response(body)).comments()
    assert (c.site_comment_id, c.author, c.author_url, c.body_text) == (
        "3",
        "Zed",
        "https://z.example/",
        "Block themes too.",
    )
    assert c.posted_at_machine == "2023-05-01T10:00:00+00:00" and c.posted_at_raw == "May 1, 2023 at 10:00 am"


def test_counts_too_long_to_be_counts_are_not_read() -> None:
    assert parse_comment_count("9" * 5000 + " comments") is None


def test_number_words_matched_only_by_case_folding_do_not_raise() -> None:
    assert parse_comment_count("ſix comments") == 6 and parse_comment_count("A ſingle comment") == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25 thoughts on “Title”", 25),
        ("One thought on “X”", 1),
        ("One Comment", 1),
        ("one comment", 1),
        ("No Comments", 0),
        ("No comments yet", 0),
        ("1,234 Comments", 1234),
        ("1 234 comments", 1234),
        ("25 Responses", 25),
        ("25 Responses to “Goblin: Episode 3”", 25),
        ("25 comments", 25),
        ("2 Replies", 2),
        ("1 Reply", 1),
        ("1 thought on “Episode 4”", 1),
        ("25 thoughts on “Soundtrack #1: Episode 4”", 25),
        ("3 thoughts on “18 Again: Episodes 5-6”", 3),
        ("Two thoughts on “X”", 2),
        ("  \n 25 \n thoughts on “X”", 25),
        ("1.2K comments", 1200),
        ("Comments (25)", 25),
        ("Comments: 25", 25),
        ("Comments [1,234]", 1234),
        ("25", 25),
        ("(25)", 25),
        ("💬 25 comments", 25),
        ("1,234 thoughts on “A”", 1234),
        ("Join the discussion: 7 comments", 7),
    ],
)
def test_parse_comment_count(text: str, expected: int) -> None:
    assert parse_comment_count(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "Leave a Reply",
        "Leave a Reply to Jane",
        "Comments",
        "Discussion",
        "Comments are closed.",
        "Thoughts on “Episode 4”",
        "Soundtrack #1: Episode 4",
    ],
)
def test_parse_comment_count_none(text: str | None) -> None:
    assert parse_comment_count(text) is None


def test_leave_a_reply_is_zero_only_where_the_comment_area_is_empty() -> None:
    empty = (
        '<html><body><article class="post"><h1 class="entry-title">A</h1></article>'
        '<div id="comments" class="comments-area"><div id="respond"><h3 id="reply-title">Leave a Reply</h3>'
        "</div></div></body></html>"
    )
    assert PostPage(response(empty)).comment_count_reported() == 0
    with_comments = (
        '<html><body><article class="post"><h1 class="entry-title">A</h1>'
        '<a href="#respond">Leave a Reply</a></article><div id="comments" class="comments-area">'
        '<ol class="comment-list"><li id="comment-1" class="comment"><article class="comment-body">'
        '<div class="comment-content"><p>Hi</p></div></article></li></ol></div></body></html>'
    )
    assert PostPage(response(with_comments)).comment_count_reported() is None
