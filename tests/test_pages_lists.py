"""Block-theme comment lists parsed as a browser parses them (archiver.pages.lists)."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from archiver.pages.lists import repair_comment_lists
from archiver.pages.reading import read_comment_page


def li(cid: str, inner: str = "") -> str:
    return (
        f'<li id="comment-{cid}" class="comment depth-x"><div class="wp-block-comment-content"><p>c{cid}</p>'
        f"</div>{inner}</li>"
    )


# What WordPress 6.1's core/comment-template block prints for thread depth 2: the replies of a depth-2 comment
# go straight into its <li>, with no <ol>, and every <li> is closed at the end.
CAPPED = (
    '<div class="wp-block-comments"><ol class="wp-block-comment-template">'
    + li("1", "<ol>" + li("2", li("3", li("4"))) + li("5") + "</ol>")
    + li("6", "<ol>" + li("7") + "</ol>")
    + "</ol></div>"
)


def page(body: str) -> HtmlResponse:
    html = (
        f"<html><body class='single single-post postid-9'><article id='post-9' class='post'>"
        f"<h1 class='entry-title'>T</h1></article><div id='comments'>{body}</div></body></html>"
    )
    return HtmlResponse(url="https://recaps.example/2022/04/a-post/", body=html.encode(), encoding="utf-8")


def test_replies_past_the_thread_depth_sit_flat_beside_their_parent_as_in_a_browser() -> None:
    comments = read_comment_page(page(CAPPED)).comments
    # A browser shows 3 and 4 flat beside 2 (a new <li> closes the open one); nothing falls out of the list.
    assert [(c.site_comment_id, c.parent_site_id) for c in comments] == [
        ("1", None),
        ("2", "1"),
        ("3", "1"),
        ("4", "1"),
        ("5", "1"),
        ("6", None),
        ("7", "6"),
    ]
    assert [c.body_text for c in comments] == [f"c{n}" for n in "1234567"]


def test_well_formed_lists_are_left_alone() -> None:
    formed = '<ol class="wp-block-comment-template">' + li("1", "<ol>" + li("2") + "</ol>") + "</ol>"
    assert repair_comment_lists(formed) is None
    assert repair_comment_lists("<ol class='comment-list'><li><li></ol>") is None  # not a block template


def test_stray_closing_tags_are_dropped_and_text_outside_templates_is_kept() -> None:
    text = 'before<ol class="wp-block-comment-template"><li>a</li></li></ol></ol>after'
    assert repair_comment_lists(text) == 'before<ol class="wp-block-comment-template"><li>a</li></ol></ol>after'


def test_linear_on_a_megabyte_of_nested_items() -> None:
    text = '<ol class="wp-block-comment-template">' + "<li>x" * 100_000 + "</li>" * 100_000 + "</ol>"
    fixed = repair_comment_lists(text)
    assert fixed is not None and fixed.count("<li>") == 100_000 and fixed.count("</li>") == 100_000
