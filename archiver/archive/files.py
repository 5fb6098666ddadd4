"""Files the archiver reads and writes: read-only archive connections and output written safely.

* ``connect_read_only(path)`` opens an archive read-only through a ``file:`` URI built with
  ``Path.resolve().as_uri()``, so a path holding ``#``, ``?`` or ``%`` opens that file and no other; every reader
  opens the archive this way, ``open_read_only(path)`` when it must be a recap archive (``is_archive``).
* ``safe_output(target, ...)`` is how every command writes a file: never over the archive it reads, never over
  an existing file without ``force``, and through a temporary file in the same folder renamed into place, so an
  interrupted command leaves the old file (or none) rather than half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from archiver.archive.sqlite import sqlite3
from archiver.errors import ArchivePathError, NotAnArchiveError


class OutputRefused(ArchivePathError):
    """A command was asked to write over its own input or over a file that exists (without ``--force``)."""


def read_only_uri(path: str | Path) -> str:
    """The SQLite URI opening ``path`` read-only (``file:///abs/path?mode=ro``, special characters escaped)."""
    return Path(path).resolve().as_uri() + "?mode=ro"


def connect_read_only(path: str | Path, **kwargs: Any) -> sqlite3.Connection:
    """A read-only connection to the SQLite file at ``path``; sqlite3 errors propagate."""
    return sqlite3.connect(read_only_uri(path), uri=True, **kwargs)


def is_archive(conn: sqlite3.Connection) -> bool:
    """True when the database has the archive's ``recaps`` and ``comments`` tables: the one test of "an archive".

    Raises sqlite3.DatabaseError when the file is not SQLite at all.
    """
    found = conn.execute(
        "select count(*) from sqlite_master where type = 'table' and name in ('recaps', 'comments')"
    ).fetchone()[0]
    return found == 2


def has_table(conn: sqlite3.Connection, table: str, column: str | None = None) -> bool:
    """True when the archive has ``table`` (and its ``column``): an archive made before a migration may lack it."""
    if column is None:
        return (
            conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [table]).fetchone()
            is not None
        )
    return conn.execute("select 1 from pragma_table_info(?) where name = ?", [table, column]).fetchone() is not None


def open_read_only(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to the recap archive at ``path``.

    Raises ArchivePathError when there is no file, NotAnArchiveError when the file is not a recap archive.
    """
    if not Path(path).is_file():
        raise ArchivePathError(f"no archive at {str(path)!r}")
    try:
        conn = connect_read_only(path)
    except sqlite3.Error as exc:
        raise NotAnArchiveError(f"{str(path)!r} is not a recap archive") from exc
    try:
        archive = is_archive(conn)
    except sqlite3.DatabaseError:
        archive = False
    if not archive:
        conn.close()
        raise NotAnArchiveError(f"{str(path)!r} is not a recap archive")
    return conn


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when ``a`` and ``b`` name the same existing file (links and relative paths included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def check_output(target: str | Path, inputs: tuple[str | Path, ...] = (), force: bool = False) -> Path:
    """Return ``target`` as a Path once it is safe to write; raise OutputRefused saying why it is not.

    Writing is refused over any of ``inputs`` (or their ``-wal``/``-shm`` companions), whatever ``force`` says,
    and over any other existing file unless ``force``; a missing folder is an ArchivePathError.
    """
    out = Path(target)
    for source in inputs:
        for suffix in ("", "-wal", "-shm", "-journal"):
            if same_file(out, str(source) + suffix):
                raise OutputRefused(f"refusing to write {str(out)!r}: it is the archive being read")
    if not out.parent.is_dir():
        raise ArchivePathError(f"output folder {str(out.parent)!r} does not exist")
    if out.is_dir():
        raise OutputRefused(f"{str(out)!r} is a folder")
    if out.exists() and not force:
        raise OutputRefused(f"{str(out)!r} exists; use --force to replace it")
    return out


@contextmanager
def safe_output(
    target: str | Path,
    inputs: tuple[str | Path, ...] = (),
    force: bool = False,
    binary: bool = False,
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Yield a file to write ``target``'s new content to; rename it into place when the block succeeds.

    The file is a temporary one in ``target``'s folder; it is removed if the block raises. Refusals are those
    of :func:`check_output`.
    """
    out = check_output(target, inputs, force)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def is_demo_archive(path: str | Path, site_name: str) -> bool:
    """True when ``path`` is an archive holding only the demo site (named ``site_name``, served on loopback)."""
    try:
        conn = connect_read_only(path)
        try:
            sites = conn.execute("select name, base_url from sites").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    loopback = ("http://127.0.0.1:", "http://localhost:", "http://[::1]:")
    return bool(sites) and all(name == site_name and (url or "").startswith(loopback) for name, url in sites)
