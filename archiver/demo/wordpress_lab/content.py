"""The demo model as the lab's WordPress holds it: the export its PHP loader reads, and the truth per cell.

Pure data, no processes: ``export(site)`` turns ``archiver.demo.model.Site`` into the JSON document
``php/lab.php load`` and ``plugins`` read; ``cell_truth(...)`` adjusts the model's truth to what one lab cell
shows; ``dump_differences(...)`` compares what WordPress reads back with the model.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import lxml.html

from archiver.demo.model import TZ, Block, Comment, Site, SiteOptions, build_site, truth

LAB_OPTIONS = SiteOptions(
    seed=88, series=3, episodes=3, extra_posts=1, comments=280, depth=10, trashed=2, per_page=5, posts_per_page=5
)
"""The lab's content: 10 posts, 280 comments (2 replies trashed, their replies left approved), reply chains 10
deep, one post with 109 top-level threads (3 pages at 50 a page) and several with 3+ pages at 5 a page."""

SMILEY_CODES = {"🙂": ":)", "😉": ";)", "😀": ":D"}
"""What a commenter types for the model's smilies; WordPress's ``convert_smilies`` prints the emoji."""

THEMES = ("twentytwentyone", "twentytwentythree")
PLUGINS = ("none", "cld", "wpdiscuz")


@dataclass(frozen=True)
class LabCell:
    """One configuration of the lab's WordPress; ``configure()`` switches to it with one PHP call."""

    theme: str = "twentytwentyone"
    """``twentytwentyone`` (classic) or ``twentytwentythree`` (block theme, ``core/comments`` block)."""
    page_comments: bool = True
    """WordPress's "Break comments into pages" (``page_comments``)."""
    comments_per_page: int = 50
    """Top-level threads a comment page holds: 5 or 50."""
    default_comments_page: str = "newest"
    """Which comment page the bare post URL shows: ``newest`` (WordPress's default) or ``oldest``."""
    thread_comments_depth: int = 5
    """Replies deeper than this are printed flat beside their parent: 2, 5 or 10."""
    plugin: str = "none"
    """``none``, ``cld`` (Comments Like Dislike 1.2.4) or ``wpdiscuz`` (wpDiscuz 7.6.63)."""
    wpdiscuz_pages: bool = False
    """wpDiscuz follows WordPress comment pages (``page_comments`` on) instead of its default load-more."""
    rest: str = "on"
    """``on``, or ``401``: the REST API refuses anonymous calls (our must-use plugin)."""

    def __post_init__(self) -> None:
        checks = [
            ("theme", THEMES),
            ("plugin", PLUGINS),
            ("rest", ("on", "401")),
            ("default_comments_page", ("newest", "oldest")),
            ("comments_per_page", (5, 50)),
            ("thread_comments_depth", (2, 5, 10)),
        ]
        for name, allowed in checks:
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, not {getattr(self, name)!r}")
        if self.wpdiscuz_pages and self.plugin != "wpdiscuz":
            raise ValueError("wpdiscuz_pages needs plugin='wpdiscuz'")

    @property
    def paged(self) -> bool:
        """Whether WordPress splits the thread into comment pages (wpDiscuz: only when it follows them)."""
        return self.wpdiscuz_pages if self.plugin == "wpdiscuz" else self.page_comments

    def options(self) -> dict[str, Any]:
        """The options ``php/lab.php configure`` sets."""
        return {**asdict(self), "page_comments": self.paged}

    @property
    def label(self) -> str:
        """A short name: ``tt1-p5-newest-d5-none-rest401``."""
        theme = "tt1" if self.theme == "twentytwentyone" else "tt3"
        paging = f"p{self.comments_per_page}-{self.default_comments_page}" if self.paged else "nopaging"
        plugin = self.plugin + ("-pages" if self.wpdiscuz_pages else "-loadmore" if self.plugin == "wpdiscuz" else "")
        return f"{theme}-{paging}-d{self.thread_comments_depth}-{plugin}-rest{self.rest}"


def lab_site() -> Site:
    """The model the lab loads."""
    return build_site(LAB_OPTIONS)


def _local(d: datetime) -> str:
    return d.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")


def _gmt(d: datetime) -> str:
    return d.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _esc(text: str) -> str:
    """Text as WordPress stores it after ``wp_filter_kses``: ``&``, ``<`` and ``>`` as entities."""
    return html.escape(text, quote=False)


def comment_content(blocks: list[Block]) -> str:
    """A comment as WordPress stores it: plain text, a newline per ``<br>``, a blank line between paragraphs,
    links as ``<a>`` (with the ``rel`` that ``wp_rel_ugc`` adds on save), quotes as ``<blockquote>``."""
    out = []
    for block in blocks:
        lines = []
        for line in block.lines:
            parts = []
            for item in line:
                if item[0] == "text":
                    parts.append(_esc(item[1]))
                elif item[0] == "link":
                    parts.append(f'<a href="{html.escape(item[1])}" rel="nofollow ugc">{_esc(item[2])}</a>')
                else:
                    parts.append(SMILEY_CODES.get(item[1], item[1]))
            lines.append("".join(parts))
        text = "\n".join(lines)
        out.append(f"<blockquote>{text}</blockquote>" if block.kind == "quote" else text)
    return "\n\n".join(out)


def post_content(body: list[tuple[str, str]]) -> str:
    """A recap body as post HTML (no images: nothing in the lab points outside it)."""
    out = []
    for kind, text in body:
        if kind in ("p", "emoji-p"):
            out.append(f"<p>{_esc(text)}</p>")
        elif kind == "h2":
            out.append(f"<h2>{_esc(text)}</h2>")
    return "\n\n".join(out)


def export(site: Site) -> dict[str, Any]:
    """The JSON document ``php/lab.php load`` and ``plugins`` read."""
    terms = {t.id: t for t in site.tags + site.categories}
    comments: list[Comment] = sorted((c for p in site.posts for c in p.comments), key=lambda c: c.id)
    return {
        "authors": [
            {"id": a.id, "name": a.name, "nicename": a.nicename, "email": f"{a.nicename}@dramarecaps.example"}
            for a in site.authors
        ],
        "terms": [{"id": t.id, "name": t.name, "slug": t.slug, "taxonomy": t.taxonomy} for t in terms.values()],
        "posts": [
            {
                "id": p.id,
                "title": p.title,
                "slug": p.slug,
                "content": post_content(p.body),
                "author": p.author.id,
                "date": _local(p.date),
                "date_gmt": _gmt(p.date),
                "tags": [t.id for t in p.tags],
                "categories": [t.id for t in p.categories],
            }
            for p in sorted(site.posts, key=lambda p: p.id)
        ],
        "comments": [
            {
                "id": c.id,
                "post": c.post_id,
                "parent": c.parent_id,
                "author": c.author,
                "author_url": c.author_url,
                "email": c.email,
                "content": comment_content(c.blocks),
                "date": _local(c.date),
                "date_gmt": _gmt(c.date),
                "user": c.user.id if c.user else None,
                "status": c.status,
                "likes": c.upvotes,
                "dislikes": c.downvotes,
            }
            for c in comments
        ],
        "votes": [
            {
                "id": c.id,
                "post": c.post_id,
                "likes": c.upvotes,
                "dislikes": c.downvotes or 0,
                "time": int(c.date.timestamp()),
            }
            for c in comments
            if c.upvotes or c.downvotes
        ],
    }


def cell_truth(site: Site, base_url: str, cell: LabCell, counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The model's truth (``archiver.demo.model.truth``) as the lab shows it in ``cell``.

    ``counts`` is ``php/lab.php counts`` for the cell's ``comments_per_page``: per post id, WordPress's comment
    count and its number of comment pages. Votes follow the plugin: none shows no votes (None), Comments Like
    Dislike and wpDiscuz show likes and dislikes everywhere (a reply's missing dislike count is 0).
    """
    doc = truth(site, base_url)
    doc["site"]["platform"] = "wpdiscuz" if cell.plugin == "wpdiscuz" else "wordpress"
    doc["site"]["lab_cell"] = asdict(cell)
    for recap in doc["recaps"]:
        post_counts = counts[str(recap["post_id"])]
        recap["comment_count"] = post_counts["comment_count"]
        recap["comment_pages"] = max(1, post_counts["pages"]) if cell.paged else 1
        roots = [c["id"] for c in recap["comments"] if c["parent"] is None and c["in_html"]]
        root_of: dict[str, str] = {}
        for c in recap["comments"]:
            root_of[c["id"]] = root_of.get(c["parent"], c["id"]) if c["parent"] else c["id"]
        for c in recap["comments"]:
            if cell.plugin == "none":
                c["upvotes"] = c["downvotes"] = None
            elif c["downvotes"] is None:
                c["downvotes"] = 0
            if not c["in_html"]:
                c["page"] = None
            elif cell.paged:
                c["page"] = roots.index(root_of[c["id"]]) // cell.comments_per_page + 1
            else:
                c["page"] = 1
    return doc


def rendered_text(rendered: str) -> str:
    """Text a reader sees in core's comment HTML: paragraphs split by a blank line, ``<br>`` as a newline."""
    if not rendered.strip():
        return ""
    root = lxml.html.fragment_fromstring(rendered, create_parent="div")
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "").lstrip("\n")
    blocks = []
    for element in root.iter("p"):
        blocks.append(element.text_content().strip("\n"))
    return "\n\n".join(blocks)


def dump_differences(site: Site, dump: list[dict[str, Any]]) -> list[str]:
    """Every way the comments WordPress holds (``php/lab.php dump``) differ from the model; empty when equal."""
    want = {c.id: c for p in site.posts for c in p.public_comments}
    got = {row["id"]: row for row in dump}
    problems = []
    if set(want) != set(got):
        problems.append(
            f"comment ids differ: missing {sorted(set(want) - set(got))[:5]}, extra {sorted(set(got) - set(want))[:5]}"
        )
    for cid in sorted(set(want) & set(got)):
        c, row = want[cid], got[cid]
        wpdiscuz = row["wpdiscuz"] or [0, 0]
        for name, value, expected in [
            ("post", row["post"], c.post_id),
            ("parent", row["parent"] or None, c.parent_id),
            ("author", row["author"], c.author),
            ("author_url", row["author_url"] or None, c.author_url),
            ("date_gmt", row["date_gmt"], _gmt(c.date)),
            ("text", rendered_text(row["rendered"]), c.text),
            ("cld", [int(v or 0) for v in row["cld"]], [c.upvotes, c.downvotes or 0]),
            ("wpdiscuz", [int(v) for v in wpdiscuz], [c.upvotes, c.downvotes or 0]),
        ]:
            if value != expected:
                problems.append(f"comment {cid}: {name} {value!r} != {expected!r}")
    return problems
