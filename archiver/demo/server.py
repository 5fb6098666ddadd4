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
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlencode

from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request
from twisted.web.server import Site as WebSite

from archiver.demo import traps
from archiver.demo.faults import HTML_FOR_JSON, Fault, cut_json, thread_fault, truncate_comment_list
from archiver.demo.hostile import (
    ESCAPE_REDIRECT,
    bounds_ajax,
    bounds_page,
    bounds_rest_post,
    endless_page,
    endless_rest,
    escape_listing,
    escape_on,
    escape_post,
)
from archiver.demo.model import SITE_TAGLINE, TZ, Site, SiteOptions, bare_page, build_site, truth
from archiver.demo.plugins import DisqusRenderer, WpdiscuzRenderer
from archiver.demo.render import Renderer, esc, html_class, term_heading
from archiver.demo.rest import RestApi

STALE_NONCE = "0bad0c0ffe"
"""The nonce ``--wpd-stale-nonce on`` hands out first: every load-more carrying it answers ``Nonce is invalid.``"""

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
    ("show", re.compile(rf"^/shows/(?P<slug>[^/]+)/{_PAGED}$")),
]
_SITEMAP = re.compile(r"^/wp-sitemap(?:-posts-post-(?P<page>\d+))?\.xml$")
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
        self.rest: RestApi | None = None
        self.faults: dict[str, Fault] = {f.path: f for f in site.faults}
        self.attempts: Counter[str] = Counter()  # "METHOD /path?query" -> requests so far
        self.faults_served: Counter[str] = Counter()  # fault kind -> faulty answers given
        self.trap_counts: Counter[str] = Counter({family: 0 for family in traps.FAMILIES})
        self._post_pages: dict[tuple, bytes] = {}  # rendered post pages (the site never changes while served)
        if base_url:
            self.set_base_url(base_url)

    def set_base_url(self, base_url: str) -> None:
        """Set the absolute base (``http://127.0.0.1:PORT/``) every link is built from."""
        self.base_url = base_url.rstrip("/") + "/"
        self.renderer = Renderer(self.site, self.base_url)
        self.rest = RestApi(self.site, self.renderer)
        self._post_pages.clear()

    def stats(self) -> dict:
        """What ``GET /__demo/stats.json`` answers: requests, attempts per URL, faults served, trap hits."""
        return {
            "requests": sum(self.attempts.values()),
            "traps": dict(self.trap_counts),
            "faults_served": dict(self.faults_served),
            "attempts": dict(self.attempts),
        }

    # ----------------------------------------------------------------- Twisted
    def render_GET(self, request: Request) -> bytes:
        """Route the request and write status and headers; HEAD reuses this (Twisted drops the body)."""
        path = request.path.decode("ascii", "replace")
        path = re.sub(r"%[0-9A-Fa-f]{2}", lambda m: m.group(0).lower(), path)
        query = {k.decode("utf-8", "replace"): v[-1].decode("utf-8", "replace") for k, v in request.args.items()}
        if path == traps.STATS_PATH:
            return self.write(request, self.json(self.stats(), headers=NOCACHE))
        uri = request.uri.decode("ascii", "replace")
        if self.faults:
            # One request per connection in fault mode: a client never reuses a connection, so its HTTP stack
            # cannot silently retry a reset request (Twisted's connection pool retries once on a reused
            # connection), and every attempt the server counts is one the crawler made.
            request.setHeader("Connection", "close")
            request.channel.persistent = False
        key = f"{request.method.decode('ascii', 'replace')} {uri}"
        self.attempts[key] += 1
        fault = self.faults.get(uri)
        if fault is not None and self.attempts[key] <= fault.failing_attempts:
            self.faults_served[fault.kind] += 1
            return self.serve_fault(request, fault, path, query)
        response = self.route(path, query, request)
        kind = thread_fault(self.site, path, query, self.attempts[key])
        if kind is not None and response.status == 200:
            self.faults_served[kind] += 1
            body = cut_json(response.body) if kind == "rest_cut" else HTML_FOR_JSON.encode()
            headers = dict(response.headers or {}, **({"Content-Type": HTML} if kind == "rest_html" else {}))
            response = Response(status=200, body=body, headers=headers)
        return self.write(request, response)

    def serve_fault(self, request: Request, fault: Fault, path: str, query: dict[str, str]) -> bytes | int:
        """Answer ``request`` with ``fault`` (see ``archiver.demo.faults``); NOT_DONE_YET when it writes itself."""
        options = self.site.options
        if fault.kind in ("500", "503", "429"):
            status = int(fault.kind)
            headers = {"Content-Type": HTML, **NOCACHE}
            if status == 429:
                headers["Retry-After"] = str(options.retry_after)
            return self.write(request, Response(status=status, body=error_page(status).encode(), headers=headers))
        if fault.kind == "reset":
            request.channel.transport.abortConnection()
            return NOT_DONE_YET
        response = self.route(path, query, request)
        if fault.kind == "truncated":
            cut = truncate_comment_list(response.body, fault.cut)
            return self.write(request, Response(status=response.status, body=cut, headers=response.headers))
        body = self.write(request, response)
        request.setHeader("Content-Length", str(len(body)))
        if fault.kind == "short":
            request.write(body[: len(body) // 2])
            request.channel.transport.loseConnection()
            return NOT_DONE_YET
        from twisted.internet import reactor  # stall: answer in full, but only after options.stall seconds

        gone: list[bool] = []

        def answer() -> None:
            if not gone:
                request.write(body)
                request.finish()

        call = reactor.callLater(options.stall, answer)

        def client_left(_failure) -> None:
            gone.append(True)
            if call.active():
                call.cancel()

        request.notifyFinish().addErrback(client_left)
        return NOT_DONE_YET

    def render_POST(self, request: Request) -> bytes:
        """``/wp-admin/admin-ajax.php`` (wpDiscuz); anything else is not found."""
        form = {k.decode("utf-8", "replace"): v[-1].decode("utf-8", "replace") for k, v in request.args.items()}
        if request.path.decode("ascii", "replace") == "/wp-admin/admin-ajax.php" and self.site.options.hostile == "on":
            answer = bounds_ajax(self.site, self.renderer, form)  # the wpDiscuz posts of hostile mode, any platform
            if answer is not None:
                self.attempts[f"POST {form.get('action', '')}"] += 1
                return self.write(request, self.json(answer))
        if (
            request.path.decode("ascii", "replace") == "/wp-admin/admin-ajax.php"
            and self.site.options.platform == "wpdiscuz"
        ):
            wpdiscuz = WpdiscuzRenderer(self.site, self.renderer)
            action = form.get("action", "")
            self.attempts[f"POST {action}"] += 1
            if self.site.options.wpd_stale_nonce == "on":
                if action == "wpdGetNonce" and self.attempts["POST wpdGetNonce"] == 1:
                    # the first nonce handed out has gone stale (nonces live 12-24 hours) by the time it is used
                    return self.write(request, self.json({"success": True, "data": {"wpdiscuz_nonce": STALE_NONCE}}))
                if action == "wpdLoadMoreComments" and form.get("wpdiscuz_nonce") == STALE_NONCE:
                    self.faults_served["wpd_stale_nonce"] += 1
            answer = wpdiscuz.ajax(form)
            if isinstance(answer, str):  # wp_die() in an AJAX request: its message as plain HTML, status 200
                return self.write(request, Response(body=answer.encode(), headers={"Content-Type": HTML}))
            return self.write(request, self.json(answer))
        return self.write(request, self.not_found())

    @staticmethod
    def write(request: Request, response: Response) -> bytes:
        """Write status and headers of ``response``; return its body."""
        request.setResponseCode(response.status, b"Too Many Requests" if response.status == 429 else None)
        request.setHeader("Server", "nginx")
        for name, value in (response.headers or {}).items():
            values = value if isinstance(value, list) else [value]
            request.responseHeaders.setRawHeaders(name, values)
        return response.body

    @staticmethod
    def json(data: object, status: int = 200, headers: dict | None = None) -> Response:
        """A JSON response."""
        return Response(
            status=status,
            body=json.dumps(data).encode(),
            headers={"Content-Type": "application/json; charset=UTF-8", **(headers or {})},
        )

    # ------------------------------------------------------------------ routing
    def route(self, path: str, query: dict[str, str], request: Request | None = None) -> Response:
        """The response for ``path`` and its query arguments."""
        assert self.renderer is not None, "set_base_url() first"
        r = self.renderer
        if path == "/robots.txt":
            return Response(body=r.robots_txt().encode(), headers={"Content-Type": "text/plain; charset=utf-8"})
        if path == traps.LOOP_PATH and traps.on(self.site):
            self.trap_counts["redirect_loop"] += 1
            target = r.url(traps.LOOP_PATH) if query.get("r") else r.url(traps.LOOP_PATH) + "?r=1"
            return Response(status=302, headers={"Location": target, "Content-Type": HTML})
        if path == ESCAPE_REDIRECT and escape_on(self.site):
            return Response(
                status=302, headers={"Location": self.site.options.canary + "redirected/", "Content-Type": HTML}
            )
        if path == "/wp-login.php":
            return self.html(r.login(), extra=NOCACHE)
        sitemap = _SITEMAP.match(path)
        if sitemap and self.site.options.sitemap == "on":
            xml = r.sitemap_index() if sitemap["page"] is None else r.sitemap(int(sitemap["page"]))
            if xml is None:
                return self.not_found()
            return Response(body=xml.encode(), headers={"Content-Type": "application/xml; charset=UTF-8"})
        if path.startswith("/wp-json/wp/v2/") or (path == "/wp-json/" and self.site.options.rest == "off"):
            status, headers, body = self.rest.answer(path, query)
            endless = bounds_rest_post(self.site, path, query) if self.site.options.hostile == "on" else None
            if endless is not None:
                status, headers, body = endless_rest(endless, query, (status, headers, body))
            return Response(status=status, body=body, headers=headers)
        if path == "/embed/comments/" or path == "/api/3.0/threads/listPostsThreaded":
            return self.disqus(path, query)
        if path == "/wp-json/":
            index = {
                "name": self.site.name,
                "url": self.base_url.rstrip("/"),
                "home": self.base_url.rstrip("/"),
                "namespaces": ["oembed/1.0", "wp/v2"],
                "routes": {},
            }
            return Response(
                body=json.dumps(index).encode(), headers={"Content-Type": "application/json; charset=UTF-8"}
            )
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
        if self.site.options.feeds == "off" and (path.endswith("/feed/") or path == "/feed/"):
            return self.not_found()
        if path == "/feed/":
            xml, updated = r.posts_feed()
            return self.feed(xml, updated, request)
        if path == "/comments/feed/":
            xml, updated = r.comments_feed(None)
            return self.feed(xml, updated, request)
        if path == "/recaps/all/" and self.site.options.layout == "dramabeans":
            return self.html(r.recap_index())
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
        page = int(match["cpage"]) if explicit else bare_page(self.site.options, post)
        if not 1 <= page <= post.comment_pages and not endless_page(post, page):
            return self.redirect(post_url)
        reply_to = None
        if "replytocom" in query:
            self.trap_counts["replytocom"] += 1
        if traps.on(self.site) and ("comment_order" in query or "orderby" in query):
            self.trap_counts["comment_order"] += 1
        if query.get("replytocom", "").isdigit():
            reply_to = next((c for c in post.comments if c.id == int(query["replytocom"])), None)
        if reply_to is None:
            key = (post.id, page, explicit)
            if key not in self._post_pages:
                self._post_pages[key] = r.post_page(post, page, explicit, None).encode()
            body = self._post_pages[key]
        else:
            body = r.post_page(post, page, explicit, reply_to).encode()
        content_type = HTML
        if post.hostile.get("kind") == "charset":  # a misconfigured server: the page itself says UTF-8
            content_type = f"text/html; charset={post.hostile['charset_header']}"
        links = [
            f'<{r.url("/wp-json/")}>; rel="https://api.w.org/"',
            f'<{r.url(f"/wp-json/wp/v2/posts/{post.id}")}>; rel="alternate"; type="application/json"',
            f"<{r.url(f'/?p={post.id}')}>; rel=shortlink",
        ]
        if post.hostile.get("kind") == "escape":
            body, links = escape_post(body, links, r, self.site.options.canary)
        elif post.hostile.get("kind") == "bounds":
            body = bounds_page(body, post, page, r)
        return Response(body=body, headers={"Content-Type": content_type, "Link": links})

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
        endless = traps.on(self.site)
        endless_month = False
        calendar = None
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
        elif kind == "show":
            # A Dramabeans-style series page: a custom "shows" taxonomy listing the series' recaps.
            series = next((x for x in self.site.series if x.slug == match["slug"]), None)
            if series is None or self.site.options.layout != "dramabeans":
                return self.not_found()
            posts = [p for p in posts if p.series is series]
            base, heading = f"/shows/{series.slug}/", f"Show: <span>{esc(series.name)}</span>"
            title = f"{esc(series.name)} &#8211; {esc(self.site.name)}"
            classes = [
                "archive",
                "tax-shows",
                f"term-{html_class(series.slug, series.tag.id)}",
                f"term-{series.tag.id}",
            ]
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
            month = (int(match["year"]), int(match["month"]))
            endless_month = not posts and endless and paged == 1 and traps.valid_month(*month)
            label = traps.month_label(*month) if posts or endless_month else ""
            heading, title = f"Month: <span>{label}</span>", f"{label} &#8211; {esc(self.site.name)}"
            classes = ["archive", "date"]
            if endless and traps.valid_month(*month):
                calendar = month
            if endless_month:
                self.trap_counts["calendar"] += 1
                classes = ["archive", "date", "search-no-results"]
        per = self.site.options.posts_per_page
        pages = max(1, math.ceil(len(posts) / per))
        if (not posts and not endless_month) or (paged > pages and not endless):
            return self.not_found()
        if match["page"] and paged == 1:
            return self.redirect(r.url(base))
        shown = posts[(paged - 1) * per : paged * per]
        if paged > pages:  # the buggy theme's endless "Next": the last page again
            self.trap_counts["paged_beyond"] += 1
            shown = posts[(pages - 1) * per : pages * per]
        if paged > 1:
            classes.insert(2 if kind == "home" else 1, "paged")
            section = {"home": "blog", "month": "date"}.get(kind, kind)
            classes += [f"paged-{paged}", f"{section}-paged-{paged}"]
        body = r.listing(
            shown, paged, pages, base, title, " ".join(classes), heading, endless=endless, calendar=calendar
        )
        if kind == "home" and paged == 1 and escape_on(self.site):
            body = escape_listing(body, r, self.site.options.canary)
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
        return Response(status=301, headers={"Location": location, "X-Redirect-By": "WordPress", "Content-Type": HTML})

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


def error_page(status: int) -> str:
    """What ``wp_die()`` (500), maintenance mode (503) or a rate-limiting proxy (429) answers."""
    message = {
        500: ("WordPress &rsaquo; Error", "<p>There has been a critical error on this website.</p>"),
        503: ("Maintenance", "<h1>Briefly unavailable for scheduled maintenance. Check back in a minute.</h1>"),
        429: ("429 Too Many Requests", "<h1>429 Too Many Requests</h1><p>Slow down.</p>"),
    }[status]
    return (
        f'<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta http-equiv="Content-Type" content="text/html; '
        f'charset=utf-8" />\n<title>{message[0]}</title>\n</head>\n<body id="error-page">\n'
        f'\t<div class="wp-die-message">{message[1]}</div>\n</body>\n</html>\n'
    )


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


def serve_forever(
    options: SiteOptions, host: str = "127.0.0.1", port: int = 8000, truth_path: str | None = None
) -> None:
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
