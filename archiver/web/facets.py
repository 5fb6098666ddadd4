"""A Datasette facet by year of an ISO 8601 date column (``{"year": "published_at"}`` in metadata)."""

from __future__ import annotations

from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args


class YearFacet(Facet):
    """Counts rows per year of a date column; choosing a year filters with ``column__startswith=YEAR``."""

    type = "year"

    async def suggest(self) -> list[dict[str, Any]]:
        """Never suggested: configured in metadata or asked for with ``_facet_year=column``."""
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        """One result per configured column: years with their row counts, most recent first."""
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            sql = await self._year_sql(column, size + 1)
            try:
                found = await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )  # fmt: skip
            except QueryInterrupted:
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = []
            for row in found.rows[:size]:
                selected = args.get(key) == row["value"]
                change = path_with_removed_args if selected else path_with_added_args
                values.append({
                    "value": row["value"], "label": row["value"], "count": row["count"], "selected": selected,
                    "toggle_url": self.ds.absolute_url(self.request, change(self.request, {key: row["value"]})),
                })  # fmt: skip
            results.append({
                "name": column, "type": self.type, "results": values, "hideable": source != "metadata",
                "toggle_url": path_with_removed_args(self.request, {"_facet_year": column}),
                "truncated": len(found.rows) > size,
            })  # fmt: skip
        return results, timed_out

    async def _year_sql(self, column: str, limit: int) -> str:
        """SQL counting rows per year of ``column``: from its text, or, for a time stored as Unix seconds behind a
        generated column (``<column>_stored``, migration m014), from the seconds (half the time: the year alone is
        printed, not the whole time)."""
        col = escape_sqlite(column)
        names = await self.ds.execute(self.database, "select name from pragma_table_xinfo(?)", [self.table])
        if f"{column}_stored" not in {row["name"] for row in names.rows}:
            return (
                f"select substr({col}, 1, 4) as value, count(*) as count from ({self.sql}) "
                f"where {col} glob '[0-9][0-9][0-9][0-9]*' group by value order by value desc limit {limit}"
            )
        stored = escape_sqlite(f"{column}_stored")
        year = "CASE WHEN typeof(s) = 'integer' THEN strftime('%Y', s, 'unixepoch') ELSE substr(s, 1, 4) END"
        return (
            f"select value, count(*) as count from (select {year} as value from (select {stored} as s "
            f"from ({self.sql}))) where value glob '[0-9][0-9][0-9][0-9]' group by value order by value desc "
            f"limit {limit}"
        )
