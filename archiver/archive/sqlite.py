"""The one SQLite module of the process: the one sqlite-utils (and Datasette) chose.

sqlite-utils and Datasette take ``pysqlite3`` (a newer SQLite, often installed beside Datasette for that reason)
when it can be imported, else the standard library's ``sqlite3``. Every connection to an archive must come from
that same module: each module raises its own error classes (an ``except sqlite3.Error`` of the standard library
misses ``pysqlite3``'s, and a crawl whose batch commit failed that way stalled), and two copies of SQLite in one
process release each other's POSIX locks on the same file (SQLite's "How To Corrupt", 2.2.1).
"""

from __future__ import annotations

from sqlite_utils.utils import sqlite3

__all__ = ["sqlite3"]
