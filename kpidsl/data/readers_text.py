"""Text data files: bytes → text (the encoding detected) → rows (the delimiter detected).

`.csv .tsv .txt` exports come as UTF-8 (with a BOM or without), UTF-16 with a BOM
(Excel's "Unicode text") or Windows-1251, their columns separated by `;`, `,`, tab
or `|`; this module decodes such a file and splits it into one `RawTable`, for
`readers.py`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence

from kpidsl.base.diagnostics import DataLocation, Diagnostic, error
from kpidsl.data.cells import Cell, HeaderTest, RawTable, find_header, is_blank

DELIMITERS = (";", ",", "\t", "|")  # candidates for detection, most likely in Russian exports first


# ---------------------------------------------------------------- text: encoding


def binary_kind(data: bytes) -> str | None:
    """What a file that is not text is (a workbook, a Parquet file …), from its first bytes; None for text."""
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


def read_delimited(path: str, text: str, delimiter: str | None, is_header: HeaderTest,
                   tab: bool) -> tuple[list[RawTable], list[Diagnostic]]:
    """The table of a delimited text file, split by the delimiter given, that of a `sep=` line,
    a tab for `.tsv`, or the one detected."""
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
