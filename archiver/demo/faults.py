"""Fault mode for the demo site (``--faults F``): which URLs fail at first, how, and for how many attempts.

``plan_faults(site)`` picks ``ceil(F * n)`` of the ``n`` fault-eligible URLs (``eligible_paths``) with a
``random.Random`` seeded by the site's seed, and gives them kinds round-robin over ``KINDS``, so that every
kind appears once seven or more URLs are faulted. A faulted URL answers with its fault for its first
``failing_attempts`` requests (counted per method and path+query by the server), then normally. About a
quarter of the faults are *hard* (``HARD_ATTEMPTS`` failing attempts: more than Scrapy's default RETRY_TIMES=3
allows, so a first crawl loses them and a second crawl gets them at once); the rest fail once or twice. Hard
faults are only on post pages (a bare post URL or a comment page), one per post, and a post with a hard fault
has no other fault: the home and listing pages always come through a crawl with retries, and every faulted URL
is one a first crawl asks for (unless ``faults`` is so high that nothing else is left to fault).

Fault-eligible: the home page and its ``/page/N/``, every post's bare URL and, where threads are paged,
each ``comment-page-N/`` but the one the bare URL shows (so a crawl never asks for it).
Never robots.txt, feeds, REST JSON or anything else.

Thread steps fault apart from this plan (``thread_fault``): with ``rest_cut N`` (or ``always``) the busiest
post's REST comments answers come back HTTP 200 with their JSON cut mid-way for their first N attempts (each
URL counted apart), with ``rest_html N`` as an HTML page where JSON was expected, and with ``wpd_stale_nonce
on`` the first wpDiscuz nonce handed out is stale: every load-more carrying it answers ``Nonce is invalid.``
(HTTP 200, text/html, as ``wp_die()`` answers AJAX) until the crawl asks for a new nonce.

Kinds: ``500``, ``503``, ``429`` (with ``Retry-After: <retry_after>``), ``reset`` (the connection is aborted
with no response), ``stall`` (the response comes only after ``stall`` seconds), ``short`` (``Content-Length``
larger than the body, then the connection closes), ``truncated`` (a 200 whose HTML stops just after a
``</li>`` of the comment list: no ``</ol>``, no navigation after the list, no ``</html>``; only pages that
show comments get it).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from archiver.demo.model import Post, Site, bare_page, paged

KINDS = ("500", "503", "429", "reset", "stall", "short", "truncated")
HARD_ATTEMPTS = 4
"""Failing attempts of a hard fault: Scrapy's RETRY_TIMES=3 makes 4 attempts in all."""


@dataclass(frozen=True)
class Fault:
    """One faulted URL (site-relative ``path``, as the crawler requests it)."""

    path: str
    kind: str
    failing_attempts: int
    cut: int = 0  # which ``</li>`` a truncated page stops after (modulo the count on the page)

    @property
    def hard(self) -> bool:
        """True when a crawl with Scrapy's default retries cannot get past it."""
        return self.failing_attempts >= HARD_ATTEMPTS


def listing_pages(site: Site) -> int:
    """How many home pages (``/``, ``/page/2/``, ...) the site has."""
    return max(1, math.ceil(len(site.posts) / site.options.posts_per_page))


def post_page_paths(site: Site, post: Post) -> list[tuple[str, int]]:
    """(path, comment page shown) for every page of ``post`` a crawl fetches: the bare URL first."""
    bare = bare_page(site.options, post)
    out = [(post.path, bare)]
    if paged(site.options):
        out += [(f"{post.path}comment-page-{n}/", n) for n in range(1, post.comment_pages + 1) if n != bare]
    return out


def eligible_paths(site: Site) -> list[str]:
    """Every fault-eligible path, in a fixed order (home pages, then each post's pages)."""
    paths = ["/"] + [f"/page/{n}/" for n in range(2, listing_pages(site) + 1)]
    for post in sorted(site.posts, key=lambda p: p.date):
        paths += [path for path, _ in post_page_paths(site, post)]
    return paths


def truncatable_paths(site: Site) -> set[str]:
    """Eligible paths whose page shows at least one comment in ``ol.comment-list``."""
    if site.options.platform != "wordpress":
        return set()
    return {path for post in site.posts for path, page in post_page_paths(site, post) if post.page_comments(page)}


def plan_faults(site: Site) -> list[Fault]:
    """The faulted URLs for ``site.options.faults``; the same options always give the same faults.

    Hard faults come first, one per post and only on post pages; a post with a hard fault has no other
    fault (while the fraction allows), so every faulted URL is one a first crawl asks for, whatever order
    it fetches a thread's pages in.
    """
    fraction = site.options.faults
    if fraction <= 0:
        return []
    rng = random.Random(f"{site.options.seed}-faults")
    order = eligible_paths(site)
    rng.shuffle(order)
    total = max(1, math.ceil(fraction * len(order) - 1e-9))
    owner = {path: post.path for post in site.posts for path, _ in post_page_paths(site, post)}
    hard: list[str] = []
    for path in order:
        if len(hard) >= (round(total / 4) if total >= 4 else 0):
            break
        if path in owner and owner[path] not in {owner[h] for h in hard}:
            hard.append(path)
    hard_posts = {owner[h] for h in hard}
    rest = [p for p in order if p not in hard and owner.get(p) not in hard_posts]
    rest += [p for p in order if p not in hard and p not in rest]  # only when the fraction needs them
    chosen = hard + rest[: total - len(hard)]
    truncatable = truncatable_paths(site)
    if len(chosen) >= len(KINDS) and not truncatable & set(chosen):
        spare = next((p for p in rest[total - len(hard) :] if p in truncatable), None)
        if spare is not None:
            chosen[-1] = spare
    chosen.sort(key=order.index)
    faults: list[Fault] = []
    remaining = list(chosen)
    turn = 0
    while remaining:
        kind = KINDS[turn % len(KINDS)]
        turn += 1
        if kind == "truncated":
            path = next((p for p in remaining if p in truncatable), None)
            if path is None:
                continue
        else:
            path = remaining[0]
        remaining.remove(path)
        attempts = HARD_ATTEMPTS if path in hard else rng.choice([1, 2])
        faults.append(Fault(path, kind, attempts, rng.randrange(1 << 16)))
    return faults


def attempts_failing(setting: str) -> float:
    """How many attempts a thread-step fault lasts: a number, or ``always`` (infinity)."""
    return math.inf if setting == "always" else int(setting)


def busiest_post(site: Site) -> Post | None:
    """The post with the most public comments (the first published among equals), or None without comments."""
    posts = [p for p in sorted(site.posts, key=lambda p: p.date) if p.public_comments]
    return max(posts, key=lambda p: len(p.public_comments)) if posts else None


HTML_FOR_JSON = (
    '<!DOCTYPE html>\n<html lang="en-US">\n<head><meta charset="UTF-8" /><title>Just a moment...</title>'
    "</head>\n<body><h1>Checking your browser before accessing the site.</h1></body>\n</html>\n"
)
"""What a cache or firewall plugin answers (HTTP 200, text/html) where the REST API's JSON was expected."""


def thread_fault(site: Site, path: str, query: dict[str, str], attempt: int) -> str | None:
    """The fault a REST comments request answers on its ``attempt``-th try (``rest_cut``, ``rest_html``), or None."""
    options = site.options
    if path.rstrip("/") != "/wp-json/wp/v2/comments" or (options.rest_cut == "0" and options.rest_html == "0"):
        return None
    post = busiest_post(site)
    if post is None or query.get("post") != str(post.id):
        return None
    if attempt <= attempts_failing(options.rest_cut):
        return "rest_cut"
    if attempt <= attempts_failing(options.rest_html):
        return "rest_html"
    return None


def cut_json(body: bytes) -> bytes:
    """A JSON answer cut mid-way (in the middle of its bytes, so never a whole document)."""
    return body[: max(1, len(body) // 2)]


def thread_faults_truth(site: Site, base_url: str) -> dict:
    """The ``thread_faults`` key of the ground truth: which recap's REST answers fault, how and how long."""
    options = site.options
    post = busiest_post(site)
    rest = (options.rest_cut != "0" or options.rest_html != "0") and post is not None
    return {
        "rest_recap": base_url.rstrip("/") + post.path if rest else None,
        "rest_cut": options.rest_cut,
        "rest_html": options.rest_html,
        "wpd_stale_nonce": options.wpd_stale_nonce,
    }


_LIST_START = b'<ol class="comment-list">'
_LI_END = re.compile(rb"</li><!-- #comment-## -->")


def truncate_comment_list(body: bytes, cut: int) -> bytes:
    """``body`` cut just after one ``</li>`` of its comment list (chosen by ``cut``), never its last."""
    start = body.find(_LIST_START)
    if start < 0:
        return body[: len(body) // 2]
    ends = [m.end() for m in _LI_END.finditer(body, start)]
    list_end = body.find(b"</ol><!-- .comment-list -->", start)
    ends = [e for e in ends if list_end < 0 or e <= list_end]
    if not ends:
        return body[: start + len(_LIST_START)]
    usable = ends[:-1] or ends
    return body[: usable[cut % len(usable)]]


def faults_truth(site: Site, base_url: str) -> list[dict]:
    """The ``faults`` list of the ground truth: absolute URLs, kinds and failing attempts."""
    root = base_url.rstrip("/")
    return [
        {"url": root + f.path, "kind": f.kind, "failing_attempts": f.failing_attempts, "hard": f.hard}
        for f in site.faults
    ]


def first_crawl(truth: dict, attempts: int = HARD_ATTEMPTS, rest: bool | None = None) -> dict:
    """What one crawl making ``attempts`` tries per URL can archive from a site with the truth ``truth``.

    A URL is lost when its fault has ``failing_attempts >= attempts``. Returns ``failed`` (the lost URLs),
    ``recaps`` (URLs of recaps whose bare URL is fetched), ``comments_from_pages`` (recap URL -> ids of the
    comments on the comment pages that are fetched) and ``pages_failed`` (recap URL -> comment page numbers
    lost). Recaps are listed from the home pages reachable through the pagination links (and, when the REST
    API is on, from ``/wp-json/wp/v2/posts``, which is never faulted). ``rest`` defaults to the truth's option.
    """
    options = truth["site"]["options"]
    rest = options["rest"] == "on" if rest is None else rest
    root = truth["site"]["base_url"]
    failed = {f["url"] for f in truth.get("faults", []) if f["failing_attempts"] >= attempts}
    recaps = sorted(truth["recaps"], key=lambda r: r["published_at"], reverse=True)
    per = options["posts_per_page"]
    total = max(1, math.ceil(len(recaps) / per))

    def page_url(n: int) -> str:
        return root if n == 1 else f"{root}page/{n}/"

    seen, stack = set(), [1] if page_url(1) not in failed else []
    while stack:  # paginate_links: first, last, two either side, previous and next
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for k in {1, total, *range(n - 2, n + 3)}:
            if 1 <= k <= total and k not in seen and page_url(k) not in failed:
                stack.append(k)
    listed = {r["url"] for i, r in enumerate(recaps) if i // per + 1 in seen}
    if rest and seen:
        listed = {r["url"] for r in recaps}
    out: dict = {"failed": sorted(failed), "recaps": [], "comments_from_pages": {}, "pages_failed": {}}
    for recap in truth["recaps"]:
        url = recap["url"]
        if url not in listed or url in failed:
            continue
        out["recaps"].append(url)
        last = recap["comment_pages"]
        bare = last if options.get("default_comments_page", "newest") == "newest" else 1
        lost = {n for n in range(1, last + 1) if (url if n == bare else f"{url}comment-page-{n}/") in failed}
        out["pages_failed"][url] = sorted(lost)
        out["comments_from_pages"][url] = [c["id"] for c in recap["comments"] if c["in_html"] and c["page"] not in lost]
    return out
