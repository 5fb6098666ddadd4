"""Serve the demo site over HTTP with Twisted, routing URLs the way WordPress does.

``serve_forever()`` is what ``python -m archiver.demo`` and ``recap-archiver demo-site`` run;
``make_resource()`` and ``listen()`` let tests serve the site inside their own reactor.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlencode

from twisted.web.resource import Resource
from twisted.web.server import Request
from twisted.web.server import Site as WebSite

from archiver.demo.model import SITE_TAGLINE, TZ, Site, SiteOptions, build_site, truth
from archiver.demo.plugins import DisqusRenderer, WpdiscuzRenderer
from archiver.demo.render import Renderer, esc, html_class, term_heading
from archiver.demo.rest import RestApi

HTML = "text/html; charset=UTF-8"
NOCACHE = {
    "Expires": "Wed, 11 Jan 1984 05:00:00 GMT",
    "Cache-Control": "no-cache, must-revalidate, max-age=0, no-store, private",
}
_PAGED = r"(?:page/(?P<page>\d+)/)?"
_LISTINGS = [
    ("home", re.compile(rf"^/{_PAGED}$")),
    ("tag", re.compile(rf"^/tag/(?P<slug>[^/]+)/{_PAGED}$")),
    ("category", re.compile(rf"^/category/(?P<slug>[^/]+)/{_PAGED}$")),
    ("author", re.compile(rf"^/author/(?P<slug>[^/]+)/{_PAGED}$")),
    ("month", re.compile(rf"^/(?P<year>\d{{4}})/(?P<month>\d{{2}})/{_PAGED}$")),
]
_POST = re.compile(
    r"^/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<slug>[^/]+)/(?:comment-page-(?P<cpage>\d+)/|(?P<feed>feed)/)?$"
)


@dataclass
class Response:
    """What a route answers: status, headers and body."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str | list[str]] | None = None


class DemoResource(Resource):
    """One leaf resource answering every path of the demo site."""

    isLeaf = True

    def __init__(self, site: Site, base_url: str | None = None) -> None:
        super().__init__()
        self.site = site
        self.renderer: Renderer | None = None
        if base_url:
            self.set_base_url(base_url)

    def set_base_url(self, base_url: str) -> None:
        """Set the absolute base (``http://127.0.0.1:PORT/``) every link is built from."""
        self.base_url = base_url.rstrip("/") + "/"
        self.renderer = Renderer(self.site, self.base_url)

    # ----------------------------------------------------------------- Twisted
    def render_GET(self, request: Request) -> bytes:
        """Route the request and write status and headers; HEAD reuses this (Twisted drops the body)."""
        path = request.path.decode("ascii", "replace")
        path = re.sub(r"%[0-9A-Fa-f]{2}", lambda m: m.group(0).lower(), path)
        query = {k.decode("utf-8", "replace"): v[-1].decode("utf-8", "replace") for k, v in request.args.items()}
        response = self.route(path, query, request)
        return self.write(request, response)

    def render_POST(self, request: Request) -> bytes:
        """``/wp-admin/admin-ajax.php`` (wpDiscuz); anything else is not found."""
        form = {k.decode("utf-8", "replace"): v[-1].decode("utf-8", "replace") for k, v in request.args.items()}
        if request.path.decode("ascii", "replace") == "/wp-admin/admin-ajax.php" and self.site.options.platform == "wpdiscuz":
            answer = WpdiscuzRenderer(self.site, self.renderer).ajax(form)
            return self.write(request, self.json(answer))
        return self.write(request, self.not_found())

    @staticmethod
    def write(request: Request, response: Response) -> bytes:
        """Write status and headers of ``response``; return its body."""
        request.setResponseCode(response.status)
        request.setHeader("Server", "nginx")
        for name, value in (response.headers or {}).items():
            values = value if isinstance(value, list) else [value]
            request.responseHeaders.setRawHeaders(name, values)
        return response.body

    @staticmethod
    def json(data: object, status: int = 200, headers: dict | None = None) -> Response:
        """A JSON response."""
        return Response(status=status, body=json.dumps(data).encode(),
                        headers={"Content-Type": "application/json; charset=UTF-8", **(headers or {})})

    # ------------------------------------------------------------------ routing
    def route(self, path: str, query: dict[str, str], request: Request | None = None) -> Response:
        """The response for ``path`` and its query arguments."""
        assert self.renderer is not None, "set_base_url() first"
        r = self.renderer
        if path == "/robots.txt":
            return Response(body=r.robots_txt().encode(), headers={"Content-Type": "text/plain; charset=utf-8"})
        if path == "/wp-login.php":
            return self.html(r.login(), extra=NOCACHE)
        if path == "/wp-sitemap.xml":
            return Response(body=r.sitemap().encode(), headers={"Content-Type": "application/xml; charset=UTF-8"})
        if path.startswith("/wp-json/wp/v2/") or (path == "/wp-json/" and self.site.options.rest == "off"):
            status, headers, body = RestApi(self.site, r).answer(path, query)
            return Response(status=status, body=body, headers=headers)
        if path == "/embed/comments/" or path == "/api/3.0/threads/listPostsThreaded":
            return self.disqus(path, query)
        if path == "/wp-json/":
            index = {"name": self.site.name, "url": self.base_url.rstrip("/"), "home": self.base_url.rstrip("/"),
                     "namespaces": ["oembed/1.0", "wp/v2"], "routes": {}}
            return Response(body=json.dumps(index).encode(), headers={"Content-Type": "application/json; charset=UTF-8"})
        if path == "/" and query.get("p", "").isdigit():
            try:
                return self.redirect(r.url(self.site.post_by_id(int(query["p"])).path))
            except KeyError:
                return self.not_found()
        if not path.endswith("/"):
            if "." in path.rsplit("/", 1)[-1]:
                return self.not_found()
            suffix = f"?{urlencode(query)}" if query else ""
            return self.redirect(r.url(path + "/") + suffix)
        if path == "/feed/":
            xml, updated = r.posts_feed()
            return self.feed(xml, updated, request)
        if path == "/comments/feed/":
            xml, updated = r.comments_feed(None)
            return self.feed(xml, updated, request)
        match = _POST.match(path)
        if match:
            return self.post(match, query, request)
        for kind, pattern in _LISTINGS:
            match = pattern.match(path)
            if match:
                return self.listing(kind, match)
        return self.not_found()

    def post(self, match: re.Match, query: dict[str, str], request: Request | None) -> Response:
        """A single post, one of its comment pages, its comments feed, or a canonical redirect."""
        r = self.renderer
        post = next((p for p in self.site.posts if p.path == "/{y}/{m}/{d}/{slug}/".format(**match.groupdict())), None)
        if post is None:
            return self.not_found()
        if match["feed"]:
            xml, updated = r.comments_feed(post)
            return self.feed(xml, updated, request)
        post_url = r.url(post.path)
        if query.get("cpage", "").isdigit():
            wanted = int(query["cpage"])
            if 1 <= wanted <= post.comment_pages:
                return self.redirect(r.comment_page_url(post, wanted))
            return self.redirect(post_url)
        explicit = match["cpage"] is not None
        page = int(match["cpage"]) if explicit else post.comment_pages
        if not 1 <= page <= post.comment_pages:
            return self.redirect(post_url)
        reply_to = None
        if query.get("replytocom", "").isdigit():
            reply_to = next((c for c in post.comments if c.id == int(query["replytocom"])), None)
        body = r.post_page(post, page, explicit, reply_to)
        links = [
            f'<{r.url("/wp-json/")}>; rel="https://api.w.org/"',
            f'<{r.url(f"/wp-json/wp/v2/posts/{post.id}")}>; rel="alternate"; type="application/json"',
            f"<{r.url(f'/?p={post.id}')}>; rel=shortlink",
        ]
        return Response(body=body.encode(), headers={"Content-Type": HTML, "Link": links})

    def disqus(self, path: str, query: dict[str, str]) -> Response:
        """The Disqus stand-in: the embed page, or the next batch of a thread's posts."""
        disqus = DisqusRenderer(self.site, self.renderer)
        if path == "/embed/comments/":
            post = disqus.post_by_identifier(query.get("t_i", ""), query.get("t_u", ""))
            if post is None:
                return self.not_found()
            return Response(body=disqus.embed_page(post).encode(), headers={"Content-Type": "text/html; charset=utf-8"})
        return self.json(disqus.list_posts(query.get("thread", ""), query.get("cursor")))

    def listing(self, kind: str, match: re.Match) -> Response:
        """Home, tag, category, author or monthly archive page."""
        r = self.renderer
        posts = self.site.posts
        paged = int(match["page"]) if match["page"] else 1
        if kind == "home":
            base, heading, classes = "/", None, ["home", "blog"]
            title = f"{esc(self.site.name)} &#8211; {esc(SITE_TAGLINE)}"
        elif kind in ("tag", "category"):
            terms = self.site.tags if kind == "tag" else self.site.categories
            term = next((t for t in terms if t.slug == match["slug"]), None)
            if term is None:
                return self.not_found()
            posts = [p for p in posts if term in (p.tags if kind == "tag" else p.categories)]
            base, heading = term.path, term_heading(term)
            title = f"{esc(term.name)} &#8211; {esc(self.site.name)}"
            classes = ["archive", kind, f"{kind}-{html_class(term.slug, term.id)}", f"{kind}-{term.id}"]
        elif kind == "author":
            author = next((a for a in self.site.authors if a.nicename == match["slug"]), None)
            if author is None:
                return self.not_found()
            posts = [p for p in posts if p.author is author]
            base, heading = f"/author/{author.nicename}/", f'Author: <span class="vcard">{esc(author.name)}</span>'
            title = f"{esc(author.name)} &#8211; {esc(self.site.name)}"
            classes = ["archive", "author", f"author-{author.nicename}", f"author-{author.id}"]
        else:
            prefix = f"{match['year']}-{match['month']}"
            posts = [p for p in posts if p.date.astimezone(TZ).strftime("%Y-%m") == prefix]
            base = f"/{match['year']}/{match['month']}/"
            label = datetime(int(match["year"]), int(match["month"]), 1).strftime("%B %Y") if posts else ""
            heading, title = f"Month: <span>{label}</span>", f"{label} &#8211; {esc(self.site.name)}"
            classes = ["archive", "date"]
        per = self.site.options.posts_per_page
        pages = max(1, math.ceil(len(posts) / per))
        if not posts or paged > pages:
            return self.not_found()
        if match["page"] and paged == 1:
            return self.redirect(r.url(base))
        if paged > 1:
            classes.insert(2 if kind == "home" else 1, "paged")
            section = {"home": "blog", "month": "date"}.get(kind, kind)
            classes += [f"paged-{paged}", f"{section}-paged-{paged}"]
        body = r.listing(posts[(paged - 1) * per: paged * per], paged, pages, base, title, " ".join(classes), heading)
        return self.html(body)

    # ---------------------------------------------------------------- answers
    def html(self, body: str, status: int = 200, extra: dict[str, str] | None = None) -> Response:
        """An HTML response with the REST API discovery header (no ETag, no Last-Modified)."""
        headers: dict = {"Content-Type": HTML, "Link": f'<{self.renderer.url("/wp-json/")}>; rel="https://api.w.org/"'}
        headers.update(extra or {})
        return Response(status=status, body=body.encode(), headers=headers)

    def not_found(self) -> Response:
        """The themed 404 page with ``nocache_headers()``."""
        return self.html(self.renderer.not_found(), status=404, extra=NOCACHE)

    @staticmethod
    def redirect(location: str) -> Response:
        """A 301 as ``wp_redirect()`` sends it."""
        return Response(status=301, headers={"Location": location, "X-Redirect-By": "WordPress",
                                             "Content-Type": HTML})

    @staticmethod
    def feed(xml: str, updated: datetime, request: Request | None) -> Response:
        """An RSS response with ``Last-Modified``/``ETag``, answering conditional GETs with 304."""
        last_modified = format_datetime(updated, usegmt=True)
        etag = '"' + hashlib.md5(last_modified.encode()).hexdigest() + '"'
        headers = {"Content-Type": "application/rss+xml; charset=UTF-8", "Last-Modified": last_modified, "ETag": etag}
        if request is not None:
            inm = (request.getHeader("If-None-Match") or "").strip()
            ims = request.getHeader("If-Modified-Since")
            fresh = inm == etag
            if not inm and ims:
                try:
                    fresh = parsedate_to_datetime(ims) >= updated.replace(microsecond=0)
                except (TypeError, ValueError):
                    fresh = False
            if fresh:
                return Response(status=304, headers=headers)
        return Response(body=xml.encode(), headers=headers)


def make_resource(site: Site, base_url: str) -> DemoResource:
    """A Twisted resource serving ``site`` with links under ``base_url``."""
    return DemoResource(site, base_url)


def listen(options: SiteOptions, host: str = "127.0.0.1", port: int = 8000):
    """Start listening (port 0 picks a free port); returns (listening port, base URL, site)."""
    from twisted.internet import reactor  # imported late: importing it installs the default reactor

    site = build_site(options)
    resource = DemoResource(site)
    factory = WebSite(resource)
    factory.displayTracebacks = False
    listening = reactor.listenTCP(port, factory, interface=host)
    base_url = f"http://{host}:{listening.getHost().port}/"
    resource.set_base_url(base_url)
    return listening, base_url, site


def serve_forever(options: SiteOptions, host: str = "127.0.0.1", port: int = 8000, truth_path: str | None = None) -> None:
    """Serve the demo site until SIGTERM/SIGINT, after writing the ground truth to ``truth_path``."""
    _, base_url, site = listen(options, host, port)
    if truth_path:
        with open(truth_path, "w", encoding="utf-8") as fh:
            json.dump(truth(site, base_url), fh, ensure_ascii=False, indent=1)
    from twisted.internet import reactor

    def announce() -> None:
        # Printed once the reactor runs, so its SIGTERM/SIGINT handlers are already installed.
        sys.stdout.write(f"Serving demo recap site at {base_url}\n")
        sys.stdout.flush()

    reactor.callWhenRunning(announce)
    reactor.run()
