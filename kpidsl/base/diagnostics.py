"""Diagnostics are data: every stage collects them instead of raising.

A diagnostic knows its severity, a stable code, a message, where it happened
(a source span in a ruleset, or a row/column in a data file) and an optional
hint that says how to fix it.  Rendering is separate: `render_human` gives the
compiler style with the source line and a caret, `to_json` gives tools a dict.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


def shorten(text: str, limit: int = 120) -> str:
    """A name for a message: one longer than `limit` characters keeps its start and end
    (a 100 KB file name must not fill the screen)."""
    return text if len(text) <= limit else f"{text[:limit // 2]}…{text[-(limit // 2 - 10):]}"


class Severity(str, enum.Enum):  # noqa: UP042  (not StrEnum: str() and f-strings of a member keep their output)
    ERROR = "error"
    WARNING = "warning"
    HINT = "hint"


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a ruleset: file, 1-based line and column, and where it ends."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{shorten(self.file)}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class DataLocation:
    """A place in a data file: 1-based row (as a spreadsheet shows it) and column name."""

    file: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [shorten(self.file)]
        if self.row is not None:
            parts.append(str(self.row))
        if self.column is not None:
            parts.append(self.column)
        return ":".join(parts)


Location = Span | DataLocation | None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    location: Location = None
    hint: str | None = None
    # Other places the finding is about (the first of two definitions, the other of two
    # overlapping assignments), each with a word on what it is; editors show them as links.
    related: tuple[tuple[Span, str], ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "location": str(self.location) if self.location is not None else "",
            "hint": self.hint,
        } | ({"related": [{"location": str(span), "message": text} for span, text in self.related]}
             if self.related else {})


def error(code: str, message: str, location: Location = None, hint: str | None = None,
          related: tuple[tuple[Span, str], ...] = ()) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, location, hint, related)


def warning(code: str, message: str, location: Location = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, message, location, hint)


def hint(code: str, message: str, location: Location = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.HINT, code, message, location, hint)


@dataclass
class Diagnostics:
    """An ordered collection of diagnostics from one or more stages."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[Diagnostic]:
        """By file, then position; diagnostics without a location go last."""

        def key(d: Diagnostic) -> tuple[int, str, int, int]:
            loc = d.location
            if isinstance(loc, Span):
                return (0, loc.file, loc.line, loc.column)
            if isinstance(loc, DataLocation):
                return (0, loc.file, loc.row or 0, 0)
            return (1, "", 0, 0)

        return sorted(self.items, key=key)


class SourceCache:
    """Source texts by file name, so diagnostics can quote the offending line."""

    def __init__(self) -> None:
        self._texts: dict[str, list[str]] = {}

    def add(self, file: str, text: str) -> None:
        # Lines are counted at "\n" only, as the parser counts them; a U+2028 or a lone
        # "\r" inside a string must not shift the line a diagnostic quotes.
        # An empty (or unreadable) file has no line worth quoting.
        self._texts[file] = [line.removesuffix("\r") for line in text.split("\n")] if text else []

    def line(self, file: str, number: int) -> str | None:
        lines = self._texts.get(file)
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


def render_human(diagnostic: Diagnostic, sources: SourceCache | None = None) -> str:
    """`file:line:col: error[K012]: message`, then the source line, a caret, the hint."""
    d = diagnostic
    where = f"{d.location}: " if d.location is not None else ""
    out = [f"{where}{d.severity.value}[{d.code}]: {d.message}"]
    loc = d.location
    if isinstance(loc, Span) and sources is not None:
        text = sources.line(loc.file, loc.line)
        if text is not None:
            gutter = f"{loc.line:>4} | "
            width = 1
            if loc.end_line == loc.line and loc.end_column and loc.end_column > loc.column:
                width = loc.end_column - loc.column
            shown, column, width = _window(text.replace("\t", " "), loc.column, width)
            out.append(gutter + shown)
            out.append(" " * (len(gutter) + column - 1) + "^" * width)
    if d.hint:
        out.append(f"  = hint: {d.hint}")
    return "\n".join(out)


def _window(text: str, column: int, width: int, limit: int = 160) -> tuple[str, int, int]:
    """A long source line cut to the part around the caret: (text, column, caret width)."""
    if len(text) <= limit:
        return text, column, width
    start = max(0, column - 1 - 40)
    end = start + limit
    shown = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    column = column - start + (1 if start else 0)
    return shown, column, max(1, min(width, limit - (column - 1)))


def first_line(exc: BaseException) -> str:
    """An exception's first line of text (a library's multi-line message, cut), or its type."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def summary_line(diagnostics: Iterable[Diagnostic]) -> str:
    items = list(diagnostics)
    counts = {s: sum(1 for d in items if d.severity is s) for s in Severity}
    return (
        f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
        f"{counts[Severity.HINT]} hint(s)"
    )
