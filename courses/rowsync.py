"""Bringing a table in line with the rows a rule gives, set-based (the plan assignments and the coverage counts).

The rule's rows (a query ending in a WITH-clause table named ``wanted``, with the table's column names) are built
into a temporary table together with the id of the row already kept for them and whether its values differ: one
join with the kept table. Then three statements delete the kept rows in scope that the rule no longer gives,
update those that differ and insert the new ones. Each touches only what differs, so running it again writes
nothing. Plain SQL that PostgreSQL and SQLite both run (UPDATE … FROM, INSERT … ON CONFLICT, DELETE … RETURNING);
the table's own constraints stay the last word.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class RowSync:
    table: str  # the table kept, aliased "kept" in the statements; its primary key is "id"
    rows: str  # the temporary table of the rows the rule gives, aliased "wanted"
    columns: str  # the SQL column definitions of ``keys`` and ``values``, for the temporary table
    keys: tuple[str, ...]  # the columns naming a row: a unique constraint of ``table``
    values: tuple[str, ...]  # the columns the rule decides
    stamp: str = ""  # a column set to the time of the run on every row written (auto_now), if any

    @property
    def differs(self) -> str:
        """True when a kept row's values differ from the wanted row's (a NULL differs from a value)."""
        return " OR ".join(
            f"(kept.{column} <> wanted.{column} OR (kept.{column} IS NULL) <> (wanted.{column} IS NULL))"
            for column in self.values
        )

    def fill(self, cursor, rule_sql: str, params=()) -> None:
        """Build the temporary table from ``rule_sql`` ("WITH …, wanted AS (…)"), each row with the id of the
        kept row of the same keys (NULL: new) and ``changed`` (1: its values differ)."""
        same_row = " AND ".join(f"kept.{column} = wanted.{column}" for column in self.keys)
        columns = ", ".join((*self.keys, *self.values))
        cursor.execute(f"DROP TABLE IF EXISTS {self.rows}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {self.rows} ({self.columns}, kept_id bigint, changed integer NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {self.rows} ({columns}, kept_id, changed) {rule_sql} "
            f"SELECT {', '.join(f'wanted.{column}' for column in (*self.keys, *self.values))}, kept.id, "
            f"CASE WHEN kept.id IS NOT NULL AND ({self.differs}) THEN 1 ELSE 0 END "
            f"FROM wanted LEFT JOIN {self.table} kept ON {same_row}",
            params,
        )
        cursor.execute(f"CREATE INDEX {self.rows}_kept ON {self.rows} (kept_id)")
        cursor.execute(f"ANALYZE {self.rows}")  # a temporary table has no statistics until told

    def apply(self, cursor, *, scope: str, scope_params: list, now=None) -> list:
        """Bring the rows of ``table`` within ``scope`` (a condition on the alias kept, covering every row the rule
        could give) in line with the temporary table, then drop it. ``now``: the stamp's value, adapted for the
        database. Returns the first key of each row deleted."""
        stamp_set = f", {self.stamp} = %s" if self.stamp else ""
        stamp_column = f", {self.stamp}" if self.stamp else ""
        stamp_value = ", %s" if self.stamp else ""
        stamp_params = [now] if self.stamp else []
        cursor.execute(
            f"DELETE FROM {self.table} AS kept WHERE ({scope}) "
            f"AND NOT EXISTS (SELECT 1 FROM {self.rows} wanted WHERE wanted.kept_id = kept.id) RETURNING {self.keys[0]}",
            scope_params,
        )
        removed = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"UPDATE {self.table} AS kept "
            f"SET {', '.join(f'{column} = wanted.{column}' for column in self.values)}{stamp_set} "
            f"FROM {self.rows} wanted WHERE wanted.changed = 1 AND kept.id = wanted.kept_id",
            stamp_params,
        )
        columns = ", ".join((*self.keys, *self.values))
        cursor.execute(
            f"INSERT INTO {self.table} ({columns}{stamp_column}) "
            f"SELECT {columns}{stamp_value} FROM {self.rows} wanted WHERE wanted.kept_id IS NULL "
            # In key order: the indexes and the rows the foreign keys check are then visited in order, not at random.
            f"ORDER BY {', '.join(self.keys)} ON CONFLICT ({', '.join(self.keys)}) DO NOTHING",
            stamp_params,
        )
        cursor.execute(f"DROP TABLE {self.rows}")
        return removed
