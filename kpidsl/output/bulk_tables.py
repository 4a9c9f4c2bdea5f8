"""The bulk writers' shared working tables: which periods and people an output shows, and
temporary tables made from Python lists (both writers, `bulk.py` and `bulk_text.py`, read them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kpidsl.engine.plan import BULK_PEOPLE, BULK_PERIODS, table

if TYPE_CHECKING:
    from kpidsl.engine.session import Session


def wanted_grid(session: Session) -> tuple[list[str], list[tuple[str, str]]]:
    """The periods and (employee, role)s the output shows, in output order."""
    periods = [p for p in session.periods if session.period is None or p == session.period]
    people = [(e, r) for e, r in session.roster if session.employee is None or e == session.employee]
    return periods, people


def grid(session: Session) -> None:
    """The wanted periods and people with their output positions, as temporary tables."""
    periods, people = wanted_grid(session)
    temp_table(session, BULK_PERIODS, {"period": periods, "pos": list(range(len(periods)))})
    temp_table(session, BULK_PEOPLE, {"employee": [e for e, _ in people], "role": [r for _, r in people],
                                 "pos": list(range(len(people)))})


def temp_table(session: Session, name: str, columns: dict[str, list[Any]]) -> None:
    """A temporary table from Python lists (VARCHAR, or INTEGER for `pos`), passed as parameters."""
    items = [exp.alias_(exp.cast(exp.Unnest(expressions=[exp.Placeholder(this=str(i))]),
                                 "INTEGER" if c == "pos" else "VARCHAR"), c, quoted=True)
             for i, c in enumerate(columns, start=1)]
    create = exp.Create(this=table(name), kind="TABLE", replace=True, expression=exp.select(*items),
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    session.connection.execute(create.sql(dialect="duckdb"), list(columns.values()))
