"""The reply hierarchy: parents, roots, depths, positions, paths; odd input kept, never dropped."""

from __future__ import annotations

import random

from archiver.items import CommentItem
from archiver.threads import assemble_thread


def c(cid: str, parent: str | None = None, page: int = 1) -> CommentItem:
    return CommentItem(site_comment_id=cid, parent_site_id=parent, page=page)


def test_nested_thread_depth_position_path_root() -> None:
    comments = [c("1"), c("2", "1"), c("3", "2"), c("4", "1"), c("5"), c("6", "5")]
    result, report = assemble_thread(comments)
    by = {x.site_comment_id: x for x in result}
    assert [x.site_comment_id for x in result] == ["1", "2", "3", "4", "5", "6"]
    assert [by[i].depth for i in "123456"] == [1, 2, 3, 2, 1, 2]
    assert [by[i].position for i in "123456"] == [1, 1, 1, 2, 2, 1]
    assert [by[i].root_site_id for i in "123456"] == ["1", "1", "1", "1", "5", "5"]
    assert by["3"].path == "000001.000001.000001"
    assert by["6"].path == "000002.000001"
    assert report.max_depth == 3 and report.comments == 6


def test_path_text_order_is_thread_order_across_pages() -> None:
    # The bare post URL shows the newest page first; page 1 still comes first in the thread.
    comments = [c("30", page=3), c("31", "30", page=3), c("10", page=1), c("20", page=2), c("11", "10", page=1)]
    result, _ = assemble_thread(comments)
    assert [x.site_comment_id for x in result] == ["10", "11", "20", "30", "31"]
    assert sorted(result, key=lambda x: x.path) == result


def test_reply_with_missing_parent_is_kept_and_flagged() -> None:
    result, report = assemble_thread([c("1"), c("2", "99"), c("3", "2")])
    by = {x.site_comment_id: x for x in result}
    assert len(result) == 3 and report.parent_missing == 1
    assert by["2"].parent_missing and by["2"].parent_site_id == "99" and by["2"].depth == 1
    assert by["3"].depth == 2 and by["3"].root_site_id == "2" and not by["3"].parent_missing


def test_duplicates_self_parent_and_cycles_do_not_loop_or_drop() -> None:
    comments = [c("1"), c("1"), c("2", "2"), c("3", "4"), c("4", "3"), c("5", "4")]
    result, report = assemble_thread(comments)
    assert sorted(x.site_comment_id for x in result) == ["1", "2", "3", "4", "5"]
    assert report.duplicates == 1 and report.cycles_broken == 3  # 2 names itself; 3 and 4 loop
    by = {x.site_comment_id: x for x in result}
    assert by["3"].parent_missing and by["4"].parent_missing and by["3"].depth == by["4"].depth == 1
    assert by["5"].depth == 2 and by["5"].root_site_id == "4" and not by["5"].parent_missing
    assert all(x.depth and x.path for x in result)
    assert len({x.path for x in result}) == 5


def test_very_deep_chain_needs_no_recursion() -> None:
    comments = [c("0")] + [c(str(i), str(i - 1)) for i in range(1, 5000)]
    result, report = assemble_thread(comments)
    assert report.max_depth == 5000 and result[-1].depth == 5000


def test_random_trees_parents_precede_children_in_path_order() -> None:
    rng = random.Random(7)
    for _ in range(50):
        comments: list[CommentItem] = []
        for i in range(rng.randint(1, 80)):
            parent = rng.choice([None] + [x.site_comment_id for x in comments]) if comments else None
            comments.append(c(str(i), parent))
        result, _ = assemble_thread(list(comments))
        order = {x.site_comment_id: n for n, x in enumerate(sorted(result, key=lambda x: x.path))}
        for x in result:
            if x.parent_site_id:
                parent = next(p for p in result if p.site_comment_id == x.parent_site_id)
                assert order[parent.site_comment_id] < order[x.site_comment_id]
                assert x.depth == parent.depth + 1 and x.root_site_id == parent.root_site_id


def test_paths_stay_short_past_the_bound_and_keep_thread_order() -> None:
    # A 300-deep reply chain with a side reply half-way: paths past depth 10 name the depth-10 ancestor only.
    comments = [CommentItem(site_comment_id="1", parent_site_id=None, page=1)]
    for n in range(2, 301):
        comments.append(CommentItem(site_comment_id=str(n), parent_site_id=str(n - 1), page=1))
    comments.append(CommentItem(site_comment_id="side", parent_site_id="150", page=1))
    ordered, report = assemble_thread(comments, max_path_depth=10)
    assert report.max_depth == 300 and report.paths_bounded == 291
    assert max(len(c.path) for c in ordered) == 11 * 7 - 1
    by_id = {c.site_comment_id: c for c in ordered}
    assert by_id["300"].depth == 300 and by_id["300"].parent_site_id == "299" and by_id["side"].depth == 151
    assert [c.site_comment_id for c in sorted(ordered, key=lambda c: c.path)] == [c.site_comment_id for c in ordered]
    # The side reply is its parent's second child: it comes after the first child's whole subtree.
    assert [c.site_comment_id for c in ordered][-1] == "side" and by_id["side"].position == 2


def test_body_fields_past_the_text_bound_are_cut_counted_and_leave_the_thread_incomplete() -> None:
    from archiver.pipelines.threads import ThreadPipeline
    from scrapy.utils.test import get_crawler

    from archiver.items import RecapItem

    crawler = get_crawler(settings_dict={"ARCHIVER_MAX_TEXT_CHARS": 10})
    pipeline = ThreadPipeline.from_crawler(crawler)
    long, short = (
        CommentItem("1", body_html="<p>" + "x" * 50 + "</p>", body_text="x" * 50, page=1),
        CommentItem("2", body_html="<p>ok</p>", body_text="ok", page=1),
    )
    recap = RecapItem(
        url="http://127.0.0.1:9/a/", site_url="http://127.0.0.1:9/", fetched_at="x", comments=[long, short]
    )
    out = pipeline.process_item(recap)
    assert out.comments[0].body_text == "x" * 10 and len(out.comments[0].body_html) == 10
    assert out.comments[1].body_text == "ok" and not out.complete
    assert "ARCHIVER_MAX_TEXT_CHARS" in out.incomplete_reasons[0]
    assert crawler.stats.get_value("archiver/bounds/text_chars") == 2
