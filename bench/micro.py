"""Measurements that need no crawl: saving alone, thread and full-text queries, archive size per comment."""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from archiver.archive import store
from archiver.archive.query import best_first
from archiver.archive.sqlite import sqlite3
from archiver.items import CommentItem, RecapItem, Term
from archiver.threads import assemble_thread
from bench.sizes import layout_before_m008, raw_pages, without_raw_bytes

WORDS = (
    "the chemistry between the leads finally clicked for me and that confession scene took my breath away "
    "second lead deserved better music forgettable tarot reading favourite subplot rewatching first episode "
    "flower shop scene pacing dragged writer bigger project cinematography gorgeous"
).split()


def synthetic_recaps(comments: int, per_recap: int = 500, seed: int = 1) -> list[RecapItem]:
    """Recaps as the pipelines hand them to the store: cleaned, dated, with their hierarchy assembled."""
    rng = random.Random(seed)
    recaps = []
    cid = 10_000
    for r in range(max(1, comments // per_recap)):
        items: list[CommentItem] = []
        for i in range(min(per_recap, comments - r * per_recap)):
            cid += 1
            parent = rng.choice(items[-12:]).site_comment_id if items and rng.random() < 0.38 else None
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60)))
            up = rng.randint(0, 30)
            items.append(
                CommentItem(
                    site_comment_id=str(cid),
                    parent_site_id=parent,
                    author=rng.choice(["Nabi", "Sunny", "mimi", "Tae"]),
                    posted_at_raw="February 23, 2021 at 4:53 pm",
                    posted_at="2021-02-23T07:53:00+00:00",
                    body_html=f"<p>{text}</p>",
                    body_text=text,
                    upvotes=up,
                    downvotes=None,
                    score=up,
                    page=1 + i // 100,
                )
            )
        threaded, _ = assemble_thread(items)
        recaps.append(
            RecapItem(
                url=f"https://recaps.example/2021/02/{r % 28 + 1:02d}/show-episode-{r}/",
                site_url="https://recaps.example/",
                fetched_at="2026-01-01T00:00:00+00:00",
                site_name="Recaps",
                title=f"Show: Episode {r}",
                author="girlfriday",
                published_at="2021-02-01T00:00:00+00:00",
                tags=[Term("Show", "show", "https://recaps.example/tag/show/")],
                body_html="<p>" + " ".join(WORDS) + "</p>",
                body_text=" ".join(WORDS),
                comments=threaded,
                series_name="Show",
                episode_number=r,
                platform="wordpress",
                series_term=Term("Show", "show", "https://recaps.example/tag/show/"),
            )
        )
    return recaps


def bench_save(path: Path, comments: int) -> dict:
    """Comments per second through ``archiver.archive.store.save_recap`` into a fresh archive file."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    recaps = synthetic_recaps(comments)
    db = store.open_archive(path)
    crawl_id = store.start_crawl(db, "bench", {}, "2026-01-01T00:00:00+00:00")
    start = time.perf_counter()
    for recap in recaps:
        store.save_recap(db, recap, crawl_id)
    seconds = time.perf_counter() - start
    db.close()
    total = sum(len(r.comments) for r in recaps)
    return {"comments": total, "seconds": round(seconds, 3), "comments_per_s": round(total / seconds)}


def _timed(conn: sqlite3.Connection, sql: str, params: list, repeat: int = 15) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = len(conn.execute(sql, params).fetchall())
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 2), rows


THREAD_SQL = (
    "select id, parent_id, depth, path, author, posted_at, upvotes, body_text "
    "from comments where recap_id = ? order by path"
)
FTS_SQL = (
    "select comments.id, snippet(comments_fts, 0, '[', ']', '…', 12) from comments_fts "
    "join comments on comments.rowid = comments_fts.rowid where comments_fts match ? limit 20"
)
# The ranked search as archiver.archive.query.search_comments runs it (best_first), and FTS5's own
# "order by rank" beside it, which it replaced (issue 17).
FTS_RANK_SQL = (
    best_first("comments_fts", "?1", "20")
    + " select comments.id from best join comments on comments.rowid = best.rowid order by best.score, best.rowid"
)
FTS5_RANK_SQL = (
    "select comments.id from comments_fts join comments on comments.rowid = comments_fts.rowid "
    "where comments_fts match ? order by rank limit 20"
)
FTS_COUNT_SQL = "select count(*) from comments_fts where comments_fts match ?"


def bench_queries(archive: Path, term: str = "tarot") -> dict:
    """Median milliseconds of one recap's whole thread (the largest) and of full-text searches."""
    conn = sqlite3.connect(archive)
    recap_id, count = conn.execute(
        "select recap_id, count(*) c from comments group by recap_id order by c desc limit 1"
    ).fetchone()
    thread_ms, rows = _timed(conn, THREAD_SQL, [recap_id])
    searches = search_timings(conn, term, repeat=5)
    conn.close()
    return {"thread_comments": rows, "thread_ms": thread_ms, "fts_term": term, **searches}


def search_timings(conn: sqlite3.Connection, term: str, repeat: int) -> dict:
    """Median milliseconds of a search's first 20 hits, its best 20 and its count (``repeat`` runs of the last
    two), with the number of matches."""
    first_ms, _ = _timed(conn, FTS_SQL, [term])
    ranked_ms, _ = _timed(conn, FTS_RANK_SQL, [term], repeat=repeat)
    count_ms, _ = _timed(conn, FTS_COUNT_SQL, [term], repeat=repeat)
    return {
        "fts_matches": conn.execute(FTS_COUNT_SQL, [term]).fetchone()[0],
        "fts_first20_ms": first_ms,
        "fts_ranked20_ms": ranked_ms,
        "fts_count_ms": count_ms,
    }


def _size(path: Path) -> int:
    return path.stat().st_size


def bench_size(archive: Path, work: Path) -> dict:
    """Archive bytes per comment, compacted, with and without the raw pages, against its text and against the
    layout before m008 (bench/sizes.py); raw pages against a .warc.gz of the same responses."""
    conn = sqlite3.connect(archive)
    conn.execute("pragma wal_checkpoint(truncate)")
    comments = conn.execute("select count(*) from comments").fetchone()[0]
    text = conn.execute(
        "select coalesce(sum(length(cast(body_text as blob)) + length(cast(coalesce(author, '') as blob))), 0) "
        "from comments"
    ).fetchone()[0]
    text += conn.execute(
        "select coalesce(sum(length(cast(body_text as blob)) + length(cast(title as blob))), 0) from recaps"
    ).fetchone()[0]
    html = conn.execute("select coalesce(sum(length(cast(body_html as blob))), 0) from comments").fetchone()[0]
    html += conn.execute("select coalesce(sum(length(cast(body_html as blob))), 0) from recaps").fetchone()[0]
    on_disk = _size(archive)
    compact = work / "compact.db"
    compact.unlink(missing_ok=True)
    conn.execute("vacuum into ?", [str(compact)])
    conn.close()
    with_raw = _size(compact)
    without_raw = without_raw_bytes(compact)
    before_m008 = layout_before_m008(compact)
    compact.unlink()
    per = max(1, comments)
    return {
        "comments": comments,
        "archive_bytes": on_disk,
        "compact_bytes": with_raw,
        "without_raw_bytes": without_raw,
        "bytes_per_comment": round(with_raw / per),
        "bytes_per_comment_without_raw": round(without_raw / per),
        "bytes_per_comment_without_raw_before_m008": round(before_m008 / per),
        "text_bytes": text,
        "html_bytes": html,
        "without_raw_vs_text": round(without_raw / max(1, text), 2),
        "without_raw_vs_text_and_html": round(without_raw / max(1, text + html), 2),
        **raw_pages(archive, work),
    }
