"""Facts: the client's exported data → validated fact rows.

Reads CSV, XLSX, JSON and Parquet in long form (period, employee?, fact, value) or
wide form (one row per period[/employee], one column per fact), including Russian
spreadsheet exports.  Every bad cell becomes a diagnostic with file:row:column, and
all of them are reported in one run.  File formats live in `readers.py`, number
spellings in `cells.py`, the header's columns in `headers.py`; this module checks
cells and keys, and reads the roster.
"""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from kpidsl.base.diagnostics import DataLocation, Diagnostic, error, warning
from kpidsl.data import periods
from kpidsl.data.cells import Cell, RawTable, decimal_from_float, is_blank, parse_number, plain, show, text_of
from kpidsl.data.headers import (
    EXPECTED,
    Header,
    Known,
    Layout,
    find_layout,
    is_facts_header,
    is_total,
    locate_header,
    norm,
)
from kpidsl.data.readers import read_file
from kpidsl.data.roster import RosterRow, load_roster


@dataclass(frozen=True, slots=True)
class FactRow:
    period: str  # canonical period key ("2026Q3")
    employee: str | None  # None: department level, applies to everyone
    fact: str  # the fact's name in the ruleset
    value: Decimal
    location: DataLocation  # where the value came from (file, row, column)
    parts: tuple[FactRow, ...] = ()  # rolled up into a payout period: the data periods' rows (engine/rollup.py)


@dataclass
class FactTable:
    rows: list[FactRow] = field(default_factory=list)
    roster: list[RosterRow] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    named: set[str] = field(default_factory=set)  # facts some file names: a column, a value or a `н/д` mark


# ---------------------------------------------------------------- cells

class _Missing(enum.Enum):
    EMPTY = "empty"
    MARKED = "marked"  # an explicit "no data" mark: н/д, n/a, -, —


@dataclass(frozen=True)
class _Problem:
    message: str
    hint: str


@dataclass
class _UnknownFact:
    """A long-form fact name the ruleset lacks: reported once, after its table."""

    first_row: int
    written: str
    count: int = 0


NO_DATA_MARKS = frozenset({"-", "–", "—", "n/a", "na", "н/д", "нд", "нет данных"})
_NUMBER_HINT = "write a number such as 1926000, 1 926 000,00, 1,5 or 15%"


def cell_number(cell: Cell) -> Decimal | _Missing | _Problem:
    """A value cell → an exact Decimal, a missing value, or what is wrong with it."""
    if cell is None:
        return _Missing.EMPTY
    if isinstance(cell, bool):
        return _Problem(f"`{show(cell)}` is a yes/no value, not a number", "write 1 or 0")
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, (float, Decimal)):
        value = decimal_from_float(cell) if isinstance(cell, float) else plain(cell)
        return value if value is not None else _Problem(f"`{show(cell)}` is not a number", _NUMBER_HINT)
    if isinstance(cell, (_dt.date, _dt.datetime)):
        return _Problem(f"`{show(cell)}` is a date, not a number",
                        "the cell is formatted as a date in the spreadsheet: format it as a number")
    if not isinstance(cell, str):
        return _Problem(f"`{show(cell)}` is not a number", "write a single number in the cell")
    text = cell.strip()
    if not text:
        return _Missing.EMPTY
    if norm(text) in NO_DATA_MARKS:
        return _Missing.MARKED
    value = parse_number(text)
    if value is not None:
        return value
    if text.startswith("#"):
        return _Problem(f"`{show(text)}` is a spreadsheet error, not a number",
                        "fix the formula in the source spreadsheet, or clear the cell if there is no data")
    if any(ch.isalpha() for ch in text):
        return _Problem(f"`{show(text)}` is not a number",
                        _NUMBER_HINT + "; units and words belong in the ruleset (`unit RUB`), not in the cell")
    return _Problem(f"`{show(text)}` is not a number",
                    _NUMBER_HINT + " (thousands grouped by three, one decimal separator)")


def _period_problem(cell: Cell, kind: str) -> tuple[str, _Problem]:
    text = text_of(cell)
    accepted = {"quarter": "2026Q3, 2026-Q3, Q3 2026, 3 кв. 2026, III квартал 2026",
                "month": "2026-09, 09.2026, сентябрь 2026, Sep 2026",
                "year": "2026, 2026 г."}[kind]
    written = periods.written_kind(text)
    if written is not None:
        return "D021", _Problem(f"`{show(text)}` is a {written}, but this ruleset counts periods by {kind}",
                                f"write {kind}s like {periods.example(kind)}, or change the ruleset's "
                                f"`period {kind}` setting to `period {written}`")
    if is_total(text):
        return "D020", _Problem(f"`{show(text)}` is a total row, not a period",
                                "delete total rows from the export: facts are read row by row")
    return "D020", _Problem(f"`{show(text)}` is not a {kind}",
                            f"write {kind}s like {accepted}, or a date inside the {kind} (2026-09-30, 30.09.2026)")


# ---------------------------------------------------------------- the loader

class _Loader:
    """State of one `load_facts` call: rows read so far (for duplicates) and diagnostics."""

    def __init__(self, kind: str, known: dict[str, str] | None) -> None:
        self.kind = kind
        self.known = Known(known)
        self.rows: dict[tuple[str, str | None, str], FactRow] = {}
        self.named: set[str] = set()
        self.diagnostics: list[Diagnostic] = []

    def read(self, path: str, encoding: str | None, delimiter: str | None) -> bool:
        tables, problems = read_file(path, encoding=encoding, delimiter=delimiter,
                                     is_header=is_facts_header)
        self.diagnostics += problems
        headers = [(table, locate_header(table, is_facts_header)) for table in tables]
        for table, header in headers:
            if header.found:  # a workbook's sheets without a header (notes, lookups) are skipped
                self._table(table, header)
        if tables and not any(h.found for _, h in headers):  # report on the first table (first sheet)
            table, header = headers[0]
            found = ", ".join(f"`{show(c)}`" for c in header.cells if not is_blank(c)) or "nothing"
            where = f" (sheets {', '.join(t.name for t in tables)})" if len(tables) > 1 else ""
            tip = "rename the columns, e.g. `period;employee;fact;value` or `период;показатель;значение`"
            if any(periods.written_kind(text_of(c)) for c in header.cells):
                tip = ("periods across the columns are not supported: transpose the table so that "
                       "periods go down one `period` column; or " + tip)
            self.diagnostics.append(error(
                "D010", f"no recognizable header{where}: expected a `period` column ({EXPECTED}); "
                f"{'the columns are' if table.columns is not None else 'the first row has'} {found}",
                DataLocation(table.name, header.row), tip))
        return any(h.found for _, h in headers)

    def _table(self, table: RawTable, header: Header) -> None:
        layout = find_layout(table, header, self.known, self.diagnostics)
        if layout is None:
            return
        self.named.update(layout.facts.values())  # wide form: the column names the fact
        unknown: dict[str, _UnknownFact] = {}  # long form: unknown facts by normalised name
        unnamed: set[int] = set()  # columns without a header already reported
        data_rows = 0
        for number, cells in table.rows[header.start:]:
            if not all(is_blank(c) for c in cells):
                data_rows += 1
                self._row(table.name, number, cells, layout, unknown, unnamed)
        for fact in unknown.values():
            rows = f"{fact.count} rows" if fact.count > 1 else "1 row"
            self.diagnostics.append(warning(
                "D040", f"`{show(fact.written)}` is not a fact of this ruleset ({rows} ignored)"
                f"{self.known.suggest(fact.written)}",
                DataLocation(table.name, fact.first_row, layout.names[layout.fact or 0]),
                "write a fact's name or title as the ruleset declares it, or ignore this warning "
                "if the data is not needed"))
        if not data_rows:
            self.diagnostics.append(warning("D007", "the file has a header but no data rows",
                                            DataLocation(table.name), "export the data again"))

    def _row(self, name: str, number: int, cells: list[Cell], layout: Layout,
             unknown: dict[str, _UnknownFact], unnamed: set[int]) -> None:
        """Check one data row; every bad cell is reported, good cells become fact rows."""
        width = len(layout.names)

        def cell(i: int | None) -> Cell:
            return cells[i] if i is not None and i < len(cells) else None

        def here(column: str | None) -> DataLocation:
            return DataLocation(name, number, column)

        if len(cells) > width and any(not is_blank(c) for c in cells[width:]):
            self.diagnostics.append(error(
                "D023", f"the row has {len(cells)} cells but the header has {width}", here(None),
                "a cell probably contains the delimiter: quote it, or name the delimiter with --delimiter"))
        for i in layout.unnamed:
            if i < len(cells) and not is_blank(cells[i]) and i not in unnamed:
                unnamed.add(i)
                self.diagnostics.append(warning(
                    "D013", f"column {i + 1} has values but no header, so it is ignored",
                    here(f"column {i + 1}"), "give the column a header (a fact's name) or delete it"))
        period = self._period(cell(layout.period), here(layout.names[layout.period]))
        employee = " ".join(text_of(cell(layout.employee)).split()) or None
        if employee is not None and norm(employee) in NO_DATA_MARKS:  # `—`: nobody, department level
            employee = None
        if employee is not None and is_total(employee):
            self.diagnostics.append(error(
                "D024", f"`{show(employee)}` in the employee column is a total row, not an employee",
                here(layout.names[layout.employee or 0]),
                "delete total rows; a department-level value goes in a row with the employee cell empty"))
            return
        if not layout.long:
            for i, column_fact in layout.facts.items():
                self._value(here(layout.names[i]), period, employee, column_fact, cell_number(cell(i)), long=False)
            return
        assert layout.fact is not None and layout.value is not None
        fact_text = " ".join(text_of(cell(layout.fact)).split())
        value = cell_number(cell(layout.value))
        if not fact_text:
            if value is not _Missing.EMPTY:
                self.diagnostics.append(error("D041", "the row has a value but no fact name",
                                              here(layout.names[layout.fact]), "fill in the fact's name, e.g. `leads`"))
            return
        fact = self.known.lookup(fact_text)
        if fact is None:  # reported once per name, after the table
            unknown.setdefault(norm(fact_text), _UnknownFact(number, fact_text)).count += 1
            return
        self._value(here(layout.names[layout.value]), period, employee, fact, value, long=True)

    def _period(self, cell: Cell, where: DataLocation) -> str | None:
        """The row's period key, or None after reporting why there is none."""
        if is_blank(cell):
            self.diagnostics.append(error("D022", "the row has data but no period", where,
                                          f"fill in the period, e.g. {periods.example(self.kind)}"))
            return None
        as_written = cell if isinstance(cell, (_dt.date, _dt.datetime)) else text_of(cell)
        key = periods.parse_period(as_written, self.kind)
        if key is None:
            code, problem = _period_problem(cell, self.kind)
            self.diagnostics.append(error(code, problem.message, where, problem.hint))
        return key

    def _value(self, where: DataLocation, period: str | None, employee: str | None, fact: str,
               value: Decimal | _Missing | _Problem, long: bool) -> None:
        if isinstance(value, _Problem):
            self.diagnostics.append(error("D030", value.message, where, value.hint))
            return
        if period is None:
            return
        if value is _Missing.EMPTY and long:
            self.diagnostics.append(warning(
                "D031", f"`{show(fact)}` has no value for {period}; the row is ignored", where,
                "fill in the value, delete the row, or write н/д (n/a) to mark missing data on purpose"))
        if value is _Missing.MARKED or not isinstance(value, _Missing):
            self.named.add(fact)
        if isinstance(value, _Missing):
            return
        row = FactRow(period, employee, fact, value, where)
        key = (period, employee, fact)
        first = self.rows.get(key)
        if first is None:
            self.rows[key] = row
            return
        who = f"employee `{show(employee)}`" if employee else "department level"
        same = "the same value" if first.value == value else f"values {first.value} and {value}"
        self.diagnostics.append(error(
            "D050", f"`{show(fact)}` for {period} ({who}) is given twice ({same}): "
            f"{_at(first.location)} and {_at(where)}", where,
            "keep one of the two rows; a per-employee value needs the employee column filled in"))


def _at(location: DataLocation) -> str:
    return f"{location.file}:{location.row}" if location.row is not None else location.file


def load_facts(paths: list[str], *, encoding: str | None = None, delimiter: str | None = None,
               period_kind: str = "quarter", roster: str | None = None,
               known_facts: dict[str, str] | None = None) -> tuple[FactTable, list[Diagnostic]]:
    """Read every facts file (and the roster).  `known_facts` maps accepted column/fact
    spellings (casefolded names and titles) to fact names; None accepts any fact name."""
    if period_kind not in periods.KINDS:
        raise ValueError(f"unknown period kind {period_kind!r}")
    loader = _Loader(period_kind, known_facts)
    table = FactTable()
    seen: dict[Path, str] = {}
    for path in map(str, paths):
        resolved = Path(path).resolve()
        if resolved in seen:
            loader.diagnostics.append(warning("D008", f"{path} is given twice; it is read once",
                                              DataLocation(path), f"it was already read as {seen[resolved]}"))
            continue
        seen[resolved] = path
        if loader.read(path, encoding, delimiter):
            table.files.append(path)
    table.rows = list(loader.rows.values())
    table.named = loader.named
    diagnostics = loader.diagnostics
    if roster is not None:
        table.roster, roster_diagnostics = load_roster(roster, encoding=encoding, delimiter=delimiter)
        diagnostics += roster_diagnostics
    return table, diagnostics
