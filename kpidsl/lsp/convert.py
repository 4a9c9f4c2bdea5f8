"""Places between kpidsl and the protocol: spans ↔ ranges, paths ↔ URIs.

kpidsl counts lines at "\\n" only and columns in code points, 1-based (Lark's way); the
protocol counts from 0 and, by default, in UTF-16 code units.  Every conversion goes
through here, with the line's own text, so a Cyrillic or an emoji name lands where it
stands.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp

from kpidsl.base.diagnostics import Span

LineText = Callable[[str, int], str | None]  # (file, 1-based line) → its text, or None


def utf16_width(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def to_utf16(line: str | None, column: int) -> int:
    """A 1-based code-point column → a 0-based UTF-16 offset on `line`."""
    if line is None:
        return max(column - 1, 0)
    return utf16_width(line[: max(column - 1, 0)]) + max(column - 1 - len(line), 0)


def from_utf16(line: str, character: int) -> int:
    """A 0-based UTF-16 offset on `line` → a 0-based code-point index (clamped to the line)."""
    units = 0
    for index, ch in enumerate(line):
        if units >= character:
            return index
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(line)


def lines_of(text: str) -> list[str]:
    """A text's lines as kpidsl counts them (at "\\n" only, a trailing "\\r" dropped)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def span_range(span: Span, line_text: LineText) -> lsp.Range:
    """The protocol range of a span; a span without an end covers its first character."""
    start_line = line_text(span.file, span.line)
    end_line_no = span.end_line or span.line
    end_column = span.end_column or span.column + 1
    end_line = start_line if end_line_no == span.line else line_text(span.file, end_line_no)
    return lsp.Range(start=lsp.Position(line=max(span.line - 1, 0), character=to_utf16(start_line, span.column)),
                     end=lsp.Position(line=max(end_line_no - 1, 0), character=to_utf16(end_line, end_column)))


def contains(span: Span, line: int, column: int) -> bool:
    """Whether the 1-based (line, column) is in the span or right after its end (a cursor after a word)."""
    end_line = span.end_line or span.line
    end_column = span.end_column or span.column + 1
    if not span.line <= line <= end_line:
        return False
    after_start = line > span.line or column >= span.column
    before_end = line < end_line or column <= end_column
    return after_start and before_end


def uri_to_path(uri: str) -> str:
    """The file a `file:` URI names; another URI (an unsaved buffer) is used as it is."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return uri
    path = unquote(parsed.path)
    return path[1:] if len(path) > 2 and path[0] == "/" and path[2] == ":" else path  # /C:/… on Windows


def path_to_uri(path: str) -> str:
    """The `file:` URI of a path (an absolute one; a URI given as a path stays as it is)."""
    if "://" in path or path.startswith("untitled:"):
        return path
    return Path(path).resolve().as_uri()


def word_at(line: str, column: int) -> tuple[str, int]:
    """The identifier around a 1-based column of a line and the column it starts at ("" if none)."""
    index = min(max(column - 1, 0), len(line))
    start = index
    while start > 0 and (line[start - 1].isalnum() or line[start - 1] == "_"):
        start -= 1
    end = index
    while end < len(line) and (line[end].isalnum() or line[end] == "_"):
        end += 1
    return line[start:end], start + 1
