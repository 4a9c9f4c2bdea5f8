"""Headers: which column of a facts or roster export holds what.

Column names in English and Russian, the header row (after a few title rows, or the
format's own column names), and the layout it gives: long form (period, employee?,
fact, value) or wide form (one column per fact), with the ruleset's facts found by
any accepted spelling.  `facts.py` reads the rows under the header.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from kpidsl.base.diagnostics import DataLocation, Diagnostic, error, warning
from kpidsl.data.cells import Cell, RawTable, find_header, is_blank, show, text_of

# ---------------------------------------------------------------- column names

def norm(text: object) -> str:
    """How header cells and fact names are compared: casefolded, `ё` = `е`, spaces
    collapsed, a trailing `:` or `*` dropped."""
    s = " ".join(str(text).replace("\ufeff", "").casefold().replace("ё", "е").split())
    return s.strip(" :*")


PERIOD_NAMES = frozenset({"period", "период", "отчетный период", "date", "дата",
                          "quarter", "квартал", "month", "месяц", "year", "год"})
EMPLOYEE_NAMES = frozenset({"employee", "сотрудник", "работник", "фио", "ф.и.о.", "person"})
FACT_NAMES = frozenset({"fact", "metric", "indicator", "kpi", "показатель", "метрика", "индикатор"})
VALUE_NAMES = frozenset({"value", "значение", "величина"})
# In Russian "факт" is both the DSL's word for a fact and the actual value ("план/факт"):
# it names whichever of the two long-form columns the header is missing.
EITHER_NAME = "факт"
ROLE_NAMES = frozenset({"role", "роль", "должность", "position"})
# A roster's dated assignment: the first and the last day in the role (both optional).
FROM_NAMES = frozenset({"from", "start", "since", "с", "c", "начало", "дата начала", "с даты", "дата приема"})
TO_NAMES = frozenset({"to", "end", "until", "по", "до", "окончание", "дата окончания", "по дату", "дата увольнения"})
TOTAL_WORDS = ("итого", "всего", "итог", "total", "grand total")
EXPECTED = ("long form: period, employee (optional), fact, value; wide form: period, employee "
            "(optional), then one column per fact.  Russian names work too: период, сотрудник, "
            "показатель, значение")


def is_total(text: str) -> bool:
    """`Итого`, `Всего по отделу`, `Total:` — a spreadsheet's total row, not data."""
    key = norm(text)
    return any(key == word or key.startswith(word + " ") for word in TOTAL_WORDS)


def is_facts_header(cells: Sequence[Cell]) -> bool:
    """Whether a row is a facts header: it names a period column."""
    return any(isinstance(c, str) and norm(c) in PERIOD_NAMES for c in cells)


def is_roster_header(cells: Sequence[Cell]) -> bool:
    """Whether a row is a roster header: it names an employee and a role column."""
    names = {norm(c) for c in cells if isinstance(c, str)}
    return bool(names & EMPLOYEE_NAMES) and bool(names & ROLE_NAMES)


@dataclass
class Header:
    """Where a table's header is, and its cells."""

    found: bool
    row: int | None  # its row number; None where the format names its columns (JSON, Parquet)
    cells: list[Cell]  # the header (if not found: the first non-empty row, to show in the error)
    start: int  # index in `table.rows` of the first row after it


def locate_header(table: RawTable, test: Callable[[Sequence[Cell]], bool]) -> Header:
    """The header of `table`: the format's own column names, else the first row that passes `test`."""
    if table.columns is not None:
        return Header(test(table.columns), None, list(table.columns), 0)
    h = find_header(table.rows, test)
    if h is not None:
        return Header(True, table.rows[h][0], list(table.rows[h][1]), h + 1)
    first = next(((n, c) for n, c in table.rows if not all(is_blank(x) for x in c)), (1, []))
    return Header(False, first[0], list(first[1]), len(table.rows))


@dataclass
class Layout:
    """Which column holds what: the period, the employee, and the facts (long form: a
    fact-name and a value column; wide form: one column per fact)."""

    period: int
    employee: int | None
    fact: int | None = None  # long form: the fact-name column …
    value: int | None = None  # … and the value column
    facts: dict[int, str] = field(default_factory=dict)  # wide form: column → fact name
    names: list[str] = field(default_factory=list)  # header cells as written

    @property
    def long(self) -> bool:
        return self.fact is not None

    @cached_property
    def unnamed(self) -> list[int]:
        return [i for i, name in enumerate(self.names) if not name]


class Known:
    """The ruleset's facts by every accepted spelling (name or title), for lookups and
    did-you-mean; None-like (accepts everything) when there is no ruleset."""

    def __init__(self, known: dict[str, str] | None) -> None:
        self.open = known is None
        self.by_norm: dict[str, str] = {}
        self.spelling: dict[str, str] = {}
        for name in (known or {}).values():
            self.by_norm[norm(name)] = name
        for key, name in (known or {}).items():
            self.by_norm.setdefault(norm(key), name)
            self.spelling.setdefault(norm(key), key)

    def lookup(self, text: str) -> str | None:
        return " ".join(text.split()) if self.open else self.by_norm.get(norm(text))

    def suggest(self, text: str) -> str:
        close = difflib.get_close_matches(norm(text), list(self.by_norm), n=3, cutoff=0.6)
        shown = []
        for key in close:
            name = self.by_norm[key]
            label = f"`{name}`" if key == norm(name) else f"`{self.spelling.get(key, key)}` (`{name}`)"
            if label not in shown:
                shown.append(label)
        return f"; did you mean {' or '.join(shown)}?" if shown else ""


def find_layout(table: RawTable, header: Header, known: Known, diagnostics: list[Diagnostic]) -> Layout | None:
    """The meaning of the header's columns, or None after reporting why they have none."""
    header_row = header.row
    names = [text_of(c) for c in header.cells]

    def at(i: int) -> DataLocation:
        return DataLocation(table.name, header_row, names[i] or f"column {i + 1}")

    roles: dict[str, list[int]] = {}
    either: list[int] = []
    for i, name in enumerate(names):
        key = norm(name)
        role = ("period" if key in PERIOD_NAMES else "employee" if key in EMPLOYEE_NAMES
                else "fact" if key in FACT_NAMES else "value" if key in VALUE_NAMES else None)
        if role:
            roles.setdefault(role, []).append(i)
        elif key == EITHER_NAME:
            either.append(i)
    for i in either:
        if "value" in roles and "fact" not in roles:
            roles["fact"] = [i]
        elif "fact" in roles and "value" not in roles:
            roles["value"] = [i]
    ok = True
    for role, columns in roles.items():
        if len(columns) > 1:
            ok = False
            listed = " and ".join(f"`{show(names[i])}`" for i in columns)
            diagnostics.append(error("D011", f"columns {listed} both mean the {role}", at(columns[1]),
                                     "keep one of them, or rename the other"))
    if ("fact" in roles) != ("value" in roles):
        ok = False
        has, lacks = ("fact", "value") if "fact" in roles else ("value", "fact")
        diagnostics.append(error(
            "D012", f"a long-form file needs a {lacks} column next to its {has} column "
            f"`{show(names[roles[has][0]])}`", at(roles[has][0]),
            "name the columns period, employee, fact, value (период, сотрудник, показатель, значение), "
            "or remove the column to use wide form (one column per fact)"))
    if not ok:
        return None
    layout = Layout(roles["period"][0], roles.get("employee", [None])[0],
                    roles.get("fact", [None])[0], roles.get("value", [None])[0], names=names)
    used = {layout.period, layout.employee, layout.fact, layout.value}
    for i, name in enumerate(names):
        if i in used or not name:
            continue
        if layout.long:
            diagnostics.append(warning(
                "D014", f"column `{show(name)}` is ignored: a long-form file uses period, employee, fact "
                "and value", at(i), "delete the column, or ignore this warning"))
            continue
        fact = known.lookup(name)
        if fact is None:
            diagnostics.append(warning(
                "D040", f"column `{show(name)}` is not a fact of this ruleset, so it is ignored"
                f"{known.suggest(name)}", at(i),
                "name the column by a fact's name or title, or ignore this warning if the column is not needed"))
        elif fact in layout.facts.values():
            other = next(j for j, f in layout.facts.items() if f == fact)
            diagnostics.append(error(
                "D015", f"columns `{show(names[other])}` and `{show(name)}` both mean the fact `{fact}`", at(i),
                "keep one of the two columns"))
            ok = False
        else:
            layout.facts[i] = fact
    if not layout.long and not layout.facts and all(not n for i, n in enumerate(names) if i not in used):
        diagnostics.append(error("D012", "the file has a period column but no fact columns",
                                 at(layout.period), EXPECTED))
        return None
    return layout if ok else None
