"""The demo site's fault mode, crawler traps and hostile input (archiver.demo.faults, .traps, .hostile)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from archiver.demo.faults import HARD_ATTEMPTS, KINDS, eligible_paths, first_crawl, plan_faults
from archiver.demo.hostile import MOJIBAKE_SHOWN, NO_ID_TEXT, WRONG_CHARSET
from archiver.demo.model import SiteOptions, build_site, truth
from archiver.demo.server import DemoResource

BASE = "http://127.0.0.1:1/"
REPO = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ the plan, in process
def test_faults_are_deterministic():
    plan = plan_faults(build_site(SiteOptions(faults=0.3)))
    assert plan == plan_faults(build_site(SiteOptions(faults=0.3)))
    assert plan != plan_faults(build_site(SiteOptions(faults=0.3, seed=2)))
    assert build_site(SiteOptions()).faults == []
    t = truth(build_site(SiteOptions(faults=0.3)), BASE)
    assert t == truth(build_site(SiteOptions(faults=0.3)), BASE)
    assert t["faults"] == [
        {"url": BASE.rstrip("/") + f.path, "kind": f.kind, "failing_attempts": f.failing_attempts, "hard": f.hard}
        for f in plan
    ]


def test_every_kind_at_a_fifth_of_the_default_site():
    site = build_site(SiteOptions(faults=0.2))
    t = truth(site, BASE)
    eligible = t["fault_eligible"]
    assert len(eligible) == len(set(eligible)) == len(eligible_paths(site))
    assert len(t["faults"]) >= 0.2 * len(eligible)
    assert {f["kind"] for f in t["faults"]} == set(KINDS)
    assert all(f["url"] in eligible and f["url"].startswith(BASE) for f in t["faults"])
    assert not any(u.endswith("robots.txt") or "/wp-json/" in u or "/feed/" in u for u in eligible)
    hard = [f for f in t["faults"] if f["hard"]]
    assert 1 <= len(hard) <= len(t["faults"]) // 3 + 1
    assert all(f["failing_attempts"] == HARD_ATTEMPTS for f in hard)
    assert all(f["failing_attempts"] in (1, 2) for f in t["faults"] if not f["hard"])
    assert not any(f["hard"] for f in t["faults"] if f["url"] == BASE)
    truncated = [f["url"] for f in t["faults"] if f["kind"] == "truncated"]
    by_url = {r["url"]: r for r in t["recaps"]}
    for url in truncated:  # only pages that show comments are truncated
        bare = re.sub(r"comment-page-\d+/$", "", url)
        assert by_url[bare]["comments"]
    # every eligible page of every post: the bare URL and comment pages but the last
    for recap in t["recaps"]:
        assert recap["url"] in eligible
        assert f"{recap['url']}comment-page-{recap['comment_pages']}/" not in eligible
    assert t["site"]["options"]["faults"] == 0.2


def test_first_crawl_leaves_out_hard_faults():
    t = truth(build_site(SiteOptions(faults=0.5, rest="off")), BASE)
    reach = first_crawl(t)
    hard = {f["url"] for f in t["faults"] if f["hard"]}
    assert set(reach["failed"]) == hard
    assert not hard & set(reach["recaps"])
    assert len(reach["recaps"]) < len(t["recaps"])
    for recap in t["recaps"]:
        if recap["url"] not in reach["recaps"]:
            continue
        lost = reach["pages_failed"][recap["url"]]
        ids = set(reach["comments_from_pages"][recap["url"]])
        assert ids == {c["id"] for c in recap["comments"] if c["page"] not in lost}
    everything = first_crawl(t, attempts=HARD_ATTEMPTS + 1)  # a crawl that outlasts every fault
    assert everything["failed"] == [] and len(everything["recaps"]) == len(t["recaps"])


# ------------------------------------------------------------------ a live server
def start(tmp: Path, *args: str) -> tuple[subprocess.Popen, str, dict]:
    truth_path = tmp / "truth.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "archiver.demo", "--port", "0", "--truth", str(truth_path), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    assert line.startswith("Serving demo recap site at http://127.0.0.1:"), line + proc.stderr.read()
    return proc, line.rsplit(" ", 1)[1].strip(), json.loads(truth_path.read_text(encoding="utf-8"))


def get(url: str, timeout: float = 5) -> dict:
    """One GET over a fresh connection, read to the end: status, headers, body, or the error; and the time."""
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    began = time.monotonic()
    data = b""
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
            while chunk := sock.recv(1 << 16):
                data += chunk
    except OSError as err:
        return {"error": err, "received": data, "elapsed": time.monotonic() - began}
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        raw, body = body, b""
        while raw:
            size, _, raw = raw.partition(b"\r\n")
            n = int(size, 16)
            if not n:
                break
            body, raw = body + raw[:n], raw[n + 2 :]
    return {
        "status": int(lines[0].split()[1]),
        "headers": headers,
        "body": body,
        "error": None,
        "elapsed": time.monotonic() - began,
    }


def get_ok(url: str) -> dict:
    """GET ``url`` until it answers in full (it may be faulted: a hard fault fails four times)."""
    for _ in range(HARD_ATTEMPTS + 1):
        answer = get(url)
        if answer.get("status") == 200 and answer["body"].rstrip().endswith(b"</html>"):
            return answer
    raise AssertionError(f"{url} never answered in full")


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    proc, base, t = start(
        tmp_path_factory.mktemp("faulty"), "--faults", "0.3", "--stall", "0.5", "--retry-after", "2", "--traps", "on"
    )
    try:
        yield base, t
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def stats(base: str) -> dict:
    answer = get(base + "__demo/stats.json")
    assert answer["status"] == 200
    return json.loads(answer["body"])


def check_fault(kind: str, answer: dict) -> None:
    if kind in ("500", "503", "429"):
        assert answer["status"] == int(kind)
        if kind == "429":
            assert answer["headers"]["retry-after"] == "2"
    elif kind == "reset":
        assert answer["error"] is not None or answer.get("status") is None
    elif kind == "stall":
        assert answer["status"] == 200 and answer["elapsed"] >= 0.45
    elif kind == "short":
        assert answer["status"] == 200
        assert int(answer["headers"]["content-length"]) > len(answer["body"]) > 0
    else:
        assert answer["status"] == 200
        body = answer["body"]
        assert int(answer["headers"]["content-length"]) == len(body)
        assert b"</html>" not in body and b"</ol><!-- .comment-list -->" not in body
        assert body.endswith(b"</li><!-- #comment-## -->") and b'<ol class="comment-list">' in body


def test_each_kind_fails_its_attempts_then_serves(faulty):
    base, t = faulty
    assert {f["kind"] for f in t["faults"]} == set(KINDS)
    for kind in KINDS:
        fault = min((f for f in t["faults"] if f["kind"] == kind), key=lambda f: f["failing_attempts"])
        for _ in range(fault["failing_attempts"]):
            check_fault(kind, get(fault["url"]))
        answer = get(fault["url"])
        assert answer["status"] == 200, kind
        assert answer["body"].rstrip().endswith(b"</html>") and answer["elapsed"] < 0.45
        assert int(answer["headers"]["content-length"]) == len(answer["body"])
        path = fault["url"][len(base) - 1 :]
        assert stats(base)["attempts"][f"GET {path}"] == fault["failing_attempts"] + 1
    served = stats(base)["faults_served"]
    assert set(served) == set(KINDS)
    robots = get(base + "robots.txt")
    assert robots["status"] == 200 and b"Disallow: /wp-admin/" in robots["body"]


def test_hard_fault_outlasts_four_attempts(faulty):
    base, t = faulty
    fault = next(f for f in t["faults"] if f["hard"] and f["kind"] in ("500", "503", "429"))
    assert [get(fault["url"])["status"] for _ in range(HARD_ATTEMPTS)] == [int(fault["kind"])] * HARD_ATTEMPTS
    assert get(fault["url"])["status"] == 200  # a second crawl's first try


def test_traps_reachable_and_counted(faulty):
    base, t = faulty
    before = stats(base)["traps"]
    home = get_ok(base)
    doc = lxml.html.fromstring(home["body"])
    prev = doc.cssselect("#wp-calendar + nav .wp-calendar-nav-prev a, .wp-calendar-nav-prev a")[0].get("href")
    assert prev == t["traps"]["calendar"]
    empty = 0
    for _ in range(8):  # back in time, past the first post, month after empty month
        page = get(prev)
        assert page["status"] == 200
        month = lxml.html.fromstring(page["body"])
        empty += not month.cssselect("article.post")
        older = month.cssselect(".wp-calendar-nav-prev a")[0].get("href")
        assert older.split("/")[-3:-1] < prev.split("/")[-3:-1]
        prev = older
    assert empty >= 3
    url = t["traps"]["paged_beyond"]
    for _ in range(3):  # the buggy theme's endless "Next"
        page = get(url)
        assert page["status"] == 200
        nxt = lxml.html.fromstring(page["body"]).cssselect("a.next.page-numbers")[0].get("href")
        assert nxt != url
        url = nxt
    first, second = t["traps"]["redirect_loop"]
    assert get(first)["headers"]["location"] == second
    assert get(second)["headers"]["location"] == first
    loop_post = get_ok(t["traps"]["loop_post_url"])
    assert f'href="{first}"'.encode() in loop_post["body"]
    assert f'href="{first}"'.encode() in home["body"]
    for url in t["traps"]["comment_order"]:
        answer = get(url)
        assert answer["status"] == 200 and b'class="comment-sort-order"' in answer["body"]
    assert get(t["traps"]["replytocom"])["status"] == 200
    after = stats(base)["traps"]
    assert after["calendar"] - before["calendar"] == empty
    assert after["paged_beyond"] - before["paged_beyond"] == 3
    assert after["redirect_loop"] - before["redirect_loop"] == 2
    assert after["comment_order"] - before["comment_order"] == 3
    assert after["replytocom"] - before["replytocom"] == 1
    assert b"__demo" not in home["body"]


def test_no_traps_by_default():
    res = DemoResource(build_site(SiteOptions()), BASE)
    assert b"wp-calendar" not in res.route("/", {}).body
    assert res.route("/go/loop/", {}).status == 404
    assert res.route("/1999/01/", {}).status == 404
    assert res.route("/page/99/", {}).status == 404
    t = truth(build_site(SiteOptions()), BASE)
    assert t["faults"] == [] and t["traps"] == {} and t["hostile"] == {} and t["fault_eligible"] == []


# ------------------------------------------------------------------ hostile input, in process
@pytest.fixture(scope="module")
def hostile():
    site = build_site(SiteOptions(hostile="on", huge_comment_kb=256, hostile_thread=300))
    return site, DemoResource(site, BASE), truth(site, BASE)


def test_hostile_pages_render(hostile):
    site, res, t = hostile
    recap = next(r for r in t["recaps"] if r["url"] == t["hostile"]["post_url"])
    quirks = recap["quirks"]
    assert recap["series"] is None and recap["episode_number"] is None
    assert recap["comment_pages"] > 3
    assert recap["comment_count"] == len(recap["comments"]) == len({c["id"] for c in recap["comments"]})
    pages = {}
    for n in range(1, recap["comment_pages"] + 1):
        answer = res.route(recap["url"][len(BASE) - 1 :] + f"comment-page-{n}/", {})
        assert answer.status == 200
        pages[n] = answer.body.decode("utf-8")
    first = pages[1]
    assert "\u200b" in first and "\u200d" in first and "\ufeff" in first and "\u202e" in first
    assert MOJIBAKE_SHOWN in first and "Ã©" in MOJIBAKE_SHOWN
    assert len(first) > 256 * 1024 and quirks["huge_chars"] >= 250 * 1024
    assert NO_ID_TEXT in first
    assert "</div></div>" in first and "<b>bold run with <p>" in first
    dup = f'id="comment-{quirks["duplicate"]}"'
    assert [n for n, body in pages.items() if dup in body] == quirks["duplicate_pages"]
    assert len(quirks["duplicate_pages"]) == 2
    doc = lxml.html.fromstring(first)
    assert any(li.get("id") is None for li in doc.cssselect("li.comment"))
    assert recap["unarchivable"][0]["text"] == NO_ID_TEXT
    assert all(s in doc.text_content() for s in recap["body_text_contains"][:1])
    shown = [c for c in recap["comments"] if c["in_html"]]
    assert {c["id"] for c in shown} == {
        li.get("id")[8:]
        for body in pages.values()
        for li in lxml.html.fromstring(body).cssselect("li.comment")
        if li.get("id")
    }


def test_hostile_rest_has_cycle_and_self_parent(hostile):
    site, res, t = hostile
    recap = next(r for r in t["recaps"] if r["url"] == t["hostile"]["post_url"])
    quirks = recap["quirks"]
    post = next(p for p in site.posts if p.hostile.get("kind") == "hostile")
    items, page = [], 1
    while True:
        answer = res.route("/wp-json/wp/v2/comments", {"post": str(post.id), "per_page": "100", "page": str(page)})
        assert answer.status == 200
        items += json.loads(answer.body)
        if page >= int(answer.headers["X-WP-TotalPages"]):
            break
        page += 1
    parents = {str(i["id"]): str(i["parent"]) for i in items}
    a, b = quirks["cycle"]
    assert parents[a] == b and parents[b] == a
    assert parents[quirks["self_parent"]] == quirks["self_parent"]
    by_id = {c["id"]: c for c in recap["comments"]}
    for cid in (a, b, quirks["self_parent"]):
        assert by_id[cid]["parent_missing"] and not by_id[cid]["in_html"] and by_id[cid]["depth"] == 1
    assert len(items) == len(recap["comments"])


def test_wrong_charset_post(hostile):
    site, res, t = hostile
    url = t["hostile"]["charset_post_url"]
    answer = res.route(url[len(BASE) - 1 :], {})
    assert answer.headers["Content-Type"] == f"text/html; charset={WRONG_CHARSET}"
    body = answer.body.decode("utf-8")  # the body really is UTF-8 and says so
    assert '<meta charset="UTF-8" />' in body and "화이팅" in body and "Café" in body
    recap = next(r for r in t["recaps"] if r["url"] == url)
    assert recap["charset_header"] == WRONG_CHARSET and recap["charset_actual"] == "UTF-8"
    assert any("화이팅" in c["text"] for c in recap["comments"])


def test_hostile_default_sizes_are_opt_in():
    options = SiteOptions()
    assert (options.hostile, options.huge_comment_kb, options.hostile_thread) == ("off", 10240, 10000)
    ids = Counter(
        c.id
        for p in build_site(SiteOptions(hostile="on", huge_comment_kb=1, hostile_thread=30)).posts
        for c in p.comments + p.rest_extra
    )
    assert max(ids.values()) == 1


# ------------------------------------------------------------------ faults on thread steps, live
def test_rest_answers_cut_then_whole_html_where_json_and_a_stale_wpdiscuz_nonce(tmp_path: Path) -> None:
    proc, base, t = start(tmp_path, "--comments", "120", "--rest-cut", "2", "--rest-html", "3")
    try:
        recap = next(r for r in t["recaps"] if r["url"] == t["thread_faults"]["rest_recap"])
        url = f"{base}wp-json/wp/v2/comments?post={recap['post_id']}&per_page=100"
        answers = [get(url) for _ in range(4)]
        assert [a["status"] for a in answers] == [200] * 4
        for cut in answers[:2]:  # cut mid-JSON, with a Content-Length that matches what was sent
            assert cut["headers"]["content-type"].startswith("application/json")
            assert int(cut["headers"]["content-length"]) == len(cut["body"])
            with pytest.raises(ValueError):
                json.loads(cut["body"])
        assert answers[2]["headers"]["content-type"].startswith("text/html") and b"<html" in answers[2]["body"]
        assert len(json.loads(answers[3]["body"])) == min(100, recap["comment_count"])
        other = next(r for r in t["recaps"] if r["url"] != recap["url"] and r["comment_count"])
        json.loads(get(f"{base}wp-json/wp/v2/comments?post={other['post_id']}")["body"])  # other posts: whole
    finally:
        proc.terminate()
        proc.wait()
    from archiver.demo.faults import thread_fault

    site = build_site(SiteOptions(rest_cut="always"))
    post = next(p for p in site.posts if BASE.rstrip("/") + p.path == truth(site, BASE)["thread_faults"]["rest_recap"])
    assert all(
        thread_fault(site, "/wp-json/wp/v2/comments", {"post": str(post.id)}, n) == "rest_cut" for n in (1, 4, 50)
    )
    with pytest.raises(ValueError):
        SiteOptions(rest_cut="sometimes")


def test_wpdiscuz_answers_as_wpdiscuz_7_6() -> None:
    from archiver.demo.plugins import WPD_NONCE, WpdiscuzRenderer
    from archiver.demo.render import Renderer

    site = build_site(SiteOptions(platform="wpdiscuz", per_page=3))
    wpd = WpdiscuzRenderer(site, Renderer(site, BASE))
    assert wpd.ajax({"action": "wpdGetNonce"}) == {"success": True, "data": {"wpdiscuz_nonce": WPD_NONCE}}
    post = max(site.posts, key=lambda p: len(p.top_level))
    page = lxml.html.fromstring(wpd.comments_area(post))
    assert page.cssselect("div.wpd-thread-info")[0].get("data-comments-count") == str(post.reported_count)
    assert page.cssselect("span#wpdiscuzHasMoreComments")[0].get("data-is_show_load_more") == "1"
    last = page.cssselect("button.wpd-load-more-submit")[0].get("data-lastparentid")
    more = wpd.ajax(
        {"action": "wpdLoadMoreComments", "postId": str(post.id), "lastParentId": last, "wpdiscuz_nonce": WPD_NONCE}
    )["data"]
    assert set(more) >= {"is_show_load_more", "last_parent_id", "comments_count", "comment_list"}
    assert more["comments_count"] == len(
        lxml.html.fromstring(f"<div>{more['comment_list']}</div>").cssselect(".wpd-comment-right")
    )
    assert (
        wpd.ajax(
            {"action": "wpdLoadMoreComments", "postId": str(post.id), "lastParentId": last, "wpdiscuz_nonce": "stale"}
        )
        == "Nonce is invalid."
    )
