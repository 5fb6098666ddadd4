"""Comment plugins of the demo site: wpDiscuz (markup and admin-ajax JSON) and a Disqus stand-in.

wpDiscuz markup follows its walker (``wpd-comm-{ID}_{PARENT}``, ``.wpd-comment-right#comment-{ID}``,
``.wpd-comment-date[title]``, separate like and dislike results); the first page shows ``per_page``
threads, ``wpdLoadMoreComments`` the next ones after ``lastParentId``, and a thread with many replies
shows only its first comment until ``wpdShowReplies``. The Disqus stand-in serves the embed page
(``/embed/comments/``, with ``#disqus-threadData``) and the cursor endpoint
(``/api/3.0/threads/listPostsThreaded``) in the JSON shapes Disqus uses. Nothing here knows HTTP.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from archiver.demo.model import Comment, Post, Site, paged
from archiver.demo.render import Renderer, esc, local_date, local_time

WPD_NONCE = "4f1c2a9e0b"
WPD_HIDE_REPLIES_FROM = 4
"""A thread with this many replies or more shows only its first comment until "View Replies"."""
DISQUS_SHORTNAME = "drama-recaps-demo"
DISQUS_API_KEY = "demo-public-key"
DISQUS_PAGE = 50
"""Posts per Disqus response (the embed page's first batch and each cursor page)."""


def human(n: int) -> str:
    """wpDiscuz's human-readable count: ``1.2K`` from 1234."""
    return f"{n / 1000:.1f}K" if abs(n) >= 1000 else str(n)


class WpdiscuzRenderer:
    """wpDiscuz 7 markup for a post's comments, and its AJAX answers."""

    def __init__(self, site: Site, renderer: Renderer) -> None:
        self.site = site
        self.r = renderer

    def _children(self, post: Post, c: Comment) -> list[Comment]:
        shown = {k.id for k in post.html_comments}
        return [k for k in sorted(c.children, key=lambda k: k.id) if k.id in shown]

    def _replies(self, post: Post, c: Comment) -> list[Comment]:
        out: list[Comment] = []
        stack = list(reversed(self._children(post, c)))
        while stack:
            k = stack.pop()
            out.append(k)
            stack.extend(reversed(self._children(post, k)))
        return out

    def author_url(self, c: Comment) -> str | None:
        """Where wpDiscuz links the author's name: a registered user's author page, else the guest's website."""
        return self.r.url(f"/author/{c.user.nicename}/") if c.user is not None else c.author_url

    def _vote(self, c: Comment) -> str:
        """The like and dislike widget; nothing when ``--break-markup votes``."""
        if self.site.options.break_markup == "votes":
            return ""
        return (
            '<div class="wpd-vote"><div class="wpd-vote-up wpd_not_clicked"><svg></svg></div>'
            f'<div class="wpd-vote-result wpd-vote-result-like wpd-up" title="{c.upvotes}">{human(c.upvotes)}</div>'
            '<div class="wpd-vote-result-sep"></div>'
            f'<div class="wpd-vote-result wpd-vote-result-dislike wpd-down" title="-{c.downvotes}">-{human(c.downvotes or 0)}</div>'
            '<div class="wpd-vote-down wpd_not_clicked"><svg></svg></div></div>'
        )

    def comment(self, post: Post, c: Comment, level: int = 1, with_replies: bool = True) -> str:
        """One ``.wpd-comment`` with its replies nested up to ``thread_depth``, flat beyond it."""
        uid = f"{c.id}_{c.parent_id or 0}"
        author = esc(c.author)
        href = self.author_url(c)
        if href:  # a registered user's profile (author page), or a guest's website
            rel = "noreferrer ugc" + ("" if href.startswith(self.r.root) else " nofollow")
            author = f"<a href='{esc(href)}' rel='{rel}' target='_blank'>{author}</a>"
        when = f"{local_date(c.date)} {local_time(c.date)}"
        replies = self._replies(post, c) if level == 1 else []
        hidden = level == 1 and len(replies) >= WPD_HIDE_REPLIES_FROM and not with_replies
        toggle = ""
        if level == 1 and replies:
            label = (
                f'<span class="wpd-view-replies"><span class="wpd-view-replies-text">View Replies</span> ({len(replies)})</span>'
                if hidden
                else ""
            )
            toggle = f'<div class="wpd-toggle wpd_not_clicked" wpd-tooltip="Hide Replies">{label}<i class="fas fa-chevron-up"></i></div>'
        reply_class = " wpd-reply" if level > 1 else ""
        out = [
            f'<div id="wpd-comm-{uid}" class="comment even depth-{level} wpd-comment{reply_class} wpd_comment_level-{level}">'
            '<div class="wpd-comment-wrap wpd-blog-guest">'
            f'<div class="wpd-comment-left "><div class="wpd-avatar ">{self.r.avatar(c)}</div></div>'
            f'<div id="comment-{c.id}" class="wpd-comment-right">'
            f'<div class="wpd-comment-header"><div class="wpd-comment-author ">{author}</div>'
            f'<div class="wpd-comment-date" title="{when}"><i class="far fa-clock" aria-hidden="true"></i> {when}</div>'
            f'<div class="wpd-comment-link wpd-hidden"><span wpd-tooltip="Comment Link"><i class="fas fa-link"></i></span></div></div>'
            f'<div class="wpd-comment-text">\n{self.r.content_html(c.blocks)}</div>'
            f'<div class="wpd-comment-footer">{self._vote(c)}'
            f'<div class="wpd-reply-button"><span>Reply</span></div>{toggle}</div>'
            f'</div></div><div id="wpdiscuz_form_anchor-{uid}"></div>',
        ]
        if not hidden:
            kids = self._children(post, c) if level < self.site.options.thread_depth else []
            out += [self.comment(post, k, level + 1) for k in kids]
        out.append("</div>")
        if not hidden and level >= self.site.options.thread_depth:
            # Beyond the thread depth replies are printed after their parent, still naming it in their id.
            out += [self.comment(post, k, level) for k in self._children(post, c)]
        return "".join(out)

    @staticmethod
    def load_more_footer(last: str) -> str:
        """wpDiscuz 7.6's "Load More Comments" button after the threads shown, ``last`` the last parent id."""
        return (
            '<div class="wpdiscuz-comment-pagination"><div class="wpd-load-more-submit-wrap">'
            f'<button name="submit" data-lastparentid="{last}" '
            'class="wpd-load-more-submit wpd-loaded wpd-prim-button">Load More Comments</button></div>'
            '<span id="wpdiscuzHasMoreComments" data-is_show_load_more="1"></span></div>'
        )

    def threads(self, post: Post, after: int, count: int) -> tuple[str, int | None, bool]:
        """``count`` top-level threads after comment ``after``: (html, last parent id, more to load)."""
        roots = [c for c in post.html_comments if c.parent_id is None and c.id > after]
        batch = roots[:count]
        html = "".join(self.comment(post, c, with_replies=False) for c in batch)
        return html, batch[-1].id if batch else None, len(roots) > count

    def comments_area(self, post: Post, page: int = 1) -> str:
        """``#wpdcom``: the thread head, the first threads (or comment page ``page`` when wpDiscuz follows
        WordPress comment pages), then its ``paginate_comments_links()`` or the load-more button."""
        n = post.reported_count
        if paged(self.site.options):
            shown = [c for c in post.page_comments(page) if c.parent_id is None]
            html = "".join(self.comment(post, c) for c in shown)
            footer = ""
            if post.comment_pages > 1:
                links = self.r.paginate_links(
                    page,
                    post.comment_pages,
                    lambda k: f"{self.r.comment_page_url(post, k)}#comments",
                    "&laquo; Previous",
                    "Next &raquo;",
                )
                footer = f'<div class="wpdiscuz-comment-pagination">\n{links}</div>'
        else:
            html, last, more = self.threads(post, 0, self.site.options.per_page)
            footer = self.load_more_footer(last) if more else ""
        ajax = {
            "url": self.r.url("/wp-admin/admin-ajax.php"),
            "wc_post_id": post.id,
            "wpdiscuz_options": {
                "wordpressIsPaginate": "1" if paged(self.site.options) else "",
                "commentListLoadType": "0",
            },
            "isLoadOnlyParentComments": 0,
        }
        return (
            '<div class="wpdiscuz_top_clearing"></div><div id="comments" class="comments-area">'
            '<div id="respond" style="width: 0;height: 0;clear: both;margin: 0;padding: 0;"></div>'
            '<div id="wpdcom" class="wpdiscuz_unauth wpd-default wpd-layout-1 wpd-comments-open">'
            '<div class="wpd-form-wrap"><div class="wpd-form-head"><div class="wpd-auth">Join the discussion</div></div></div>'
            f'<div id="wpd-threads" class="wpd-thread-wrapper"><div class="wpd-thread-head"><div class="wpd-thread-info "\n'
            f"data-comments-count=\"{n}\"><span class='wpdtc' title='{n}'>{human(n)}</span> Comments</div></div>"
            f'<div class="wpd-thread-list">{html}{footer}</div></div></div></div>'
            f"<script id='wpdiscuz-combo-js-js-extra'>\nvar wpdiscuzAjaxObj = {json.dumps(ajax)};\n</script>"
        )

    def ajax(self, form: dict[str, str]) -> dict | str:
        """What ``admin-ajax.php`` answers for ``action`` in ``form``: JSON as wpDiscuz 7.6 sends it, or the plain
        text of ``wp_die()`` (``Nonce is invalid.``) when a load-more carries a wrong nonce."""
        action = form.get("action")
        if action == "wpdGetNonce":
            return {"success": True, "data": {"wpdiscuz_nonce": WPD_NONCE}}
        post = self._post(form.get("postId"))
        if action == "wpdLoadMoreComments" and post is not None:
            if form.get("wpdiscuz_nonce") != WPD_NONCE:
                return "Nonce is invalid."
            after = int(form.get("lastParentId") or 0)
            html, last, more = self.threads(post, after, self.site.options.per_page)
            count = html.count('class="wpd-comment-right"')  # the comments comment_list holds
            return {
                "success": True,
                "data": {
                    "is_show_load_more": more,
                    "last_parent_id": str(last or after),
                    "comments_count": count,
                    "comment_list": html,
                    "callbackFunctions": [],
                },
            }
        if action == "wpdShowReplies":
            comment_id = int(form.get("commentId") or 0)
            for post in self.site.posts:
                root = next((c for c in post.html_comments if c.id == comment_id and c.parent_id is None), None)
                if root is not None:
                    return {
                        "success": True,
                        "data": {"comment_list": self.comment(post, root), "callbackFunctions": []},
                    }
        return {"success": False, "data": "wc_msg_required_fields"}

    def _post(self, value: str | None) -> Post | None:
        try:
            return self.site.post_by_id(int(value or 0))
        except (KeyError, ValueError):
            return None


class DisqusRenderer:
    """The Disqus embed on a post, and the stand-in's embed page and cursor endpoint."""

    def __init__(self, site: Site, renderer: Renderer) -> None:
        self.site = site
        self.r = renderer

    def comments_area(self, post: Post, page: int = 1) -> str:
        """What the Disqus WordPress plugin prints where the comments would be (``page`` is unused)."""
        embed = {
            "disqusConfig": {"integration": "wordpress 3.0.23"},
            "disqusIdentifier": f"{post.id} {self.r.url(f'/?p={post.id}')}",
            "disqusShortname": DISQUS_SHORTNAME,
            "disqusTitle": post.title,
            "disqusUrl": self.r.url(post.path),
            "postId": str(post.id),
        }
        return (
            '<div id="comments" class="comments-area"><div id="disqus_thread"></div></div>'
            f"<script id='disqus_embed-js-extra'>\nvar embedVars = {json.dumps(embed)};\n</script>"
            f"<script src='{self.r.url('/wp-content/plugins/disqus-comment-system/public/js/comment_embed.js')}' "
            "id='disqus_embed-js'></script>"
        )

    def thread_id(self, post: Post) -> str:
        return str(700_000 + post.id)

    def post_by_thread(self, thread: str) -> Post | None:
        return next((p for p in self.site.posts if self.thread_id(p) == thread), None)

    def post_by_identifier(self, identifier: str, url: str) -> Post | None:
        head = identifier.split(" ", 1)[0]
        return next((p for p in self.site.posts if str(p.id) == head or self.r.url(p.path) == url), None)

    def _posts(self, post: Post) -> list[dict]:
        """Every post of the thread in threaded order; trashed ones as Disqus shows deleted posts."""
        out = []
        for c in post.comments:
            deleted = c.status != "approved"
            out.append(
                {
                    "id": str(c.id),
                    "parent": c.parent_id,
                    "thread": self.thread_id(post),
                    "forum": DISQUS_SHORTNAME,
                    "isDeleted": deleted,
                    "isApproved": True,
                    "isSpam": False,
                    "createdAt": c.date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                    "message": "" if deleted else self.r.content_html(c.blocks).strip(),
                    "author": {
                        "name": "Guest" if deleted else c.author,
                        "url": "" if deleted else (c.author_url or ""),
                        "isAnonymous": c.user is None,
                        "username": f"disqus_{c.id}",
                    },
                    "likes": 0 if deleted else c.upvotes,
                    "dislikes": 0 if deleted else (c.downvotes or 0),
                    "points": 0 if deleted else c.upvotes - (c.downvotes or 0),
                    "depth": c.depth - 1,
                }
            )
        return out

    def page(self, post: Post, cursor: str | None) -> tuple[list[dict], dict]:
        """One batch of posts from ``cursor`` and the cursor object that follows it."""
        offset = int((cursor or "0:0:0").split(":", 1)[0] or 0)
        posts = self._posts(post)
        batch = posts[offset : offset + DISQUS_PAGE]
        more = offset + DISQUS_PAGE < len(posts)
        nxt = f"{offset + DISQUS_PAGE}:0:0"
        return batch, {
            "prev": None,
            "hasNext": more,
            "next": nxt if more else None,
            "hasPrev": offset > 0,
            "total": None,
            "id": f"{offset}:0:0",
            "more": more,
        }

    def embed_page(self, post: Post) -> str:
        """``/embed/comments/?f=...&t_i=...``: the iframe page, carrying the first batch as JSON."""
        posts, cursor = self.page(post, None)
        thread = {
            "id": self.thread_id(post),
            "forum": DISQUS_SHORTNAME,
            "title": post.title,
            "link": self.r.url(post.path),
            "identifiers": [f"{post.id} {self.r.url(f'/?p={post.id}')}"],
            "posts": len(post.public_comments),
            "createdAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        }
        data = {"cursor": cursor, "code": 0, "response": {"thread": thread, "posts": posts, "order": "popular"}}
        payload = json.dumps(data).replace("</", "<\\/")
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Disqus Comments</title></head><body>'
            f'<div id="postCompatContainer"></div><script type="text/json" id="disqus-forumData">'
            f'{{"session":{{}},"forum":{{"id":"{DISQUS_SHORTNAME}"}},"apiKey":"{DISQUS_API_KEY}"}}</script>'
            f'<script type="text/json" id="disqus-threadData">{payload}</script></body></html>'
        )

    def list_posts(self, thread: str, cursor: str | None) -> dict:
        """``threads/listPostsThreaded``: the next batch after ``cursor``."""
        post = self.post_by_thread(thread)
        if post is None:
            return {"code": 2, "response": "Invalid argument, 'thread': Unable to find thread"}
        posts, cur = self.page(post, cursor)
        return {"cursor": cur, "code": 0, "response": posts}
