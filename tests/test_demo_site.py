"""Tests for the bundled demo recap site (archiver.demo): model, truth, routes and a live server."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import lxml.html
import pytest

from archiver.demo.model import SiteOptions, build_site, truth
from archiver.demo.server import DemoResource

BASE = "http://127.0.0.1:1/"
REPO = Path(__file__).resolve().parent.parent


def make_truth(**kwargs) -> dict:
    return truth(build_site(SiteOptions(**kwargs)), BASE)


@pytest.fixture(scope="module")
def default_truth() -> dict:
    return make_truth()


def test_same_seed_same_truth():
    assert make_truth(seed=7) == make_truth(seed=7)
    assert make_truth(seed=7) != make_truth(seed=8)


def test_defaults_meet_the_contract(default_truth):
    recaps = default_truth["recaps"]
    assert len(default_truth["series"]) >= 3
    assert len([r for r in recaps if r["series"]]) >= 12
    counts = [r["comment_count"] for r in recaps]
    assert sum(counts) == 600
    assert 0 in counts and 1 in counts
    assert sum(1 for r in recaps if r["comment_pages"] >= 3) >= 2
    assert max(c["depth"] for r in recaps for c in r["comments"]) == 5
    assert {r["episode_label"] for r in recaps} >= {"Final"} or {"Finale"} <= {r["episode_label"] for r in recaps}
    assert any(r["series"] is None and r["episode_number"] is None for r in recaps)
    for s in default_truth["series"]:
        assert any(t["name"] == s["name"] and t["url"] == s["tag_url"] for t in default_truth["tags"])


@pytest.mark.parametrize(
    "options",
    [
        dict(series=2, episodes=2, extra_posts=1, comments=30, depth=3, per_page=4),
        dict(series=1, episodes=1, extra_posts=0, comments=0),
        dict(series=5, episodes=3, extra_posts=3, comments=250, depth=1, per_page=25, seed=3),
    ],
)
def test_sizes_honoured(options):
    t = make_truth(**options)
    recaps = t["recaps"]
    assert len(t["series"]) == options["series"]
    assert len(recaps) == options["series"] * options["episodes"] + options["extra_posts"]
    assert sum(r["comment_count"] for r in recaps) == options["comments"]
    depth = options.get("depth", 5)
    assert all(c["depth"] <= depth for r in recaps for c in r["comments"])


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_truth_invariants(seed):
    t = make_truth(seed=seed)
    per_page = t["site"]["options"]["per_page"]
    ids = [c["id"] for r in t["recaps"] for c in r["comments"]]
    assert len(ids) == len(set(ids))
    for recap in t["recaps"]:
        comments = {c["id"]: c for c in recap["comments"]}
        assert recap["comment_count"] == len(comments)
        tops = [c for c in recap["comments"] if c["parent"] is None]
        assert recap["comment_pages"] == max(1, math.ceil(len(tops) / per_page))
        assert [c["page"] for c in recap["comments"]] == sorted(c["page"] for c in recap["comments"])
        assert [int(c["id"]) for c in tops] == sorted(int(c["id"]) for c in tops)
        for c in recap["comments"]:
            assert c["posted_at"].endswith("+00:00")
            if c["parent"] is None:
                assert c["depth"] == 1 and c["downvotes"] is not None
                continue
            parent = comments[c["parent"]]
            assert parent["page"] == c["page"]
            assert parent["depth"] + 1 == c["depth"] <= 5
            assert int(parent["id"]) < int(c["id"]) and parent["posted_at"] < c["posted_at"]
            assert c["downvotes"] is not None  # Comments Like Dislike shows a dislike count on every comment


def test_comment_text_variety(default_truth):
    texts = [c["text"] for r in default_truth["recaps"] for c in r["comments"]]
    joined = "\n".join(texts)
    for needle in ["\n\n", "أحببت", "&", "<3", "http", "🙂"]:
        assert needle in joined, needle
    assert any("\n" in t.replace("\n\n", "") for t in texts)
    votes = [c["upvotes"] for r in default_truth["recaps"] for c in r["comments"]]
    assert max(votes) >= 1000


# ------------------------------------------------------------------ routes, in process
@pytest.fixture(scope="module")
def resource() -> DemoResource:
    return DemoResource(build_site(SiteOptions()), BASE)


def test_routes_in_process(resource, default_truth):
    big = max(default_truth["recaps"], key=lambda r: r["comment_pages"])
    path = big["url"][len(BASE) - 1 :]
    assert resource.route(path, {}).status == 200
    assert resource.route(path.rstrip("/"), {}).headers["Location"] == big["url"]
    assert resource.route(path, {"cpage": "2"}).headers["Location"] == big["url"] + "comment-page-2/"
    assert resource.route(path + "comment-page-99/", {}).headers["Location"] == big["url"]
    assert resource.route("/page/1/", {}).status == 301
    assert resource.route("/page/99/", {}).status == 404
    assert resource.route("/no/such/thing/", {}).status == 404
    hangul = next(t for t in default_truth["tags"] if "%" in t["slug"])
    assert resource.route(f"/tag/{hangul['slug']}/", {}).status == 200


def test_post_author_comment_marked(resource):
    site = resource.site
    staff = [(p, c) for p in site.posts for c in p.comments if c.user is not None]
    assert staff
    post, comment = staff[0]
    body = resource.route(f"{post.path}comment-page-{comment.page}/", {}).body.decode()
    li = lxml.html.fromstring(body).get_element_by_id(f"comment-{comment.id}")
    assert "bypostauthor" in li.get("class").split()


def test_posts_pagination_prints_dots():
    res = DemoResource(build_site(SiteOptions(posts_per_page=2)), BASE)
    nav = lxml.html.fromstring(res.route("/", {}).body).cssselect("nav.navigation.pagination .nav-links")[0]
    assert nav.cssselect("span.page-numbers.current")[0].text == "1"
    assert nav.cssselect("span.page-numbers.dots") and nav.cssselect("a.next.page-numbers")
    assert [a.text for a in nav.cssselect("a.page-numbers:not(.next)")] == ["2", "3", "7"]


def test_xhtml_style_markup():
    site = build_site(SiteOptions(comment_style="xhtml"))
    res = DemoResource(site, BASE)
    post = max(site.posts, key=lambda p: len(p.comments))
    body = res.route(post.path, {}).body.decode()
    doc = lxml.html.fromstring(body)
    assert doc.cssselect("li.comment > div.comment-body cite.fn")
    assert doc.cssselect(".comment-meta.commentmetadata a")
    assert not doc.cssselect(".comment-list time")


# ------------------------------------------------------------------ a live server
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, method: str = "GET") -> tuple[int, dict, bytes]:
    assert url.startswith("http://127.0.0.1:")
    try:
        with _OPENER.open(urllib.request.Request(url, method=method), timeout=5) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    truth_path = tmp_path_factory.mktemp("demo") / "truth.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "archiver.demo", "--port", "0", "--truth", str(truth_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("Serving demo recap site at http://127.0.0.1:"), line + proc.stderr.read()
        base = line.rsplit(" ", 1)[1].strip()
        yield base, json.loads(truth_path.read_text(encoding="utf-8"))
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def comment_text(li) -> str:
    """Plain text of a comment's own content, paragraphs split by a blank line."""
    content = li.cssselect(":scope > article .comment-content")[0]
    paras = []
    for p in content.xpath("./p | ./blockquote/p"):
        for br in p.xpath(".//br"):
            br.tail = "\n" + (br.tail or "").lstrip("\n")
        for img in p.xpath(".//img"):
            img.tail = img.get("alt") + (img.tail or "")
        paras.append(p.text_content())
    return "\n\n".join(paras)


def comment_list(body: bytes) -> bytes:
    """The ``ol.comment-list`` part of a page."""
    return body.partition(b'<ol class="comment-list">')[2].partition(b"</ol><!-- .comment-list -->")[0]


def test_live_site(live):
    base, t = live
    assert t["site"]["base_url"] == base
    status, headers, body = fetch(base)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    assert "ETag" not in headers and "Last-Modified" not in headers
    assert f'<{base}wp-json/>; rel="https://api.w.org/"' in headers.get_all("Link")
    assert b'class="home blog' in body and b"nav-links" in body

    status, headers, body = fetch(base + "robots.txt")
    assert status == 200 and b"Disallow: /wp-admin/" in body and b"Sitemap: " in body
    assert fetch(base + "nothing-here/")[0] == 404
    assert fetch(base + "feed/")[1]["Content-Type"].startswith("application/rss+xml")
    assert "ETag" in fetch(base + "comments/feed/")[1]
    assert fetch(base + "wp-login.php")[0] == 200

    for recap in t["recaps"]:
        url = recap["url"]
        status, headers, body = fetch(url, method="HEAD")
        assert status == 200 and body == b""
        assert any("rel=shortlink" in link for link in headers.get_all("Link"))
        assert fetch(url.rstrip("/"))[1]["Location"] == url
        status, headers, bare = fetch(url)
        entry = lxml.html.fromstring(bare).cssselect(".entry-content")[0].text_content()
        assert all(sentence in entry for sentence in recap["body_text_contains"])
        last = recap["comment_pages"]
        truth_by_id = {c["id"]: c for c in recap["comments"]}
        for page in range(1, last + 1):
            status, _, body = fetch(f"{url}comment-page-{page}/")
            assert status == 200
            doc = lxml.html.fromstring(body)
            shown = {li.get("id")[len("comment-") :]: li for li in doc.cssselect("li.comment")}
            expected = [c["id"] for c in recap["comments"] if c["page"] == page]
            assert sorted(shown) == sorted(expected)
            for cid, li in shown.items():
                assert comment_text(li) == truth_by_id[cid]["text"]
                dislikes = li.cssselect(":scope > article .cld-dislike-count-wrap")
                assert int(dislikes[0].text_content()) == truth_by_id[cid]["downvotes"]
            if page == last:  # the bare URL shows the newest (last) page
                assert comment_list(bare) == comment_list(body)
        if last > 1:
            status, headers, _ = fetch(url + "?cpage=2")
            assert status == 301 and headers["Location"] == url + "comment-page-2/"
            assert fetch(f"{url}comment-page-{last + 1}/")[1]["Location"] == url
        if recap["comments"]:
            cid = recap["comments"][0]["id"]
            status, _, body = fetch(f"{url}?replytocom={cid}")
            assert status == 200 and b"content='noindex, follow'" in body


# ------------------------------------------------------------------ fault mode, traps, hostile input (options)
def test_cli_offers_fault_trap_and_hostile_options():
    done = subprocess.run([sys.executable, "-m", "archiver.demo", "--help"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for flag in (
        "--faults FAULTS",
        "--retry-after RETRY_AFTER",
        "--stall STALL",
        "--traps {off,on}",
        "--hostile {off,on}",
        "--huge-comment-kb HUGE_COMMENT_KB",
        "--hostile-thread HOSTILE_THREAD",
    ):
        assert flag in text, flag


@pytest.mark.parametrize(
    "bad",
    [
        dict(faults=1.5),
        dict(faults=-0.1),
        dict(traps="yes"),
        dict(hostile="maybe"),
        dict(stall=-1),
        dict(hostile_thread=-1),
    ],
)
def test_mode_options_validated(bad):
    with pytest.raises(ValueError):
        SiteOptions(**bad)


def test_modes_off_by_default(default_truth):
    options = default_truth["site"]["options"]
    assert (options["faults"], options["traps"], options["hostile"]) == (0.0, "off", "off")
    assert default_truth["faults"] == [] and default_truth["traps"] == {} and default_truth["hostile"] == {}
    assert not any("quirks" in r or "unarchivable" in r for r in default_truth["recaps"])
