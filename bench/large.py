"""``python -m bench --queries-1m``: the read queries on a synthetic 1M-comment archive built in a minute or two.

The archive is written with plain SQL at the current schema (no crawl, no thread assembly): 2,000 recaps of 500
comments, one of 1,000, Zipf-distributed words from a 20,000-word vocabulary and the term ``tarot`` in 15% of
the comments. Full-text rows go in one statement per recap, as ``save_comments`` writes them, so the index has
the segments a crawl leaves. The queries are measured as the crawl leaves the index and again after the FTS5
``optimize`` that ``archiver.archive.schema.optimize_search`` runs at the end of a crawl.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
from pathlib import Path

from archiver.archive import store
from archiver.archive.schema import OPTIMIZE_AFTER, optimize_search
from archiver.archive.sqlite import sqlite3
from bench.micro import FTS5_RANK_SQL, FTS_RANK_SQL, THREAD_SQL, _timed, search_timings

TERM = "tarot"
TERM_SHARE = 0.15
PER_RECAP = 500


def build(path: Path, comments: int = 1_000_000, seed: int = 3) -> dict:
    """Write the synthetic archive at ``path``; return its size and how long it took."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store.open_archive(path).close()
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(20_000)]
    cumulative = list(itertools.accumulate(1 / (i + 1) for i in range(len(vocab))))
    conn = sqlite3.connect(path)
    conn.execute("pragma synchronous = off")
    start = time.perf_counter()
    conn.execute("insert into sites (id, base_url) values (1, 'https://recaps.example/')")
    next_id, recap = 1, 0
    while next_id <= comments:
        recap += 1
        size = min(1_000 if recap == 1 else PER_RECAP, comments - next_id + 1)
        rows = []
        for i in range(size):
            words = rng.choices(vocab, cum_weights=cumulative, k=rng.randint(8, 60))
            if rng.random() < TERM_SHARE:
                words[rng.randrange(len(words))] = TERM
            rows.append((next_id + i, recap, str(next_id + i), f"{i + 1:06d}", f"Reader {i % 40}", " ".join(words)))
        with conn:
            conn.execute(
                "insert into recaps (id, site_id, url) values (?, 1, ?)", [recap, f"https://recaps.example/{recap}/"]
            )
            conn.executemany(
                "insert into comments (id, recap_id, site_comment_id, path, author, body_text, depth, position) "
                "values (?, ?, ?, ?, ?, ?, 1, 1)",
                rows,
            )
            conn.execute(
                "insert into comments_fts (rowid, body_text, author) "
                "select id, body_text, author from comments where id between ? and ?",
                [next_id, next_id + size - 1],
            )
        next_id += size
    conn.close()
    return {"comments": next_id - 1, "recaps": recap, "build_s": round(time.perf_counter() - start, 1)}


def queries(path: Path) -> dict:
    """Median ms of the thread of 1,000 comments and of the searches for the common term."""
    conn = sqlite3.connect(path)
    thread_ms, thread_rows = _timed(conn, THREAD_SQL, [1])
    searches = search_timings(conn, TERM, repeat=7)
    fts5_rank_ms, _ = _timed(conn, FTS5_RANK_SQL, [TERM], repeat=7)
    if conn.execute(FTS_RANK_SQL, [TERM]).fetchall() != conn.execute(FTS5_RANK_SQL, [TERM]).fetchall():
        raise AssertionError("the two-step ranking and FTS5's rank disagree")
    # CPU time too: on a shared machine the wall time of a 100 ms query says more about the neighbours.
    cpu = []
    for _ in range(7):
        start = time.process_time()
        conn.execute(FTS_RANK_SQL, [TERM]).fetchall()
        cpu.append(time.process_time() - start)
    conn.close()
    return {
        "thread_comments": thread_rows,
        "thread_ms": thread_ms,
        **searches,
        "fts_ranked20_fts5_rank_ms": fts5_rank_ms,
        "fts_ranked20_cpu_ms": round(statistics.median(cpu) * 1000, 2),
    }


def bench_queries_1m(work: Path, comments: int = 1_000_000, log=print) -> dict:
    """Build, measure as crawled, merge the index as a crawl's end does, measure again."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / "queries-1m.db"
    log(f"[queries-1m] building a synthetic archive of {comments} comments ...")
    info = build(path, comments)
    log(f"[queries-1m] built in {info['build_s']} s; queries as crawled ...")
    as_crawled = queries(path)
    start = time.perf_counter()
    db = store.open_archive(path)
    optimize_search(db, OPTIMIZE_AFTER)
    db.close()
    info["optimize_s"] = round(time.perf_counter() - start, 1)
    merged = queries(path)
    log(
        f"[queries-1m] index merged in {info['optimize_s']} s; ranked 20 {as_crawled['fts_ranked20_ms']} -> "
        f"{merged['fts_ranked20_ms']} ms"
    )
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return {
        **info,
        "term": TERM,
        "as_crawled": as_crawled,
        "merged": merged,
        "fts_ranked_ms_1m": merged["fts_ranked20_ms"],
        "fts_ranked_ms_1m_baseline": as_crawled["fts_ranked20_ms"],
        "fts_first20_ms_1m": merged["fts_first20_ms"],
        "thread_1000_ms_1m": merged["thread_ms"],
    }
