"""Readers: data files → raw tables of cells.

This module knows file formats; it knows nothing of facts.  Each reader turns one
file into `RawTable`s (`cells.py`): rows of cells with the row number a person would
look for (a spreadsheet's row, a JSON object's position).  `facts.py` finds the
header, maps columns and validates the cells.

Formats by extension: `.csv .tsv .txt` (text; encoding and delimiter detected, in
`readers_text.py`), `.xlsx .xlsm` (openpyxl), `.json .jsonl .ndjson`, `.parquet`
(DuckDB).  The heavy libraries are imported inside the reader that needs them.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from kpidsl.base.diagnostics import DataLocation, Diagnostic, error, shorten
from kpidsl.base.files import kind
from kpidsl.base.files import problem as cannot_open
from kpidsl.data.cells import Cell, HeaderTest, RawTable, is_blank
from kpidsl.data.readers_text import binary_kind, decode, read_delimited

if TYPE_CHECKING:
    from openpyxl import Workbook

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SUFFIXES = (*TEXT_SUFFIXES, ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson", ".parquet")


def read_file(path: str, *, encoding: str | None, delimiter: str | None,
              is_header: HeaderTest) -> tuple[list[RawTable], list[Diagnostic]]:
    """Every table of the file at `path`, or the diagnostics saying why it cannot be read."""
    where = DataLocation(path)
    p = Path(path)
    suffix = p.suffix.lower()
    what = kind(p)
    if what == "error":
        return [], [error("D001", cannot_open(p), where, "check the path")]
    if what == "missing":
        return [], [error("D001", f"file not found: {shorten(path)}", where,
                          "check the path; relative paths are relative to the current folder")]
    if what == "dir":
        return [], [error("D001", f"{shorten(path)} is a folder, not a data file", where,
                          "name the files themselves, e.g. data/*.csv")]
    if suffix not in SUFFIXES:
        tip = ("save the workbook as .xlsx or CSV (old .xls files are not supported)" if suffix == ".xls"
               else "supported: " + ", ".join(SUFFIXES))
        return [], [error("D002", f"cannot read `{p.name}`: unknown data file type `{suffix or '(none)'}`",
                          where, tip)]
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(path)
        if suffix == ".parquet":
            return _read_parquet(path)
        data = p.read_bytes()
    except OSError as exc:
        return [], [error("D001", f"cannot read {path}: {exc.strerror or exc}", where)]
    if not data.strip():
        return [], [error("D006", f"{path} is empty", where, "export the data again; the file has no rows")]
    binary = binary_kind(data)
    if binary:
        return [], [error("D005", f"{path} is a {binary}, not text", where,
                          "give the file its real extension (.xlsx or .parquet)")]
    text, problem = decode(data, encoding, path)
    if problem is not None or text is None:
        return [], [problem] if problem else []
    if suffix in (".json", ".jsonl", ".ndjson"):
        return _read_json(path, text, lines=suffix != ".json")
    return read_delimited(path, text, delimiter, is_header, tab=suffix == ".tsv")


# ---------------------------------------------------------------- XLSX


def _read_xlsx(path: str) -> tuple[list[RawTable], list[Diagnostic]]:
    """Every visible worksheet (hidden sheets usually hold lookups, not data)."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    with warnings.catch_warnings():  # openpyxl warns about styles and extensions it skips
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            return [], [error("D005", f"{path} is not a readable XLSX workbook ({type(exc).__name__}: {exc})",
                              DataLocation(path), "open it in a spreadsheet and save it again as .xlsx")]
        return _xlsx_tables(path, workbook)


def _xlsx_tables(path: str, workbook: Workbook) -> tuple[list[RawTable], list[Diagnostic]]:
    try:
        sheets = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
        several = len(workbook.worksheets) > 1
        tables = []
        for ws in sheets:
            name = f"{path}[{ws.title}]" if several else path
            # The stored dimensions may claim thousands of formatted-but-empty columns; without
            # them each row is as long as its last cell.  min_row/min_col = 1 keep the numbering
            # the spreadsheet shows (empty rows come through as empty).
            ws.reset_dimensions()
            rows = [(number, _trim(values)) for number, values in
                    enumerate(ws.iter_rows(min_row=1, min_col=1, values_only=True), 1)]
            tables.append(RawTable(name, rows))
    finally:
        workbook.close()
    if not any(not is_blank(c) for t in tables for _, cells in t.rows for c in cells):
        return [], [error("D006", f"{path} is empty: no visible sheet has any data", DataLocation(path))]
    return tables, []


def _trim(values: Sequence[Cell]) -> list[Cell]:
    n = len(values)
    while n and values[n - 1] is None:
        n -= 1
    return list(values[:n])


# ---------------------------------------------------------------- JSON


def _read_json(path: str, text: str, lines: bool) -> tuple[list[RawTable], list[Diagnostic]]:
    """A list of objects, or an object with the list under `rows` (or `facts`, `data`);
    `.jsonl`: one object per line.  Rows are numbered by object (JSON Lines: by line)."""

    def load(s: str) -> object:
        # exact decimals; NaN/Infinity stay text so that they fail as "not a number"
        return json.loads(s, parse_float=Decimal, parse_int=Decimal, parse_constant=str)

    shape_hint = 'write a list of objects: [{"period": "2026Q3", "fact": "leads", "value": 400}, …]'
    items: list[tuple[int, object]] = []
    if lines:
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append((number, load(line)))
            except json.JSONDecodeError as exc:
                return [], [_json_error(path, exc, number)]
            except RecursionError:
                return [], [_too_deep(path, number)]
    else:
        try:
            data = load(text)
        except json.JSONDecodeError as exc:
            return [], [_json_error(path, exc, exc.lineno)]
        except RecursionError:
            return [], [_too_deep(path, None)]
        if isinstance(data, dict):
            key = next((k for k in ("rows", "facts", "data") if isinstance(data.get(k), list)), None)
            if key is None:
                return [], [error("D005", f"{path}: expected a list of objects or {{\"rows\": [...]}}",
                                  DataLocation(path), shape_hint)]
            data = data[key]
        if not isinstance(data, list):
            return [], [error("D005", f"{path}: expected a list of objects, found {_short(data)}",
                              DataLocation(path), shape_hint)]
        items = list(enumerate(data, 1))
    if not items:
        return [], [error("D006", f"{path} is empty: no objects", DataLocation(path))]
    columns: dict[str, None] = {}
    problems = []
    for number, item in items:
        if isinstance(item, dict):
            bad = _not_text(path, number, item)
            if bad is not None:
                return [], [bad]
            columns.update((str(k), None) for k in item)
        else:
            problems.append(error("D005", f"expected an object with named fields, found `{_short(item)}`",
                                  DataLocation(path, number), shape_hint))
    names = list(columns)
    rows = [(number, [item.get(k) for k in names]) for number, item in items if isinstance(item, dict)]
    return [RawTable(path, rows, columns=names)], problems


def _too_deep(path: str, line: int | None) -> Diagnostic:
    return error("D005", f"{shorten(path)} is nested too deeply to be a table of facts", DataLocation(path, line),
                 'write a list of flat objects: [{"period": "2026Q3", "fact": "leads", "value": 400}, …]')


_SURROGATE = re.compile("[\ud800-\udfff]")


def _not_text(path: str, number: int, item: dict[object, object]) -> Diagnostic | None:
    """A field name or text value with a lone UTF-16 surrogate (`"\\ud800"`): not text."""
    for key, value in item.items():
        for part, what in ((key, "field name"), (value, "value")):
            if isinstance(part, str) and _SURROGATE.search(part):
                column = _SURROGATE.sub("\ufffd", str(key))
                return error("D005", f"the {what} is not valid text: it contains a lone UTF-16 surrogate "
                             f"(an escape such as \\ud800 without its pair)", DataLocation(path, number, column),
                             "fix the export: write the character itself, or both halves of its \\u escape")
    return None


def _json_error(path: str, exc: json.JSONDecodeError, line: int) -> Diagnostic:
    return error("D005", f"{path} is not valid JSON: {exc.msg} (line {line}, column {exc.colno})",
                 DataLocation(path, line), "check commas, brackets and quotes around that place")


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "…"


# ---------------------------------------------------------------- Parquet


def _read_parquet(path: str) -> tuple[list[RawTable], list[Diagnostic]]:
    """Through DuckDB (pyarrow is not a dependency).  Rows are numbered by record."""
    import duckdb

    source = path
    tmpdir = None
    if any(ch in path for ch in "*?[]{}"):  # DuckDB would read the path as a glob: copy it aside
        tmpdir = tempfile.mkdtemp(prefix="kpidsl-")
        source = str(Path(tmpdir) / "data.parquet")
        shutil.copyfile(path, source)
    con = duckdb.connect(config={"threads": 1})
    try:
        cursor = con.execute("SELECT * FROM read_parquet(?)", [source])
        names = [d[0] for d in cursor.description]
        records = cursor.fetchall()
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0]
        return [], [error("D005", f"{path} is not a readable Parquet file: {message}", DataLocation(path))]
    finally:
        con.close()
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    rows = [(number, list(record)) for number, record in enumerate(records, 1)]
    return [RawTable(path, rows, columns=names)], []
