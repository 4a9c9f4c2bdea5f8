"""The roster file: who holds which role, and (optionally) from which day to which day.

Columns (header names in English or Russian, any supported format):

    employee | сотрудник      the person, as the facts files name them
    role | роль | должность   a role name of the ruleset
    from | с | начало        the first day in the role (optional)
    to | по | окончание      the last day in the role (optional)

Days are date cells, `2026-08-16` or `16.08.2026`.  A person may have several rows when
each is dated (a joiner, a leaver, a role change); whether such rows overlap is the
engine's check (engine/assignments.py), as ruleset `employee` lines count too.

    D010 error  no roster header
    D060 error  a row without an employee or a role
    D061 error  the same person on two undated rows
    D062 error  a from/to cell that is not a day
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from kpidsl.base.diagnostics import DataLocation, Diagnostic, error
from kpidsl.data.cells import Cell, is_blank, show, text_of
from kpidsl.data.headers import EMPLOYEE_NAMES, FROM_NAMES, ROLE_NAMES, TO_NAMES, is_roster_header, locate_header, norm
from kpidsl.data.periods import parse_day
from kpidsl.data.readers import read_file


@dataclass(frozen=True, slots=True)
class RosterRow:
    employee: str
    role: str
    location: DataLocation
    start: _dt.date | None = None  # the first day in the role; None: no `from`
    end: _dt.date | None = None  # the last day in the role; None: no `to`

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None


def load_roster(path: str, *, encoding: str | None = None,
                delimiter: str | None = None) -> tuple[list[RosterRow], list[Diagnostic]]:
    """Every row of a roster file, with the diagnostics of the rows that could not be read."""
    tables, diagnostics = read_file(str(path), encoding=encoding, delimiter=delimiter,
                                    is_header=is_roster_header)
    if not tables:
        return [], diagnostics
    located = [(table, locate_header(table, is_roster_header)) for table in tables]
    table, header = next(((t, h) for t, h in located if h.found), located[0])  # first sheet with a header
    if not header.found:
        found = ", ".join(f"`{show(c)}`" for c in header.cells if not is_blank(c)) or "nothing"
        return [], [*diagnostics, error(
            "D010", f"no recognizable roster header: expected columns employee and role "
            f"(сотрудник, роль); the first row has {found}", DataLocation(table.name, header.row),
            "name the columns `employee;role` or `сотрудник;роль` (and `from;to` or `с;по` for dates)")]
    names = [norm(text_of(c)) for c in header.cells]
    written = [text_of(c) for c in header.cells]

    def column(accepted: frozenset[str]) -> int | None:
        return next((i for i, n in enumerate(names) if n in accepted), None)

    emp_col, role_col = column(EMPLOYEE_NAMES), column(ROLE_NAMES)
    assert emp_col is not None and role_col is not None  # is_roster_header found both
    from_col, to_col = column(FROM_NAMES), column(TO_NAMES)

    def cell(cells: list[Cell], i: int | None) -> Cell:
        return cells[i] if i is not None and i < len(cells) else None

    rows: list[RosterRow] = []
    undated: dict[str, RosterRow] = {}
    for number, cells in table.rows[header.start:]:
        employee = " ".join(text_of(cell(cells, emp_col)).split())
        role = " ".join(text_of(cell(cells, role_col)).split())
        if not employee and not role:
            continue
        if not employee or not role:
            missing, at = ("employee", emp_col) if not employee else ("role", role_col)
            diagnostics.append(error("D060", f"the roster row has no {missing}",
                                     DataLocation(table.name, number, written[at]),
                                     "fill in both the employee and the role's name from the ruleset"))
            continue
        days: list[_dt.date | None] = []
        for i in (from_col, to_col):
            raw = cell(cells, i)
            day = None if is_blank(raw) else parse_day(raw)
            if day is None and not is_blank(raw):
                assert i is not None
                diagnostics.append(error("D062", f"`{show(raw)}` is not a day", DataLocation(table.name, number,
                                                                                          written[i]),
                                         "write the day as 16.08.2026 or 2026-08-16, or leave the cell empty"))
                break
            days.append(day)
        if len(days) < 2:
            continue
        row = RosterRow(employee, role, DataLocation(table.name, number, written[emp_col]), days[0], days[1])
        first = undated.get(employee.casefold())
        if first is not None and not row.dated:
            diagnostics.append(error(
                "D061", f"employee `{show(employee)}` is listed twice in the roster: "
                f"{_at(first.location)} ({first.role}) and {_at(row.location)} ({role})", row.location,
                "keep one row per employee, or give each row its dates (columns `from` and `to`: "
                "a role change is two dated rows)"))
            continue
        if not row.dated:
            undated[employee.casefold()] = row
        rows.append(row)
    return rows, diagnostics


def _at(location: DataLocation) -> str:
    return f"{location.file}:{location.row}" if location.row is not None else location.file
