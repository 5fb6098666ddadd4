"""Property tests: any comment tree the demo site's templates render parses back to the same tree,
and damaged pages never make a page object raise."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from archiver.demo.model import EPOCH, Block, Comment, SiteOptions, _paginate, build_site
from archiver.demo.render import Renderer
from archiver.pages import page_kind
from archiver.pages.listing import ListingPage
from archiver.pages.wordpress import PostPage
from archiver.text import normalise_space

FIXTURES = Path(__file__).parent / "fixtures" / "wordpress"
BASE = "http://127.0.0.1:8000/"
MAX_DEPTH = 8

# Text a commenter might type: several scripts, emoji, and characters HTML must escape.
words = st.text(
    alphabet=st.sampled_from(list("abcxyzABC019") + ["<", ">", "&", "😅", "❤", "한", "국", "ع", "ب", "é", "ß", "#"]),
    min_size=1,
    max_size=12,
)
paragraph = st.lists(words, min_size=1, max_size=6).map(" ".join)


@st.composite
def trees(draw: st.DrawFn) -> list[tuple[int | None, list[str], int]]:
    """Comments as (parent index or None, paragraphs, likes), parents before children, depth bounded."""
    size = draw(st.integers(min_value=1, max_value=25))
    out: list[tuple[int | None, list[str], int]] = []
    depth: list[int] = []
    for i in range(size):
        choices = [None] + [j for j in range(i) if depth[j] < MAX_DEPTH]
        parent = draw(st.sampled_from(choices))
        depth.append(1 if parent is None else depth[parent] + 1)
        out.append((parent, draw(st.lists(paragraph, min_size=1, max_size=3)), draw(st.integers(0, 20_000))))
    return out


def site_options(**values: object) -> SiteOptions:
    names = {f.name for f in fields(SiteOptions)}
    return SiteOptions(**{k: v for k, v in values.items() if k in names})


SITE = build_site(
    site_options(
        series=1, episodes=1, extra_posts=0, comments=0, depth=MAX_DEPTH, thread_depth=MAX_DEPTH, per_page=1000
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_rendered_trees_parse_back_to_the_same_tree(tree: list[tuple[int | None, list[str], int]]) -> None:
    post = SITE.posts[0]
    made: list[Comment] = []
    for i, (parent_index, paragraphs, likes) in enumerate(tree):
        parent = made[parent_index] if parent_index is not None else None
        depth = parent.depth + 1 if parent else 1
        comment = Comment(
            id=9000 + i,
            post_id=post.id,
            parent_id=parent.id if parent else None,
            author=f"Reader {i}",
            author_url=None,
            email=f"r{i}@mail.example",
            date=EPOCH + timedelta(minutes=i),
            blocks=[Block("p", [[("text", p)]]) for p in paragraphs],
            upvotes=likes,
            downvotes=3 if depth == 1 else None,
            depth=depth,
        )
        if parent:
            parent.children.append(comment)
        made.append(comment)
    post.comments = made
    _paginate(post, 1000)
    html = Renderer(SITE, BASE).post_page(post, 1, False)
    page = PostPage(HtmlResponse(url=BASE + post.path.lstrip("/"), body=html, encoding="utf-8"))
    got = {c.site_comment_id: c for c in page.comments()}
    assert sorted(got) == sorted(str(c.id) for c in made)
    for c in made:
        parsed = got[str(c.id)]
        assert parsed.parent_site_id == (str(c.parent_id) if c.parent_id else None)
        assert normalise_space(parsed.body_text) == normalise_space(c.text)
        assert parsed.author == c.author
        assert parsed.upvotes_raw is not None and int(parsed.upvotes_raw.replace(",", "")) == c.upvotes


FIXTURE_PAGES = sorted(FIXTURES.glob("*/body.html"))
damage = st.tuples(
    st.sampled_from(FIXTURE_PAGES),
    st.sampled_from(["truncate", "delete", "insert", "strip_tags"]),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=1),
    st.binary(max_size=40),
)


def damaged(body: bytes, how: str, a: float, b: float, junk: bytes) -> bytes:
    i, j = sorted((int(a * len(body)), int(b * len(body))))
    if how == "truncate":
        return body[:i]
    if how == "delete":
        return body[:i] + body[j:]
    if how == "insert":
        return body[:i] + junk + body[i:]
    return body[:i] + body[i:j].replace(b"<", b"") + body[j:]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damage)
def test_damaged_pages_never_raise(case: tuple[Path, str, float, float, bytes]) -> None:
    path, how, a, b, junk = case
    url = (path.parent / "url.txt").read_text().strip()
    response = HtmlResponse(url=url, body=damaged(path.read_bytes(), how, a, b, junk), encoding="utf-8")
    assert page_kind(response) in ("post", "listing", "other")
    post = PostPage(response)
    recap = post.recap(fetched_at="2026-01-01T00:00:00+00:00")
    assert recap.url == post.canonical_url() and recap.url.startswith(("http://", "https://"))
    assert all(c.site_comment_id for c in recap.comments), "every comment read has its id"
    assert recap.comment_count_reported is None or recap.comment_count_reported >= 0
    pages = post.comment_page_urls()
    assert min(pages, default=1) == 1 and all(u.startswith(("http://", "https://")) for u in pages.values())
    listing = ListingPage(response)
    links = listing.post_urls() + listing.pagination_urls()
    assert all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in links)
