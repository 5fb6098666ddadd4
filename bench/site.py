"""A large demo site, pre-rendered once to static files so that serving it costs (almost) no CPU.

Every URL the crawl fetches is rendered through ``DemoResource.route()`` and written to a folder tree
(``path/index.html``): the home page and its ``/page/N/`` pagination, each post's bare URL (which shows the
newest comment page, as WordPress does) and its ``comment-page-N/`` pages, and ``robots.txt``. Nothing else
exists on the static server, so the REST API the pages announce answers 404 and the crawl reads the pages
alone, as it does on any site whose API is closed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from archiver.demo import model
from archiver.demo.model import Site, SiteOptions, build_site
from archiver.demo.server import DemoResource

BIG_THREAD = 1_000
"""Size of the smallest of the few huge threads every bench site has (one per 400 recaps, at least one)."""
EXPORT_VERSION = 2
"""Part of an export's folder name: raised when the demo model changes its output (2: sites of more than 730
posts dated within two years), so that an export made before is not reused."""


@dataclass(frozen=True)
class BenchSize:
    """One bench size: how many comments over how many recaps."""

    name: str
    comments: int
    recaps: int

    def options(self) -> SiteOptions:
        """Demo site options for this size: replies up to 6 deep, printed nested, 50 threads a comment page."""
        series = max(1, min(200, round(self.recaps / 50)))
        episodes = max(1, self.recaps // series)
        return SiteOptions(
            seed=7,
            series=series,
            episodes=episodes,
            extra_posts=max(2, self.recaps - series * episodes),
            comments=self.comments,
            depth=6,
            thread_depth=6,
            per_page=50,
            posts_per_page=10,
        )


SIZES = {
    "tiny": BenchSize("tiny", 600, 12),
    "10k": BenchSize("10k", 10_000, 200),
    "100k": BenchSize("100k", 100_000, 2_000),
    "1m": BenchSize("1m", 1_000_000, 20_000),
}


def parse_size(text: str) -> BenchSize:
    """``10k``, ``100k``, ``1m``, ``tiny``, or ``COMMENTS:RECAPS`` (e.g. ``50000:1000``)."""
    if text in SIZES:
        return SIZES[text]
    comments, _, recaps = text.partition(":")
    n = int(float(comments.lower().replace("k", "e3").replace("m", "e6")))
    return BenchSize(text.replace(":", "-"), n, int(recaps) if recaps else max(1, n // 50))


def _with_big_threads(split):
    """Wrap the demo's ``_split_counts`` so that a few posts get threads of 1,000+ comments."""

    def split_counts(rng: random.Random, total: int, n: int) -> list[int]:
        k = max(1, n // 400) if total >= 4 * BIG_THREAD and n >= 4 else 0
        big = [BIG_THREAD + 250 * (j % 5) for j in range(k)]
        counts = split(rng, total - sum(big), n)
        for j, size in enumerate(big):
            counts[(j * n) // k + n // (2 * k)] += size
        return counts

    return split_counts


def build_bench_site(size: BenchSize) -> Site:
    """The demo site for ``size``, deterministic, with its few huge threads."""
    original = getattr(model, "_split_counts", None)
    if original is not None:
        model._split_counts = _with_big_threads(original)
    try:
        return build_site(size.options())
    finally:
        if original is not None:
            model._split_counts = original


def crawl_paths(site: Site) -> Iterator[str]:
    """Every path ``scrapy crawl recaps`` fetches from the site's home page (REST API aside)."""
    yield "/robots.txt"
    yield "/"
    listing_pages = max(1, math.ceil(len(site.posts) / site.options.posts_per_page))
    for n in range(2, listing_pages + 1):
        yield f"/page/{n}/"
    for post in site.posts:
        yield post.path
        for n in range(1, post.comment_pages):
            yield f"{post.path}comment-page-{n}/"


def file_for(root: Path, path: str) -> Path:
    """Where the static export keeps ``path``: ``index.html`` inside folders."""
    return root / (path.lstrip("/") + "index.html" if path.endswith("/") else path.lstrip("/"))


@dataclass
class Export:
    """A static export on disk."""

    root: Path
    """Folder served as the site root."""
    urls_file: Path
    """Every path, one a line (the bare and naive spiders fetch exactly these)."""
    info: dict
    """Size, options, page and comment counts, biggest thread."""


def _fast_paths(site: Site) -> None:
    """Give each post a path computed once: the demo finds a post by comparing every post's path."""
    cls = type(site.posts[0]) if site.posts else None
    if cls is None or not isinstance(getattr(cls, "path", None), property):
        return
    fast = type(cls.__name__, (cls,), {"path": functools.cached_property(cls.path.fget), "__module__": cls.__module__})
    fast.path.__set_name__(fast, "path")
    for post in site.posts:
        post.__class__ = fast


def _render(paths: list[str], site: Site, base_url: str, root: Path) -> int:
    resource = DemoResource(site, base_url)
    # The sidebar (recent comments, tag cloud, archives) is the same on every page, and building it sorts
    # every comment of the site: render it once per export instead of once per page.
    renderer = resource.renderer
    if renderer is not None and hasattr(renderer, "sidebar"):
        renderer.sidebar = functools.cache(renderer.sidebar)
    written = 0
    for path in paths:
        response = resource.route(path, {})
        if response.status != 200:
            raise RuntimeError(f"demo site answers {response.status} for {path}")
        target = file_for(root, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.body)
        written += len(response.body)
    return written


def export_site(size: BenchSize, out: Path, base_url: str, workers: int = 2) -> Export:
    """Render the site for ``size`` under ``out`` with links to ``base_url``; reuse an export already there."""
    key = hashlib.sha256(
        json.dumps([asdict(size.options()), base_url, BIG_THREAD, EXPORT_VERSION]).encode()
    ).hexdigest()[:12]
    folder = out / f"site-{size.name}-{key}"
    info_file = folder / "export.json"
    if info_file.exists():
        return Export(folder / "www", folder / "urls.txt", json.loads(info_file.read_text()))
    site = build_bench_site(size)
    paths = list(crawl_paths(site))
    _fast_paths(site)
    root = folder / "www"
    root.mkdir(parents=True, exist_ok=True)
    chunks = [paths[i::workers] for i in range(workers)]
    pids = []
    for chunk in chunks[1:]:
        pid = os.fork()  # the site is built once; each child renders its share
        if pid == 0:
            try:
                _render(chunk, site, base_url, root)
                os._exit(0)
            except BaseException:
                os._exit(1)
        pids.append(pid)
    size_bytes = _render(chunks[0], site, base_url, root)
    for pid in pids:
        if os.waitpid(pid, 0)[1] != 0:
            raise RuntimeError("static export failed in a worker")
    size_bytes += sum(file_for(root, p).stat().st_size for c in chunks[1:] for p in c)
    (folder / "urls.txt").write_text("".join(base_url.rstrip("/") + p + "\n" for p in paths[1:]))
    threads = [(len(p.html_comments), p.path) for p in site.posts]
    biggest = max(threads)
    info = {
        "size": size.name,
        "options": asdict(size.options()),
        "recaps": len(site.posts),
        "comments": sum(n for n, _ in threads),
        "pages": len(paths),
        "html_bytes": size_bytes,
        "biggest_thread": {"comments": biggest[0], "url": base_url.rstrip("/") + biggest[1]},
        "threads_1000_plus": sum(1 for n, _ in threads if n >= 1000),
        "max_depth": max((c.depth for p in site.posts for c in p.comments), default=0),
    }
    info_file.write_text(json.dumps(info, indent=1))
    return Export(root, folder / "urls.txt", info)
