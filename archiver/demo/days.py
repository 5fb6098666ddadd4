"""The demo site some days later: new recaps and replies, edits, deletions, vote changes.

``evolve(site, day)`` turns the day-1 site into the site as it is on ``day``: each
day after the first adds a recap, replies deep in old threads, enough new
top-level comments to open a new comment page on a busy thread, a comment on
the quietest old recap, edits a few comments and a recap body (its ``modified``), deletes (trashes) a few comments and changes votes.
Every change is recorded in ``site.changes`` for the ground truth. Deterministic:
the same options and day always give the same site.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from archiver.demo.model import (
    COMMENTERS,
    Block,
    Comment,
    Post,
    Site,
    _body,
    _comment_blocks,
    _paginate,
    _votes,
    slugify,
)

NEW_REPLIES_PER_DAY = 4
EDITS_PER_DAY = 3
DELETIONS_PER_DAY = 2
VOTE_CHANGES_PER_DAY = 10


def evolve(site: Site, day: int) -> None:
    """Change ``site`` in place into the site as it is on ``day`` (> 1)."""
    site.changes = []
    for n in range(2, day + 1):
        _one_day(site, n, random.Random(f"{site.options.seed}-day-{n}"))
    site.posts.sort(key=lambda p: p.date, reverse=True)


def _visible(post: Post) -> list[Comment]:
    return [c for c in post.comments if c.status == "approved"]


def _one_day(site: Site, day: int, rng: random.Random) -> None:
    comments = [c for p in site.posts for c in p.comments]
    latest = max([c.date for c in comments] + [p.date for p in site.posts])
    today = latest + timedelta(hours=20)
    next_id = max([c.id for c in comments] + [3100])
    touched: set[int] = set()

    def new_comment(post: Post, parent: Comment | None, when: datetime) -> Comment:
        nonlocal next_id
        next_id += rng.choice([1, 1, 2])
        depth = parent.depth + 1 if parent else 1
        up, down = _votes(rng, depth)
        name = rng.choice(COMMENTERS)
        comment = Comment(
            id=next_id,
            post_id=post.id,
            parent_id=parent.id if parent else None,
            author=name,
            author_url=None,
            email=f"{slugify(name) or 'reader'}@mail.example",
            date=when,
            blocks=_comment_blocks(rng, parent, False),
            upvotes=up,
            downvotes=down,
            depth=depth,
            seq=len(post.comments),
        )
        if parent is not None:
            parent.children.append(comment)
        post.comments.append(comment)
        touched.add(post.id)
        site.changes.append(
            {
                "day": day,
                "kind": "comment_new",
                "post_id": post.id,
                "comment": str(comment.id),
                "parent": str(parent.id) if parent else None,
            }
        )
        return comment

    # A new recap: the next episode of the first series, with a small thread.
    old = sorted(site.posts, key=lambda p: p.date)
    template = next((p for p in reversed(old) if p.series is not None), old[-1])
    series = template.series
    episode = max((p.episode_end or p.episode_number or 0) for p in old if p.series is series) + 1 if series else None
    title = f"{series.name}: Episode {episode}" if series else f"Open Thread: Day {day}"
    post = Post(
        id=max(p.id for p in old) + rng.randint(3, 30),
        slug=slugify(title),
        title=title,
        date=today,
        author=rng.choice(site.authors),
        series=series,
        episode_number=episode,
        episode_end=None,
        episode_label=None,
        tags=list(template.tags),
        categories=list(template.categories),
        body=_body(rng, title, episode, series.characters if series else ("everyone", "the lurkers")),
    )
    site.posts.append(post)
    site.changes.append({"day": day, "kind": "recap_new", "post_id": post.id, "title": title})
    when = today
    for _ in range(rng.randint(4, 8)):
        when += timedelta(minutes=rng.randint(3, 90))
        parents = [c for c in _visible(post) if c.depth < site.options.depth]
        new_comment(post, rng.choice(parents) if parents and rng.random() < 0.4 else None, when)

    # Replies deep in old threads.
    with_threads = [p for p in old if any(c.depth > 1 for c in _visible(p))]
    for _ in range(NEW_REPLIES_PER_DAY if with_threads else 0):
        target = rng.choice(with_threads)
        deep = sorted((c for c in _visible(target) if c.depth < site.options.depth), key=lambda c: -c.depth)
        if deep:
            when += timedelta(minutes=rng.randint(3, 60))
            new_comment(target, deep[0] if rng.random() < 0.5 else rng.choice(deep), when)

    # Enough new top-level comments on the busiest recap to open a new comment page.
    busiest = max(old, key=lambda p: len(p.comments))
    for _ in range(site.options.per_page + 1):
        when += timedelta(minutes=rng.randint(3, 60))
        new_comment(busiest, None, when)

    # Edits, deletions and vote changes on comments that were there before today.
    new_today = {int(x["comment"]) for x in site.changes if x["kind"] == "comment_new" and x["day"] == day}
    earlier = [c for p in old for c in _visible(p) if c.id not in new_today]
    for comment in rng.sample(earlier, k=min(EDITS_PER_DAY, len(earlier))):
        comment.edited_from = comment.edited_from or comment.text
        comment.blocks = comment.blocks + [Block("p", [[("text", f"Edit: on rewatch I changed my mind (day {day}).")]])]
        site.changes.append(
            {"day": day, "kind": "comment_edited", "post_id": comment.post_id, "comment": str(comment.id)}
        )
    # Replies only: a deleted top-level comment would also move later threads to earlier pages.
    leaves = [c for c in earlier if not c.children and c.parent_id is not None and c.edited_from is None]
    for comment in rng.sample(leaves, k=min(DELETIONS_PER_DAY, len(leaves))):
        comment.status = "trash"
        touched.add(comment.post_id)
        site.changes.append(
            {"day": day, "kind": "comment_deleted", "post_id": comment.post_id, "comment": str(comment.id)}
        )
    for comment in rng.sample(earlier, k=min(VOTE_CHANGES_PER_DAY, len(earlier))):
        if comment.status != "approved":
            continue
        comment.upvotes += rng.randint(1, 9)
        if comment.downvotes is not None:
            comment.downvotes += rng.randint(0, 2)
        site.changes.append(
            {"day": day, "kind": "votes_changed", "post_id": comment.post_id, "comment": str(comment.id)}
        )

    # A comment on the quietest old recap (its newest comment the oldest of all): a thread whose re-visits have
    # backed off for weeks, which only a change signal brings back the next day.
    quiet = min(
        (p for p in old if p.id not in touched and _visible(p)),
        key=lambda p: (max(c.date for c in _visible(p)), p.id),
        default=None,
    )
    if quiet is not None:
        when += timedelta(minutes=rng.randint(3, 60))
        new_comment(quiet, None, when)

    # An edited recap body.
    edited = rng.choice(old)
    edited.body = edited.body + [("p", f"Update (day {day}): the finale date has been announced.")]
    edited.modified = today + timedelta(hours=1)
    site.changes.append({"day": day, "kind": "recap_edited", "post_id": edited.id})

    for p in site.posts:
        if p.id in touched or p is post:
            _paginate(p, site.options.per_page)
