"""wpDiscuz comment threads: its markup, its load-more and show-replies AJAX answers.

A comment is ``div#wpd-comm-{ID}_{PARENT}.wpd-comment`` (the id names the true parent, even where
replies beyond the thread depth are printed flat), with ``.wpd-comment-right#comment-{ID}`` holding
``.wpd-comment-author``, ``.wpd-comment-date`` (the exact date in ``title``), ``.wpd-comment-text``
and the votes: one total in ``.wpd-vote-result`` or likes and dislikes in ``.wpd-vote-result-like``
and ``.wpd-vote-result-dislike`` (exact numbers in ``title``; dislikes are shown negative).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html
from scrapy.http import TextResponse

from archiver.items import CommentItem
from archiver.pages import page_root
from archiver.pages.jsdata import assigned_object, json_object, text_field
from archiver.pages.markup import (
    Element,
    class_tokens,
    css_first_in,
    inner_html,
    is_comment_furniture,
    strip_edge_breaks,
    text_of,
    wpdiscuz_vote,
)
from archiver.text import HTML_PARSER, html_to_text

__all__ = ["AjaxAnswer", "WpdiscuzComments", "WpdiscuzSettings"]

_WPD_ID = re.compile(r"^wpd-comm-(\d+)_(\d+)$")
_AJAX_OBJ = re.compile(r"wpdiscuzAjaxObj\s*=\s*\{")
"""Where the settings object starts; it ends at the first ``};`` that ends a line (archiver.pages.jsdata)."""
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d")


class WpdiscuzComments:
    """The wpDiscuz comments in a page or in an AJAX ``comment_list`` fragment."""

    def __init__(self, root: Element, base_url: str) -> None:
        self.root = root
        self.base_url = base_url

    @classmethod
    def from_response(cls, response: TextResponse) -> WpdiscuzComments:
        return cls(page_root(response), response.url)

    @classmethod
    def from_fragment(cls, html: str, base_url: str) -> WpdiscuzComments:
        return cls(lxml.html.fromstring(f"<div>{html}</div>", parser=HTML_PARSER), base_url)

    def _elements(self) -> list[tuple[Element, str, str]]:
        found = []
        for el in self.root.iter("div"):
            m = _WPD_ID.match(el.get("id") or "")
            if m:
                found.append((el, m.group(1), m.group(2)))
        return found

    def comments(self, page: int = 1) -> list[CommentItem]:
        """Every comment shown, in document order, with its parent from its id; ``page`` is the comment page."""
        out = []
        for el, cid, parent in self._elements():
            right = next(iter(el.xpath(".//*[@id=$i]", i=f"comment-{cid}")), None)
            if right is not None:
                out.append(self._comment(right, cid, None if parent == "0" else parent, page))
        return out

    def _comment(self, right: Element, cid: str, parent: str | None, page: int = 1) -> CommentItem:
        author_el = css_first_in(right, ".wpd-comment-author")
        link = css_first_in(author_el, "a[href]")
        date_el = css_first_in(right, ".wpd-comment-date")
        title = (date_el.get("title") or "").strip() if date_el is not None else ""
        text_el = css_first_in(right, ".wpd-comment-text")
        body = strip_edge_breaks(inner_html(text_el, is_comment_furniture)) if text_el is not None else ""
        votes: dict[str, str] = {}
        for node in right.xpath(".//*[contains(@class, 'wpd-vote-result')]"):
            vote = wpdiscuz_vote(node, class_tokens(node))
            if vote is not None:
                votes.setdefault(*vote)
        return CommentItem(
            site_comment_id=cid,
            parent_site_id=parent,
            author=text_of(author_el) or None,
            author_url=urljoin(self.base_url, link.get("href")) if link is not None else None,
            posted_at_raw=title or text_of(date_el) or None,
            posted_at_machine=title if _ISO_DATE.match(title) else None,
            body_html=body,
            body_text=html_to_text(body),
            upvotes_raw=votes.get("up"),
            downvotes_raw=votes.get("down"),
            score_raw=votes.get("score"),
            page=page,
        )

    def reported_count(self) -> int | None:
        """The comment count wpDiscuz shows above its threads (``.wpd-thread-info[data-comments-count]``)."""
        for value in self.root.xpath(".//*[contains(@class, 'wpd-thread-info')]/@data-comments-count"):
            if value.strip().isdigit():
                return int(value.strip())
        return None

    def load_more_after(self) -> str | None:
        """``data-lastparentid`` of the load-more button when more threads remain, else None."""
        # 7.6 says so in span#wpdiscuzHasMoreComments[data-is_show_load_more]; older releases in an input's value.
        more = self.root.xpath(
            ".//*[@id='wpdiscuzHasMoreComments']/@data-is_show_load_more"
            " | .//input[@id='wpdiscuzHasMoreComments']/@value"
        )
        if more and more[0].strip() == "0":
            return None
        button = self.root.xpath(".//*[contains(@class, 'wpd-load-more-submit')]/@data-lastparentid")
        return button[0] if button and button[0].strip() not in ("", "0") else None

    def hidden_replies(self) -> list[str]:
        """Ids of top-level comments whose replies are behind a "View Replies" toggle."""
        out = []
        for el, cid, parent in self._elements():
            if parent != "0" or not el.xpath(".//*[contains(@class, 'wpd-view-replies')]"):
                continue
            if not any("wpd-reply" in class_tokens(child) for child in el):
                out.append(cid)
        return out


@dataclass
class WpdiscuzSettings:
    """What the page's ``wpdiscuzAjaxObj`` tells about its AJAX endpoint."""

    ajax_url: str
    post_id: str | None
    nonce: str | None

    @classmethod
    def from_response(cls, response: TextResponse, site_url: str) -> WpdiscuzSettings:
        data: dict = {}
        for script in response.xpath("//script/text()").getall():
            found = assigned_object(script, _AJAX_OBJ, line_end=True)
            if found is not None:
                try:
                    data = json_object(found)
                except ValueError:
                    data = {}
                break
        url = text_field(data, "url") or urljoin(site_url, "wp-admin/admin-ajax.php")
        post = text_field(data, "wc_post_id") if data.get("wc_post_id") else None
        return cls(urljoin(response.url, url), post, text_field(data, "wpdiscuz_nonce") or None)


@dataclass
class AjaxAnswer:
    """An ``admin-ajax.php`` JSON answer: ``{"success": true, "data": ...}``."""

    success: bool
    data: object

    @classmethod
    def parse(cls, text: str) -> AjaxAnswer | None:
        """The answer, or None when it is not a readable JSON object (``Nonce is invalid.``, an HTML page, JSON cut
        short, nesting too deep)."""
        try:
            doc = json_object(text)
        except ValueError:
            return None
        return cls(bool(doc.get("success")), doc.get("data"))

    def nonce(self) -> str | None:
        """The nonce a ``wpdGetNonce`` answer carries (``data`` itself, or ``data.wpdiscuz_nonce`` as 7.6 sends)."""
        data = self.data.get("wpdiscuz_nonce") if isinstance(self.data, dict) else self.data
        return str(data) if self.success and isinstance(data, (str, int)) and str(data) else None

    def field(self, name: str) -> str | None:
        """``data[name]`` as text when it is a string, number or bool; else None (missing, an object, a list)."""
        value = self.data.get(name) if isinstance(self.data, dict) else None
        return str(value) if isinstance(value, (str, int, float)) else None  # bools too: "True"
