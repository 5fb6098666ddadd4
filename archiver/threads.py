"""The reply hierarchy of one recap's thread: parent, root, depth, position and path.

Works on the comments of all comment pages at once, iteratively (a 10,000-deep
reply chain must not hit Python's recursion limit).
"""

from __future__ import annotations

from dataclasses import dataclass

from archiver.items import CommentItem

PATH_WIDTH = 6
"""Digits per path segment: siblings sort correctly up to 999,999 per parent."""


@dataclass
class ThreadReport:
    """What assembling a thread found."""

    comments: int = 0
    """Distinct comments in the thread."""
    duplicates: int = 0
    """Comments seen more than once (the first sighting is kept)."""
    parent_missing: int = 0
    """Replies whose parent never appeared; kept as roots of their own subtree."""
    cycles_broken: int = 0
    """Replies whose parent chain looped back on itself (or named itself)."""
    max_depth: int = 0
    """Depth of the deepest reply."""
    paths_bounded: int = 0
    """Replies deeper than ``max_path_depth`` whose path names their ancestor at that depth, not every level."""


def assemble_thread(comments: list[CommentItem], max_path_depth: int = 0) -> tuple[list[CommentItem], ThreadReport]:
    """Compute the hierarchy fields of ``comments`` in place.

    ``max_path_depth`` (0: none) bounds the levels ``path`` spells out: a reply deeper than that gets the path
    of its ancestor at that depth plus its place in that ancestor's subtree, so paths stay short and their text
    order is still thread order, while ``depth``, ``position`` and the parent keep their true values.

    ``comments`` are in reading order: comment page 1 first (items are stably sorted
    by ``page``, comments with no page last), document order within a page. Returns the distinct comments in
    depth-first thread order and a :class:`ThreadReport`. A reply whose parent is
    absent keeps ``parent_site_id``, gets ``parent_missing=True`` and is placed as a
    top-level thread (depth 1) where it appeared, so that nothing is dropped.
    """
    report = ThreadReport()
    # Comments found on no page (only an API has them) come after every page.
    ordered = sorted(comments, key=lambda c: (c.page is None, c.page or 0))
    by_id: dict[str, CommentItem] = {}
    for comment in ordered:
        if comment.site_comment_id in by_id:
            report.duplicates += 1
            continue
        by_id[comment.site_comment_id] = comment
    distinct = list(by_id.values())
    report.comments = len(distinct)

    parent_of: dict[str, str | None] = {}
    for comment in distinct:
        parent = comment.parent_site_id
        comment.parent_missing = False
        if parent is not None and (parent not in by_id or parent == comment.site_comment_id):
            comment.parent_missing = True
            if parent == comment.site_comment_id:
                report.cycles_broken += 1
            else:
                report.parent_missing += 1
            parent = None
        parent_of[comment.site_comment_id] = parent
    report.cycles_broken += _break_cycles(by_id, parent_of)

    children: dict[str | None, list[CommentItem]] = {}
    for comment in distinct:
        children.setdefault(parent_of[comment.site_comment_id], []).append(comment)

    result: list[CommentItem] = []
    # Depth-first walk with an explicit stack of (comment, parent path, root id, depth).
    stack: list[tuple[CommentItem, str, str | None, int, int]] = []
    for position, root in reversed(list(enumerate(children.get(None, []), start=1))):
        stack.append((root, "", None, 1, position))
    flattened: dict[str, int] = {}  # path of an ancestor at max_path_depth -> descendants given a path under it
    while stack:
        comment, parent_path, root_id, depth, position = stack.pop()
        if max_path_depth and depth > max_path_depth:
            anchor = parent_path if depth == max_path_depth + 1 else parent_path.rsplit(".", 1)[0]
            flattened[anchor] = flattened.get(anchor, 0) + 1
            comment.path = f"{anchor}.{flattened[anchor]:0{PATH_WIDTH}d}"
            report.paths_bounded += 1
        else:
            segment = f"{position:0{PATH_WIDTH}d}"
            comment.path = f"{parent_path}.{segment}" if parent_path else segment
        comment.depth = depth
        comment.position = position
        comment.root_site_id = root_id or comment.site_comment_id
        report.max_depth = max(report.max_depth, depth)
        result.append(comment)
        kids = children.get(comment.site_comment_id, [])
        for child_position, child in reversed(list(enumerate(kids, start=1))):
            stack.append((child, comment.path, comment.root_site_id, depth + 1, child_position))
    return result, report


def _break_cycles(by_id: dict[str, CommentItem], parent_of: dict[str, str | None]) -> int:
    """Detach every comment on a loop of parent links (A→B→A); return how many were detached.

    No member of a loop has a trustworthy ancestry, so each becomes the root of its own subtree,
    flagged ``parent_missing`` (its ``parent_site_id`` is kept); replies hanging off the loop stay put.
    """
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = known to reach a root
    cut = 0
    for start in by_id:
        walk: list[str] = []
        node: str | None = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            walk.append(node)
            node = parent_of[node]
        if node is not None and state.get(node) == 1:
            # The walk came back to ``node``: the loop is the walk from ``node`` on.
            for member in walk[walk.index(node) :]:
                parent_of[member] = None
                by_id[member].parent_missing = True
                cut += 1
        for visited in walk:
            state[visited] = 2
    return cut
