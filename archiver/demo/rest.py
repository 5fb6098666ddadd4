"""The demo site's WordPress REST API (``/wp-json/wp/v2/...``), as core answers unauthenticated requests.

Posts, tags, categories and comments with the fields and headers of core's REST controllers:
``X-WP-Total``, ``X-WP-TotalPages``, ``Link: <...>; rel="next"``, ``per_page`` up to 100, ``_fields``,
400 ``rest_*_invalid_page_number`` past the last page. Comments are the approved ones only (trashed
ones never appear), each with its true ``parent`` even when that parent is in the trash. With
``rest=off`` every route answers 401 as a "disable REST API" plugin does.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from archiver.demo.model import TZ, Comment, Post, Site, Term
from archiver.demo.render import Renderer, texturize

JSON = "application/json; charset=UTF-8"


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any], bytes]:
    return (
        status,
        {"Content-Type": JSON},
        json.dumps({"code": code, "message": message, "data": {"status": status}}).encode(),
    )


# rest_parse_date(): what a ``date-time`` argument must look like, else 400 rest_invalid_param.
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}(?::\d{2})?)?$")


def _date_bounds(query: dict[str, str], names: tuple[str, ...]) -> dict[str, datetime] | tuple[int, dict, bytes]:
    """The date arguments given, as instants (a date without offset is in the site's zone, as core reads it);
    a 400 answer when one is not an ISO 8601 date-time."""
    out = {}
    for name in names:
        value = query.get(name)
        if value is None:
            continue
        if not _ISO.match(value):
            return _error(400, "rest_invalid_param", f"Invalid parameter(s): {name}")
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        out[name] = when if when.tzinfo else when.replace(tzinfo=TZ)
    return out


def _instant(gmt: str) -> datetime:
    return datetime.fromisoformat(gmt).replace(tzinfo=UTC)


def _within(when: datetime, after: datetime | None, before: datetime | None) -> bool:
    """WP_Date_Query's ``after`` and ``before``, not inclusive."""
    return (after is None or when > after) and (before is None or when < before)


def _ordered(items: list, query: dict[str, str], keys: dict) -> list | tuple[int, dict, bytes]:
    """``items`` in the ``orderby``/``order`` asked for (default: newest first); a 400 for a value core refuses."""
    orderby, order = query.get("orderby", "date") or "date", query.get("order", "desc") or "desc"
    if orderby not in keys:
        return _error(400, "rest_invalid_param", "Invalid parameter(s): orderby")
    if order not in ("asc", "desc"):
        return _error(400, "rest_invalid_param", "Invalid parameter(s): order")
    return sorted(items, key=keys[orderby], reverse=order == "desc")


class RestApi:
    """Answers ``/wp-json/wp/v2/`` routes for ``site``."""

    def __init__(self, site: Site, renderer: Renderer) -> None:
        self.site = site
        self.r = renderer
        self._comments: dict[str, list[dict]] = {}  # rendered comment lists, by ``post`` argument

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any], bytes]:
        """(status, headers, body) for a REST route."""
        if self.site.options.rest == "off":
            return _error(401, "rest_not_logged_in", "You are not currently logged in.")
        route = path[len("/wp-json/wp/v2/") :].strip("/")
        if route == "posts":
            posts = self.site.posts
            for key, attr in (("tags", "tags"), ("categories", "categories")):
                if query.get(key):
                    wanted = {int(v) for v in query[key].split(",") if v.isdigit()}
                    posts = [p for p in posts if wanted & {t.id for t in getattr(p, attr)}]
            bounds = _date_bounds(query, ("after", "before", "modified_after", "modified_before"))
            if isinstance(bounds, tuple):
                return bounds
            posts = [
                p
                for p in posts
                if _within(p.date, bounds.get("after"), bounds.get("before"))
                and _within(p.modified_at, bounds.get("modified_after"), bounds.get("modified_before"))
            ]
            keys = {"date": lambda p: (p.date, p.id), "modified": lambda p: (p.modified_at, p.id), "id": lambda p: p.id}
            ordered = _ordered(posts, query, keys)
            if isinstance(ordered, tuple):
                return ordered
            return self._collection("posts", [self.post(p) for p in ordered], query, "rest_post_invalid_page_number")
        if route.startswith("posts/") and route[6:].isdigit():
            try:
                return self._one(self.post(self.site.post_by_id(int(route[6:]))), query)
            except KeyError:
                return _error(404, "rest_post_invalid_id", "Invalid post ID.")
        if route in ("tags", "categories"):
            terms = self.site.tags if route == "tags" else self.site.categories
            return self._collection(route, [self.term(t) for t in terms], query, "rest_invalid_page_number")
        if route == "comments":
            key = query.get("post", "") if query.get("post", "").isdigit() else ""
            if key not in self._comments:
                posts = [p for p in self.site.posts if not key or p.id == int(key)]
                comments = sorted(
                    (c for p in posts for c in p.public_comments + p.rest_extra),
                    key=lambda c: (c.date, c.id),
                    reverse=True,
                )
                self._comments[key] = [self.comment(c) for c in comments]
            items = self._comments[key]
            bounds = _date_bounds(query, ("after", "before"))
            if isinstance(bounds, tuple):
                return bounds
            if bounds or query.get("orderby") or query.get("order"):
                # WP_Comment_Query's date_query reads ``comment_date`` (the site's zone); core turns an ISO
                # ``after`` with an offset into that zone first, so the comparison is between instants.
                items = [
                    c for c in items if _within(_instant(c["date_gmt"]), bounds.get("after"), bounds.get("before"))
                ]
                keys = {
                    "date": lambda c: (c["date_gmt"], c["id"]),
                    "date_gmt": lambda c: (c["date_gmt"], c["id"]),
                    "id": lambda c: c["id"],
                }
                ordered = _ordered(items, query, keys)
                if isinstance(ordered, tuple):
                    return ordered
                items = ordered
            return self._collection("comments", items, query, "rest_comment_invalid_page_number")
        return _error(404, "rest_no_route", "No route was found matching the URL and request method.")

    def _collection(
        self, route: str, items: list[dict], query: dict[str, str], invalid: str
    ) -> tuple[int, dict[str, Any], bytes]:
        per_page = int(query.get("per_page", "10") or 10)
        if not 1 <= per_page <= 100:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
        page = int(query.get("page", "1") or 1)
        total_pages = math.ceil(len(items) / per_page)
        if page > max(1, total_pages):
            return _error(400, invalid, "The page number requested is larger than the number of pages available.")
        headers: dict[str, Any] = {
            "Content-Type": JSON,
            "X-WP-Total": str(len(items)),
            "X-WP-TotalPages": str(total_pages),
        }
        links = []
        for rel, n in (("prev", page - 1), ("next", page + 1)):
            if 1 <= n <= total_pages:
                links.append(
                    f'<{self.r.url(f"/wp-json/wp/v2/{route}")}?{urlencode({**query, "page": n})}>; rel="{rel}"'
                )
        if links:
            headers["Link"] = links
        batch = [self._fields(item, query) for item in items[(page - 1) * per_page : page * per_page]]
        return 200, headers, json.dumps(batch).encode()

    def _one(self, item: dict, query: dict[str, str]) -> tuple[int, dict[str, Any], bytes]:
        return 200, {"Content-Type": JSON}, json.dumps(self._fields(item, query)).encode()

    @staticmethod
    def _fields(item: dict, query: dict[str, str]) -> dict:
        wanted = [f.strip().split(".", 1)[0] for f in query.get("_fields", "").split(",") if f.strip()]
        return {k: v for k, v in item.items() if k in wanted} if wanted else item

    def post(self, p: Post) -> dict:
        """``WP_REST_Posts_Controller::prepare_item_for_response`` (view context)."""
        local = p.date.astimezone(TZ)
        return {
            "id": p.id,
            "date": local.strftime("%Y-%m-%dT%H:%M:%S"),
            "date_gmt": p.date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "guid": {"rendered": self.r.url(f"/?p={p.id}")},
            "slug": p.slug,
            "status": "publish",
            "type": "post",
            "modified": p.modified_at.astimezone(TZ).strftime("%Y-%m-%dT%H:%M:%S"),
            "modified_gmt": p.modified_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "link": self.r.url(p.path),
            "title": {"rendered": texturize(p.title)},
            "author": p.author.id,
            "comment_status": "open",
            "categories": [c.id for c in p.categories],
            "tags": [t.id for t in p.tags],
        }

    def term(self, t: Term) -> dict:
        """``WP_REST_Terms_Controller`` fields."""
        count = sum(1 for p in self.site.posts if t in p.tags + p.categories)
        return {
            "id": t.id,
            "count": count,
            "link": self.r.url(t.path),
            "name": t.name,
            "slug": t.slug,
            "taxonomy": t.taxonomy,
        }

    def comment(self, c: Comment) -> dict:
        """``WP_REST_Comments_Controller::prepare_item_for_response`` (view context)."""
        post = self.site.post_by_id(c.post_id)
        return {
            "id": c.id,
            "post": c.post_id,
            "parent": c.parent_id or 0,
            "author": c.user.id if c.user else 0,
            "author_name": c.author,
            "author_url": c.author_url or "",
            "date": c.date.astimezone(TZ).strftime("%Y-%m-%dT%H:%M:%S"),
            "date_gmt": c.date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            # comment_text(): the real Comments Like Dislike filters it, so its widget is in content.rendered too
            "content": {
                "rendered": self.r.comment_text(c)
                if self.site.options.cld == "on" and self.site.options.platform == "wordpress"
                else self.r.content_html(c.blocks)
            },
            "link": self.r.comment_link(post, c),
            "status": "approved",
            "type": "comment",
        }
