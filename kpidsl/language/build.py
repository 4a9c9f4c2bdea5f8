"""Tree → AST: one method per grammar rule turns Lark's parse tree into the typed AST.

Kept apart from `parse.py` (the parser and its syntax errors) because it is the one
place that knows both the grammar's rule names and the AST's node types; an error it
finds (a number past exact arithmetic, a misplaced setting) is a `BuildError`
carrying its diagnostic.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from lark import Token, Transformer, v_args

from kpidsl.base.diagnostics import Diagnostic, Span, error
from kpidsl.language import ast


class BuildError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_OP_NORMAL = {"==": "=", "≤": "<=", "≥": ">=", "≠": "!=", "×": "*", "÷": "/"}


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


_MAX_ADJUSTED = 26  # a number's decimal exponent from 10^26 up: beyond exact arithmetic (DECIMAL(38, 12))


def _shown(token: Token) -> str:
    """A number as the message quotes it (a 5 000-digit one shortened)."""
    text = str(token)
    return text if len(text) <= 40 else f"{text[:20]}…{text[-10:]}"


def _number(text: str) -> Decimal:
    digits = text.rstrip("%").replace("_", "")
    value = Decimal(digits)
    return value / 100 if text.endswith("%") else value


class Builder(Transformer[Token, Any]):
    """One method per grammar rule; each returns an AST node (or a piece of one)."""

    def __init__(self, file: str) -> None:
        super().__init__(visit_tokens=False)  # no token callbacks: skipping them saves a fifth of the walk
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    # -- spans
    def _span_tok(self, token: Token) -> Span:
        return Span(self.file, token.line or 1, token.column or 1,
                    token.end_line, token.end_column)

    def _span_meta(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.file, 1, 1)
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _ident(self, token: Token) -> ast.Ident:
        return ast.Ident(str(token), self._span_tok(token))

    def _settings(self, pairs: list[tuple[str, Any, Span]], owner: str,
                  allowed_repeat: tuple[str, ...] = ()) -> dict[str, Any]:
        """Fold (key, value, span) pairs into a dict; a repeated key is an error."""
        seen: dict[str, Any] = {}
        for key, value, span in pairs:
            if key in allowed_repeat:
                seen.setdefault(key, []).append(value)
                continue
            if key in seen:
                self.diagnostics.append(error(
                    "K003", f"`{key}` is given twice in {owner}", span,
                    f"keep one `{key}`; the second would silently win"))
                continue
            seen[key] = value
        return seen

    # -- top level
    def start(self, items: list[Any]) -> list[Any]:
        return items

    def title(self, children: list[Token]) -> str:
        return _unquote(children[0])

    @v_args(meta=True)
    def header(self, meta: Any, children: list[Any]) -> ast.Header:
        title, *settings = children
        found = self._settings(settings, "the ruleset header")
        return ast.Header(_unquote(title), found.get("client"), found.get("currency"),
                          found.get("period"), found.get("locale"), self._span_tok(title),
                          found.get("prorate"), found.get("pay"))

    def client(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("client", _unquote(c[0]), self._span_tok(c[0]))

    def currency(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("currency", self._ident(c[0]), self._span_tok(c[0]))

    def period_kind(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("period", self._ident(c[0]), self._span_tok(c[0]))

    def pay_kind(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("pay", self._ident(c[0]), self._span_tok(c[0]))

    def rollup(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("rollup", self._ident(c[0]), self._span_tok(c[0]))

    def prorate(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("prorate", self._ident(c[0]), self._span_tok(c[0]))

    def locale(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("locale", self._ident(c[0]), self._span_tok(c[0]))

    def import_(self, c: list[Token]) -> ast.Import:
        tok = c[0]
        path = _unquote(tok) if tok.type == "STRING" else str(tok)
        return ast.Import(path, self._span_tok(tok))

    # -- facts and records
    def fact(self, c: list[Any]) -> ast.Fact:
        name, title, aggregation, *attrs = c
        found = self._settings(attrs, f"fact `{name}`")
        return ast.Fact(str(name), title, found.get("unit"), found.get("source"), found.get("area"),
                        aggregation, self._span_tok(name), found.get("better"), found.get("level"),
                        found.get("rollup"))

    def unit(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("unit", self._ident(c[0]), self._span_tok(c[0]))

    def source(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("source", self._ident(c[0]), self._span_tok(c[0]))

    def area(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("area", self._ident(c[0]), self._span_tok(c[0]))

    def column(self, c: list[Token]) -> ast.Ident:
        return self._ident(c[0])

    def where(self, c: list[ast.Expr]) -> ast.Expr:
        return c[0]

    @v_args(meta=True)
    def aggregation(self, meta: Any, c: list[Any]) -> ast.Aggregation:
        function, distinct, column, records, where = c
        span = self._span_meta(meta)
        if str(function) != "count" and column is None:
            raise BuildError(error("K004", f"`{function}` needs a column: `{function} amount from {records}`",
                                    self._span_tok(function)))
        return ast.Aggregation(str(function), distinct is not None, column, self._ident(records), where, span)  # type: ignore[arg-type]

    def records(self, c: list[Any]) -> ast.Records:
        name, title, *settings = c
        found = self._settings(settings, f"records `{name}`")
        return ast.Records(str(name), title, found.get("file"), found.get("date"), found.get("employee"),
                           self._span_tok(name))

    def records_file(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("file", _unquote(c[0]), self._span_tok(c[0]))

    def records_date(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("date", self._ident(c[0]), self._span_tok(c[0]))

    def records_employee(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("employee", self._ident(c[0]), self._span_tok(c[0]))

    # -- metrics
    def metric(self, c: list[Any]) -> ast.Metric:
        name, title, formula, *attrs = c
        found = self._settings(attrs, f"metric `{name}`")
        return ast.Metric(str(name), title, formula, found.get("unit"), found.get("better"),
                          found.get("kind"), self._span_tok(name))

    def better(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("better", str(c[0]), self._span_tok(c[0]))

    def level(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("level", str(c[0]), self._span_tok(c[0]))

    def kind(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("kind", self._ident(c[0]), self._span_tok(c[0]))

    # -- KPI cards
    def kpi_card(self, c: list[Any]) -> ast.KpiCard:
        name, title, *fields = c
        found = self._settings(fields, f"KPI card `{name}`")
        goal = found.get("goal")
        return ast.KpiCard(str(name), title, found.get("measures"), found.get("audience"),
                           found.get("access"), found.get("source"), found.get("frequency"),
                           found.get("owner"), found.get("indicator"),
                           goal[0] if goal else None, goal[1] if goal else None, self._span_tok(name))

    def _card_text(self, key: str, c: list[Token]) -> tuple[str, Any, Span]:
        return (key, _unquote(c[0]), self._span_tok(c[0]))

    def card_measures(self, c: list[Token]) -> tuple[str, Any, Span]:
        return self._card_text("measures", c)

    def card_audience(self, c: list[Token]) -> tuple[str, Any, Span]:
        return self._card_text("audience", c)

    def card_access(self, c: list[Token]) -> tuple[str, Any, Span]:
        return self._card_text("access", c)

    def card_source(self, c: list[Token]) -> tuple[str, Any, Span]:
        return self._card_text("source", c)

    def card_owner(self, c: list[Token]) -> tuple[str, Any, Span]:
        return self._card_text("owner", c)

    def card_frequency(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("frequency", self._ident(c[0]), self._span_tok(c[0]))

    def card_indicator(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("indicator", self._ident(c[0]), self._span_tok(c[0]))

    def card_goal(self, c: list[Any]) -> tuple[str, Any, Span]:
        expr = c[0]
        by = self._ident(c[1]) if len(c) > 1 and c[1] is not None else None
        return ("goal", (expr, by), expr.span)

    # -- schemes
    def validity(self, c: list[Token | None]) -> ast.Validity:
        start, end = c
        assert start is not None  # the grammar's `from DATE`
        return ast.Validity(self._ident(start), None if end is None else self._ident(end), self._span_tok(start))

    def validity_until(self, c: list[Token]) -> ast.Validity:
        return ast.Validity(None, self._ident(c[0]), self._span_tok(c[0]))

    def scheme(self, c: list[Any]) -> ast.Scheme:
        name, title, valid, *rest = c
        payout = rest.pop() if rest and (rest[-1] is None or isinstance(rest[-1], ast.Payout)) else None
        return ast.Scheme(str(name), title, tuple(rest), self._span_tok(name), payout, valid)

    def payout(self, c: list[Any]) -> ast.Payout:
        keyword, *assignments = c
        return ast.Payout(tuple(assignments), self._span_tok(keyword))

    def assignment(self, c: list[Any]) -> ast.Assignment:
        name, expr = c
        return ast.Assignment(str(name), expr, self._span_tok(name))

    # -- roles
    def role(self, c: list[Any]) -> ast.Role:
        name, title, valid, *rest = c
        settings = [r for r in rest if isinstance(r, tuple)]
        kpis = tuple(r for r in rest if isinstance(r, ast.KpiLine))
        payout = next((r for r in rest if isinstance(r, ast.Payout)), None)
        found = self._settings(settings, f"role `{name}`", allowed_repeat=("require", "controls"))
        controls = tuple(i for group in found.get("controls", []) for i in group)
        return ast.Role(str(name), title, found.get("scheme"), controls,
                        tuple(found.get("require", [])), kpis, self._span_tok(name), payout, valid)

    def role_scheme(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("scheme", self._ident(c[0]), self._span_tok(c[0]))

    def role_controls(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("controls", tuple(self._ident(t) for t in c), self._span_tok(c[0]))

    def role_require(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("require", c[0], c[0].span)

    def kpi_line(self, c: list[Any]) -> ast.KpiLine:
        name, *rest = c
        valid = next((r for r in rest if isinstance(r, ast.Validity)), None)
        rest = [r for r in rest if isinstance(r, tuple)]
        attrs = [r for r in rest if r[0] in ("weight", "baseline", "target", "bonus")]
        clauses = [r for r in rest if r[0] not in ("weight", "baseline", "target", "bonus")]
        found = self._settings(attrs, f"KPI `{name}`")
        requires = tuple(value for key, value, _ in clauses if key == "require")
        actions = tuple(value for key, value, _ in clauses if key == "action")
        return ast.KpiLine(self._ident(name), found.get("weight"), found.get("baseline"),
                           found.get("target"), found.get("bonus"), requires, actions,
                           self._span_tok(name), valid)

    def kpi_weight(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("weight", c[0], c[0].span)

    def kpi_baseline(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("baseline", c[0], c[0].span)

    def kpi_target(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("target", c[0], c[0].span)

    def kpi_bonus(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("bonus", c[0], c[0].span)

    def kpi_require(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("require", c[0], c[0].span)

    def kpi_action(self, c: list[Any]) -> tuple[str, Any, Span]:
        condition, text = c
        return ("action", ast.Action(condition, _unquote(text), condition.span), condition.span)

    def employee(self, c: list[Token]) -> ast.Employee:
        name, role, start, end = c
        return ast.Employee(_unquote(name), self._ident(role), self._span_tok(name),
                            None if start is None else str(start), None if end is None else str(end),
                            None if start is None else self._span_tok(start),
                            None if end is None else self._span_tok(end))

    def goal(self, c: list[Any]) -> ast.Goal:
        kind, name, title, expr, valid = c
        return ast.Goal(str(kind), str(name), title, expr, self._span_tok(name), valid)  # type: ignore[arg-type]

    # -- rules
    def rule(self, c: list[Any]) -> ast.Rule:
        name, title, *fields = c
        found = self._settings(fields, f"rule `{name}`", allowed_repeat=("action",))
        return ast.Rule(str(name), title, found.get("when"), found.get("level"),
                        tuple(found.get("action", [])), found.get("message"), self._span_tok(name))

    def rule_when(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("when", c[0], c[0].span)

    def rule_level(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("level", self._ident(c[0]), self._span_tok(c[0]))

    def rule_action(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("action", _unquote(c[0]), self._span_tok(c[0]))

    def rule_message(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("message", _unquote(c[0]), self._span_tok(c[0]))

    # -- expressions
    def number(self, c: list[Token]) -> ast.Number:
        tok = c[0]
        try:
            value = _number(str(tok))
        except InvalidOperation:
            raise BuildError(error("K005", f"`{_shown(tok)}` is not a number", self._span_tok(tok))) from None
        if value and value.adjusted() >= _MAX_ADJUSTED:
            raise BuildError(error("K005", f"`{_shown(tok)}` is too large: values stay below 10^26",
                                   self._span_tok(tok),
                                   "the language computes in exact decimals below 10^26; write a smaller number"))
        return ast.Number(value, str(tok), self._span_tok(tok))

    percent = number

    def string(self, c: list[Token]) -> ast.String:
        return ast.String(_unquote(c[0]), self._span_tok(c[0]))

    def name(self, c: list[Token]) -> ast.Name:
        return ast.Name(str(c[0]), self._span_tok(c[0]))

    @v_args(meta=True)
    def call(self, meta: Any, c: list[Any]) -> ast.Call:
        function, *args = c
        return ast.Call(str(function), tuple(a for a in args if a is not None), self._span_meta(meta))

    @v_args(meta=True)
    def neg(self, meta: Any, c: list[Any]) -> ast.Unary:
        return ast.Unary("-", c[0], self._span_meta(meta))

    @v_args(meta=True)
    def not_(self, meta: Any, c: list[Any]) -> ast.Unary:
        return ast.Unary("not", c[0], self._span_meta(meta))

    @v_args(meta=True)
    def binop(self, meta: Any, c: list[Any]) -> ast.Binary:
        left, op, right = c
        return ast.Binary(_OP_NORMAL.get(str(op), str(op)), left, right, self._span_meta(meta))  # type: ignore[arg-type]

    compare = binop

    @v_args(meta=True)
    def and_(self, meta: Any, c: list[Any]) -> ast.Binary:
        return ast.Binary("and", c[0], c[1], self._span_meta(meta))

    @v_args(meta=True)
    def or_(self, meta: Any, c: list[Any]) -> ast.Binary:
        return ast.Binary("or", c[0], c[1], self._span_meta(meta))

    @v_args(meta=True)
    def if_then(self, meta: Any, c: list[Any]) -> ast.IfThen:
        return ast.IfThen(c[0], c[1], c[2], self._span_meta(meta))

    @v_args(meta=True)
    def scale(self, meta: Any, c: list[Any]) -> ast.Scale:
        subject, *rest = c
        rows = tuple(r for r in rest if isinstance(r, ast.ScaleRow))
        otherwise = rest[-1]
        return ast.Scale(subject, rows, otherwise, self._span_meta(meta))

    @v_args(meta=True)
    def scale_row(self, meta: Any, c: list[Any]) -> ast.ScaleRow:
        below, _arrow, value = c
        return ast.ScaleRow(below, value, self._span_meta(meta))

    def __default__(self, data: str, children: list[Any], meta: Any) -> Any:
        raise AssertionError(f"grammar rule without a builder: {data}")


