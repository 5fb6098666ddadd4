"""Disqus threads: the embed a post page carries, and the thread data Disqus serves as JSON.

The embed page holds ``<script id="disqus-threadData" type="text/json">`` with the thread and its
first posts (``id``, ``parent``, ``author``, ``createdAt`` in UTC, ``message``, ``likes``,
``dislikes``, ``isDeleted``) and a ``cursor``; ``threads/listPostsThreaded`` gives the rest.
Deleted posts are not comments: their replies keep them as parent (``parent_missing`` later).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scrapy.http import TextResponse

from archiver.items import CommentItem
from archiver.pages.jsdata import assigned_object, json_object, object_field, text_field
from archiver.text import html_to_text

__all__ = ["DisqusEmbed", "DisqusPosts"]

_EMBED_VARS = re.compile(r"embedVars\s*=\s*\{")
"""Where the plugin's settings object starts; it ends at the first ``};`` (archiver.pages.jsdata)."""
_SHORTNAME = re.compile(r"""(?:disqus_shortname\s*=\s*|//)['"]?([\w-]+)(?:['"]|\.disqus\.com/embed\.js)""")
_IDENTIFIER = re.compile(r"""(?:page\.identifier|disqus_identifier)\s*=\s*['"]([^'"]+)['"]""")
_API_KEY = re.compile(r'"api_?[kK]ey"\s*:\s*"([^"]+)"')


@dataclass
class DisqusEmbed:
    """What a post page tells Disqus: forum shortname, thread identifier, URL and title."""

    shortname: str
    identifier: str | None
    url: str
    title: str | None = None

    @classmethod
    def from_response(cls, response: TextResponse, canonical: str) -> DisqusEmbed | None:
        """From the Disqus plugin's ``embedVars`` or a hand-written ``disqus_config``; None without a shortname."""
        scripts = "\n".join(response.xpath("//script/text() | //script/@src").getall())
        found = assigned_object(scripts, _EMBED_VARS)
        if found is not None:
            try:
                data = json_object(found)
            except ValueError:
                data = {}
            shortname = text_field(data, "disqusShortname")
            if shortname:
                return cls(
                    shortname,
                    text_field(data, "disqusIdentifier"),
                    text_field(data, "disqusUrl") or canonical,
                    text_field(data, "disqusTitle"),
                )
        name = _SHORTNAME.search(scripts)
        if not name:
            return None
        ident = _IDENTIFIER.search(scripts)
        return cls(name.group(1), ident.group(1) if ident else None, canonical)

    def embed_params(self) -> dict[str, str]:
        """The query of the embed iframe (``/embed/comments/?f=...&t_i=...``)."""
        params = {"base": "default", "f": self.shortname, "t_u": self.url, "s_o": "default"}
        if self.identifier:
            params["t_i"] = self.identifier
        if self.title:
            params["t_d"] = self.title
        return params


@dataclass
class DisqusPosts:
    """One batch of a thread's posts, with where the next batch starts."""

    posts: list[dict]
    thread: str | None = None
    next_cursor: str | None = None
    api_key: str | None = None

    @classmethod
    def from_embed(cls, response: TextResponse) -> DisqusPosts:
        """The thread data of the embed page (empty when it carries none); ValueError when it is unreadable."""
        raw = response.xpath("//script[@id='disqus-threadData']/text()").get() or "{}"
        data = json_object(raw)
        body = object_field(data, "response")
        thread = object_field(body, "thread")
        key = _API_KEY.search(response.xpath("//script[@id='disqus-forumData']/text()").get() or "")
        posts = body.get("posts")
        return cls._make(
            posts if isinstance(posts, list) else [],
            object_field(data, "cursor"),
            text_field(thread, "id") or None,
            key.group(1) if key else None,
        )

    @classmethod
    def from_api(cls, text: str) -> DisqusPosts:
        """A ``threads/listPostsThreaded`` answer; ValueError when it is unreadable."""
        data = json_object(text)
        posts = data.get("response") if isinstance(data.get("response"), list) else []
        return cls._make(posts, object_field(data, "cursor"), None, None)

    @classmethod
    def _make(cls, posts: list, cursor: dict, thread: str | None, key: str | None) -> DisqusPosts:
        nxt = text_field(cursor, "next") if cursor.get("hasNext") else None
        return cls([p for p in posts if isinstance(p, dict) and text_field(p, "id") is not None], thread, nxt, key)

    def comments(self) -> list[CommentItem]:
        """The live posts as comments; deleted ones are left out (see ``deleted_ids``)."""
        out = []
        for p in self.posts:
            pid = text_field(p, "id")
            if p.get("isDeleted") or p.get("isSpam") or not pid:
                continue
            author = object_field(p, "author")
            created = text_field(p, "createdAt")
            body = (text_field(p, "message") or "").strip()
            out.append(
                CommentItem(
                    site_comment_id=pid,
                    parent_site_id=text_field(p, "parent") if p.get("parent") else None,
                    author=text_field(author, "name") or None,
                    author_url=text_field(author, "url") or None,
                    posted_at_raw=created,
                    posted_at_machine=f"{created}+00:00" if created and "+" not in created else created,
                    body_html=body,
                    body_text=html_to_text(body),
                    upvotes_raw=text_field(p, "likes") if "likes" in p else "0",
                    downvotes_raw=text_field(p, "dislikes") if "dislikes" in p else "0",
                    page=1,
                )
            )
        return out

    def deleted_ids(self) -> set[str]:
        """Ids of deleted posts in this batch."""
        return {str(p["id"]) for p in self.posts if p.get("isDeleted") and "id" in p}


def order_orphans_last(comments: list[CommentItem], deleted: set[str]) -> list[CommentItem]:
    """Replies to deleted posts after the rest, by id, with no page: they start threads of their own."""
    orphans = sorted((c for c in comments if c.parent_site_id in deleted), key=lambda c: int(c.site_comment_id))
    for c in orphans:
        c.page = None
    return [c for c in comments if c.parent_site_id not in deleted] + orphans
