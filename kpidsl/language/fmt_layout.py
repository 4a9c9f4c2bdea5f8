"""Format's layout: where the printed lines' comments and blank lines go (`kpidsl fmt`).

The printer (`fmt.py`) turns each item of the typed AST into printed lines that
remember where their code stood in the source; this module scans the source text
for what the AST does not keep (closing braces, settings without a span, blank
lines), gives every comment to a printed line, aligns columns and joins the text.

Comments (none is ever dropped; `kpidsl fmt` re-parses its output to make sure)
* Whole-line comments before the first item and separated from it by a blank line
  are the file's preamble and stay on top.
* Any other whole-line comment goes on its own line just before the printed line
  whose code follows it in the source (inside a block, before `}` if nothing else
  follows); one written in the middle of a construct that spans several source
  lines goes just before that construct.  Comments after the last item stay last.
* A trailing comment stays at the end of the printed line whose code starts last
  before it.  When several land on one printed line, all but the last move onto
  their own lines just above it.  Trailing comments of consecutive lines are
  aligned, two spaces after the longest code.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from kpidsl.base.diagnostics import Span
from kpidsl.language import ast

INDENT = "  "
Pos = tuple[int, int]  # (line, column) in the source, 1-based like Lark's

# ------------------------------------------------------------------ the source scanner

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\s+|[^\W\d]\w*|\d[\w.%]*|->|.', re.S)


class SourceText:
    """Tokens, braces and blank lines of the source text, for placing comments."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")  # Lark counts lines at "\n" only
        self.starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.starts.append(i + 1)
        self.size = len(text)
        self.tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(text)
                       if not m.group().isspace() and not m.group().startswith("#")]
        self.offsets = [o for o, _ in self.tokens]
        self.blanks = [0]  # blanks[n]: how many of lines 1..n are blank
        for line in self.lines:
            self.blanks.append(self.blanks[-1] + (not line.strip()))
        self.closing: dict[int, int] = {}
        stack: list[int] = []
        for i, (_, tok) in enumerate(self.tokens):
            if tok == "{":
                stack.append(i)
            elif tok == "}" and stack:
                self.closing[stack.pop()] = i

    def offset(self, pos: Pos) -> int:
        line, column = pos
        if not 1 <= line <= len(self.starts):
            return self.size
        return self.starts[line - 1] + column - 1

    def pos(self, index: int) -> Pos:
        """Position of token `index`."""
        offset = self.tokens[index][0]
        line = bisect_right(self.starts, offset)
        return (line, offset - self.starts[line - 1] + 1)

    def index(self, pos: Pos) -> int:
        """Index of the first token at or after `pos`."""
        return bisect_left(self.offsets, self.offset(pos))

    def keyword_before(self, span: Span | None, words: Iterable[str],
                       skip: tuple[str, ...] = ("(",)) -> Pos:
        """Where the keyword introducing `span` stands (spans start after it, and after `(`)."""
        if span is None:
            return (1, 1)
        i = self.index((span.line, span.column)) - 1
        while i >= 0 and self.tokens[i][1] in skip:
            i -= 1
        if i >= 0 and self.tokens[i][1] in set(words):
            return self.pos(i)
        return (span.line, span.column)

    def block(self, pos: Pos) -> tuple[int, int] | None:
        """Token indices of the first `{` at or after `pos` and its matching `}`."""
        for i in range(self.index(pos), len(self.tokens)):
            if self.tokens[i][1] == "{":
                close = self.closing.get(i)
                return (i, close) if close is not None else None
        return None

    def text_fields(self, block: tuple[int, int] | None) -> dict[str, list[Pos]]:
        """`keyword "text"` settings directly inside a block: keyword → positions."""
        found: dict[str, list[Pos]] = {}
        if block is None:
            return found
        depth = 0
        for i in range(block[0] + 1, block[1]):
            tok = self.tokens[i][1]
            if tok in "{(":
                depth += 1
            elif tok in "})":
                depth -= 1
            elif depth == 0 and tok[0].isalpha() and self.tokens[i + 1][1].startswith('"'):
                found.setdefault(tok, []).append(self.pos(i))
        return found

    def token_after_word(self, pos: Pos, word: str) -> Pos | None:
        """Where the token after the next `word` stands (the text of `action "…"`)."""
        first = self.index(pos)
        for i in range(first, min(len(self.tokens) - 1, first + 8)):
            if self.tokens[i][1] == word:
                return self.pos(i + 1)
        return None

    def is_blank(self, line: int) -> bool:
        return 1 <= line <= len(self.lines) and not self.lines[line - 1].strip()

    def blank_between(self, after: int, before: int) -> bool:
        """Whether a blank line lies strictly between two source lines."""
        after, before = max(after, 0), min(before, len(self.lines) + 1)
        return before - after > 1 and self.blanks[before - 1] > self.blanks[after]

    def code_before(self, comment: ast.Comment) -> bool:
        if not 1 <= comment.line <= len(self.lines):
            return False
        return bool(self.lines[comment.line - 1][: comment.column - 1].strip())


# ------------------------------------------------------------------ printed lines


@dataclass(eq=False)
class Line:
    """One printed line: cells joined by spaces (aligned within `group`)."""

    depth: int
    cells: list[str | None]
    start: Pos  # where its code starts in the source
    end: int  # the last source line it covers
    group: object | None = None
    caps: tuple[int, ...] = ()  # per column: wider cells do not set the column width
    opener: bool = False
    closer: bool = False
    leading: list[ast.Comment] = field(default_factory=list)
    trailing: list[ast.Comment] = field(default_factory=list)


@dataclass(eq=False)
class Item:
    """One printed item: its lines, and whether blank lines set it apart."""

    kind: str
    block: bool  # set apart by blank lines
    lines: list[Line]


def last_line(*parts: Any) -> int:
    """The last source line of the given spans, expressions, identifiers and positions."""
    last = 0
    for part in parts:
        if part is None:
            continue
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[0], int):
            last = max(last, part[0])
            continue
        span = part if isinstance(part, Span) else getattr(part, "span", None)
        if span is not None:
            last = max(last, span.end_line or span.line)
    return last


def start_of(span: Span) -> Pos:
    """Where a span starts, as a position."""
    return (span.line, span.column)


WIDE = 10_000  # "no cap"


# ------------------------------------------------------------------ comments and layout


def _attach(lines: list[Line], comments: Iterable[ast.Comment], src: SourceText,
            first_code: int) -> tuple[list[ast.Comment], list[ast.Comment]]:
    """Give each comment to a printed line; returns (preamble, comments after everything)."""
    ordered = sorted(lines, key=lambda ln: ln.start)
    starts = [ln.start for ln in ordered]
    reach: list[int] = []  # running maximum of `end`, to stop backward scans early
    for ln in ordered:
        reach.append(max(ln.end, reach[-1] if reach else 0))
    comments = sorted(comments, key=lambda c: (c.line, c.column))
    # The preamble: whole-line comments above the first item, up to its last blank line.
    first_comment = comments[0].line if comments else first_code
    cut = max((n for n in range(first_comment + 1, first_code) if src.is_blank(n)), default=0)
    preamble = [c for c in comments if c.line < cut]  # nothing but comments stands above first_code
    tail: list[ast.Comment] = []
    for c in comments[len(preamble):]:
        here = (c.line, c.column)
        i = bisect_left(starts, here)
        if src.code_before(c) and ordered:
            ordered[max(i - 1, 0)].trailing.append(c)
            continue
        inside = None
        j = bisect_left(starts, (c.line, 0)) - 1
        while j >= 0 and reach[j] >= c.line:
            if ordered[j].end >= c.line and ordered[j].start[0] < c.line:
                inside = ordered[j]
                break
            j -= 1
        if inside is not None:
            inside.leading.append(c)
        elif i < len(ordered):
            ordered[i].leading.append(c)
        else:
            tail.append(c)
    for ln in lines:
        if len(ln.trailing) > 1:  # only one comment fits at the end of a line
            ln.leading += ln.trailing[:-1]
            ln.trailing = ln.trailing[-1:]
        ln.leading.sort(key=lambda c: (c.line, c.column))
    return preamble, tail


def _align(lines: list[Line]) -> dict[int, str]:
    """The code text of every line, cells padded to their group's column widths."""
    groups: dict[int, list[Line]] = {}
    for ln in lines:
        if ln.group is not None:
            groups.setdefault(id(ln.group), []).append(ln)
    widths: dict[int, list[int]] = {}
    for key, members in groups.items():
        columns = max(len(m.cells) for m in members)
        caps = members[0].caps
        row: list[int] = []
        for j in range(columns):
            cap = caps[j] if j < len(caps) else WIDE
            cells = [m.cells[j] for m in members if j < len(m.cells)]
            row.append(max((len(c) for c in cells if c is not None and len(c) <= cap), default=0))
        widths[key] = row
    out: dict[int, str] = {}
    for ln in lines:
        w = widths.get(id(ln.group), []) if ln.group is not None else []
        parts: list[str] = []
        for j, cell in enumerate(ln.cells):
            width = w[j] if j < len(w) else 0
            if cell is None:
                if width == 0:
                    continue
                cell = ""
            parts.append(cell.ljust(width))
        out[id(ln)] = INDENT * ln.depth + " ".join(parts).rstrip()
    return out


def render(items: list[Item], comments: tuple[ast.Comment, ...], src: SourceText) -> str:
    """The text of the printed items, every comment placed and each run's columns aligned."""
    lines = [ln for it in items for ln in it.lines]
    first_code = min((ln.start[0] for ln in lines), default=len(src.lines) + 1)
    preamble, tail = _attach(lines, comments, src, first_code)
    # Blank lines between items, then runs of one-line items of one kind share columns.
    apart = [bool(preamble)]
    for prev, item in pairwise(items):
        forced = prev.block or item.block or prev.kind != item.kind
        apart.append(forced or src.blank_between(_out(prev.lines[-1]), _in(item.lines[0])))
    group = object()
    for n, item in enumerate(items):
        if item.block:
            continue
        if apart[n] or n == 0 or items[n - 1].block:
            group = object()
        item.lines[0].group = group
    code = _align(lines)

    rows: list[tuple[str, str | None]] = []  # (text, trailing comment); ("", None) is blank

    def put(text: str, blank: bool, trailing: str | None = None) -> None:
        if blank and rows:
            rows.append(("", None))
        rows.append((text, trailing))

    last: int | None = None  # source line of the previous printed element
    for c in preamble:
        put(c.text, last is not None and src.blank_between(last, c.line))
        last = c.line
    for n, item in enumerate(items):
        first, after_opener = True, False
        for ln in item.lines:
            for comment in ln.leading:
                gap = last is not None and src.blank_between(last, comment.line)
                depth = ln.depth + 1 if ln.closer else ln.depth  # comments before `}` stay inside
                put(INDENT * depth + comment.text, apart[n] if first else gap and not after_opener)
                last, first, after_opener = comment.line, False, False
            gap = last is not None and src.blank_between(last, ln.start[0])
            blank = apart[n] if first else gap and not after_opener and not ln.closer
            put(code[id(ln)], blank, ln.trailing[0].text if ln.trailing else None)
            last, first, after_opener = _out(ln), False, ln.opener
    for c in tail:
        put(c.text, last is not None and src.blank_between(last, c.line))
        last = c.line
    return _finish(rows)


def _in(ln: Line) -> int:
    """The source line where a printed line's first element (comment or code) stands."""
    return ln.leading[0].line if ln.leading else ln.start[0]


def _out(ln: Line) -> int:
    """The last source line a printed line accounts for, trailing comment included."""
    return max([ln.end, ln.start[0], *(c.line for c in ln.trailing)])


def _finish(rows: list[tuple[str, str | None]]) -> str:
    """Join rows; trailing comments of consecutive lines share one column."""
    out: list[str] = []
    i = 0
    while i < len(rows):
        text, trailing = rows[i]
        if trailing is None:
            out.append(text)
            i += 1
            continue
        j = i
        indent = len(text) - len(text.lstrip(" "))
        while (j < len(rows) and rows[j][1] is not None
               and len(rows[j][0]) - len(rows[j][0].lstrip(" ")) == indent):
            j += 1
        width = max(len(t) for t, _ in rows[i:j])
        out.extend(f"{t.ljust(width)}  {c}" for t, c in rows[i:j])
        i = j
    return "\n".join(out) + "\n" if out else ""
