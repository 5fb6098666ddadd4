"""Migration m011: a comment page stored against its post page's body (``bodies.base_sha256``), dictionaries stored
compressed, and every reader (old archives, read-only ones, merged ones) getting the same bytes back."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from pathlib import Path

import pytest
import zstandard
from helpers import stored_bodies
from sqlite_utils import Database
from warcio.archiveiterator import ArchiveIterator

from archiver.archive import store
from archiver.archive.bodies import (
    BodyReader,
    BodyWriter,
    based_dictionary,
    site_of,
    stored_dictionary,
    thread_base_url,
)
from archiver.archive.merge import merge_archives
from archiver.archive.schema import ensure_schema, migrations
from archiver.archive.warc import export_warc

WORDS = "chemistry leads confession scene pacing tarot flower shop music second lead".split()


def _thread(site: str, post: int, pages: int, rng: random.Random) -> dict[str, bytes]:
    """A post page and its comment pages: the same chrome and recap text around different comments, by URL."""
    chrome = f"<header><nav>{site} home about archive contact</nav></header>" * 20
    recap = " ".join(rng.choice(WORDS) for _ in range(1500))  # a recap of its own: only this thread repeats it
    out = {}
    for page in range(pages + 1):
        comments = "".join(
            f'<li class="comment" id="comment-{post}-{page}-{i}"><p>'
            f"{' '.join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))}</p></li>"
            for i in range(30)
        )
        html = f"<html><body>{chrome}<article>{recap}</article><ol>{comments}</ol></body></html>".encode()
        url = f"https://{site}/post-{post}/" + (f"comment-page-{page}/" if page else "")
        out[url] = html
    return out


def _store(db: Database, writer: BodyWriter, pages: dict[str, bytes]) -> dict[str, str]:
    """Store ``pages`` as the page store does (the body, then its ``pages`` row); return their digests by URL."""
    digests = {}
    with db.atomic():
        for url, body in pages.items():
            digests[url] = hashlib.sha256(body).hexdigest()
            writer.store(db.conn, url, body, digests[url])
            db.conn.execute(
                "insert into pages (url, status, headers, fetched_at, body_sha256) values (?, 200, ?, ?, ?)",
                [url, "{}", "2026-11-30T00:00:00+00:00", digests[url]],
            )
    return digests


def _archive(path: Path | None = None) -> Database:
    db = store.open_archive(path) if path else Database(memory=True)
    if path is None:
        ensure_schema(db)
    return db


def _site_pages(site: str, seed: int, threads: int = 6) -> dict[str, bytes]:
    rng = random.Random(seed)
    pages: dict[str, bytes] = {}
    for post in range(threads):
        pages |= _thread(site, post, 2, rng)
    return pages


def test_a_comment_page_is_stored_against_its_post_page_and_reads_back() -> None:
    db = _archive()
    pages = _site_pages("a.example", 1)
    digests = _store(db, BodyWriter(train_after=8), pages)
    bases = dict(db.execute("select sha256, base_sha256 from bodies").fetchall())
    for url, digest in digests.items():
        post = thread_base_url(url)
        # A post page has no base; a comment page has its post page's, once the dictionary is in (after 8 pages:
        # the comment pages stored before it get theirs when it is trained).
        assert bases[digest] == (digests[post] if post else None), url
    assert db.execute("select count(*) from bodies where dictionary_id is null").fetchone() == (0,)
    assert stored_bodies(db.conn) == {digests[url]: body for url, body in pages.items()}
    # Against the post page, a comment page takes far fewer bytes than with the dictionary alone.
    url = "https://a.example/post-5/comment-page-2/"
    [(based, dictionary_id)] = db.execute(
        "select length(body), dictionary_id from bodies where sha256 = ?", [digests[url]]
    ).fetchall()
    alone = zstandard.ZstdCompressor(level=9, dict_data=zstandard.ZstdCompressionDict(_dictionary(db, dictionary_id)))
    assert based < len(alone.compress(pages[url])) * 0.7


def _dictionary(db: Database, dictionary_id: int) -> bytes:
    (stored,) = db.execute("select bytes from body_dictionaries where id = ?", [dictionary_id]).fetchone()
    return stored_dictionary(stored)


def test_the_same_in_the_background_with_pages_stored_while_it_trains() -> None:
    db = _archive()
    pages = _site_pages("a.example", 2)
    writer = BodyWriter(train_after=8, background=True)
    digests = _store(db, writer, pages)
    writer.collect(db.conn, wait=True)
    based = {d for (d,) in db.execute("select sha256 from bodies where base_sha256 is not null")}
    assert based == {digests[url] for url in pages if thread_base_url(url)}
    assert stored_bodies(db.conn) == {digests[url]: body for url, body in pages.items()}


def test_without_the_post_page_or_a_dictionary_a_comment_page_has_no_base() -> None:
    db = _archive()
    pages = _site_pages("a.example", 3)
    only_comment_pages = {url: body for url, body in pages.items() if thread_base_url(url)}
    _store(db, BodyWriter(train_after=8), only_comment_pages)
    assert db.execute("select count(base_sha256), count(dictionary_id) from bodies").fetchone() == (0, 12)
    assert db.execute("select count(*) from body_dictionaries").fetchone() == (1,)
    small = _archive()  # a site with too few pages for a dictionary: no base either
    _store(small, BodyWriter(), pages)
    assert small.execute("select count(base_sha256), count(dictionary_id) from bodies").fetchone() == (0, 0)
    assert sorted(stored_bodies(small.conn).values()) == sorted(pages.values())


def test_a_base_that_has_a_base_itself_is_not_used() -> None:
    db = _archive()
    pages = _site_pages("a.example", 4, threads=4)
    writer = BodyWriter(train_after=8)
    _store(db, writer, dict(list(pages.items())[:9]))
    # The next thread's post page, as a merge could leave it: stored against another body.
    post, comment_page = "https://a.example/post-3/", "https://a.example/post-3/comment-page-1/"
    other = db.execute("select sha256 from bodies where base_sha256 is null limit 1").fetchone()[0]
    digests = _store(db, writer, {post: pages[post]})
    db.execute("update bodies set base_sha256 = ? where sha256 = ?", [other, digests[post]])
    db.execute(  # recompressed against it, as that archive had it
        "update bodies set body = ? where sha256 = ?",
        [_compress_against(db, other, pages[post]), digests[post]],
    )
    digests |= _store(db, writer, {comment_page: pages[comment_page]})
    assert db.execute("select base_sha256 from bodies where sha256 = ?", [digests[comment_page]]).fetchone() == (None,)
    reader = BodyReader(db.conn)
    assert reader.read_digest(digests[post]) == pages[post]
    assert reader.read_digest(digests[comment_page]) == pages[comment_page]


def _compress_against(db: Database, base: str, body: bytes) -> bytes:
    reader = BodyReader(db.conn)
    dictionary_id = db.execute("select dictionary_id from bodies where sha256 = ?", [base]).fetchone()[0]
    data = based_dictionary(reader.dictionary(dictionary_id), reader.read_digest(base))
    return zstandard.ZstdCompressor(level=9, dict_data=data).compress(body)


def test_a_base_without_a_dictionary_reads_and_a_missing_or_circular_base_says_why() -> None:
    db = _archive()
    rng = random.Random(12)
    recap = " ".join(rng.choice(WORDS) for _ in range(500)).encode()
    post, page = b"<html>" + recap + b"</html>", b"<html>" + recap + b"<p>and a comment</p></html>"
    db.execute(
        "insert into bodies (sha256, size, encoding, body) values ('post', ?, 'zstd', ?)", [len(post), zstd(post)]
    )
    against = zstandard.ZstdCompressor(level=9, dict_data=based_dictionary(b"", post)).compress(page)
    assert len(against) < len(zstd(page)) / 2
    db.execute(
        "insert into bodies (sha256, size, encoding, body, base_sha256) values ('page', ?, 'zstd', ?, 'post')",
        [len(page), against],
    )
    reader = BodyReader(db.conn)
    assert reader.read_digest("page") == page
    with pytest.raises(ValueError, match="body gone is missing"):
        reader.read("zstd", against, None, "gone")
    db.execute("update bodies set base_sha256 = 'page' where sha256 = 'post'")  # a cycle no writer makes
    with pytest.raises(ValueError, match="deeper than 2 bodies"):
        BodyReader(db.conn).read_digest("page")


def zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=9).compress(data)


def test_dictionaries_are_stored_compressed_and_raw_ones_from_before_still_read() -> None:
    db = _archive()
    pages = _site_pages("a.example", 5, threads=4)
    digests = _store(db, BodyWriter(train_after=8), pages)
    [(stored,)] = db.execute("select bytes from body_dictionaries").fetchall()
    assert stored.startswith(zstandard.FRAME_HEADER) and len(stored) < len(stored_dictionary(stored)) / 2
    # As m008 stored it: the trained dictionary itself; a later writer and every reader use it as before.
    db.execute("update body_dictionaries set bytes = ?", [stored_dictionary(stored)])
    assert stored_bodies(db.conn) == {digests[url]: body for url, body in pages.items()}
    more = _thread("a.example", 9, 1, random.Random(6))
    digests |= _store(db, BodyWriter(train_after=8), more)
    assert db.execute("select count(*) from body_dictionaries").fetchone() == (1,)
    assert db.execute("select count(base_sha256) from bodies").fetchone() == (8 + 1,)
    assert stored_bodies(db.conn) == {digests[url]: body for url, body in (pages | more).items()}
    assert site_of(next(iter(more))) == "https://a.example"


def test_a_site_crawled_a_few_pages_at_a_time_gets_its_dictionary_from_every_crawl() -> None:
    db = _archive()
    pages = list(_site_pages("a.example", 12, threads=4).items())  # 12 pages, three crawls of 4
    other = _thread("b.example", 0, 3, random.Random(13))  # another site's 4 pages: never its samples
    digests = _store(db, BodyWriter(train_after=8), other)
    for crawl in range(3):  # a writer per crawl, as each crawl process has its own
        digests |= _store(db, BodyWriter(train_after=8), dict(pages[crawl * 4 : crawl * 4 + 4]))
        trained = db.execute("select site, samples from body_dictionaries").fetchall()
        # Eight pages over two crawls are enough: the second crawl trains on the first one's pages and its own.
        assert trained == ([] if crawl == 0 else [("https://a.example", 8)])
    ours = [digests[url] for url, _ in pages]
    assert db.execute(
        "select count(*) from bodies where dictionary_id is not null and sha256 in (select value from json_each(?))",
        [json.dumps(ours)],
    ).fetchone() == (12,)
    assert db.execute("select count(*) from bodies where dictionary_id is null").fetchone() == (len(other),)
    assert stored_bodies(db.conn) == {digests[url]: body for url, body in [*pages, *other.items()]}


def _as_before_m011(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("alter table bodies drop column base_sha256")
        conn.execute("delete from _sqlite_migrations where name = 'm011_body_bases'")


def test_an_archive_from_before_m011_is_read_as_it_is_and_migrates_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = _archive(path)
    pages = {url: body for url, body in _site_pages("a.example", 7, threads=9).items() if not thread_base_url(url)}
    digests = _store(db, BodyWriter(train_after=8), pages)
    db.close()
    _as_before_m011(path)
    # export-warc reads it read-only, without migrating it.
    out = tmp_path / "old.warc.gz"
    assert export_warc(path, out) == len(pages)
    with out.open("rb") as fh:
        got = {r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read() for r in ArchiveIterator(fh)}
    assert got == pages
    db = store.open_archive(path)  # applies m011
    assert "m011_body_bases" in {m.name for m in migrations.applied(db)}
    assert stored_bodies(db.conn) == {digests[url]: body for url, body in pages.items()}
    more = _thread("a.example", 0, 2, random.Random(8))  # comment pages of a thread archived before
    more = {url: body for url, body in more.items() if thread_base_url(url)}
    assert "https://a.example/post-0/" in pages
    digests |= _store(db, BodyWriter(train_after=8), more)
    assert db.execute("select count(base_sha256) from bodies").fetchone() == (2,)
    assert stored_bodies(db.conn) == {digests[url]: body for url, body in (pages | more).items()}
    db.close()


def test_merge_copies_bodies_with_their_bases_from_new_and_old_archives(tmp_path: Path) -> None:
    expected: dict[str, bytes] = {}
    for name, seed in (("a", 9), ("b", 10), ("old", 11)):
        db = _archive(tmp_path / f"{name}.db")
        pages = _site_pages(f"{name}.example", seed, threads=3)
        if name == "old":  # an archive before m011 has no bases: its comment pages were stored like any page
            pages = {url: body for url, body in pages.items() if not thread_base_url(url)}
        expected |= {hashlib.sha256(b).hexdigest(): b for b in pages.values()}
        _store(db, BodyWriter(train_after=8), pages)
        db.close()
    _as_before_m011(tmp_path / "old.db")
    target = tmp_path / "merged.db"
    merge_archives(target, [tmp_path / "a.db", tmp_path / "b.db", tmp_path / "old.db"])
    conn = sqlite3.connect(target)
    before = conn.execute("select count(*), count(base_sha256) from bodies").fetchone()
    assert before == (len(expected), 2 * 6)  # a's and b's comment pages; old's bodies lost their base column
    assert stored_bodies(conn) == expected
    conn.close()
    (counts,) = merge_archives(target, [tmp_path / "b.db"])
    assert counts.added.get("bodies", 0) == 0


def test_a_page_stored_as_its_dictionary_comes_in_is_compressed_with_it() -> None:
    db = _archive()
    items = list(_site_pages("a.example", 13, threads=4).items())
    writer = BodyWriter(train_after=8, background=True)
    _store(db, writer, dict(items[:8]))
    assert writer.training and writer._pool is not None
    # The pool has one thread: once this has run, the dictionary is trained, but not yet collected.
    writer._pool.submit(lambda: None).result(timeout=60)
    digests = _store(db, writer, dict(items[8:9]))  # collects it, then stores this page with it
    assert not writer.training
    assert db.execute("select count(*) from bodies where dictionary_id is null").fetchone() == (0,)
    assert stored_bodies(db.conn)[digests[items[8][0]]] == items[8][1]


def test_bodies_and_a_dictionary_rolled_back_with_their_batch_are_forgotten() -> None:
    pages = list(_site_pages("a.example", 14).items())  # 18 pages of one site
    # A batch lost before the dictionary (its bodies were waiting for it), and one lost with the dictionary in it.
    for lost in (4, 10):
        db = _archive()
        writer = BodyWriter(train_after=8)
        with pytest.raises(sqlite3.OperationalError), db.atomic():
            _store(db, writer, dict(pages[:lost]))
            raise sqlite3.OperationalError("database or disk is full")  # as a commit that fails
        assert db.execute("select count(*) from bodies").fetchone() == (0,)
        writer.forget()  # what the page store does when the crawl's batch is lost
        digests = _store(db, writer, dict(pages[lost:]))
        assert db.execute("select id, samples from body_dictionaries").fetchall() == [(1, 8)]
        assert db.execute("select count(*) from bodies where dictionary_id = 1").fetchone() == (len(pages) - lost,)
        assert stored_bodies(db.conn) == {digests[url]: body for url, body in pages[lost:]}
