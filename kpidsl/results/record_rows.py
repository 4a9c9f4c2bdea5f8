"""Which records lie behind a fact aggregated from them, for `kpidsl explain`.

In a dispute an employee must be sent to the right file and told how many of its
rows made the number.  For every fact the ruleset aggregates from records this
gives the file actually read (`--source` overrides the ruleset's `file`), the filter
as written, and the number of records that fell into each (period, employee) after
the filter — counted by the same aggregation the evaluation ran, with `count`
in place of the fact's own function.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from kpidsl.language import ast
from kpidsl.language.exprtext import expr_text
from kpidsl.language.load import Model


@dataclass
class RecordRows:
    """For each aggregated fact: its file, filter and record counts."""

    files: dict[str, str] = field(default_factory=dict)  # fact → the records file read
    filters: dict[str, str] = field(default_factory=dict)  # fact → `where` as written
    counts: dict[tuple[str, str | None, str], int] = field(default_factory=dict)  # (period, employee, fact)

    def count(self, fact: str, period: str, employee: str | None) -> int | None:
        """Records counted for the employee, or for the department when they have none of their own."""
        for who in (employee, None):
            if (period, who, fact) in self.counts:
                return self.counts[(period, who, fact)]
        return None


def record_rows(model: Model, overrides: Mapping[str, str] | None, employee: str | None) -> RecordRows:
    """Files, filters and counts of `model`'s aggregated facts (counts of `employee` and
    of the department); empty where the records cannot be read (the evaluation said why)."""
    import duckdb

    from kpidsl.engine.plan import RECORD_FACTS_TABLE
    from kpidsl.engine.records import aggregated_facts, resolve_files
    from kpidsl.engine.records_sql import aggregate_records

    used = aggregated_facts(model)
    out = RecordRows()
    if not used:
        return out
    files, _ = resolve_files(model, overrides)
    counting = dataclasses.replace(model, values=dict(model.values))
    for records, aggs in used.items():
        for fact, agg in aggs:
            if records in files:
                out.files[fact] = files[records]
            if agg.where is not None:
                out.filters[fact] = expr_text(agg.where)
            decl = model.values[fact]
            assert isinstance(decl, ast.Fact)
            count = dataclasses.replace(agg, function="count", distinct=False, column=None)
            counting.values[fact] = dataclasses.replace(decl, aggregation=count)
    connection = duckdb.connect()
    try:
        table, _ = aggregate_records(counting, overrides, connection, employees=[employee] if employee else (),
                                     table=f"{RECORD_FACTS_TABLE}_counts")
        if table is not None:
            from sqlglot import exp

            query = exp.select("period", "employee", "fact", "value").from_(exp.to_table(table, quoted=True))
            rows = connection.execute(query.sql(dialect="duckdb", identify=True)).fetchall()
            out.counts = {(p, e, f): int(v) for p, e, f, v in rows if v is not None}
    except duckdb.Error:
        pass  # the evaluation read these files; if they changed since, counts are left out
    finally:
        connection.close()
    return out
