"""Format: the canonical text of a ruleset, every comment kept (`kpidsl fmt`).

One layout for every file, so that two consultants' rulesets look alike and a diff
shows only real changes.  The printer works from the typed AST; where comments and
blank lines go is read from the source text by `fmt_layout.py` (the AST has no
closing-brace positions and some settings carry no span).

Style
* Two-space indentation.  A block (`ruleset`, `records`, `kpi` card, `scheme`,
  `role`, `rule`) opens with `{` on its first line and closes with `}` alone on a
  line; an empty block is `{ }`.  The `ruleset` header comes first when a file has
  exactly one; every other item keeps its place.
* One declaration, setting, KPI line or clause per line, settings in a fixed order:
  header `client currency period locale`; fact `unit better source area` after its
  `= … from …` (direction next to the unit, as for metrics); metric `unit better
  kind` after its formula; records `file date employee`; card `measures audience
  access source frequency owner indicator goal`; role `scheme controls require`,
  then its KPI lines; KPI line `weight baseline target bonus`, then its `require`
  clauses, then its `when … action` clauses, each on its own line indented under
  the KPI line; rule `when level message action`.  Repeated `controls` lines merge
  into one.
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
  another `if` is parenthesised for readability; `else if` chains are not; `-(-x)`,
  not `--x`.  Expressions are printed by the house's one printer
  (`exprtext.ExprPrinter`, its precedence table and quoter) with those two choices set.
* A `scale` that is a whole formula (metric, goal, param, scheme line) is written as
  a block, one row per line; a scale inside a larger expression stays on one line.
* Import paths are written bare (`import std/marketing`) where the grammar allows.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from kpidsl.base.diagnostics import Diagnostic, Span
from kpidsl.language import ast
from kpidsl.language.exprtext import ExprPrinter, Level, quote
from kpidsl.language.fmt_layout import WIDE, Item, Line, Pos, SourceText, last_line, render, start_of

# `quote` is the printer's (kpidsl.language.exprtext), named here too for the formatter's users.
__all__ = ["Formatted", "format_expr", "format_ruleset", "format_text", "quote", "same_ruleset", "strip_spans"]

# ------------------------------------------------------------------ expressions

_PATH = re.compile(r"[\w.\-]+(/[\w.\-]+)+")


class _Canonical(ExprPrinter):
    """The house style: the grammar's parentheses, plus two pairs for the reader.

    An `if` nested in the condition or `then` branch of another `if` is
    parenthesised (`else if` chains are not), and `-(-x)` is written rather than
    `--x`: two minus signs in a row read like a typo."""

    if_operand = Level.OR
    minus_operand = Level.ATOM


_CANONICAL = _Canonical()


def format_expr(e: ast.Expr) -> str:
    """An expression on one line, with the fewest parentheses that keep its meaning
    (and the two readability pairs above); any expression the parser accepts."""
    return _CANONICAL.expr(e)


class _Printer:
    """Builds the printed lines of each item, with their source positions."""

    def __init__(self, src: SourceText, comments: tuple[ast.Comment, ...]) -> None:
        self.src = src
        self.comment_offsets = sorted(src.offset((c.line, c.column)) for c in comments)

    # -- blocks
    def _comment_inside(self, block: tuple[int, int]) -> bool:
        lo, hi = self.src.tokens[block[0]][0], self.src.tokens[block[1]][0]
        i = bisect_right(self.comment_offsets, lo)
        return i < len(self.comment_offsets) and self.comment_offsets[i] < hi

    def _block(self, head: list[str | None], start: Pos, name: Span,
               body: list[Line], block: tuple[int, int] | None) -> list[Line]:
        if block is None:  # only when the source does not match the tree
            opener = Line(0, [*head, "{"], start, start[0], opener=True)
            return [opener, *body, Line(0, ["}"], start, start[0], closer=True)]
        open_pos, close_pos = self.src.pos(block[0]), self.src.pos(block[1])
        if not body and not self._comment_inside(block):
            return [Line(0, [*head, "{ }"], start, close_pos[0])]
        opener = Line(0, [*head, "{"], start, max(open_pos[0], last_line(name)), opener=True)
        return [opener, *body, Line(0, ["}"], close_pos, close_pos[0], closer=True)]

    @staticmethod
    def _settings(rows: list[tuple[str, str, Pos, int]], depth: int = 1) -> list[Line]:
        """`keyword value` lines of one block, keywords padded to one column."""
        group = object()
        return [Line(depth, [kw, value], pos, max(end, pos[0]), group) for kw, value, pos, end in rows]

    def _scale_block(self, depth: int, head: list[str | None], start: Pos, scale: ast.Scale,
                     tail: list[str | None], tail_parts: list[Any]) -> list[Line]:
        """A whole-formula scale: `head scale x {`, one row per line, `} tail`."""
        group = object()
        subject = format_expr(scale.subject)
        brace = self.src.block((scale.subject.span.end_line or scale.subject.span.line,
                                scale.subject.span.end_column or scale.subject.span.column))
        open_line = self.src.pos(brace[0])[0] if brace else last_line(scale.subject)
        close = self.src.pos(brace[1]) if brace else (last_line(scale), 1)
        lines = [Line(depth, [*head, f"scale {subject} {{"], start, open_line, opener=True)]
        for row in scale.rows:
            lines.append(Line(depth + 1, [f"below {format_expr(row.below)}", f"-> {format_expr(row.value)}"],
                              start_of(row.span), last_line(row), group))
        else_at = self.src.keyword_before(scale.otherwise.span, ("else",), ("(", "->", "→"))
        lines.append(Line(depth + 1, ["else", f"-> {format_expr(scale.otherwise)}"],
                          else_at, last_line(scale.otherwise), group))
        lines.append(Line(depth, ["}", *tail], close, max(close[0], last_line(*tail_parts)), closer=True))
        return lines

    # -- items
    def item(self, it: ast.Item) -> Item:
        method = getattr(self, "_" + type(it).__name__.lower())
        result: Item = method(it)
        return result

    def _header(self, h: ast.Header) -> Item:
        start = self.src.keyword_before(h.span, ("ruleset",))
        block = self.src.block(start_of(h.span))
        texts = self.src.text_fields(block)
        rows: list[tuple[str, str, Pos, int]] = []
        if h.client is not None:
            at = texts.get("client", [start])[0]
            rows.append(("client", quote(h.client), at, at[0]))
        for kw, ident in (("currency", h.currency), ("period", h.period_kind), ("locale", h.locale),
                          ("pay", h.pay_kind), ("prorate", h.prorate)):
            if ident is not None:
                rows.append((kw, ident.text, self.src.keyword_before(ident.span, (kw,)), last_line(ident)))
        lines = self._block(["ruleset", quote(h.title)], start, h.span, self._settings(rows), block)
        return Item("header", True, lines)

    def _import(self, i: ast.Import) -> Item:
        path = i.path if _PATH.fullmatch(i.path) else quote(i.path)
        start = self.src.keyword_before(i.span, ("import",))
        return Item("import", False, [Line(0, ["import", path], start, last_line(i))])

    def _fact(self, f: ast.Fact) -> Item:
        aggregation = None
        if f.aggregation is not None:
            a = f.aggregation
            aggregation = " ".join(
                ["=", a.function, *(["distinct"] if a.distinct else []),
                 *([a.column.text] if a.column else []), "from", a.records.text,
                 *(["where", format_expr(a.where)] if a.where is not None else [])])
        cells = ["fact", f.name, _title(f.title), aggregation,
                 *_attrs(unit=f.unit, better=f.better, source=f.source, area=f.area, per=f.level,
                        rollup=f.rollup)]
        start = self.src.keyword_before(f.span, ("fact",))
        line = Line(0, cells, start, last_line(f, f.aggregation, f.unit, f.source, f.area, f.rollup),
                    caps=(WIDE, 24, 48, 40, 24, 24, 24, 24, 24, 24))
        return Item("fact", False, [line])

    def _records(self, r: ast.Records) -> Item:
        start = self.src.keyword_before(r.span, ("records",))
        block = self.src.block(start_of(r.span))
        rows: list[tuple[str, str, Pos, int]] = []
        if r.file is not None:
            at = self.src.text_fields(block).get("file", [start])[0]
            rows.append(("file", quote(r.file), at, at[0]))
        for kw, ident in (("date", r.date_column), ("employee", r.employee_column)):
            if ident is not None:
                rows.append((kw, ident.text, self.src.keyword_before(ident.span, (kw,)), last_line(ident)))
        lines = self._block(["records", r.name, _title(r.title)], start, r.span, self._settings(rows), block)
        return Item("records", True, lines)

    def _metric(self, m: ast.Metric) -> Item:
        start = self.src.keyword_before(m.span, ("metric",))
        attrs = _attrs(unit=m.unit, better=m.better, kind=m.kind)
        if isinstance(m.formula, ast.Scale):
            lines = self._scale_block(0, ["metric", m.name, _title(m.title), "="], start, m.formula,
                                      attrs, [m.unit, m.kind])
            return Item("metric", True, lines)
        cells = ["metric", m.name, _title(m.title), "= " + format_expr(m.formula), *attrs]
        line = Line(0, cells, start, last_line(m, m.formula, m.unit, m.kind), caps=(WIDE, 24, 48, 34, 24, 24, 24))
        return Item("metric", False, [line])

    def _kpicard(self, k: ast.KpiCard) -> Item:
        start = self.src.keyword_before(k.span, ("kpi",))
        block = self.src.block(start_of(k.span))
        texts = self.src.text_fields(block)
        rows: list[tuple[str, str, Pos, int]] = []
        for kw in ("measures", "audience", "access", "source", "frequency", "owner", "indicator"):
            value = getattr(k, kw)
            if isinstance(value, str):
                at = texts.get(kw, [start])[0]
                rows.append((kw, quote(value), at, at[0]))
            elif value is not None:
                rows.append((kw, value.text, self.src.keyword_before(value.span, (kw,)), last_line(value)))
        if k.goal is not None:
            goal = format_expr(k.goal) + (f" by {k.goal_by.text}" if k.goal_by else "")
            rows.append(("goal", goal, self.src.keyword_before(k.goal.span, ("goal",)), last_line(k.goal)))
        lines = self._block(["kpi", k.name, _title(k.title)], start, k.span, self._settings(rows), block)
        return Item("kpi card", True, lines)

    def _assignments(self, depth: int, assignments: tuple[ast.Assignment, ...]) -> list[Line]:
        """A scheme's (or a payout's) `name = formula` lines, the `=` aligned."""
        group = object()
        body: list[Line] = []
        for a in assignments:
            if isinstance(a.expr, ast.Scale):
                body += self._scale_block(depth, [a.name, "="], start_of(a.span), a.expr, [], [])
            else:
                body.append(Line(depth, [a.name, "= " + format_expr(a.expr)], start_of(a.span),
                                 last_line(a, a.expr), group))
        return body

    def _payout(self, p: ast.Payout | None) -> list[Line]:
        """`payout { … }` inside a scheme or a role, one level in."""
        if p is None:
            return []
        start = start_of(p.span)
        block = self.src.block(start)
        body = self._assignments(2, p.assignments)
        if block is None:
            return [Line(1, ["payout {"], start, start[0], opener=True), *body,
                    Line(1, ["}"], start, start[0], closer=True)]
        open_pos, close_pos = self.src.pos(block[0]), self.src.pos(block[1])
        if not body and not self._comment_inside(block):
            return [Line(1, ["payout { }"], start, close_pos[0])]
        return [Line(1, ["payout {"], start, open_pos[0], opener=True), *body,
                Line(1, ["}"], close_pos, close_pos[0], closer=True)]

    def _scheme(self, s: ast.Scheme) -> Item:
        start = self.src.keyword_before(s.span, ("scheme",))
        body = self._assignments(1, s.assignments) + self._payout(s.payout)
        lines = self._block(["scheme", s.name, _title(s.title), *_valid(s.valid)], start, s.span, body,
                            self.src.block(start_of(s.span)))
        return Item("scheme", True, lines)

    def _role(self, r: ast.Role) -> Item:
        start = self.src.keyword_before(r.span, ("role",))
        rows: list[tuple[str, str, Pos, int]] = []
        if r.scheme is not None:
            rows.append(("scheme", r.scheme.text, self.src.keyword_before(r.scheme.span, ("scheme",)),
                         last_line(r.scheme)))
        if r.controls:
            rows.append(("controls", ", ".join(c.text for c in r.controls),
                         self.src.keyword_before(r.controls[0].span, ("controls",)), last_line(*r.controls)))
        for cond in r.requires:
            rows.append(("require", format_expr(cond), self.src.keyword_before(cond.span, ("require",)),
                         last_line(cond)))
        body = self._settings(rows)
        group = object()
        for kpi in r.kpis:
            cells = ["kpi", kpi.indicator.text,
                     *(f"{kw} {format_expr(v)}" if v is not None else None
                       for kw, v in (("weight", kpi.weight), ("baseline", kpi.baseline),
                                     ("target", kpi.target), ("bonus", kpi.bonus))), *_valid(kpi.valid)]
            body.append(Line(1, cells, self.src.keyword_before(kpi.indicator.span, ("kpi",)),
                             last_line(kpi.indicator, kpi.weight, kpi.baseline, kpi.target, kpi.bonus,
                                       *_valid_parts(kpi.valid)),
                             group, caps=(WIDE, 24, 20, 20, 20, 20)))
            for cond in kpi.requires:
                body.append(Line(2, ["require", format_expr(cond)],
                                 self.src.keyword_before(cond.span, ("require",)), last_line(cond)))
            for action in kpi.actions:
                text_at = self.src.token_after_word((action.condition.span.end_line or action.condition.span.line,
                                               action.condition.span.end_column or 1), "action")
                body.append(Line(2, ["when", format_expr(action.condition), "action", quote(action.text)],
                                 self.src.keyword_before(action.condition.span, ("when",)),
                                 last_line(action.condition, text_at)))
        body += self._payout(r.payout)
        lines = self._block(["role", r.name, _title(r.title), *_valid(r.valid)], start, r.span, body,
                            self.src.block(start_of(r.span)))
        return Item("role", True, lines)

    def _employee(self, e: ast.Employee) -> Item:
        start = self.src.keyword_before(e.span, ("employee",))
        return Item("employee", False,
                    [Line(0, ["employee", quote(e.name), f"role {e.role.text}",
                              *([f"from {e.start}"] if e.start else []), *([f"to {e.end}"] if e.end else [])],
                          start, last_line(e, e.role, e.start_span, e.end_span),
                          caps=(WIDE, 40, 20, 20))])

    def _goal(self, g: ast.Goal) -> Item:
        start = self.src.keyword_before(g.span, ("goal", "param"))
        if isinstance(g.expr, ast.Scale):
            return Item("goal", True, self._scale_block(0, [g.kind, g.name, _title(g.title), "="],
                                                        start, g.expr, [*_valid(g.valid)], _valid_parts(g.valid)))
        cells = [g.kind, g.name, _title(g.title), "= " + format_expr(g.expr), *_valid(g.valid)]
        return Item("goal", False, [Line(0, cells, start, last_line(g, g.expr, *_valid_parts(g.valid)),
                                         caps=(WIDE, 24, 48))])

    def _rule(self, r: ast.Rule) -> Item:
        start = self.src.keyword_before(r.span, ("rule",))
        block = self.src.block(start_of(r.span))
        texts = self.src.text_fields(block)
        rows: list[tuple[str, str, Pos, int]] = []
        if r.when is not None:
            rows.append(("when", format_expr(r.when), self.src.keyword_before(r.when.span, ("when",)),
                         last_line(r.when)))
        if r.level is not None:
            rows.append(("level", r.level.text, self.src.keyword_before(r.level.span, ("level",)), last_line(r.level)))
        if r.message is not None:
            at = texts.get("message", [start])[0]
            rows.append(("message", quote(r.message), at, at[0]))
        action_at = texts.get("action", [])
        for n, text in enumerate(r.actions):
            at = action_at[n] if n < len(action_at) else start
            rows.append(("action", quote(text), at, at[0]))
        lines = self._block(["rule", r.name, _title(r.title)], start, r.span, self._settings(rows), block)
        return Item("rule", True, lines)


def _valid(valid: ast.Validity | None) -> list[str]:
    """A version's `from … to …` cell, or none."""
    return [valid.text()] if valid is not None else []


def _valid_parts(valid: ast.Validity | None) -> list[ast.Ident]:
    return [p for p in (valid.start, valid.end) if p is not None] if valid is not None else []


def _title(title: str | None) -> str | None:
    return quote(title) if title is not None else None


def _attrs(**values: ast.Ident | str | None) -> list[str | None]:
    """`keyword value` cells in the given order; None keeps an aligned empty column."""
    out: list[str | None] = []
    for kw, v in values.items():
        text = v.text if isinstance(v, ast.Ident) else v
        out.append(f"{kw} {text}" if text is not None else None)
    return out


# ------------------------------------------------------------------ entry points


def format_ruleset(tree: ast.Ruleset, source: str) -> str:
    """The canonical text of `tree`; `source` is the text it was parsed from (for comments)."""
    src = SourceText(source)
    items = list(tree.items)
    headers = [n for n, it in enumerate(items) if isinstance(it, ast.Header)]
    if len(headers) == 1:
        items.insert(0, items.pop(headers[0]))
    printer = _Printer(src, tree.comments)
    return render([printer.item(it) for it in items], tree.comments, src)


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
            names = [f.name for f in fields(n) if f.name != "file" and not f.name.endswith("span")]
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


@dataclass(frozen=True)
class Formatted:
    """The canonical text of a ruleset text, or why there is none: its syntax errors, or
    (`failure`) a printer bug caught before anything was written."""

    text: str | None
    errors: list[Diagnostic]
    failure: str | None = None


def format_text(text: str, file: str) -> Formatted:
    """Format a ruleset text safely, for `kpidsl fmt` and the language server alike: the
    result is parsed again and must mean the same and keep every comment, else no text."""
    from kpidsl.language.parse import parse

    tree, diagnostics = parse(text, file)
    errors = [d for d in diagnostics if d.is_error]
    if tree is None or errors:
        return Formatted(None, errors or diagnostics)
    try:
        formatted = format_ruleset(tree, text)
        again, again_diagnostics = parse(formatted, file)
        safe = again is not None and not again_diagnostics and same_ruleset(tree, again)
    except Exception as exc:  # a printer bug: report it, never a traceback, never a write
        return Formatted(None, [], f"{type(exc).__name__}: {exc}")
    if not safe:
        return Formatted(None, [], "the formatted text would not mean the same or would lose a comment")
    return Formatted(formatted, [])
