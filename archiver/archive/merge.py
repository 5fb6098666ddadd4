"""Merging archives into one, history included: ``recap-archiver merge MERGED.db SOURCE.db...``.

Each source is attached read-only and copied table by table, in one transaction, in the order of ``MERGE_RULES``
(a table after the tables it refers to). Rows are found again through their natural keys, never their row ids: a
site by its base URL, a recap by its URL, a comment by its recap and the site's comment id, a crawl by its
``uid``. For each table with an ``id``, a temporary map from the source's ids to the merged archive's is built
before anything is written (a new row gets an id after the merged archive's largest), and every foreign key the
schema declares is rewritten through it. History rows (versions, vote observations, raw pages) have no key of
their own: all their columns, remapped, are their identity, so a row merged once is never copied again.

Current values follow the copy seen last (the rule's ``newer`` columns), first-seen values the copy seen first
(``first``). The triggers that write history are suspended while merging: the sources' own history rows are
copied instead, so an update made by the merge records nothing twice. Merging the same sources again changes
nothing; merging newer copies adds what is new and updates current values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from archiver.archive.files import open_read_only, read_only_uri, same_file
from archiver.archive.schema import (
    DROP_IMPLIED_VOTES_SQL,
    FTS_CONFIG,
    STORED_TIMES,
    WRITE_FIRST_VOTES_SQL,
    crawl_uid,
    stored_html_sql,
    stored_time_sql,
)
from archiver.archive.sqlite import sqlite3
from archiver.archive.store import open_archive
from archiver.errors import ArchivePathError, ArchiverError


class MergeError(ArchiverError):
    """A merge that cannot be done: a source this version cannot read whole, or a merged archive left inconsistent."""


class MergeIntoSourceError(ArchivePathError):
    """The merged archive named is one of the sources."""


@dataclass(frozen=True)
class MergeRule:
    """How one table is merged."""

    key: tuple[str, ...] = ()
    """The natural key (after remapping); empty: every column but ``id`` is the row's identity (history rows)."""
    newer: tuple[str, ...] = ()
    """Columns saying when a row was last seen: the copy with the later value gives the current values. Empty: an
    archived row only gets values where it has none."""
    first: tuple[str, ...] = ()
    """First-seen columns, the time first: taken from the copy with the earlier time."""
    derived: dict[str, str] = field(default_factory=dict)
    """Column -> SQL over the source row (alias ``s``) giving its value when the source has no such column: an
    archive from before the migration that added it (migrations fill the column for the rows they find)."""
    rederived: dict[str, str] = field(default_factory=dict)
    """Column -> SQL over the source row (alias ``s``) giving its value whatever the source has: a column whose
    meaning a migration changed, computed again from what it stood for."""
    source: str = ""
    """The source's table or view holding the rows, when it is not named as the table (an older archive's table,
    a newer one's view)."""
    lookup: tuple[str, ...] = ()
    """For history rows: the columns an index finds them by; the others are only compared (SQLite, without
    statistics, may otherwise pick the index on ``crawl_id``, which every row of a crawl shares)."""


# Every table of the schema, in merge order; tests/test_merge.py checks that none is left out.
MERGE_RULES: dict[str, MergeRule] = {
    "crawls": MergeRule(
        key=("uid",),
        newer=("finished_at",),
        derived={"uid": "archive_crawl_uid(s.id, s.spider, s.started_at, s.args)"},
    ),
    "sites": MergeRule(key=("base_url",), newer=("last_crawled_at",), first=("first_seen_at",)),
    # The health report's row per crawl and site: written once, at the crawl's end.
    "crawl_sites": MergeRule(key=("crawl_id", "site_id")),
    "series": MergeRule(key=("site_id", "name")),
    "terms": MergeRule(key=("site_id", "taxonomy", "name")),
    "recaps": MergeRule(key=("url",), newer=("last_crawled_at",), first=("first_seen_at", "first_crawl_id")),
    "recap_terms": MergeRule(key=("recap_id", "term_id")),
    "comments": MergeRule(
        key=("recap_id", "site_comment_id"),
        newer=("last_seen_at", "gone_at"),  # a comment found gone keeps its last_seen_at
        first=("first_seen_at", "first_crawl_id"),
        # body_html is the HTML itself in a source from before m008, generated in a later one: body_html_stored
        # holds it only where the text does not give it back, by the rebuild of the source's own version (m012).
        # The times likewise: text before m014, generated from *_stored since; stored as the store stores them.
        rederived={
            "body_html_stored": stored_html_sql("s.[body_html]", "s.[body_text]"),
            **{f"{name}_stored": stored_time_sql(f"s.[{name}]") for name in STORED_TIMES},
        },
    ),
    "comment_versions": MergeRule(lookup=("comment_id",)),
    "recap_versions": MergeRule(lookup=("recap_id",)),
    # Every vote observation of the source, its first ones included (a table before m013, a view since).
    "vote_changes": MergeRule(lookup=("comment_id", "observed_at"), source="vote_observations"),
    # A body's zstandard dictionary is the same dictionary in every archive holding its bytes (ids renumbered).
    "body_dictionaries": MergeRule(key=("site", "bytes")),
    "bodies": MergeRule(key=("sha256",)),
    "pages": MergeRule(lookup=("fingerprint",)),
    "failures": MergeRule(
        key=("url",), newer=("last_failed_at", "resolved_at"), first=("first_failed_at", "first_crawl_id")
    ),
}

# Tables the merge does not copy: the migrations record (the merged archive has its own) and the full-text
# indexes, kept up to date from the merged rows.
SKIPPED_PREFIXES = ("_sqlite_migrations", "sqlite_", *(f"{table}_fts" for table in FTS_CONFIG))

# Triggers that keep the full-text indexes; every other trigger is suspended while merging.
FTS_TRIGGERS = {f"{table}_{op}" for table in FTS_CONFIG for op in ("ai", "ad", "au")}


@dataclass
class MergeCounts:
    """What merging one source did: rows added and rows updated, by table."""

    source: str
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)


def uncovered_tables(tables: list[str]) -> list[str]:
    """The tables among ``tables`` that the merge neither copies nor skips on purpose."""
    known = set(MERGE_RULES) | {rule.source for rule in MERGE_RULES.values()}
    return [t for t in tables if t not in known and not t.startswith(SKIPPED_PREFIXES)]


def merge_archives(target: str | Path, sources: list[str | Path]) -> list[MergeCounts]:
    """Merge every archive of ``sources`` into ``target`` (created if missing); return what each source added.

    Raises ArchivePathError / NotAnArchiveError naming a path that is not an archive (the target included),
    MergeIntoSourceError when the target is one of the sources, MergeError when a source has a table this
    version does not know (before anything is written) or the result would break a foreign key. Sources are only
    read; each is merged in a transaction of its own.
    """
    for source in sources:
        for suffix in ("", "-wal", "-shm", "-journal"):
            if same_file(target, str(source) + suffix):
                raise MergeIntoSourceError(f"refusing to merge into {str(target)!r}: it is one of the sources")
        conn = open_read_only(source)
        try:
            tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
        finally:
            conn.close()
        unknown = uncovered_tables(tables)
        if unknown:
            raise MergeError(f"{str(source)!r} has tables this version cannot merge: {', '.join(unknown)}")
    if Path(target).exists():
        open_read_only(target).close()  # an existing file must be an archive before anything is written to it
    db = open_archive(target)
    try:
        missing = uncovered_tables(db.table_names())
        if missing:
            raise MergeError(f"the archive schema has tables the merge does not know: {', '.join(missing)}")
        db.conn.create_function("archive_crawl_uid", 4, crawl_uid, deterministic=True)
        return [_merge_one(db, source) for source in sources]
    finally:
        db.close()


def _merge_one(db: Database, source: str | Path) -> MergeCounts:
    conn = db.conn
    counts = MergeCounts(str(source))
    conn.execute("ATTACH DATABASE ? AS src", [read_only_uri(source)])
    try:
        relations = dict(conn.execute("select name, type from src.sqlite_master where type in ('table', 'view')"))
        previous, conn.isolation_level = conn.isolation_level, None
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("PRAGMA defer_foreign_keys = ON")  # a reply may be copied before its parent
            suspended = _suspend_triggers(conn)
            # Comments' first vote observations become rows while the merge changes comments' votes and first-seen
            # values, and are left to the comments again once every observation is in (m013).
            conn.execute(WRITE_FIRST_VOTES_SQL)
            for table, rule in MERGE_RULES.items():
                relation = rule.source or table
                if relation in relations:
                    _merge_table(conn, table, rule, counts, relation, relations[relation] == "view")
            conn.execute(DROP_IMPLIED_VOTES_SQL)
            for sql in suspended:
                conn.execute(sql)
            broken = conn.execute("PRAGMA main.foreign_key_check").fetchall()
            if broken:
                raise MergeError(f"merging {str(source)!r} would break {len(broken)} references, first {broken[0]}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            for table in MERGE_RULES:
                conn.execute(f"DROP TABLE IF EXISTS temp.[merge_map_{table}]")
            conn.isolation_level = previous
    finally:
        conn.execute("DETACH DATABASE src")
    return counts


def _suspend_triggers(conn: sqlite3.Connection) -> list[str]:
    """Drop the merged tables' triggers except the full-text ones; return their SQL, to re-create them."""
    rows = conn.execute("select name, tbl_name, sql from main.sqlite_master where type = 'trigger'").fetchall()
    suspended = [(name, sql) for name, table, sql in rows if table in MERGE_RULES and name not in FTS_TRIGGERS]
    for name, _ in suspended:
        conn.execute(f"DROP TRIGGER main.[{name}]")
    return [sql for _, sql in suspended]


def _columns(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA {schema}.table_info([{table}])")]


def _merge_table(
    conn: sqlite3.Connection, table: str, rule: MergeRule, counts: MergeCounts, relation: str, view: bool
) -> None:
    """Copy one table of ``src`` (read from its table or view ``relation``) into ``main``: map ids, insert new rows,
    update archived ones."""
    source_columns = set(_columns(conn, "src", relation))
    # Foreign keys to an id are rewritten through the referenced table's map (a comment's parent through the
    # comments' own, complete before anything is inserted); others (pages.body_sha256) are kept as they are.
    references = {r[3]: r[2] for r in conn.execute(f"PRAGMA main.foreign_key_list([{table}])") if r[4] == "id"}
    for column, referenced in references.items():
        if referenced not in MERGE_RULES:
            raise MergeError(f"{table}.{column} refers to {referenced}, which the merge does not copy")

    def value(column: str) -> str:
        if column in references:
            return f"(select new_id from temp.[merge_map_{references[column]}] where old_id = s.[{column}])"
        if column in rule.rederived:
            return rule.rederived[column]
        if column not in source_columns:
            return rule.derived[column]
        return f"s.[{column}]"

    # A column the source lacks (an archive from before a migration) takes the merged archive's default.
    known = source_columns | rule.derived.keys() | rule.rederived.keys()
    columns = [c for c in _columns(conn, "main", table) if c != "id" and c in known]
    names = ", ".join(f"[{c}]" for c in columns)
    values = ", ".join(f"{value(c)} as [{c}]" for c in columns)
    if not rule.key:
        # A history row: copied unless the very same row (every column, remapped) is there already.
        # A unary + keeps SQLite from looking a column up in an index: only the rule's lookup columns are.
        same = " and ".join(f"{'' if c in rule.lookup else '+'}t.[{c}] is x.[{c}]" for c in columns)
        order = "s.id, s.comment_id" if view else "s.rowid"  # a view has no rowid; a first vote observation no id
        counts.added[table] = conn.execute(
            f"insert into main.[{table}] ({names}) select {names} from "
            f"(select {values} from src.[{relation}] s order by {order}) x "
            f"where not exists (select 1 from main.[{table}] t where {same})"
        ).rowcount
        return
    match = " and ".join(f"t.[{c}] = {value(c)}" for c in rule.key)
    if "id" not in _columns(conn, "main", table):
        counts.added[table] = conn.execute(
            f"insert into main.[{table}] ({names}) select {values} from src.[{relation}] s "
            f"where not exists (select 1 from main.[{table}] t where {match})"
        ).rowcount
        return
    id_map = f"temp.[merge_map_{table}]"
    conn.execute(f"create temp table [merge_map_{table}] (old_id integer primary key, new_id integer, new integer)")
    # CROSS JOIN keeps the source as the outer loop: each source row looks its key up in the merged archive's index.
    conn.execute(
        f"insert into {id_map} select s.id, t.id, 0 from src.[{relation}] s cross join main.[{table}] t on {match}"
    )
    base = conn.execute(f"select coalesce(max(id), 0) from main.[{table}]").fetchone()[0]
    conn.execute(
        f"insert into {id_map} select s.id, ? + row_number() over (order by s.id), 1 from src.[{relation}] s "
        f"where s.id not in (select old_id from {id_map})",
        [base],
    )
    counts.added[table] = conn.execute(
        f"insert into main.[{table}] (id, {names}) select m.new_id, {values} "
        f"from src.[{relation}] s join {id_map} m on m.old_id = s.id where m.new order by m.new_id"
    ).rowcount
    if table in FTS_CONFIG and not _has_trigger(conn, f"{table}_ai"):
        # comments has no insert trigger (m004): its new rows are indexed here, as the store does.
        indexed = ", ".join(f"[{c}]" for c in FTS_CONFIG[table])
        conn.execute(
            f"insert into main.[{table}_fts] (rowid, {indexed}) select id, {indexed} from main.[{table}] "
            f"where id in (select new_id from {id_map} where new) order by id"
        )
    # A time the rules compare that is generated from a stored column (m014) is compared as the text it reads as.
    times = "".join(f", s.[{c}] as [{c}]" for c in (*rule.newer, *rule.first) if f"{c}_stored" in columns)
    archived = (
        f"(select m.new_id as id, {values}{times} from src.[{relation}] s join {id_map} m on m.old_id = s.id "
        "where not m.new) x"
    )
    counts.updated[table] = _update_archived(conn, table, rule, columns, archived)


def _update_archived(conn: sqlite3.Connection, table: str, rule: MergeRule, columns: list[str], archived: str) -> int:
    """Update rows both archives hold: current values from the copy seen last, first-seen ones from the first.

    ``archived`` is a subquery (alias ``x``) of the source's rows already in the merged archive, remapped.
    Returns the number of row updates.
    """
    first = {_stored_name(c, columns): c for c in rule.first if _stored_name(c, columns) in columns}
    current = [c for c in columns if c not in rule.key and c not in first]
    changed = 0
    if current and rule.newer:

        def seen(alias: str) -> str:
            return "max(" + ", ".join(f"coalesce({alias}.[{c}], '')" for c in rule.newer) + ", '')"

        sets = ", ".join(f"[{c}] = x.[{c}]" for c in current)
        differs = " or ".join(f"t.[{c}] is not x.[{c}]" for c in current)
        changed += conn.execute(
            f"update main.[{table}] as t set {sets} from {archived} "
            f"where t.id = x.id and {seen('x')} > {seen('t')} and ({differs})"
        ).rowcount
    elif current:
        sets = ", ".join(f"[{c}] = coalesce(t.[{c}], x.[{c}])" for c in current)
        gaps = " or ".join(f"(t.[{c}] is null and x.[{c}] is not null)" for c in current)
        changed += conn.execute(
            f"update main.[{table}] as t set {sets} from {archived} where t.id = x.id and ({gaps})"
        ).rowcount
    if first:
        time = rule.first[0]
        sets = ", ".join(f"[{c}] = x.[{c}]" for c in first)
        changed += conn.execute(
            f"update main.[{table}] as t set {sets} from {archived} where t.id = x.id "
            f"and x.[{time}] is not null and (t.[{time}] is null or x.[{time}] < t.[{time}])"
        ).rowcount
    return changed


def _stored_name(column: str, columns: list[str]) -> str:
    """The column of ``columns`` holding what ``column`` reads: its ``*_stored`` column when it is generated from
    one (m014's times), else itself."""
    return f"{column}_stored" if f"{column}_stored" in columns else column


def _has_trigger(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute("select 1 from main.sqlite_master where type = 'trigger' and name = ?", [name]).fetchone()
    return found is not None
