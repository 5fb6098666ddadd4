"""Where an archive's bytes go since migration m008, beside the layout before it (issue 17, targets 4).

* Raw pages: the stored bodies with their dictionaries against a ``.warc.gz`` of the same responses
  (``recap-archiver export-warc``), and against the same bodies compressed as before m008 (zlib level 1).
* Without raw pages: the archive against a copy rebuilt in the layout before m008 (comment HTML stored for
  every comment, every vote observation a row of its own, the two vote indexes), both compacted, so the
  baseline comes from the same crawl.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from archiver.archive.bodies import BodyReader
from archiver.archive.sqlite import sqlite3
from archiver.archive.warc import export_warc

RAW_TABLES = ("pages", "bodies", "body_dictionaries")


def raw_pages(archive: Path, work: Path) -> dict:
    """Bytes of the stored bodies and dictionaries, of the same bodies in zlib level 1, and of a .warc.gz."""
    conn = sqlite3.connect(archive)
    reader = BodyReader(conn)
    stored = zlib_bytes = raw = 0
    for row in conn.execute(f"select {reader.columns()} from bodies"):
        data = reader.read(*row)
        stored += len(row[1])
        raw += len(data)
        zlib_bytes += len(zlib.compress(data, 1))
    dictionaries = conn.execute("select coalesce(sum(length(bytes)), 0) from body_dictionaries").fetchone()[0]
    pages_table = conn.execute("select coalesce(sum(pgsize), 0) from dbstat where name in ('pages')").fetchone()[0]
    conn.close()
    warc = work / "pages.warc.gz"
    warc.unlink(missing_ok=True)
    records = export_warc(archive, warc)
    warc_bytes = warc.stat().st_size
    warc.unlink()
    ours = stored + dictionaries
    return {
        "bodies_raw_bytes": raw,
        "bodies_bytes": stored,
        "dictionaries_bytes": dictionaries,
        "bodies_zlib1_bytes": zlib_bytes,
        "pages_table_bytes": pages_table,
        "warc_records": records,
        "warc_gz_bytes": warc_bytes,
        "raw_bytes_vs_warc_gz": round(ours / max(1, warc_bytes), 3),
        "raw_bytes_vs_warc_gz_baseline": round(zlib_bytes / max(1, warc_bytes), 3),
        "raw_and_pages_table_vs_warc_gz": round((ours + pages_table) / max(1, warc_bytes), 3),
    }


def without_raw_bytes(compact: Path) -> int:
    """Size of ``compact`` (a copy) once its raw pages are dropped and it is vacuumed."""
    c = sqlite3.connect(compact)
    for table in RAW_TABLES:
        c.execute(f"drop table if exists {table}")
    c.commit()
    c.execute("vacuum")
    c.close()
    return compact.stat().st_size


def layout_before_m008(compact: Path) -> int:
    """Size of ``compact`` (a copy, raw pages dropped) rebuilt as the layout before m008 stored it."""
    c = sqlite3.connect(compact)
    names = [r[1] for r in c.execute("pragma table_xinfo(comments)")]
    if "body_html_stored" in names:
        for (trigger,) in c.execute("select name from sqlite_master where type = 'trigger' and tbl_name = 'comments'"):
            c.execute(f"drop trigger {trigger}")  # triggers name the columns; they hold no data
        if c.execute("select 1 from sqlite_master where name = 'vote_changes'").fetchone():
            # Since m013 a first vote observation is the comment itself: every observation becomes a row again.
            c.execute(
                "create table vote_observations_rows (id integer primary key, comment_id integer references "
                "comments(id), crawl_id integer references crawls(id), observed_at text, upvotes integer, "
                "downvotes integer, score integer)"
            )
            c.execute("insert into vote_observations_rows select * from vote_observations order by comment_id, id")
            c.execute("drop view vote_observations")
            c.execute("drop table vote_changes")
            c.execute("alter table vote_observations_rows rename to vote_observations")
        for (view,) in c.execute("select name from sqlite_master where type = 'view'").fetchall():
            c.execute(f"drop view [{view}]")  # views name the columns; they hold no data
        c.execute("alter table comments add column body_html_full text")
        c.execute("update comments set body_html_full = body_html")
        c.execute("alter table comments drop column body_html")
        c.execute("alter table comments drop column body_html_stored")
        for name in ("posted_at", "first_seen_at", "last_seen_at"):
            if f"{name}_stored" in names:  # since m014 the times are integers behind generated columns
                c.execute(f"alter table comments add column {name}_text text")
                c.execute(f"update comments set {name}_text = {name}")
                c.execute(f"alter table comments drop column {name}")
                c.execute(f"alter table comments drop column {name}_stored")
        c.execute("drop index if exists idx_comments_parent_id")  # since m015 it holds replies only
        c.execute("create index idx_comments_parent_id on comments (parent_id)")
        c.execute("drop index if exists idx_vote_observations_comment_id")
        c.execute(
            "create index idx_vote_observations_comment_id_observed_at on vote_observations (comment_id, observed_at)"
        )
        c.execute("create index idx_vote_observations_crawl_id on vote_observations (crawl_id)")
        c.commit()
    # Archives were created with SQLite's default 4 kB pages before new ones took 8 kB.
    c.execute("pragma journal_mode = delete")
    c.execute("pragma page_size = 4096")
    c.execute("vacuum")
    c.close()
    return compact.stat().st_size
