"""The demo site's data: series, posts and comment threads, built deterministically from a seed.

Everything here is pure data. ``build_site(options)`` uses one ``random.Random(options.seed)`` and
dates fixed relative to ``EPOCH``, so the same options always give the same site.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

from archiver.demo.breakage import BREAKS, OTHER_PLATFORM

SITE_NAME = "Drama Recaps Demo"
SITE_TAGLINE = "Recaps, reviews and open threads for Korean dramas"
TZ = timezone(timedelta(hours=9))
"""The blog's timezone (WordPress ``gmt_offset`` 9): machine dates carry ``+09:00``."""
EPOCH = datetime(2021, 2, 1, tzinfo=UTC)
"""The first post is published a few days after this instant."""

SERIES_NAMES = [
    "Soundtrack #1",
    "Hometown Cha-Cha-Cha",
    "Twenty-Five Twenty-One",
    "Love & Other Dramas",
    "Mr. Queen",
    "Reply 1988",
    "Strong Girl Bong-soon",
    "Our Beloved Summer",
]
GENERAL_TAGS = ["Park Hyung-sik", "Han So-hee", "Disney+", "Netflix", "박형식", "tvN", "JTBC"]
OPEN_THREAD_TITLES = ["Weekend Open Thread", "Open Thread: What Are You Watching?", "Open Thread: Year-End Wrap-Up"]
STAFF = [("girlfriday", "girlfriday"), ("Saranghae Sue", "saranghae-sue"), ("dramallama", "dramallama")]
COMMENTERS = [
    "Nabi",
    "kfan2021",
    "Ahjumma Power",
    "Sunny",
    "drama_addict",
    "Jin-ah",
    "OTP Forever",
    "Bella",
    "mimi",
    "Lurker No More",
    "Sarah K.",
    "PHS Stan",
    "Eun-ji",
    "coffeeprince",
    "Tofu & Kimchi",
    "Hana",
    "Grace",
    "ajusshi lover",
    "Kim Ji-won",
    "Marisol",
    "Tae",
    "Cat Lady",
    "nopenope",
    "Yoonie",
    "Rosie",
]
WEBSITES = ["https://kdramafan.example.com/", "http://blog.example.org/mimi", "https://example.net/~sunny/"]

SENTENCES = [
    "It was pretty, but nothing special.",
    "I loved the cinematography in this episode, every shot was gorgeous.",
    "The chemistry between the leads finally clicked for me.",
    "I’m glad I binged it instead of waiting every week.",
    "Thank you so much for the recaps!",
    "That confession scene took my breath away.",
    "The second lead deserved so much better.",
    "Honestly the music was forgettable, which is odd for a show with this title.",
    "I didn’t expect the time jump at all.",
    "The mom’s tarot reading was my favourite subplot.",
    "Nothing revolutionary, but such a comforting watch.",
    "Why does every drama need a jealous assistant?",
    "I’m rewatching the first episode now and catching all the little hints.",
    "Solid B+ from me.",
    "This should’ve been a movie, four episodes felt stretched.",
    "The friends at the restaurant were the real MVPs.",
    "I cried at the flower shop scene, no shame.",
    "Tough crowd in here, I actually liked it a lot.",
    "The pacing in the middle dragged a bit.",
    "I hope the writer gets a bigger project next year.",
]
KOREAN = ["화이팅!", "정말 재미있어요.", "대박… 진짜 최고의 에피소드.", "너무 설레요 ㅠㅠ"]
RTL_LINE = "أحببت هذه الحلقة كثيرا"
EMOJI = ["😅", "😭", "❤️", "✅", "🙃", "👏", "🔥"]
SMILIES = ["🙂", "😉", "😀"]
SPECIAL_CHARS = ["Tom & Jerry level bickering.", "I’d rate the OST <3 out of 5.", "Ratings went from 3% to 5% & up."]
BODY_SENTENCES = [
    "As the seasons pass, {a} is keenly aware of {b}’s absence, thinking about him constantly.",
    "{a} finally tells the truth: she’s not interested, and she’s been pretending all this time.",
    "It’s a huge milestone, and one that {a} and {b} once half-joked about.",
    "Turns out the bouquet isn’t for her, though; it’s a birthday gift for their friend at the restaurant.",
    "In some ways this episode felt like a mirror of the first one.",
    "{b} completes the lyrics in her notebook with a line confessing his love.",
    "There was a kind of comfort in its predictability that made it easy to settle in.",
    "To hammer the distance home, a new rival is brought in to give {a} a dose of jealousy.",
    "Every shot was gorgeous to look at, and some moments genuinely took my breath away.",
    "The side characters finally get their own arc, and it’s a delight.",
    "{a} regrets it immediately, and decides to grab her last chance.",
    "Much as I found this subplot uncomfortable, I liked this conversation.",
]
CHARACTERS = [("Eun-soo", "Sun-woo"), ("Hye-jin", "Doo-sik"), ("Hee-do", "Yi-jin"), ("Min-ji", "Joon-ho")]


CHOICES: dict[str, tuple[str, ...]] = {
    "comment_style": ("html5", "xhtml"),
    "platform": ("wordpress", "wpdiscuz", "disqus"),
    "rest": ("on", "off"),
    "traps": ("off", "on"),
    "hostile": ("off", "on"),
    "hostile_bounds": ("on", "off"),
    "layout": ("blog", "dramabeans"),
    "page_comments": ("on", "off"),
    "default_comments_page": ("newest", "oldest"),
    "cld": ("pages", "on", "off"),
    "wpdiscuz_pages": ("off", "on"),
    "wpd_stale_nonce": ("off", "on"),
    "break_markup": BREAKS,
    "feeds": ("on", "off"),
    "sitemap": ("on", "off"),
}
"""The ``SiteOptions`` fields that take one of a few words (CLI choices)."""


@dataclass
class SiteOptions:
    """What the demo site contains; field names double as CLI option names."""

    seed: int = 1
    series: int = 3
    episodes: int = 4
    extra_posts: int = 2
    comments: int = 600
    depth: int = 5
    per_page: int = 10
    posts_per_page: int = 5
    comment_style: str = "html5"
    day: int = 1  # the site as it is N days later (see archiver.demo.days)
    platform: str = "wordpress"  # who prints the comments: core WordPress, wpDiscuz or a Disqus embed
    rest: str = "on"  # "off": the REST API answers 401 (as a "disable REST API" plugin makes it)
    thread_depth: int = 5  # WordPress thread_comments_depth: deeper replies are printed flat
    trashed: int = 0  # replies moved to the trash, their own replies left approved
    faults: float = 0.0  # fraction of fault-eligible URLs that fail at first (archiver.demo.faults)
    retry_after: int = 1  # seconds sent in the Retry-After header of a 429 fault
    stall: float = 3.0  # seconds a "stall" fault holds its response before answering
    traps: str = "off"  # "on": crawler traps (calendar, sort orders, endless pagination, redirect loop)
    hostile: str = "off"  # "on": two extra posts with hostile input (archiver.demo.hostile)
    huge_comment_kb: int = 10240  # size of the hostile post's huge comment (0: none)
    hostile_thread: int = 10000  # ordinary comments in the hostile post's thread
    hostile_bounds: str = "on"  # with hostile "on": also the posts that test the crawl's bounds (endless comment
    #                               pages, REST pages and load-more, deep nesting, a long reply chain, pathological
    #                               text, a huge response); "off" leaves them out
    huge_response_kb: int = 70_000  # size of the bounds posts' huge comment page (more than DOWNLOAD_MAXSIZE)
    canary: str = ""  # with hostile "on": a URL off the site that links, redirects, the REST root and
    # wpDiscuz's ajax_url point to (tests serve a server there that must get no request)
    layout: str = "blog"  # "dramabeans": also a recap index /recaps/all/ and series pages /shows/<slug>/
    page_comments: str = "on"  # WordPress "Break comments into pages"; "off": every thread on the post page
    default_comments_page: str = "newest"  # the comment page the bare post URL shows: "newest" or "oldest"
    cld: str = "pages"  # Comments Like Dislike's widget: "on" in pages and REST (the real plugin), "pages"
    #                            only in pages (REST-only comments without votes), "off": no plugin
    wpdiscuz_pages: str = "off"  # "on": wpDiscuz follows WordPress comment pages instead of loading more
    rest_cut: str = "0"  # the busiest post's REST comments answers: a 200 with JSON cut mid-way, for the
    #                            first N attempts of each ("always": every attempt)
    rest_html: str = "0"  # the same, with an HTML page (HTTP 200) where JSON was expected
    wpd_stale_nonce: str = "off"  # "on": the first wpDiscuz nonce handed out is stale ("Nonce is invalid.")
    break_markup: str = "none"  # markup changed overnight: comments, votes, dates or platform (archiver.demo.breakage)
    feeds: str = "on"  # "off": every feed answers 404, as a "disable feeds" plugin makes them
    sitemap: str = "on"  # "off": no wp-sitemap.xml (404), as with the ``wp_sitemaps_enabled`` filter false

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")
        for name in ("rest_cut", "rest_html"):
            if not (getattr(self, name).isdigit() or getattr(self, name) == "always"):
                raise ValueError(f"{name} must be a number of attempts or 'always', not {getattr(self, name)!r}")
        if not 0.0 <= self.faults <= 1.0:
            raise ValueError("faults must be between 0 and 1")
        for name in ("retry_after", "stall"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in (
            "series",
            "episodes",
            "extra_posts",
            "comments",
            "trashed",
            "huge_comment_kb",
            "hostile_thread",
            "huge_response_kb",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("depth", "per_page", "posts_per_page", "day", "thread_depth"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


@dataclass
class Term:
    """A tag or category."""

    id: int
    name: str
    slug: str
    taxonomy: str  # "post_tag" or "category"

    @property
    def path(self) -> str:
        """Site-relative archive path, e.g. ``/tag/soundtrack-1/``."""
        base = "tag" if self.taxonomy == "post_tag" else "category"
        return f"/{base}/{self.slug}/"


@dataclass
class Author:
    """A staff writer (a WordPress user)."""

    id: int
    name: str
    nicename: str


@dataclass
class Series:
    """A show; its tag carries its exact name."""

    name: str
    slug: str
    tag: Term
    characters: tuple[str, str]


Inline = tuple  # ("text", s) | ("link", url, s) | ("smiley", emoji) | ("raw", html, text)


@dataclass
class Block:
    """A paragraph (kind "p") or a quoted paragraph (kind "quote"); lines are joined by <br>."""

    kind: str
    lines: list[list[Inline]]


@dataclass
class Comment:
    """One approved comment."""

    id: int
    post_id: int
    parent_id: int | None
    author: str
    author_url: str | None
    email: str
    date: datetime  # UTC
    blocks: list[Block]
    upvotes: int
    downvotes: int | None
    depth: int
    user: Author | None = None
    page: int = 1
    children: list[Comment] = field(default_factory=list)
    seq: int = 0  # order of creation within its post, before ids are assigned
    status: str = "approved"  # "approved", or "trash" once deleted: then no page shows it
    edited_from: str | None = None  # the text before an edit (days after the first), for the truth

    @property
    def text(self) -> str:
        """Plain text as a reader sees it: paragraphs split by a blank line, <br> as newline."""
        return "\n\n".join("\n".join(_line_text(line) for line in block.lines) for block in self.blocks)

    @property
    def avatar_hash(self) -> str:
        """Gravatar hash of the (never printed) e-mail address."""
        return hashlib.md5(self.email.strip().lower().encode()).hexdigest()


@dataclass
class Post:
    """A published post: an episode recap or an open thread."""

    id: int
    slug: str
    title: str
    date: datetime  # UTC
    author: Author
    series: Series | None
    episode_number: int | None
    episode_end: int | None
    episode_label: str | None
    tags: list[Term]
    categories: list[Term]
    body: list[tuple[str, str]]  # (kind, text): "p", "h2", "img", "emoji-p"
    comments: list[Comment] = field(default_factory=list)  # thread order, all pages
    comment_pages: int = 1
    rest_extra: list[Comment] = field(default_factory=list)  # approved comments only the REST API shows
    hostile: dict = field(default_factory=dict)  # hostile-input quirks of this post (archiver.demo.hostile)
    modified: datetime | None = None  # UTC, when an edit changed it (``post_modified``); None: never edited

    @property
    def modified_at(self) -> datetime:
        """``post_modified_gmt``: the last edit, or the publication when never edited."""
        return self.modified or self.date

    @property
    def reported_count(self) -> int:
        """The comment count the page states: every approved comment, also those only the API shows."""
        return len(self.public_comments) + len(self.rest_extra)

    @property
    def path(self) -> str:
        """Permalink path ``/%year%/%monthnum%/%day%/%postname%/`` (dates are local time)."""
        local = self.date.astimezone(TZ)
        return f"/{local:%Y/%m/%d}/{self.slug}/"

    @property
    def top_level(self) -> list[Comment]:
        """Top-level comments, oldest first."""
        return [c for c in self.comments if c.parent_id is None]

    def page_comments(self, page: int) -> list[Comment]:
        """The comments shown on comment page ``page``, in thread order."""
        return [c for c in self.html_comments if c.page == page]

    @property
    def public_comments(self) -> list[Comment]:
        """Every approved comment (what the REST API returns), in thread order."""
        return [c for c in self.comments if c.status == "approved"]

    @property
    def html_comments(self) -> list[Comment]:
        """The approved comments a threaded page shows: none under a trashed comment."""
        by_id = {c.id: c for c in self.comments}
        shown = []
        for c in self.comments:
            node: Comment | None = c
            while node is not None and node.status == "approved":
                node = by_id.get(node.parent_id) if node.parent_id else None
            if node is None:
                shown.append(c)
        return shown


@dataclass
class Site:
    """The whole demo site."""

    options: SiteOptions
    name: str
    series: list[Series]
    tags: list[Term]
    categories: list[Term]
    authors: list[Author]
    posts: list[Post]  # newest first
    changes: list[dict] = field(default_factory=list)  # what changed since day 1 (archiver.demo.days)
    faults: list = field(default_factory=list)  # archiver.demo.faults.Fault, for options.faults > 0

    def all_comments(self) -> list[Comment]:
        """Every comment, newest first (as the Recent Comments widget and comments feed list them)."""
        comments = [c for post in self.posts for c in post.public_comments]
        return sorted(comments, key=lambda c: c.id, reverse=True)

    def post_by_id(self, post_id: int) -> Post:
        """The post with this id; raises KeyError."""
        for post in self.posts:
            if post.id == post_id:
                return post
        raise KeyError(post_id)


def _line_text(line: list[Inline]) -> str:
    parts = []
    for item in line:
        parts.append(item[2] if item[0] in ("link", "raw") else item[1])  # ("raw", html, text): markup as is
    return "".join(parts)


def slugify(name: str) -> str:
    """A slug as WordPress ``sanitize_title`` makes it; non-ASCII letters are percent-encoded lowercase."""
    text = unicodedata.normalize("NFC", name).lower()
    text = re.sub(r"&[a-z]+;|&", "", text)
    text = re.sub(r"[^\w\s-]", "", text)
    text = re.sub(r"[\s_]+", "-", text).strip("-")
    text = re.sub(r"-{2,}", "-", text)
    return quote(text, safe="-").lower()


def build_site(options: SiteOptions) -> Site:
    """Build the whole site for ``options``; the same options always give the same site."""
    if options.break_markup == "platform":
        options = replace(options, platform=OTHER_PLATFORM[options.platform])
    rng = random.Random(options.seed)
    term_ids = iter(range(2, 10_000))
    categories = [Term(next(term_ids), "Recaps", "recaps", "category")]
    if options.extra_posts:
        categories.append(Term(next(term_ids), "Open Threads", "open-threads", "category"))
    series = []
    for i in range(options.series):
        name = SERIES_NAMES[i % len(SERIES_NAMES)]
        if i >= len(SERIES_NAMES):
            name = f"{name} Season {i // len(SERIES_NAMES) + 1}"
        slug = slugify(name)
        series.append(Series(name, slug, Term(next(term_ids), name, slug, "post_tag"), CHARACTERS[i % len(CHARACTERS)]))
    general = [Term(next(term_ids), n, slugify(n), "post_tag") for n in GENERAL_TAGS]
    open_tag = Term(next(term_ids), "open thread", "open-thread", "post_tag")
    authors = [Author(i + 2, name, nicename) for i, (name, nicename) in enumerate(STAFF)]

    posts = _make_posts(rng, options, series, general, open_tag, categories, authors)
    _make_comments(rng, options, posts, authors)
    _trash_replies(random.Random(f"{options.seed}-trash"), posts, options.trashed)
    if options.platform != "wordpress":
        for post in posts:  # wpDiscuz and Disqus show a dislike count on every comment
            for comment in post.comments:
                comment.downvotes = 0 if comment.downvotes is None else comment.downvotes
    if not paged(options):
        for post in posts:  # one list: no comment pages
            post.comment_pages = 1
            for comment in post.comments:
                comment.page = 1
    used = {t.id for p in posts for t in p.tags}
    tags = [s.tag for s in series] + [t for t in general + [open_tag] if t.id in used]
    posts.sort(key=lambda p: p.date, reverse=True)
    site = Site(options, SITE_NAME, series, tags, categories, authors, posts)
    if options.day > 1:
        from archiver.demo.days import evolve  # the later days build on day 1

        evolve(site, options.day)
    if options.hostile == "on":
        from archiver.demo.hostile import add_hostile_posts

        add_hostile_posts(site)
    if options.faults > 0:
        from archiver.demo.faults import plan_faults

        site.faults = plan_faults(site)
    return site


def paged(options: SiteOptions) -> bool:
    """Whether post threads are split into comment pages: core WordPress with ``page_comments``, wpDiscuz
    when it follows them (``wpdiscuz_pages``); Disqus never."""
    if options.platform == "wpdiscuz":
        return options.wpdiscuz_pages == "on"
    return options.platform == "wordpress" and options.page_comments == "on"


def bare_page(options: SiteOptions, post: Post) -> int:
    """The comment page a post's bare URL shows: the newest (WordPress's default) or the first."""
    return post.comment_pages if options.default_comments_page == "newest" else 1


def _episode_titles(rng: random.Random, s: Series, count: int) -> list[tuple[str, int, int | None, str | None]]:
    """Titles for ``count`` recaps of one series: (title, episode, episode_end, label)."""
    out = []
    ep = 1
    for i in range(count):
        last = i == count - 1
        form = rng.choice(["colon", "pair", "recap", "ep"]) if not last else rng.choice(["final", "finale"])
        if form == "pair":
            out.append((f"{s.name}: Episodes {ep}-{ep + 1}", ep, ep + 1, None))
            ep += 2
            continue
        if form == "colon":
            title = f"{s.name}: Episode {ep}"
        elif form == "recap":
            title = f"{s.name} Episode {ep} Recap"
        elif form == "ep":
            title = f"{s.name}: Ep. {ep}"
        else:
            label = "Final" if form == "final" else "Finale"
            out.append((f"{s.name}: Episode {ep} ({label})", ep, None, label))
            ep += 1
            continue
        out.append((title, ep, None, None))
        ep += 1
    return out


def _body(rng: random.Random, post_title: str, episode: int | None, chars: tuple[str, str]) -> list[tuple[str, str]]:
    """Recap body blocks: intro, a WEECAP heading, paragraphs, an image, an emoji line."""
    a, b = chars
    sentences = [s.format(a=a, b=b) for s in BODY_SENTENCES]
    rng.shuffle(sentences)
    body = [("p", f"{sentences[0]} {sentences[1]}"), ("spacer", "")]
    heading = f"EPISODE {episode} WEECAP" if episode is not None else "OPEN THREAD"
    body.append(("h2", heading))
    body.append(("p", f"{sentences[2]} {sentences[3]}"))
    body.append(("img", f"{a} and {b} in {post_title}"))
    body.append(("p", sentences[4]))
    body.append(("p", f"{sentences[5]} {rng.choice(EMOJI)}"))
    body.append(("p", sentences[6]))
    return body


def _make_posts(
    rng: random.Random,
    options: SiteOptions,
    series: list[Series],
    general: list[Term],
    open_tag: Term,
    categories: list[Term],
    authors: list[Author],
) -> list[Post]:
    """Posts in publishing order, oldest first."""
    specs: list[dict] = []
    queues = [[(s, t) for t in _episode_titles(rng, s, options.episodes)] for s in series]
    extras = list(range(options.extra_posts))
    # Interleave series in rotation; sprinkle open threads in between.
    total = sum(len(q) for q in queues) + len(extras)
    while len(specs) < total:
        for q in queues:
            if q:
                s, (title, ep, end, label) = q.pop(0)
                specs.append({"series": s, "title": title, "ep": ep, "end": end, "label": label})
        if extras and (rng.random() < 0.5 or not any(queues)):
            n = extras.pop(0)
            title = OPEN_THREAD_TITLES[n % len(OPEN_THREAD_TITLES)]
            if n >= len(OPEN_THREAD_TITLES):
                title = f"{title} #{n // len(OPEN_THREAD_TITLES) + 1}"
            specs.append({"series": None, "title": title, "ep": None, "end": None, "label": None})
    day_step = max(1, min(9, (2 * 365) // max(1, total)))
    # More posts than days in two years (large bench sites): several posts a day, a step in minutes, so
    # that every post still falls within two years of EPOCH (a day apart, 20,000 posts would reach 2075).
    # Sites of up to 730 posts keep their day steps, and so their exact dates.
    minute_step = max(1, (2 * 365 * 24 * 60) // total) if total > 2 * 365 else 0
    date = EPOCH
    post_id = 1200
    posts = []
    used_slugs: dict[str, int] = {}
    for spec in specs:
        if minute_step:
            date = date + timedelta(minutes=rng.randint(1, minute_step))
            local = date.astimezone(TZ)
        else:
            date = date + timedelta(days=rng.randint(1, day_step), hours=0)
            local = datetime(date.year, date.month, date.day, rng.choice([7, 8, 9, 17, 18, 21]), 0, tzinfo=TZ)
        post_id += rng.randint(3, 30)
        s = spec["series"]
        slug = slugify(spec["title"])
        used_slugs[slug] = used_slugs.get(slug, 0) + 1
        if used_slugs[slug] > 1:
            slug = f"{slug}-{used_slugs[slug]}"
        if s is not None:
            tags = [s.tag] + rng.sample(general, k=min(len(general), rng.randint(1, 3)))
            cats = [categories[0]]
        else:
            tags = [open_tag]
            cats = [categories[-1]]
        chars = s.characters if s else ("everyone", "the lurkers")
        posts.append(
            Post(
                id=post_id,
                slug=slug,
                title=spec["title"],
                date=local.astimezone(UTC),
                author=rng.choice(authors),
                series=s,
                episode_number=spec["ep"],
                episode_end=spec["end"],
                episode_label=spec["label"],
                tags=tags,
                categories=cats,
                body=_body(rng, spec["title"], spec["ep"], chars),
            )
        )
    return posts


def _split_counts(rng: random.Random, total: int, n: int) -> list[int]:
    """Split ``total`` over ``n`` posts unevenly: one post gets 0, one gets 1, a few get big threads."""
    if n == 0:
        return []
    counts = [0] * n
    weights = [rng.choice([1, 1, 2, 3]) if rng.random() > 0.3 else rng.randint(10, 16) for _ in range(n)]
    remaining = total
    if n >= 3 and total >= 2:
        zero, one = rng.sample(range(n), 2)
        weights[zero] = 0
        weights[one] = 0
        counts[one] = 1
        remaining -= 1
    if sum(weights) == 0:
        weights = [1] * n
    shares = [remaining * w / sum(weights) for w in weights]
    counts = [c + int(s) for c, s in zip(counts, shares, strict=False)]
    leftovers = sorted(range(n), key=lambda i: (shares[i] - int(shares[i]), -i), reverse=True)
    for i in leftovers[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _comment_blocks(rng: random.Random, parent: Comment | None, force_rtl: bool) -> list[Block]:
    """A comment's content: one to three paragraphs with the odd emoji, link, quote or <br>."""
    blocks: list[Block] = []
    pool = rng.sample(SENTENCES, len(SENTENCES))
    if parent is not None and rng.random() < 0.12:
        first = parent.text.split("\n\n")[0].split("\n")[0]
        blocks.append(Block("quote", [[("text", first)]]))
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        lines: list[list[Inline]] = []
        for _ in range(rng.choice([1, 1, 1, 1, 2])):  # two lines → a <br>
            line: list[Inline] = [("text", " ".join(pool.pop() for _ in range(rng.randint(1, 2))))]
            roll = rng.random()
            if roll < 0.08:
                line.append(("text", " " + rng.choice(EMOJI)))
            elif roll < 0.13:
                line.append(("text", " " + rng.choice(KOREAN)))
            elif roll < 0.17:
                line += [("text", " "), ("smiley", rng.choice(SMILIES))]
            elif roll < 0.21:
                line = [("text", rng.choice(SPECIAL_CHARS) + " ")] + line
            elif roll < 0.24:
                url = rng.choice(WEBSITES) + "review"
                line += [("text", " More here: "), ("link", url, url)]
            lines.append(line)
        blocks.append(Block("p", lines))
    if force_rtl:
        blocks.append(Block("p", [[("text", RTL_LINE)]]))
    return blocks


def _votes(rng: random.Random, depth: int) -> tuple[int, int | None]:
    """(likes, dislikes); replies have no dislike count (None). A few comments have big counts."""
    roll = rng.random()
    up = rng.choice([1234, 15321, 2048]) if roll < 0.012 else rng.randint(0, 30) if roll < 0.4 else rng.randint(0, 6)
    down = rng.randint(0, 5) if depth == 1 else None
    return up, down


def _make_comments(rng: random.Random, options: SiteOptions, posts: list[Post], authors: list[Author]) -> None:
    """Create every post's thread, then assign site-wide ids in time order and comment pages."""
    counts = _split_counts(rng, options.comments, len(posts))
    biggest = max(range(len(posts)), key=lambda i: counts[i]) if posts else -1
    everyone: list[Comment] = []
    comment_parent: dict[int, Comment] = {}  # id(reply) -> parent, until ids exist
    rtl_done = False
    staff_done = False
    for index, (post, count) in enumerate(zip(posts, counts, strict=False)):
        made: list[Comment] = []
        when = post.date + timedelta(minutes=rng.randint(5, 90))
        chain_start = count // 3 if index == biggest and count >= options.depth else -1
        staff_at = rng.randrange(count) if count >= 8 and (rng.random() < 0.5 or not staff_done) else -1
        for i in range(count):
            when += timedelta(minutes=rng.choice([1, 2, 4, 7, 15, 30, 60, 180, 600]) + rng.randint(0, 9))
            parent: Comment | None = None
            if chain_start == i:
                parent = None
            elif chain_start >= 0 and chain_start < i < chain_start + options.depth:
                parent = made[i - 1]
            elif i and options.depth > 1 and rng.random() < 0.38:
                candidates = [c for c in made[-12:] if c.depth < options.depth]
                parent = rng.choice(candidates) if candidates else None
            depth = parent.depth + 1 if parent else 1
            user = post.author if i == staff_at else None
            if user is not None:
                name, url, email = user.name, None, f"{user.nicename}@dramarecaps.example"
                staff_done = True
            else:
                name = rng.choice(COMMENTERS)
                url = WEBSITES[COMMENTERS.index(name) % len(WEBSITES)] if COMMENTERS.index(name) % 5 == 0 else None
                email = f"{slugify(name) or 'reader'}{COMMENTERS.index(name)}@mail.example"
            force_rtl = not rtl_done and i == 2
            rtl_done = rtl_done or force_rtl
            up, down = _votes(rng, depth)
            comment = Comment(
                id=0,
                post_id=post.id,
                parent_id=None,
                author=name,
                author_url=url,
                email=email,
                date=when,
                blocks=_comment_blocks(rng, parent, force_rtl),
                upvotes=up,
                downvotes=down,
                depth=depth,
                user=user,
                seq=i,
            )
            if parent is not None:
                parent.children.append(comment)
                comment.parent_id = -1  # fixed once ids exist
                comment_parent[id(comment)] = parent
            made.append(comment)
        everyone.extend(made)
        post.comments = made
    # Site-wide auto-increment ids in time order.
    next_id = 3100
    for comment in sorted(everyone, key=lambda c: (c.date, c.post_id, c.seq)):
        next_id += rng.choice([1, 1, 1, 2, 3])
        comment.id = next_id
    for comment in everyone:
        parent = comment_parent.pop(id(comment), None)
        comment.parent_id = parent.id if parent else None
    for post in posts:
        _paginate(post, options.per_page)


def _trash_replies(rng: random.Random, posts: list[Post], count: int) -> None:
    """Move ``count`` replies that have replies of their own to the trash (their replies stay approved)."""
    candidates = [c for p in posts for c in p.comments if c.parent_id is not None and c.children]
    for comment in rng.sample(candidates, min(count, len(candidates))):
        comment.status = "trash"


def _paginate(post: Post, per_page: int) -> None:
    """Order the thread depth-first and split it into pages of ``per_page`` top-level threads."""
    roots = [c for c in post.comments if c.parent_id is None]
    roots.sort(key=lambda c: c.id)
    ordered: list[Comment] = []

    def walk(c: Comment, page: int) -> None:
        c.page = page
        ordered.append(c)
        for child in sorted(c.children, key=lambda x: x.id):
            walk(child, page)

    for n, root in enumerate(roots):
        walk(root, n // per_page + 1)
    post.comments = ordered
    post.comment_pages = max(1, math.ceil(len(roots) / per_page))


def _truth_order(post: Post) -> list[Comment]:
    """Public comments in thread order: the threads the pages show, then replies under trashed comments."""
    shown = post.html_comments
    public = {c.id: c for c in post.public_comments}
    seen = {c.id for c in shown}
    ordered = list(shown)
    stack = sorted((c for c in public.values() if c.id not in seen and c.parent_id not in public), key=lambda c: -c.id)
    while stack:
        comment = stack.pop()
        ordered.append(comment)
        stack.extend(sorted((k for k in comment.children if k.id in public), key=lambda k: -k.id))
    return ordered


def site_now(site: Site) -> datetime:
    """The instant the site is as it is (UTC): half an hour after its latest comment, post or edit; a simulated
    crawl of this day runs then (setting ``ARCHIVER_NOW``)."""
    dates = [c.date for p in site.posts for c in p.comments] + [p.modified_at for p in site.posts]
    return max(dates) + timedelta(minutes=30)


def truth(site: Site, base_url: str) -> dict:
    """The ground truth JSON document for ``site`` served at ``base_url`` (ending with ``/``)."""
    root = base_url.rstrip("/")

    def term(t: Term) -> dict:
        return {"name": t.name, "slug": t.slug, "url": root + t.path}

    def iso(d: datetime) -> str:
        return d.astimezone(UTC).isoformat()

    # core WordPress without Comments Like Dislike shows no votes; the plugins show likes and dislikes everywhere
    no_votes = site.options.platform == "wordpress" and site.options.cld == "off"
    profile_links = site.options.platform == "wpdiscuz"  # wpDiscuz links a registered user's name to their page
    recaps = []
    for post in sorted(site.posts, key=lambda p: p.date):
        body_text = [text for kind, text in post.body if kind == "p"]
        shown = {c.id for c in post.html_comments} if site.options.platform != "disqus" else None
        public = _truth_order(post)
        public_ids = {c.id for c in public}
        recaps.append(
            {
                "url": root + post.path,
                "post_id": post.id,
                "title": post.title,
                "series": post.series.name if post.series else None,
                "episode_number": post.episode_number,
                "episode_end": post.episode_end,
                "episode_label": post.episode_label,
                "author": post.author.name,
                "published_at": iso(post.date),
                "tags": [t.name for t in post.tags],
                "categories": [c.name for c in post.categories],
                "comment_count": post.reported_count,
                "comment_pages": post.comment_pages,
                "body_text_contains": [body_text[0].split(". ")[0], body_text[-1]],
                "comments": [
                    {
                        "id": str(c.id),
                        "parent": str(c.parent_id) if c.parent_id else None,
                        "author": c.author,
                        "author_url": f"{root}/author/{c.user.nicename}/" if profile_links and c.user else c.author_url,
                        "posted_at": iso(c.date),
                        "text": c.text,
                        "upvotes": None if no_votes else c.upvotes,
                        "downvotes": None if no_votes else c.downvotes or 0,
                        "depth": c.depth,
                        "page": c.page,
                        "in_html": shown is None or c.id in shown,
                        "parent_missing": bool(c.parent_id) and c.parent_id not in public_ids,
                    }
                    for c in public
                ],
            }
        )
        if post.hostile:
            recaps[-1].update(_hostile_truth(post, recaps[-1]["comments"]))
    return {
        "site": {
            "base_url": root + "/",
            "name": site.name,
            "timezone": "+09:00",
            "options": asdict(site.options),
            "platform": site.options.platform,
        },
        "series": [{"name": s.name, "slug": s.slug, "tag_url": root + s.tag.path} for s in site.series],
        "tags": [term(t) for t in site.tags],
        "categories": [term(c) for c in site.categories],
        "recaps": recaps,
        "changes": site.changes,  # what changed since day 1 (archiver.demo.days), for re-crawl tests
        "now": iso(site_now(site)),  # when a crawl of this day runs in a simulation (setting ARCHIVER_NOW)
        **_modes_truth(site, root + "/"),
    }


def _modes_truth(site: Site, base_url: str) -> dict:
    """The truth keys of fault mode, traps and hostile input."""
    from archiver.demo.faults import eligible_paths, faults_truth, thread_faults_truth
    from archiver.demo.traps import traps_truth

    root = base_url.rstrip("/")
    hostile = {}
    for post in site.posts:
        if post.hostile.get("kind") == "hostile":
            hostile["post_url"] = root + post.path
        elif post.hostile.get("kind") == "charset":
            hostile["charset_post_url"] = root + post.path
        elif post.hostile.get("kind") == "escape":
            hostile["escape_post_url"] = root + post.path
        elif post.hostile.get("kind") == "bounds":
            hostile.setdefault("bounds", {})[post.hostile["vector"]] = root + post.path
    return {
        "faults": faults_truth(site, base_url),
        "thread_faults": thread_faults_truth(site, base_url),
        "fault_eligible": [root + p for p in eligible_paths(site)] if site.options.faults > 0 else [],
        "traps": traps_truth(site, base_url),
        "hostile": hostile,
    }


def _hostile_truth(post: Post, comments: list[dict]) -> dict:
    """Extra truth for a hostile post: its quirks, what cannot be archived, the REST-only comments."""
    quirks = post.hostile
    if quirks.get("kind") == "charset":
        return {"charset_header": quirks["charset_header"], "charset_actual": quirks["charset_actual"]}
    if quirks.get("kind") == "escape":
        return {"escape": {"canary": quirks["canary"]}}
    if quirks.get("kind") == "bounds":
        from archiver.demo.hostile import bounds_truth  # it builds on this module

        return bounds_truth(post)
    extra = [
        {
            "id": str(c.id),
            "parent": str(c.parent_id),
            "author": c.author,
            "author_url": None,
            "posted_at": c.date.astimezone(UTC).isoformat(),
            "text": c.text,
            "upvotes": None,
            "downvotes": None,
            "depth": 1,
            "page": None,
            "in_html": False,
            "parent_missing": True,
        }
        for c in post.rest_extra
    ]
    body_text = [text for kind, text in post.body if kind == "p"]
    ids = {
        name: str(quirks[name]) if quirks[name] is not None else None
        for name in ("duplicate", "zero_width", "rtl_override", "huge", "self_parent")
    }
    return {
        "comments": comments + extra,
        "unarchivable": [quirks["no_id"]],
        "body_text_contains": body_text,
        "quirks": {
            **ids,
            "duplicate_pages": quirks["duplicate_pages"],
            "huge_chars": quirks["huge_chars"],
            "mojibake": quirks["mojibake"],
            "cycle": [str(i) for i in quirks["cycle"]],
            "rest_only": [str(c.id) for c in post.rest_extra],
            "malformed_html": True,
        },
    }
