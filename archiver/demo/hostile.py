"""Hostile input for the demo site (``--hostile on``): two extra open threads that real sites get wrong.

``Open Thread: Hostile Input`` has malformed HTML in its body, a comment with zero-width characters and a
right-to-left override, a huge comment (``huge_comment_kb``), a thread of ``hostile_thread`` ordinary
comments over many comment pages, one comment printed on two comment pages (a caching plugin's bug), a
comment element with no id (not archivable), a mojibake comment, and, in the REST API only, a reply cycle
(A's parent is B, B's parent is A) and a comment that is its own parent.

``Open Thread: Escape Attempts`` (only with ``canary``, a URL off the site) tries to take the crawl elsewhere:
its REST root (``<link rel="https://api.w.org/">`` and the ``Link`` header) and wpDiscuz's ``ajax_url`` point at
the canary, and the home page lists posts at the canary, behind a redirect to it (``/go/escape/``), and at
``file:``, ``data:`` and ``ftp:`` URLs. A crawl in scope never asks the canary anything.

``Open Thread: Wrong Charset`` is served as ``text/html; charset=ISO-8859-1`` while its body is UTF-8 with
``<meta charset="UTF-8" />``, as misconfigured servers do.

With ``hostile_bounds`` on (the default), one post per bound of the crawl (``BOUNDS``): comment navigation linking
``comment-page-1000000000000/`` (the pages past the real ones answer, empty); REST comments claiming
``X-WP-TotalPages: 1000000000`` (every later page answers ``[]``); a wpDiscuz load-more that never ends (a new
``last_parent_id`` each time); a comment nested 3,000 elements deep between ordinary ones; a 2,000-deep reply
chain; a 96 kB title of noise words, a 100,000-digit comment count and ``<br>`` runs; a megabyte-long
``wpdiscuzAjaxObj`` that never closes; a comment page of ``huge_response_kb`` (more than ``DOWNLOAD_MAXSIZE``). The
truth says, per post, which comments are ordinary, whether the thread can be whole and the stat counting its loss.

The quirks are recorded in ``post.hostile`` for the renderer, the server and the ground truth.
"""

from __future__ import annotations

import html
import json
import random
from datetime import datetime, timedelta

from archiver.demo.model import EPOCH, SENTENCES, Block, Comment, Post, Site, Term, _comment_blocks, _paginate, slugify

HOSTILE_TITLE = "Open Thread: Hostile Input"
CHARSET_TITLE = "Open Thread: Wrong Charset"
ESCAPE_TITLE = "Open Thread: Escape Attempts"
ESCAPE_REDIRECT = "/go/escape/"
"""A path of the site that redirects to the canary."""
WRONG_CHARSET = "ISO-8859-1"

ZERO_WIDTH_TEXT = "Zero\u200bwidth space, zero\u200dwidth joiner and a byte order mark\ufeff in the middle."
RTL_OVERRIDE_TEXT = "\u202eThis sentence is displayed reversed by an override.\u202c Back to normal."
# No "à": its UTF-8 bytes read as Latin-1 end in a no-break space, which the archive's whitespace
# normalisation turns into a plain one, so the shown text would not survive byte for byte.
MOJIBAKE_INTENDED = "Café résumé: the naïve lead’s crème brûlée."
MOJIBAKE_SHOWN = "Café résumé: the naïve lead's crème brûlée.".encode().decode("latin-1")
"""UTF-8 text decoded as Latin-1 and stored that way: ``CafÃ© rÃ©sumÃ©...``."""
DUPLICATE_TEXT = "This comment shows up on two comment pages (a caching plugin bug)."
NO_ID_AUTHOR = "Ghost Commenter"
NO_ID_TEXT = "A comment printed by a broken plugin: no id anywhere in its markup."
CHARSET_TEXTS = [
    "Café au lait and a naïve résumé — the classic test.",
    "화이팅! 정말 재미있어요.",
    "Ümlauts, ñ and ß survive only if the charset is read right.",
    "Curly “quotes” and an apostrophe’s fate.",
    "أحببت هذه الحلقة كثيرا",
    "Plain ASCII for comparison.",
]

MALFORMED_HTML = (
    '<div class="wp-block-group"><p>An <i>unclosed italic, then a <b>bold run with <p>a paragraph inside '
    "the bold</b> and the rest of the sentence.</p>\n"
    "<p>A list that never closes:<ul><li>first<li>second</p>\n"
    "<span>an unclosed span <em>and emphasis</div></div>\n"
    "<p>After the stray closing div.</p>"
)
"""Unclosed tags, a ``<p>`` inside ``<b>`` and one ``</div>`` too many (it closes ``.entry-content``)."""


def _huge_blocks(size: int) -> list[Block]:
    """About ``size`` characters of text in eight paragraphs."""
    base = " ".join(s.replace("’", "'") for s in SENTENCES) + " "
    per = max(1, size // 8)
    paragraphs = []
    for n in range(8):
        text = (f"Paragraph {n + 1}. " + base * (per // len(base) + 1))[:per].rstrip()
        paragraphs.append(Block("p", [[("text", text)]]))
    return paragraphs


def _text_block(text: str) -> list[Block]:
    return [Block("p", [[("text", text)]])]


def _term(site: Site, name: str, slug: str, taxonomy: str) -> Term:
    """The site's term ``slug`` of ``taxonomy``, created (and listed) when missing."""
    terms = site.tags if taxonomy == "post_tag" else site.categories
    for t in terms:
        if t.slug == slug:
            return t
    new = Term(max([t.id for t in site.tags + site.categories] + [1]) + 1, name, slug, taxonomy)
    terms.append(new)
    return new


def _open_threads(site: Site) -> tuple[Term, Term]:
    """The site's "open thread" tag and "Open Threads" category, created when missing."""
    return (
        _term(site, "open thread", "open-thread", "post_tag"),
        _term(site, "Open Threads", "open-threads", "category"),
    )


def _next_comment_id(site: Site) -> int:
    """An id above every comment's on the site (and above 3100)."""
    return max([c.id for p in site.posts for c in p.comments + p.rest_extra] + [3100]) + 1


def add_hostile_posts(site: Site) -> None:
    """Add the two hostile posts (newest on the site) and their comments to ``site`` in place."""
    options = site.options
    rng = random.Random(f"{options.seed}-hostile")
    tag, category = _open_threads(site)
    all_comments = [c for p in site.posts for c in p.comments + p.rest_extra]
    next_id = _next_comment_id(site)
    newest = max([p.date for p in site.posts] + [c.date for c in all_comments], default=EPOCH)
    post_id = max([p.id for p in site.posts] + [1200]) + 17
    author = site.authors[0]

    def new_comment(post: Post, parent: Comment | None, when, blocks: list[Block], name: str, seq: int) -> Comment:
        nonlocal next_id
        comment = Comment(
            id=next_id,
            post_id=post.id,
            parent_id=parent.id if parent else None,
            author=name,
            author_url=None,
            email=f"reader{seq % 97}@mail.example",
            date=when,
            blocks=blocks,
            upvotes=rng.randint(0, 9),
            downvotes=rng.randint(0, 3) if parent is None else None,
            depth=parent.depth + 1 if parent else 1,
            seq=seq,
        )
        next_id += 1
        if parent is not None:
            parent.children.append(comment)
        post.comments.append(comment)
        return comment

    # ------------------------------------------------------------------ the hostile post
    date = newest + timedelta(days=1)
    hostile = Post(
        id=post_id,
        slug="open-thread-hostile-input",
        title=HOSTILE_TITLE,
        date=date,
        author=author,
        series=None,
        episode_number=None,
        episode_end=None,
        episode_label=None,
        tags=[tag],
        categories=[category],
        body=[
            ("p", "This thread collects the comments that break archivers. Please be gentle with it."),
            ("p", "Everything below the line is exactly as the database holds it."),
            ("raw", MALFORMED_HTML),
        ],
    )
    when = date + timedelta(minutes=3)
    names = ["Nabi", "kfan2021", "Sunny", "mimi", "Hana", "Tae", "Rosie", "Grace"]
    seq = 0

    def tick() -> None:
        nonlocal when, seq
        when += timedelta(minutes=1)
        seq += 1

    new_comment(hostile, None, when, _text_block("Welcome to the hostile thread."), "dramallama", seq)
    tick()
    zero = new_comment(
        hostile,
        None,
        when,
        [
            Block("p", [[("text", ZERO_WIDTH_TEXT)]]),
            Block("p", [[("text", RTL_OVERRIDE_TEXT)]]),
            Block("p", [[("text", "أحببت هذه الحلقة كثيرا")]]),
        ],
        "Jin-ah",
        seq,
    )
    tick()
    duplicate = new_comment(hostile, None, when, _text_block(DUPLICATE_TEXT), "OTP Forever", seq)
    tick()
    huge = None
    if options.huge_comment_kb:
        huge = new_comment(hostile, None, when, _huge_blocks(options.huge_comment_kb * 1024), "Lurker No More", seq)
        tick()
    mojibake = new_comment(hostile, None, when, _text_block(MOJIBAKE_SHOWN), "Marisol", seq)
    tick()
    group: list[Comment] = []
    for i in range(options.hostile_thread):
        parent = None
        if i % 10 and options.depth > 1:
            parent = rng.choice([c for c in group if c.depth < options.depth])
        comment = new_comment(hostile, parent, when, _comment_blocks(rng, parent, False), rng.choice(names), seq)
        group = [comment] if parent is None else group + [comment]
        tick()
    _paginate(hostile, options.per_page)
    # REST-only comments: a reply cycle and a self-parent (their ids come last).
    cycle_a = Comment(
        id=next_id,
        post_id=hostile.id,
        parent_id=next_id + 1,
        author="Cycle A",
        author_url=None,
        email="a@mail.example",
        date=when,
        blocks=_text_block("My parent is Cycle B."),
        upvotes=0,
        downvotes=None,
        depth=1,
        seq=seq,
    )
    cycle_b = Comment(
        id=next_id + 1,
        post_id=hostile.id,
        parent_id=next_id,
        author="Cycle B",
        author_url=None,
        email="b@mail.example",
        date=when + timedelta(minutes=1),
        blocks=_text_block("My parent is Cycle A."),
        upvotes=0,
        downvotes=None,
        depth=1,
        seq=seq + 1,
    )
    self_parent = Comment(
        id=next_id + 2,
        post_id=hostile.id,
        parent_id=next_id + 2,
        author="Ouroboros",
        author_url=None,
        email="o@mail.example",
        date=when + timedelta(minutes=2),
        blocks=_text_block("I reply to myself."),
        upvotes=0,
        downvotes=None,
        depth=1,
        seq=seq + 2,
    )
    next_id += 3
    hostile.rest_extra = [cycle_a, cycle_b, self_parent]
    dup_page = duplicate.page + 1 if hostile.comment_pages > duplicate.page else duplicate.page
    hostile.hostile = {
        "kind": "hostile",
        "duplicate": duplicate.id,
        "duplicate_pages": sorted({duplicate.page, dup_page}),
        "zero_width": zero.id,
        "rtl_override": zero.id,
        "huge": huge.id if huge else None,
        "huge_chars": len(huge.text) if huge else 0,
        "mojibake": {"id": str(mojibake.id), "shown": MOJIBAKE_SHOWN, "intended": MOJIBAKE_INTENDED},
        "no_id": {"author": NO_ID_AUTHOR, "text": NO_ID_TEXT, "page": 1, "reason": "no comment id in the markup"},
        "cycle": [cycle_a.id, cycle_b.id],
        "self_parent": self_parent.id,
    }

    # ------------------------------------------------------------------ the wrong-charset post
    date2 = when + timedelta(days=1)
    charset = Post(
        id=post_id + 9,
        slug="open-thread-wrong-charset",
        title=CHARSET_TITLE,
        date=date2,
        author=author,
        series=None,
        episode_number=None,
        episode_end=None,
        episode_label=None,
        tags=[tag],
        categories=[category],
        body=[
            ("p", "Café culture, naïve résumés and 화이팅 in one post. Read with the wrong charset it turns to mush."),
            ("p", "The server says ISO-8859-1; the page itself says UTF-8 — and the page is right."),
        ],
    )
    when2 = date2 + timedelta(minutes=5)
    previous = None
    for n, text in enumerate(CHARSET_TEXTS):
        parent = previous if n % 3 == 2 else None
        previous = new_comment(charset, parent, when2, _text_block(text), names[n % len(names)], n)
        when2 += timedelta(minutes=7)
    _paginate(charset, options.per_page)
    charset.hostile = {"kind": "charset", "charset_header": WRONG_CHARSET, "charset_actual": "UTF-8"}

    site.posts.extend([hostile, charset])
    if options.canary:
        date3 = when2 + timedelta(days=1)
        escape = Post(
            id=post_id + 18,
            slug="open-thread-escape-attempts",
            title=ESCAPE_TITLE,
            date=date3,
            author=author,
            series=None,
            episode_number=None,
            episode_end=None,
            episode_label=None,
            tags=[tag],
            categories=[category],
            body=[("p", "This post's REST API and comment plugin live somewhere else. Do not follow them.")],
        )
        for n in range(options.per_page + 3):  # more threads than a page shows: wpDiscuz must load more
            text = CHARSET_TEXTS[n % len(CHARSET_TEXTS)]
            new_comment(escape, None, date3 + timedelta(minutes=n + 1), _text_block(text), names[n % len(names)], n)
        _paginate(escape, options.per_page)
        escape.hostile = {"kind": "escape", "canary": options.canary}
        site.posts.append(escape)
    if options.hostile_bounds == "on":
        add_bounds_posts(site, max(p.date for p in site.posts))
    site.posts.sort(key=lambda p: p.date, reverse=True)


def no_id_comment(renderer, post: Post) -> str:
    """A comment element as a broken plugin prints it: no ``id`` on the ``li`` nor on its ``article``."""
    from archiver.demo.render import esc, local_date, local_time, machine_date

    when = post.date + timedelta(minutes=2)
    return f"""		<li class="comment even thread-even depth-1">
			<article class="comment-body">
				<footer class="comment-meta">
					<div class="comment-author vcard">
						<b class="fn">{esc(NO_ID_AUTHOR)}</b> <span class="says">says:</span>					</div><!-- .comment-author -->
					<div class="comment-metadata">
						<time datetime="{machine_date(when)}">{local_date(when)} at {local_time(when)}</time>					</div><!-- .comment-metadata -->
				</footer><!-- .comment-meta -->
				<div class="comment-content">
<p>{esc(NO_ID_TEXT)}</p>
				</div><!-- .comment-content -->
			</article><!-- .comment-body -->
		</li><!-- #comment-## -->"""


def hostile_comment_list(renderer, post: Post, page: int, listed: str) -> str:
    """Page ``page`` of the hostile post's comment list with its quirks: the duplicate and the no-id comment."""
    quirks = post.hostile
    duplicate = next(c for c in post.comments if c.id == quirks["duplicate"])
    if page in quirks["duplicate_pages"] and page != duplicate.page:
        listed = renderer.comment_list(post, [duplicate]) + "\n" + listed
    elif quirks["duplicate_pages"] == [duplicate.page] and page == duplicate.page:
        listed = listed + "\n" + renderer.comment_list(post, [duplicate])  # one page only: printed twice on it
    if page == quirks["no_id"]["page"]:
        listed = listed + "\n" + no_id_comment(renderer, post)
    return listed


def escape_on(site: Site) -> bool:
    """True when the site serves the escape attempts (hostile input with a canary URL)."""
    return site.options.hostile == "on" and bool(site.options.canary)


def escape_targets(renderer, canary: str) -> list[str]:
    """The links the home page lists that lead off the site: the canary, a redirect to it, other schemes."""
    return [
        canary + "2024/01/01/escaped/",
        renderer.url(ESCAPE_REDIRECT),
        "file:///etc/passwd",
        "data:text/html,<h1>escaped</h1>",
        "ftp://127.0.0.2/escaped/",
    ]


def escape_listing(body: str, renderer, canary: str) -> str:
    """The home page with one listed post per escape target, before its first real post."""
    entries = "".join(
        f'<article class="post type-post hentry"><header class="entry-header"><h2 class="entry-title">'
        f'<a href="{html.escape(url, quote=True)}" rel="bookmark">Escape {n}</a></h2></header></article>\n'
        for n, url in enumerate(escape_targets(renderer, canary), 1)
    )
    return body.replace("<article", entries + "<article", 1)


def escape_post(body: bytes, links: list[str], renderer, canary: str) -> tuple[bytes, list[str]]:
    """The escape post's page and ``Link`` header with the REST root and wpDiscuz's ajax_url at the canary."""
    swaps = {
        renderer.url("/wp-json/"): canary + "wp-json/",
        renderer.url("/wp-admin/admin-ajax.php"): canary + "wp-admin/admin-ajax.php",
    }
    text = body.decode("utf-8")
    for old, new in swaps.items():
        text = text.replace(old, new)
        links = [link.replace(old, new) for link in links]
    return text.encode("utf-8"), links


# ====================================================================== the crawl's bounds (issue 12)
# With ``hostile_bounds`` on (the default in hostile mode), one post per way a site can make a crawl endless, slow
# or silently short. Each is an ordinary WordPress post with ordinary comments; only the named quirk is hostile, so
# only its own thread may end incomplete (``bounds_truth`` says which, and the stat that counts the loss).

ENDLESS_PAGE = 1_000_000_000_000
"""The comment page the endless post's navigation links to (the crawl once built ``range(1, N + 1)``)."""
ENDLESS_REST_PAGES = 1_000_000_000
"""``X-WP-TotalPages`` of the endless REST post's comments; every page past the real one answers ``[]``."""
DEEP_LEVELS = 3000
"""Elements nested in the deep comment: libxml2 stops parsing long before, losing the rest of the page."""
CHAIN_LENGTH = 2000
"""Comments in the reply chain, each replying to the one before."""
NOISE_TITLE_CHARS = 96 * 1024
BREAK_RUN = 20_000
DIGIT_RUN = 100_000
SCRIPT_CHARS = 1 << 20

BOUNDS = {
    # vector: (title, ordinary comments, whole when read, the stat counting the loss)
    "endless_pages": ("Open Thread: Comment Page One Trillion", 12, False, "archiver/bounds/thread_steps"),
    "endless_rest": ("Open Thread: A Billion API Pages", 5, False, "archiver/bounds/rest_pages"),
    "endless_wpdiscuz": ("Open Thread: Load More Forever", 15, False, "archiver/bounds/thread_steps"),
    "deep_nesting": ("Open Thread: Nested Three Thousand Deep", 8, False, "archiver/pages/parse_stopped"),
    "reply_chain": ("Open Thread: The Longest Reply Chain", CHAIN_LENGTH, True, "archiver/bounds/path_depth"),
    "pathological": ("Open Thread: Regex Torture", 6, True, None),
    "wpdiscuz_script": ("Open Thread: A Megabyte of Settings", 12, True, None),
    "huge_response": ("Open Thread: The Heaviest Comment Page", 12, False, "archiver/errors/comment_page"),
}
"""The bounds posts, in the order they are published."""
WPDISCUZ_VECTORS = ("endless_wpdiscuz", "wpdiscuz_script")


def _noise_title() -> str:
    """About 96 kB of a title made of the words a title cleaner strips (``recap review | ...``)."""
    unit = "recap review | thoughts - "
    return "Regex Torture " + unit * (NOISE_TITLE_CHARS // len(unit))


def add_bounds_posts(site: Site, after: datetime) -> None:
    """Append the bounds posts to ``site.posts``, published one a day after ``after`` (a datetime)."""
    options = site.options
    rng = random.Random(f"{options.seed}-bounds")
    tag, category = _open_threads(site)
    next_id = _next_comment_id(site)
    post_id = max(p.id for p in site.posts) + 31
    names = ["Nabi", "kfan2021", "Sunny", "mimi", "Hana", "Tae", "Rosie", "Grace"]
    for n, (vector, (title, count, _, _)) in enumerate(BOUNDS.items()):
        date = after + timedelta(days=n + 1)
        post = Post(
            id=post_id + 3 * n,
            slug=slugify(title) if vector != "pathological" else "open-thread-regex-torture",
            title=_noise_title() if vector == "pathological" else title,
            date=date,
            author=site.authors[0],
            series=None,
            episode_number=None,
            episode_end=None,
            episode_label=None,
            tags=[tag],
            categories=[category],
            body=[
                ("p", f"This thread tests one of the archiver's bounds: {vector.replace('_', ' ')}."),
                ("p", "Every comment below is an ordinary one unless it says otherwise."),
            ],
        )
        parent: Comment | None = None
        for seq in range(count):
            when = date + timedelta(minutes=seq + 1)
            blocks = _text_block(f"Comment {seq + 1} on the {vector.replace('_', ' ')} thread.")
            chained = vector == "reply_chain" and parent is not None
            if vector == "deep_nesting" and seq == count // 2:
                html_text = "<span>" * DEEP_LEVELS + "Deep down here." + "</span>" * DEEP_LEVELS
                blocks = [Block("p", [[("raw", html_text, "Deep down here.")]])]
            elif vector == "pathological" and seq == 1:
                blocks = _text_block("About " + "9" * DIGIT_RUN + " comments, give or take.")
            elif vector == "pathological" and seq == 2:
                breaks = "<br>\n" * BREAK_RUN
                blocks = [Block("p", [[("raw", breaks + "Broken lines." + "<br> " * BREAK_RUN, "Broken lines.")]])]
            comment = Comment(
                id=next_id,
                post_id=post.id,
                parent_id=parent.id if chained else None,
                author=names[seq % len(names)],
                author_url=None,
                email=f"reader{seq % 97}@mail.example",
                date=when,
                blocks=blocks,
                upvotes=rng.randint(0, 9),
                downvotes=None if chained else rng.randint(0, 3),
                depth=parent.depth + 1 if chained else 1,
                seq=seq,
            )
            next_id += 1
            if chained:
                parent.children.append(comment)
            post.comments.append(comment)
            parent = comment
        if vector == "reply_chain":  # one thread, one page (_paginate walks it recursively)
            post.comment_pages = 1
        else:
            _paginate(post, options.per_page if vector not in WPDISCUZ_VECTORS else len(post.comments))
        post.hostile = {"kind": "bounds", "vector": vector}
        site.posts.append(post)


def bounds_truth(post: Post) -> dict:
    """The truth of a bounds post: its vector, whether its thread can be whole, what counts the loss."""
    vector = post.hostile["vector"]
    _, count, whole, stat = BOUNDS[vector]
    ids = [str(c.id) for c in post.comments]
    before = ids[: count // 2] if vector == "deep_nesting" else ids
    return {
        "bounds": {
            "vector": vector,
            "whole": whole,
            "stat": stat,
            "ordinary": before,
            "deep": ids[count // 2] if vector == "deep_nesting" else None,
        }
    }


def _vector(post: Post) -> str | None:
    return post.hostile.get("vector") if post.hostile.get("kind") == "bounds" else None


def endless_page(post: Post, page: int) -> bool:
    """True for a comment page past the last real one of the endless post: it answers, with no comments."""
    return _vector(post) == "endless_pages" and post.comment_pages < page <= ENDLESS_PAGE


def bounds_comments_area(renderer, post: Post, page: int) -> str | None:
    """wpDiscuz's comment area for the wpDiscuz bounds posts (on any platform), else None (the usual area)."""
    if _vector(post) not in WPDISCUZ_VECTORS:
        return None
    from archiver.demo.plugins import WpdiscuzRenderer  # it builds on the renderer

    wpd = WpdiscuzRenderer(renderer.site, renderer)
    html_list, last, _ = wpd.threads(post, 0, renderer.site.options.per_page)
    footer = wpd.load_more_footer(last)
    ajax = {
        "url": renderer.url("/wp-admin/admin-ajax.php"),
        "wc_post_id": post.id,
        "wpdiscuz_options": {"wordpressIsPaginate": "", "commentListLoadType": "0"},
        "isLoadOnlyParentComments": 0,
    }
    giant = ""
    if _vector(post) == "wpdiscuz_script":  # an object that never closes, a megabyte long, before the real one
        unit = 'wpdiscuzAjaxObj = {"url": {'
        giant = f"<script id='wpdiscuz-giant'>\n{unit * (SCRIPT_CHARS // len(unit))}\n</script>"
    n = post.reported_count
    return (
        '<div class="wpdiscuz_top_clearing"></div><div id="comments" class="comments-area">'
        '<div id="wpdcom" class="wpdiscuz_unauth wpd-default wpd-layout-1 wpd-comments-open">'
        f'<div id="wpd-threads" class="wpd-thread-wrapper"><div class="wpd-thread-head"><div class="wpd-thread-info "\n'
        f"data-comments-count=\"{n}\"><span class='wpdtc' title='{n}'>{n}</span> Comments</div></div>"
        f'<div class="wpd-thread-list">{html_list}{footer}</div></div></div></div>'
        f"{giant}<script id='wpdiscuz-combo-js-js-extra'>\nvar wpdiscuzAjaxObj = {json.dumps(ajax)};\n</script>"
    )


def bounds_ajax(site: Site, renderer, form: dict[str, str]) -> dict | None:
    """admin-ajax.php for the wpDiscuz bounds posts: the endless one's load-more always has more, each time after a
    new ``last_parent_id``. None for any other post."""
    from archiver.demo.plugins import WPD_NONCE, WpdiscuzRenderer

    try:
        post = site.post_by_id(int(form.get("postId") or 0))
    except (KeyError, ValueError):
        return None
    if _vector(post) not in WPDISCUZ_VECTORS:
        return None
    action = form.get("action")
    if action == "wpdGetNonce":
        return {"success": True, "data": {"wpdiscuz_nonce": WPD_NONCE}}
    if action != "wpdLoadMoreComments" or form.get("wpdiscuz_nonce") != WPD_NONCE:
        return {"success": False, "data": "wc_msg_required_fields"}
    after = int(form.get("lastParentId") or 0) if (form.get("lastParentId") or "0").isdigit() else 0
    html_list, last, more = WpdiscuzRenderer(site, renderer).threads(post, after, site.options.per_page)
    if _vector(post) == "endless_wpdiscuz":
        more, last = True, last or after + 1
    return {
        "success": True,
        "data": {
            "is_show_load_more": more,
            "last_parent_id": str(last or after),
            "comments_count": html_list.count('class="wpd-comment-right"'),
            "comment_list": html_list,
            "callbackFunctions": [],
        },
    }


def bounds_page(body: bytes, post: Post, page: int, renderer) -> bytes:
    """A bounds post's page as served: the endless post's navigation also links comment page one trillion, the
    pathological post's comment count is a long run of digits, the huge post's first comment page is padded past
    ``huge_response_kb``."""
    vector = _vector(post)
    if vector == "endless_pages":
        link = (
            f'<a class="page-numbers" href="{renderer.comment_page_url(post, ENDLESS_PAGE)}#comments">'
            f"Page {ENDLESS_PAGE:,}</a>"
        )
        text = body.decode("utf-8")
        if '<div class="nav-links">' in text:
            text = text.replace('<div class="nav-links">', '<div class="nav-links">' + link, 1)
        else:  # a page past the real ones: the navigation still promises more
            text = text.replace(
                '<ol class="comment-list">',
                f'<nav class="navigation comments-pagination" '
                f'aria-label="Comments"><div class="nav-links">{link}</div></nav>'
                '<ol class="comment-list">',
                1,
            )
        return text.encode("utf-8")
    if vector == "pathological":
        text = body.decode("utf-8")
        heading = f"{post.reported_count:,} comments"
        return text.replace(heading, "1" * DIGIT_RUN + " comments", 1).encode("utf-8")
    if vector == "huge_response" and page == 1:
        size = renderer.site.options.huge_response_kb * 1024
        return body + b"<!-- " + b"padding " * (size // 8) + b" -->\n"
    return body


def endless_rest(post: Post, query: dict[str, str], answer: tuple[int, dict, bytes]) -> tuple[int, dict, bytes]:
    """The REST comments of the endless post: ``X-WP-TotalPages`` a billion, every page past the real one ``[]``."""
    status, headers, body = answer
    page = int(query.get("page", "1")) if query.get("page", "1").isdigit() else 1
    if status == 400 and page > 1:
        status, body = 200, b"[]"
    headers = {**headers, "X-WP-TotalPages": str(ENDLESS_REST_PAGES)}
    return status, headers, body


def bounds_rest_post(site: Site, path: str, query: dict[str, str]) -> Post | None:
    """The endless REST post when ``path``/``query`` ask for its comments, else None."""
    if path.rstrip("/") != "/wp-json/wp/v2/comments" or not query.get("post", "").isdigit():
        return None
    try:
        post = site.post_by_id(int(query["post"]))
    except KeyError:
        return None
    return post if _vector(post) == "endless_rest" else None
