"""Readers: data files → raw tables of cells, and cell text → numbers.

This module knows file formats and what spreadsheets write into cells; it knows
nothing of facts.  Each reader turns one file into `RawTable`s: rows of cells with
the row number a person would look for (a spreadsheet's row, a JSON object's
position).  `facts.py` finds the header, maps columns and validates the cells.

Formats by extension: `.csv .tsv .txt` (text; encoding and delimiter detected),
`.xlsx .xlsm` (openpyxl), `.json .jsonl .ndjson`, `.parquet` (DuckDB).  The heavy
libraries are imported inside the reader that needs them.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from kpidsl.base.diagnostics import DataLocation, Diagnostic, error, shorten
from kpidsl.base.files import kind
from kpidsl.base.files import problem as cannot_open

if TYPE_CHECKING:
    from openpyxl import Workbook

Cell = object  # str | int | float | Decimal | date | datetime | bool | None | (JSON) list/dict
HeaderTest = Callable[[Sequence[Cell]], bool]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SUFFIXES = TEXT_SUFFIXES + (".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson", ".parquet")
DELIMITERS = (";", ",", "\t", "|")  # candidates for detection, most likely in Russian exports first
HEADER_SEARCH_ROWS = 10  # a header may follow a few title rows (1C, CRM report exports)


@dataclass
class RawTable:
    """One table of a file: a CSV file, a JSON list, one worksheet of a workbook.

    `columns` is set when the format names its columns itself (JSON keys, Parquet
    columns); otherwise the header is one of `rows`, and facts.py finds it.
    """

    name: str  # how locations name it: the path, or `path[sheet]` in a workbook of several sheets
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)  # (row number, cells)
    columns: list[str] | None = None


def find_header(rows: Sequence[tuple[int, Sequence[Cell]]], is_header: HeaderTest) -> int | None:
    """Index in `rows` of the header: the first of the first few non-empty rows that passes."""
    seen = 0
    for index, (_, cells) in enumerate(rows):
        if all(is_blank(c) for c in cells):
            continue
        if is_header(cells):
            return index
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    return None


def is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


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
    binary = _binary_kind(data)
    if binary:
        return [], [error("D005", f"{path} is a {binary}, not text", where,
                          "give the file its real extension (.xlsx or .parquet)")]
    text, problem = decode(data, encoding, path)
    if problem is not None or text is None:
        return [], [problem] if problem else []
    if suffix in (".json", ".jsonl", ".ndjson"):
        return _read_json(path, text, lines=suffix != ".json")
    return _read_delimited(path, text, delimiter, is_header, tab=suffix == ".tsv")


# ---------------------------------------------------------------- text: encoding


def _binary_kind(data: bytes) -> str | None:
    if data.startswith(b"PK\x03\x04"):
        return "zip archive (an XLSX workbook?)"
    if data.startswith(b"PAR1"):
        return "Parquet file"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "legacy Office document (.xls?)"
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "binary file"
    return None


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def looks_cyrillic(text: str) -> bool:
    """Whether text decoded as cp1251 is plausibly Russian rather than mis-decoded Latin.

    Every letter of cp1251 is Cyrillic, so Latin-1 text decoded as cp1251 turns
    into Cyrillic letters too (`Café` → `Cafй`) — but they sit inside Latin words,
    while in real Russian text they form words of their own.
    """
    if not _CYRILLIC.search(text):
        return False
    words = [w for w in re.findall(r"[^\W\d_]+", text) if _CYRILLIC.search(w)]
    mixed = [w for w in words if re.search(r"[A-Za-z]", w)]
    return len(mixed) <= len(words) // 10


def decode(data: bytes, encoding: str | None, path: str) -> tuple[str | None, Diagnostic | None]:
    """Bytes → text: the given encoding, or UTF-8 (BOM or not), UTF-16 with a BOM, or cp1251."""
    where = DataLocation(path)
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            return None, error("D003", f"unknown encoding `{encoding}`", where,
                               "use a Python codec name, e.g. --encoding utf-8, cp1251, latin-1")
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        try:
            return data.decode(codec), None
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            return None, error("D003", f"cannot decode {path} as {encoding}: byte 0x{data[exc.start]:02x} "
                               f"on line {line} is not valid in that encoding", DataLocation(path, line),
                               "pass the file's real encoding with --encoding (e.g. utf-8, cp1251), "
                               "or leave --encoding out to detect it")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        text = ""
    if text and looks_cyrillic(text):
        return text, None
    line = data[:first_bad].count(b"\n") + 1
    return None, error("D003", f"{path} is not UTF-8 text (byte 0x{data[first_bad]:02x} on line {line}) "
                       "and does not look like Windows-1251 Cyrillic either", DataLocation(path, line),
                       "pass the file's encoding with --encoding (e.g. --encoding latin-1), "
                       "or save the file as UTF-8")


# ---------------------------------------------------------------- text: CSV


def normalize_delimiter(delimiter: str) -> str | None:
    """`;`, `tab`, `\\t` … → the one character; None if it is not one character."""
    named = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ",", "pipe": "|", "space": " "}
    value = named.get(delimiter.strip().lower(), delimiter)
    return value if len(value) == 1 and value not in "\"\r\n" else None


def _records(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _width(cells: Sequence[str]) -> int:
    """Cells up to the last non-empty one (Excel pads rows with empty cells)."""
    n = len(cells)
    while n and not cells[n - 1].strip():
        n -= 1
    return n


def detect_delimiter(text: str, is_header: HeaderTest) -> tuple[str | None, list[str]]:
    """The delimiter that makes a header appear, and the candidates that tie (if ambiguous).

    A candidate qualifies when one of the first rows, split by it, is a
    recognizable header; if several qualify, the one under which no data row is
    wider than the header wins.  No candidate: the most consistent split, so the
    "no header" error can at least show the columns.
    """
    sample = "\n".join(text[:65536].splitlines()[:50])
    present = [d for d in DELIMITERS if d in sample] or [","]
    found: dict[str, tuple[list[str], bool]] = {}
    for d in present:
        rows = list(enumerate(_records(sample, d), 1))
        h = find_header(rows, is_header)
        if h is not None:
            header = rows[h][1]
            width = _width(header)
            consistent = all(_width(cells) <= width for _, cells in rows[h + 1:])
            found[d] = ([c.strip() for c in header[:width]], consistent)
    if len(found) == 1:
        return next(iter(found)), []
    if len(found) > 1:
        good = [d for d, (_, ok) in found.items() if ok] or list(found)
        distinct = {tuple(found[d][0]) for d in good}
        if len(good) == 1 or len(distinct) == 1:
            return good[0], []
        return None, good

    def score(d: str) -> tuple[int, int]:
        widths = [_width(r) for r in _records(sample, d) if _width(r)]
        if not widths:
            return (0, 0)
        common = max(set(widths), key=widths.count)
        return (widths.count(common) if common > 1 else 0, common)

    return max(present, key=score), []


def _read_delimited(path: str, text: str, delimiter: str | None, is_header: HeaderTest,
                    tab: bool) -> tuple[list[RawTable], list[Diagnostic]]:
    where = DataLocation(path)
    # Excel's `sep=;` first line names the delimiter; Excel hides it, so rows are counted without it
    first, _, rest = text.partition("\n")
    if re.fullmatch(r"\ufeff?sep=.\r?", first):
        text = rest
        delimiter = delimiter or first.lstrip("\ufeff")[4]
    if delimiter:
        d = normalize_delimiter(delimiter)
        if d is None:
            return [], [error("D004", f"--delimiter must be one character, not `{delimiter}`", where,
                              "e.g. --delimiter ';' or --delimiter tab")]
    elif tab:
        d = "\t"
    else:
        d, ties = detect_delimiter(text, is_header)
        if d is None:
            shown = " or ".join("tab" if t == "\t" else f"`{t}`" for t in ties)
            return [], [error("D004", f"cannot tell how the columns of {path} are separated: {shown}", where,
                              "name the delimiter with --delimiter (e.g. --delimiter ';')")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=d)
    rows: list[tuple[int, list[Cell]]] = []
    try:
        for number, cells in enumerate(reader, 1):
            rows.append((number, list(cells)))
    except csv.Error as exc:
        return [], [error("D005", f"{path} is not valid CSV near line {reader.line_num}: {exc}",
                          DataLocation(path, len(rows) + 1),
                          "check the quotes: a cell that contains the delimiter must be quoted")]
    if all(is_blank(c) for _, cells in rows for c in cells):
        return [], [error("D006", f"{path} has no data: every cell is empty", where)]
    return [RawTable(path, rows)], []


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


def _xlsx_tables(path: str, workbook: "Workbook") -> tuple[list[RawTable], list[Diagnostic]]:
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


# ---------------------------------------------------------------- numbers


_GROUP_SPACES = " \u00a0\u202f\u2009\u2007"  # space, no-break, narrow no-break, thin, figure space
_CURRENCY_SIGNS = "₽$€"
_MINUS = "-\u2212"  # hyphen-minus, minus sign
_MAX_EXPONENT = 60  # larger exponents are not KPI data (and would make huge integers)
_NUMBER = re.compile(r"(?P<mantissa>[0-9.,]+)(?:[eE](?P<exp>[+-]?\d{1,3}))?")
_WIDE = Context(prec=200)
_PLAIN = re.compile(r"-?\d{1,30}(?:\.\d{1,30})?")
_SPACE = re.compile(f"[{_GROUP_SPACES}]")
_SPACED_HEAD = re.compile(f"[0-9{_GROUP_SPACES}]+")


def plain(value: Decimal) -> Decimal | None:
    """`1E+3` → `1000`, `-0` → `0`: one fixed-point spelling of each value.
    None for NaN, infinities and magnitudes beyond 1e60 (no KPI datum is that large)."""
    if not value.is_finite() or value.adjusted() > _MAX_EXPONENT:
        return None
    if value.is_zero():
        return Decimal(0)
    if value.as_tuple().exponent > 0:  # type: ignore[operator]
        return value.quantize(Decimal(1), context=_WIDE)
    return value


def decimal_from_float(value: float) -> Decimal | None:
    """A spreadsheet's binary float → the decimal it displays (15 significant digits, as
    Excel keeps): 0.1 + 0.2 gives 0.3, not 0.30000000000000004.  None for NaN/inf."""
    if not math.isfinite(value):
        return None
    return plain(Decimal(format(value, ".15g")))


def parse_number(text: str) -> Decimal | None:
    """A number as people and spreadsheets write it, exactly; None if it is not one.

    `1926000`, `1 926 000,00` (spaces, no-break or narrow no-break spaces group
    thousands), `1,926,000.00`, `1.926.000,00`, `-5`, `−5`, `(5)` (accounting
    negative), `1e3`, `1,5E+06`, `15%` (= 0.15), `1 926 000 ₽`.  One comma or one
    dot alone is the decimal separator: `1,926` is 1.926.  Groups after the first
    must have three digits.
    """
    s = text.strip(_GROUP_SPACES + "\t\r\n")
    if _PLAIN.fullmatch(s):  # the common case, `1926000` or `-0.25`: no folding needed
        return plain(Decimal(s))
    negative = False
    if len(s) > 2 and s[0] == "(" and s[-1] == ")":
        negative, s = True, s[1:-1].strip(_GROUP_SPACES)
    percent = s.endswith("%")
    if percent:
        s = s[:-1].rstrip(_GROUP_SPACES)
    s = s.strip(_CURRENCY_SIGNS).strip(_GROUP_SPACES)
    if s[:1] in ("+",) or (s[:1] and s[0] in _MINUS):
        if negative and s[0] != "+":
            return None
        negative = negative or s[0] in _MINUS
        s = s[1:].lstrip(_GROUP_SPACES)
    if s[:1] and s[0] in _CURRENCY_SIGNS:  # -₽ 5
        s = s[1:].lstrip(_GROUP_SPACES)
    # thousands grouped by spaces: fold them away after checking the grouping
    if _SPACE.search(s):
        head = _SPACED_HEAD.match(s)
        if head is None:
            return None
        groups = _SPACE.split(head.group(0).rstrip(_GROUP_SPACES))
        if not _grouped(groups) or _SPACE.search(s, head.end()):
            return None
        s = "".join(groups) + s[head.end():]
        spaced = True
    else:
        spaced = False
    m = _NUMBER.fullmatch(s)
    if m is None:
        return None
    digits = _mantissa(m["mantissa"], allow_groups=not spaced)
    if digits is None:
        return None
    exponent = int(m["exp"]) if m["exp"] else 0
    if abs(exponent) > _MAX_EXPONENT:
        return None
    try:
        value = Decimal(digits).scaleb(exponent - (2 if percent else 0), context=_WIDE)
    except InvalidOperation:
        return None
    return plain(-value if negative else value)


def _grouped(groups: list[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]) if len(groups) > 1 else True


def _mantissa(s: str, allow_groups: bool) -> str | None:
    """`1.926.000,50` → `1926000.50`; None if separators are used inconsistently."""
    commas, dots = s.count(","), s.count(".")
    if commas and dots:
        decimal_sep = "," if s.rfind(",") > s.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        if s.count(decimal_sep) != 1:
            return None
    elif commas or dots:
        sep = "," if commas else "."
        if s.count(sep) == 1:
            decimal_sep, group_sep = sep, ""
        else:
            decimal_sep, group_sep = "", sep
    else:
        decimal_sep = group_sep = ""
    whole, _, fraction = s.partition(decimal_sep) if decimal_sep else (s, "", "")
    if decimal_sep and not fraction.isdigit():
        return None
    if group_sep:
        if not allow_groups or not _grouped(whole.split(group_sep)):
            return None
        whole = whole.replace(group_sep, "")
    if whole and not whole.isdigit():
        return None
    if not whole and not fraction:
        return None
    return f"{whole or '0'}.{fraction}" if fraction else whole
