"""Format: the canonical text of a ruleset, every comment kept (`kpidsl fmt`).

One layout for every file, so that two consultants' rulesets look alike and a diff
shows only real changes.  The printer works from the typed AST; the source text is
used only to place comments and blank lines (the AST has no closing-brace positions
and some settings carry no span, so a small scanner finds them).

Style
* Two-space indentation.  A block (`ruleset`, `records`, `kpi` card, `scheme`,
  `role`, `rule`) opens with `{` on its first line and closes with `}` alone on a
  line; an empty block is `{ }`.  The `ruleset` header comes first when a file has
  exactly one; every other item keeps its place.
* One declaration, setting, KPI line or clause per line, settings in a fixed order:
  header `client currency period locale`; records `file date employee`; card
  `measures audience access source frequency owner indicator goal`; role `scheme
  controls require`, then its KPI lines; KPI line `weight baseline target bonus`,
  then its `require` clauses, then its `when … action` clauses, each on its own
  line indented under the KPI line; rule `when level message action`.  Repeated
  `controls` lines merge into one.
* Columns are aligned within a run: consecutive one-line items of one kind (facts,
  metrics, goals and params, employees), the settings of a block, the KPI lines of
  a role, the rows of a scale.  An exceptionally wide cell (a long formula or title)
  does not widen its column; it only pushes the rest of its own line.
* A blank line separates a block from its neighbours and items of different kinds.
  Between items of one kind and inside blocks a blank line stays where the source
  had one (at most one, never right after `{` or right before `}`).
* Texts are re-quoted (escapes `\\"`, `\\\\`, `\\n`, `\\t`); numbers keep their
  spelling (`10_000_000`, `20%`); operators are normalised (`==` → `=`, `≤` → `<=`,
  `≠` → `!=`, `×` → `*`, `÷` → `/`, `→` → `->`).
* Parentheses only where precedence needs them.  Lowest first: if-then-else, or,
  and, not, comparison (does not chain), `+ -`, `* /`, unary minus.  Binary
  operators group to the left, so a right operand of the same level keeps its
  parentheses: `a - (b - c)`.  An `if` nested in the condition or `then` branch of
  another `if` is parenthesised for readability; `else if` chains are not.
* A `scale` that is a whole formula (metric, goal, param, scheme line) is written as
  a block, one row per line; a scale inside a larger expression stays on one line.
* Import paths are written bare (`import std/marketing`) where the grammar allows.

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
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Iterable

from kpidsl.language import ast
from kpidsl.base.diagnostics import Span

__all__ = ["format_ruleset", "format_expr", "quote", "strip_spans", "same_ruleset"]

INDENT = "  "
Pos = tuple[int, int]  # (line, column) in the source, 1-based like Lark's

# ------------------------------------------------------------------ expressions

# Binding strength, lowest first; the grammar's `?expr` … `?atom` ladder.
_IF, _OR, _AND, _NOT, _CMP, _SUM, _PROD, _NEG, _ATOM = range(9)
_BINARY_LEVEL = {"or": _OR, "and": _AND, "+": _SUM, "-": _SUM, "*": _PROD, "/": _PROD,
                 **{op: _CMP for op in ast.COMPARISON_OPS}}
_PATH = re.compile(r"[\w.\-]+(/[\w.\-]+)+")


def quote(text: str) -> str:
    """A text as a ruleset string literal (the parser's escapes: \\n, \\t, \\x → x)."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{body}"'


def _level(e: ast.Expr) -> int:
    if isinstance(e, ast.IfThen):
        return _IF
    if isinstance(e, ast.Binary):
        return _BINARY_LEVEL[e.op]
    if isinstance(e, ast.Unary):
        return _NOT if e.op == "not" else _NEG
    return _ATOM


def _wrap(text: str, e: ast.Expr, at_least: int) -> str:
    """`text` (the printed `e`) in parentheses if `e` binds more loosely than `at_least`."""
    return f"({text})" if _level(e) < at_least else text


def format_expr(e: ast.Expr) -> str:
    """An expression on one line, with the fewest parentheses that keep its meaning.

    Recursion is one Python frame per tree level (no helpers in between), so every
    expression the parser accepts can be printed.
    """
    if isinstance(e, ast.Number):
        return e.text
    if isinstance(e, ast.String):
        return quote(e.value)
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Call):
        args: list[str] = []
        for a in e.args:
            args.append(format_expr(a))
        return f"{e.function}({', '.join(args)})"
    if isinstance(e, ast.Unary):
        inner = e.operand
        if e.op == "not":
            return "not " + _wrap(format_expr(inner), inner, _NOT)
        # `-(-x)` rather than `--x`: two minus signs in a row read like a typo.
        if isinstance(inner, ast.Unary) and inner.op == "-":
            return f"-({format_expr(inner)})"
        return "-" + _wrap(format_expr(inner), inner, _NEG)
    if isinstance(e, ast.Binary):
        level = _BINARY_LEVEL[e.op]
        # Comparisons do not chain: both sides must be sums.  Others group left,
        # so a right operand of the same level keeps its parentheses: a - (b - c).
        left = _wrap(format_expr(e.left), e.left, _SUM if level == _CMP else level)
        right = _wrap(format_expr(e.right), e.right, _SUM if level == _CMP else level + 1)
        return f"{left} {e.op} {right}"
    if isinstance(e, ast.IfThen):
        condition = _wrap(format_expr(e.condition), e.condition, _OR)
        then = _wrap(format_expr(e.then), e.then, _OR)
        return f"if {condition} then {then} else {format_expr(e.otherwise)}"
    if isinstance(e, ast.Scale):
        rows: list[str] = []
        for r in e.rows:
            rows.append(f"below {format_expr(r.below)} -> {format_expr(r.value)}")
        return f"scale {format_expr(e.subject)} {{ {'  '.join(rows)}  else -> {format_expr(e.otherwise)} }}"
    raise TypeError(f"not an expression: {e!r}")


# ------------------------------------------------------------------ the source scanner

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\s+|[^\W\d]\w*|\d[\w.%]*|->|.', re.S)


class _Source:
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
class _Line:
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
class _Item:
    kind: str
    block: bool  # set apart by blank lines
    lines: list[_Line]


def _end(*parts: Any) -> int:
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


def _start(span: Span) -> Pos:
    return (span.line, span.column)


_WIDE = 10_000  # "no cap"


class _Printer:
    """Builds the printed lines of each item, with their source positions."""

    def __init__(self, src: _Source, comments: tuple[ast.Comment, ...]) -> None:
        self.src = src
        self.comment_offsets = sorted(src.offset((c.line, c.column)) for c in comments)

    # -- blocks
    def _comment_inside(self, block: tuple[int, int]) -> bool:
        lo, hi = self.src.tokens[block[0]][0], self.src.tokens[block[1]][0]
        i = bisect_right(self.comment_offsets, lo)
        return i < len(self.comment_offsets) and self.comment_offsets[i] < hi

    def _block(self, head: list[str | None], start: Pos, name: Span,
               body: list[_Line], block: tuple[int, int] | None) -> list[_Line]:
        if block is None:  # only when the source does not match the tree
            opener = _Line(0, [*head, "{"], start, start[0], opener=True)
            return [opener, *body, _Line(0, ["}"], start, start[0], closer=True)]
        open_pos, close_pos = self.src.pos(block[0]), self.src.pos(block[1])
        if not body and not self._comment_inside(block):
            return [_Line(0, [*head, "{ }"], start, close_pos[0])]
        opener = _Line(0, [*head, "{"], start, max(open_pos[0], _end(name)), opener=True)
        return [opener, *body, _Line(0, ["}"], close_pos, close_pos[0], closer=True)]

    @staticmethod
    def _settings(rows: list[tuple[str, str, Pos, int]], depth: int = 1) -> list[_Line]:
        """`keyword value` lines of one block, keywords padded to one column."""
        group = object()
        return [_Line(depth, [kw, value], pos, max(end, pos[0]), group) for kw, value, pos, end in rows]

    def _scale_block(self, depth: int, head: list[str | None], start: Pos, scale: ast.Scale,
                     tail: list[str | None], tail_parts: list[Any]) -> list[_Line]:
        """A whole-formula scale: `head scale x {`, one row per line, `} tail`."""
        group = object()
        subject = format_expr(scale.subject)
        brace = self.src.block((scale.subject.span.end_line or scale.subject.span.line,
                                scale.subject.span.end_column or scale.subject.span.column))
        open_line = self.src.pos(brace[0])[0] if brace else _end(scale.subject)
        close = self.src.pos(brace[1]) if brace else (_end(scale), 1)
        lines = [_Line(depth, [*head, f"scale {subject} {{"], start, open_line, opener=True)]
        for row in scale.rows:
            lines.append(_Line(depth + 1, [f"below {format_expr(row.below)}", f"-> {format_expr(row.value)}"],
                               _start(row.span), _end(row), group))
        else_at = self.src.keyword_before(scale.otherwise.span, ("else",), ("(", "->", "→"))
        lines.append(_Line(depth + 1, ["else", f"-> {format_expr(scale.otherwise)}"],
                           else_at, _end(scale.otherwise), group))
        lines.append(_Line(depth, ["}", *tail], close, max(close[0], _end(*tail_parts)), closer=True))
        return lines

    # -- items
    def item(self, it: ast.Item) -> _Item:
        method = getattr(self, "_" + type(it).__name__.lower())
        result: _Item = method(it)
        return result

    def _header(self, h: ast.Header) -> _Item:
        start = self.src.keyword_before(h.span, ("ruleset",))
        block = self.src.block(_start(h.span))
        texts = self.src.text_fields(block)
        rows: list[tuple[str, str, Pos, int]] = []
        if h.client is not None:
            at = texts.get("client", [start])[0]
            rows.append(("client", quote(h.client), at, at[0]))
        for kw, ident in (("currency", h.currency), ("period", h.period_kind), ("locale", h.locale)):
            if ident is not None:
                rows.append((kw, ident.text, self.src.keyword_before(ident.span, (kw,)), _end(ident)))
        lines = self._block(["ruleset", quote(h.title)], start, h.span, self._settings(rows), block)
        return _Item("header", True, lines)

    def _import(self, i: ast.Import) -> _Item:
        path = i.path if _PATH.fullmatch(i.path) else quote(i.path)
        start = self.src.keyword_before(i.span, ("import",))
        return _Item("import", False, [_Line(0, ["import", path], start, _end(i))])

    def _fact(self, f: ast.Fact) -> _Item:
        aggregation = None
        if f.aggregation is not None:
            a = f.aggregation
            aggregation = " ".join(
                ["=", a.function, *(["distinct"] if a.distinct else []),
                 *([a.column.text] if a.column else []), "from", a.records.text,
                 *(["where", format_expr(a.where)] if a.where is not None else [])])
        cells = ["fact", f.name, _title(f.title), aggregation, *_attrs(unit=f.unit, source=f.source, area=f.area)]
        start = self.src.keyword_before(f.span, ("fact",))
        line = _Line(0, cells, start, _end(f, f.aggregation, f.unit, f.source, f.area),
                     caps=(_WIDE, 24, 48, 40, 24, 24, 24))
        return _Item("fact", False, [line])

    def _records(self, r: ast.Records) -> _Item:
        start = self.src.keyword_before(r.span, ("records",))
        block = self.src.block(_start(r.span))
        rows: list[tuple[str, str, Pos, int]] = []
        if r.file is not None:
            at = self.src.text_fields(block).get("file", [start])[0]
            rows.append(("file", quote(r.file), at, at[0]))
        for kw, ident in (("date", r.date_column), ("employee", r.employee_column)):
            if ident is not None:
                rows.append((kw, ident.text, self.src.keyword_before(ident.span, (kw,)), _end(ident)))
        lines = self._block(["records", r.name, _title(r.title)], start, r.span, self._settings(rows), block)
        return _Item("records", True, lines)

    def _metric(self, m: ast.Metric) -> _Item:
        start = self.src.keyword_before(m.span, ("metric",))
        attrs = _attrs(unit=m.unit, better=m.better, kind=m.kind)
        if isinstance(m.formula, ast.Scale):
            lines = self._scale_block(0, ["metric", m.name, _title(m.title), "="], start, m.formula,
                                      attrs, [m.unit, m.kind])
            return _Item("metric", True, lines)
        cells = ["metric", m.name, _title(m.title), "= " + format_expr(m.formula), *attrs]
        line = _Line(0, cells, start, _end(m, m.formula, m.unit, m.kind), caps=(_WIDE, 24, 48, 34, 24, 24, 24))
        return _Item("metric", False, [line])

    def _kpicard(self, k: ast.KpiCard) -> _Item:
        start = self.src.keyword_before(k.span, ("kpi",))
        block = self.src.block(_start(k.span))
        texts = self.src.text_fields(block)
        rows: list[tuple[str, str, Pos, int]] = []
        for kw in ("measures", "audience", "access", "source", "frequency", "owner", "indicator"):
            value = getattr(k, kw)
            if isinstance(value, str):
                at = texts.get(kw, [start])[0]
                rows.append((kw, quote(value), at, at[0]))
            elif value is not None:
                rows.append((kw, value.text, self.src.keyword_before(value.span, (kw,)), _end(value)))
        if k.goal is not None:
            goal = format_expr(k.goal) + (f" by {k.goal_by}" if k.goal_by else "")
            rows.append(("goal", goal, self.src.keyword_before(k.goal.span, ("goal",)), _end(k.goal)))
        lines = self._block(["kpi", k.name, _title(k.title)], start, k.span, self._settings(rows), block)
        return _Item("kpi card", True, lines)

    def _scheme(self, s: ast.Scheme) -> _Item:
        start = self.src.keyword_before(s.span, ("scheme",))
        group = object()
        body: list[_Line] = []
        for a in s.assignments:
            if isinstance(a.expr, ast.Scale):
                body += self._scale_block(1, [a.name, "="], _start(a.span), a.expr, [], [])
            else:
                body.append(_Line(1, [a.name, "= " + format_expr(a.expr)], _start(a.span),
                                  _end(a, a.expr), group))
        lines = self._block(["scheme", s.name, _title(s.title)], start, s.span, body,
                            self.src.block(_start(s.span)))
        return _Item("scheme", True, lines)

    def _role(self, r: ast.Role) -> _Item:
        start = self.src.keyword_before(r.span, ("role",))
        rows: list[tuple[str, str, Pos, int]] = []
        if r.scheme is not None:
            rows.append(("scheme", r.scheme.text, self.src.keyword_before(r.scheme.span, ("scheme",)),
                         _end(r.scheme)))
        if r.controls:
            rows.append(("controls", ", ".join(c.text for c in r.controls),
                         self.src.keyword_before(r.controls[0].span, ("controls",)), _end(*r.controls)))
        for cond in r.requires:
            rows.append(("require", format_expr(cond), self.src.keyword_before(cond.span, ("require",)),
                         _end(cond)))
        body = self._settings(rows)
        group = object()
        for kpi in r.kpis:
            cells = ["kpi", kpi.indicator.text,
                     *(f"{kw} {format_expr(v)}" if v is not None else None
                       for kw, v in (("weight", kpi.weight), ("baseline", kpi.baseline),
                                     ("target", kpi.target), ("bonus", kpi.bonus)))]
            body.append(_Line(1, cells, self.src.keyword_before(kpi.indicator.span, ("kpi",)),
                              _end(kpi.indicator, kpi.weight, kpi.baseline, kpi.target, kpi.bonus),
                              group, caps=(_WIDE, 24, 20, 20, 20, 20)))
            for cond in kpi.requires:
                body.append(_Line(2, ["require", format_expr(cond)],
                                  self.src.keyword_before(cond.span, ("require",)), _end(cond)))
            for action in kpi.actions:
                text_at = self.src.token_after_word((action.condition.span.end_line or action.condition.span.line,
                                               action.condition.span.end_column or 1), "action")
                body.append(_Line(2, ["when", format_expr(action.condition), "action", quote(action.text)],
                                  self.src.keyword_before(action.condition.span, ("when",)),
                                  _end(action.condition, text_at)))
        lines = self._block(["role", r.name, _title(r.title)], start, r.span, body,
                            self.src.block(_start(r.span)))
        return _Item("role", True, lines)

    def _employee(self, e: ast.Employee) -> _Item:
        start = self.src.keyword_before(e.span, ("employee",))
        return _Item("employee", False,
                     [_Line(0, ["employee", quote(e.name), f"role {e.role.text}"], start, _end(e, e.role),
                            caps=(_WIDE, 40))])

    def _goal(self, g: ast.Goal) -> _Item:
        start = self.src.keyword_before(g.span, ("goal", "param"))
        if isinstance(g.expr, ast.Scale):
            return _Item("goal", True, self._scale_block(0, [g.kind, g.name, _title(g.title), "="],
                                                         start, g.expr, [], []))
        cells = [g.kind, g.name, _title(g.title), "= " + format_expr(g.expr)]
        return _Item("goal", False, [_Line(0, cells, start, _end(g, g.expr), caps=(_WIDE, 24, 48))])

    def _rule(self, r: ast.Rule) -> _Item:
        start = self.src.keyword_before(r.span, ("rule",))
        block = self.src.block(_start(r.span))
        texts = self.src.text_fields(block)
        rows: list[tuple[str, str, Pos, int]] = []
        if r.when is not None:
            rows.append(("when", format_expr(r.when), self.src.keyword_before(r.when.span, ("when",)), _end(r.when)))
        if r.level is not None:
            rows.append(("level", r.level.text, self.src.keyword_before(r.level.span, ("level",)), _end(r.level)))
        if r.message is not None:
            at = texts.get("message", [start])[0]
            rows.append(("message", quote(r.message), at, at[0]))
        action_at = texts.get("action", [])
        for n, text in enumerate(r.actions):
            at = action_at[n] if n < len(action_at) else start
            rows.append(("action", quote(text), at, at[0]))
        lines = self._block(["rule", r.name, _title(r.title)], start, r.span, self._settings(rows), block)
        return _Item("rule", True, lines)


def _title(title: str | None) -> str | None:
    return quote(title) if title is not None else None


def _attrs(**values: ast.Ident | str | None) -> list[str | None]:
    """`keyword value` cells in the given order; None keeps an aligned empty column."""
    out: list[str | None] = []
    for kw, v in values.items():
        text = v.text if isinstance(v, ast.Ident) else v
        out.append(f"{kw} {text}" if text is not None else None)
    return out


# ------------------------------------------------------------------ comments and layout


def _attach(lines: list[_Line], comments: Iterable[ast.Comment], src: _Source,
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


def _align(lines: list[_Line]) -> dict[int, str]:
    """The code text of every line, cells padded to their group's column widths."""
    groups: dict[int, list[_Line]] = {}
    for ln in lines:
        if ln.group is not None:
            groups.setdefault(id(ln.group), []).append(ln)
    widths: dict[int, list[int]] = {}
    for key, members in groups.items():
        columns = max(len(m.cells) for m in members)
        caps = members[0].caps
        row: list[int] = []
        for j in range(columns):
            cap = caps[j] if j < len(caps) else _WIDE
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


def _render(items: list[_Item], comments: tuple[ast.Comment, ...], src: _Source) -> str:
    lines = [ln for it in items for ln in it.lines]
    first_code = min((ln.start[0] for ln in lines), default=len(src.lines) + 1)
    preamble, tail = _attach(lines, comments, src, first_code)
    # Blank lines between items, then runs of one-line items of one kind share columns.
    apart = [bool(preamble)]
    for prev, item in zip(items, items[1:]):
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


def _in(ln: _Line) -> int:
    """The source line where a printed line's first element (comment or code) stands."""
    return ln.leading[0].line if ln.leading else ln.start[0]


def _out(ln: _Line) -> int:
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


# ------------------------------------------------------------------ entry points


def format_ruleset(tree: ast.Ruleset, source: str) -> str:
    """The canonical text of `tree`; `source` is the text it was parsed from (for comments)."""
    src = _Source(source)
    items = list(tree.items)
    headers = [n for n, it in enumerate(items) if isinstance(it, ast.Header)]
    if len(headers) == 1:
        items.insert(0, items.pop(headers[0]))
    printer = _Printer(src, tree.comments)
    return _render([printer.item(it) for it in items], tree.comments, src)


def strip_spans(node: Any) -> tuple[Any, ...]:
    """A comparable, position-free view of an AST node: its nodes in pre-order.

    Each dataclass or tuple is marked with its name and size, so equal views mean
    equal trees.  Iterative, so the deepest expression the parser accepts is fine.
    """
    out: list[Any] = []
    stack: list[Any] = [node]
    while stack:
        n = stack.pop()
        if is_dataclass(n) and not isinstance(n, type):
            names = [f.name for f in fields(n) if f.name not in ("span", "file")]
            out.append((type(n).__name__, len(names)))
            stack.extend(getattr(n, name) for name in reversed(names))
        elif isinstance(n, tuple):
            out.append(("tuple", len(n)))
            stack.extend(reversed(n))
        else:
            out.append(n)
    return tuple(out)


def same_ruleset(before: ast.Ruleset, after: ast.Ruleset) -> bool:
    """Whether formatting kept the meaning and every comment of a ruleset.

    Items must be equal up to positions, with the single header allowed to move to
    the front; comments must be the same texts, each as often as before.
    """
    def items(tree: ast.Ruleset) -> list[Any]:
        found = list(tree.items)
        headers = [n for n, it in enumerate(found) if isinstance(it, ast.Header)]
        if len(headers) == 1:
            found.insert(0, found.pop(headers[0]))
        return [strip_spans(it) for it in found]

    return (items(before) == items(after)
            and sorted(c.text for c in before.comments) == sorted(c.text for c in after.comments))
