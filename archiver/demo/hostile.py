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

The quirks are recorded in ``post.hostile`` for the renderer, the server and the ground truth.
"""

from __future__ import annotations

import html
import random
from datetime import timedelta

from archiver.demo.model import EPOCH, SENTENCES, Block, Comment, Post, Site, Term, _comment_blocks, _paginate

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
MOJIBAKE_SHOWN = "Café résumé: the naïve lead's crème brûlée.".encode("utf-8").decode("latin-1")
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


def add_hostile_posts(site: Site) -> None:
    """Add the two hostile posts (newest on the site) and their comments to ``site`` in place."""
    options = site.options
    rng = random.Random(f"{options.seed}-hostile")
    tag = _term(site, "open thread", "open-thread", "post_tag")
    category = _term(site, "Open Threads", "open-threads", "category")
    all_comments = [c for p in site.posts for c in p.comments + p.rest_extra]
    next_id = max([c.id for c in all_comments] + [3100]) + 1
    newest = max([p.date for p in site.posts] + [c.date for c in all_comments], default=EPOCH)
    post_id = max([p.id for p in site.posts] + [1200]) + 17
    author = site.authors[0]

    def new_comment(post: Post, parent: Comment | None, when, blocks: list[Block], name: str, seq: int) -> Comment:
        nonlocal next_id
        comment = Comment(id=next_id, post_id=post.id, parent_id=parent.id if parent else None, author=name,
                          author_url=None, email=f"reader{seq % 97}@mail.example", date=when, blocks=blocks,
                          upvotes=rng.randint(0, 9), downvotes=rng.randint(0, 3) if parent is None else None,
                          depth=parent.depth + 1 if parent else 1, seq=seq)
        next_id += 1
        if parent is not None:
            parent.children.append(comment)
        post.comments.append(comment)
        return comment

    # ------------------------------------------------------------------ the hostile post
    date = newest + timedelta(days=1)
    hostile = Post(
        id=post_id, slug="open-thread-hostile-input", title=HOSTILE_TITLE, date=date, author=author, series=None,
        episode_number=None, episode_end=None, episode_label=None, tags=[tag], categories=[category],
        body=[("p", "This thread collects the comments that break archivers. Please be gentle with it."),
              ("p", "Everything below the line is exactly as the database holds it."),
              ("raw", MALFORMED_HTML)],
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
    zero = new_comment(hostile, None, when, [Block("p", [[("text", ZERO_WIDTH_TEXT)]]),
                                             Block("p", [[("text", RTL_OVERRIDE_TEXT)]]),
                                             Block("p", [[("text", "أحببت هذه الحلقة كثيرا")]])], "Jin-ah", seq)
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
    cycle_a = Comment(id=next_id, post_id=hostile.id, parent_id=next_id + 1, author="Cycle A", author_url=None,
                      email="a@mail.example", date=when, blocks=_text_block("My parent is Cycle B."), upvotes=0,
                      downvotes=None, depth=1, seq=seq)
    cycle_b = Comment(id=next_id + 1, post_id=hostile.id, parent_id=next_id, author="Cycle B", author_url=None,
                      email="b@mail.example", date=when + timedelta(minutes=1), blocks=_text_block("My parent is Cycle A."),
                      upvotes=0, downvotes=None, depth=1, seq=seq + 1)
    self_parent = Comment(id=next_id + 2, post_id=hostile.id, parent_id=next_id + 2, author="Ouroboros",
                          author_url=None, email="o@mail.example", date=when + timedelta(minutes=2),
                          blocks=_text_block("I reply to myself."), upvotes=0, downvotes=None, depth=1, seq=seq + 2)
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
        id=post_id + 9, slug="open-thread-wrong-charset", title=CHARSET_TITLE, date=date2, author=author, series=None,
        episode_number=None, episode_end=None, episode_label=None, tags=[tag], categories=[category],
        body=[("p", "Café culture, naïve résumés and 화이팅 in one post. Read with the wrong charset it turns to mush."),
              ("p", "The server says ISO-8859-1; the page itself says UTF-8 — and the page is right.")],
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
            id=post_id + 18, slug="open-thread-escape-attempts", title=ESCAPE_TITLE, date=date3, author=author,
            series=None, episode_number=None, episode_end=None, episode_label=None, tags=[tag], categories=[category],
            body=[("p", "This post's REST API and comment plugin live somewhere else. Do not follow them.")],
        )
        for n in range(options.per_page + 3):  # more threads than a page shows: wpDiscuz must load more
            text = CHARSET_TEXTS[n % len(CHARSET_TEXTS)]
            new_comment(escape, None, date3 + timedelta(minutes=n + 1), _text_block(text), names[n % len(names)], n)
        _paginate(escape, options.per_page)
        escape.hostile = {"kind": "escape", "canary": options.canary}
        site.posts.append(escape)
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
    return [canary + "2024/01/01/escaped/", renderer.url(ESCAPE_REDIRECT), "file:///etc/passwd",
            "data:text/html,<h1>escaped</h1>", "ftp://127.0.0.2/escaped/"]


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
    swaps = {renderer.url("/wp-json/"): canary + "wp-json/",
             renderer.url("/wp-admin/admin-ajax.php"): canary + "wp-admin/admin-ajax.php"}
    text = body.decode("utf-8")
    for old, new in swaps.items():
        text = text.replace(old, new)
        links = [link.replace(old, new) for link in links]
    return text.encode("utf-8"), links

