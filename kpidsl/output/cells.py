"""Cells as machines and spreadsheets receive them: JSON values, CSV fields, formula safety.

Every JSON and CSV writer (export.py for a `Results`, bulk_python.py and bulk_text.py
for the streamed bulk outputs) writes its values with these functions, so the three
agree byte for byte; bulk_text.py, which has DuckDB lay the text out, builds its SQL
from the same constants (`FORMULA_PATTERN`, `CSV_SPECIAL_PATTERN`) and the same rule for
numbers (`plain`).

* **Numbers** are exact: a `Decimal` is written digit for digit (`base.numbers.plain`:
  no exponent, trailing zeros dropped, an integral value without a point), never
  through a binary float.
* **CSV** is what `csv.writer` (the excel dialect, minimal quoting) writes: a field with
  a comma, a quote or a line break is quoted, its quotes doubled.
* **Formula safety**: Excel, LibreOffice and Google Sheets treat a cell whose text starts
  with `=`, `+`, `-` or `@` (and, on import, a leading tab or carriage return) as a
  formula — the "CSV/formula injection" of OWASP.  Employee names, KPI titles and
  action texts come from rulesets and client data, so every text cell of an XLSX or CSV
  output is neutralised: such text gets a leading apostrophe and stays text.  Numbers
  are never neutralised (a negative deviation keeps its minus); they are numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from json.encoder import encode_basestring

from kpidsl.base.numbers import plain, plain_text

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The same test for SQL writers (kpidsl.output.bulk_text): optional spaces, then a trigger.
FORMULA_PATTERN = "^ *[" + "".join("\\" + c if c in "\\]^-" else c for c in FORMULA_TRIGGERS) + "]"

CSV_SPECIAL = ',"\r\n'  # a field with any of these is quoted
CSV_SPECIAL_PATTERN = f"[{CSV_SPECIAL}]"  # the same test for SQL writers
CSV_LINE_END = "\r\n"
CSV_BOM = b"\xef\xbb\xbf"  # UTF-8 with a BOM, so that Excel reads Cyrillic


def neutralise(text: str) -> str:
    """`text` with a leading apostrophe if a spreadsheet would evaluate it.

    Leading spaces are looked through (`"  =1+1"` is neutralised too), because some
    spreadsheet imports trim them before deciding what a cell is.
    """
    return "'" + text if text.lstrip(" ").startswith(FORMULA_TRIGGERS) else text


def neutralise_cell(value: object) -> object:
    """`value` unchanged unless it is text a spreadsheet would evaluate; then `'` + text."""
    return neutralise(value) if isinstance(value, str) else value


# ------------------------------------------------------------------ CSV


def csv_field(text: str) -> str:
    """One CSV field as `csv.writer` (excel dialect, minimal quoting) writes it in a row of
    several fields: quoted, with its quotes doubled, if it holds a comma, a quote or a line
    break.  Numbers go through here as they are; text goes through `csv_text`."""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(text: str) -> str:
    """A text cell: neutralised for spreadsheets, then quoted as needed."""
    return csv_field(neutralise(text))


def csv_number(value: Decimal | str | None) -> str:
    """A number cell: `plain`, empty for no value; `value` may be a decimal's fixed-point
    text, as DuckDB writes it."""
    if value is None:
        return ""
    return plain_text(value) if isinstance(value, str) else plain(value)


def csv_line(fields: Iterable[str]) -> str:
    """Fields already written by `csv_field` / `csv_text` / `csv_number`, as one CSV line."""
    return ",".join(fields) + CSV_LINE_END


# ------------------------------------------------------------------ JSON


def json_text(text: str) -> str:
    """A JSON string, as `json.dumps(text, ensure_ascii=False)` writes it."""
    return encode_basestring(text)


def json_number(value: Decimal | str | None) -> str:
    """A decimal as a JSON number, digit for digit: `null`, or `plain` (an integral value is
    a JSON integer).  `value` may be the decimal's fixed-point text, as DuckDB writes it."""
    if value is None:
        return "null"
    return plain_text(value) if isinstance(value, str) else plain(value)


def json_value(value: object) -> str:
    """Any JSON scalar as `json.dumps(value, ensure_ascii=False)` writes it, except that a
    `Decimal` is a number written digit for digit (`json_number`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, str):
        return json_text(value)
    return json.dumps(value, ensure_ascii=False)
