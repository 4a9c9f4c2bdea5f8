"""Expressions back to text: the one expression printer and the one string quoter.

Every place that shows a formula prints it here: results show quality conditions and
filters as the consultant wrote them (`expr_text`), `kpidsl fmt` writes the canonical
text (`fmt.format_expr`), and explain writes formulas with Unicode operators and with
values substituted (`results.explain_values`).  They share one precedence table, the
grammar's (`Level`), and one quoter (`quote`), so a printed formula always parses back
to the same tree; what differs between them is a few class attributes and hooks of
`ExprPrinter`, not a copy of the printer.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import ClassVar

from kpidsl.language import ast

__all__ = ["BINARY_LEVEL", "ExprPrinter", "Level", "expr_text", "level", "quote"]


class Level(IntEnum):
    """Binding strength, lowest first: the `?expr` … `?atom` ladder of grammar/kpidsl.lark."""

    IF = 0  # if … then … else …
    OR = 1
    AND = 2
    NOT = 3
    COMPARE = 4  # does not chain: `a < b < c` is an error
    SUM = 5  # + -
    PRODUCT = 6  # * /
    NEG = 7  # unary minus
    ATOM = 8  # number, text, name, call, (…), scale


BINARY_LEVEL: Mapping[str, Level] = {
    "or": Level.OR, "and": Level.AND, "+": Level.SUM, "-": Level.SUM, "*": Level.PRODUCT, "/": Level.PRODUCT,
    **{op: Level.COMPARE for op in ast.COMPARISON_OPS}}


def level(e: ast.Expr) -> Level:
    """How strongly `e`'s outermost construct binds."""
    if isinstance(e, ast.IfThen):
        return Level.IF
    if isinstance(e, ast.Binary):
        return BINARY_LEVEL[e.op]
    if isinstance(e, ast.Unary):
        return Level.NOT if e.op == "not" else Level.NEG
    return Level.ATOM


def quote(text: str) -> str:
    """A text as a ruleset string literal, with the parser's escapes: \\\\ \\" \\n \\t.

    (A raw tab would parse too; `\\t` keeps it visible.)"""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{body}"'


class ExprPrinter:
    """Prints an expression on one line with the parentheses the grammar needs.

    Binary operators group to the left, so a right operand of the same level keeps
    its parentheses (`a - (b - c)`, `a or (b or c)`), and both sides of a comparison
    are sums.  The `*_operand` levels say what each operand position must reach: the
    defaults are the grammar's minimum (the fewest parentheses); a subclass raises
    one to add parentheses for readability, which never changes the tree.  The leaf
    hooks (`number`, `string`, `name`) and `call` say how those are shown.

    `expr` is one Python frame per tree level (no helpers in between, no
    comprehensions), so every expression the parser accepts can be printed.
    """

    ops: ClassVar[Mapping[str, str]] = {}  # how an operator is spelled, where not as in the AST
    arrow: ClassVar[str] = "->"  # in scale rows
    not_operand: ClassVar[Level] = Level.NOT
    minus_operand: ClassVar[Level] = Level.NEG  # ATOM: `-(-x)` rather than `--x`
    if_operand: ClassVar[Level] = Level.IF  # condition and `then` of an `if`; OR parenthesises a nested `if`
    scale_subject: ClassVar[Level] = Level.IF

    def number(self, e: ast.Number) -> str:
        return e.text  # as written: `10_000_000`, `20%`

    def string(self, e: ast.String) -> str:
        return quote(e.value)

    def name(self, e: ast.Name) -> str:
        return e.name

    def call(self, e: ast.Call) -> tuple[str, Level] | None:
        """A call shown otherwise than `f(a, b)`, with the level of what is shown; None: as written."""
        return None

    def expr(self, e: ast.Expr, need: Level = Level.IF) -> str:
        """`e` as text; in parentheses if it binds more loosely than `need`."""
        strength = Level.ATOM
        if isinstance(e, ast.Number):
            text = self.number(e)
        elif isinstance(e, ast.String):
            text = self.string(e)
        elif isinstance(e, ast.Name):
            text = self.name(e)
        elif isinstance(e, ast.Call):
            shown = self.call(e)
            if shown is not None:
                text, strength = shown
            else:
                args: list[str] = []
                for a in e.args:
                    args.append(self.expr(a))
                text = f"{e.function}({', '.join(args)})"
        elif isinstance(e, ast.Unary):
            if e.op == "not":
                strength = Level.NOT
                text = "not " + self.expr(e.operand, self.not_operand)
            else:
                strength = Level.NEG
                text = self.ops.get("-", "-") + self.expr(e.operand, self.minus_operand)
        elif isinstance(e, ast.Binary):
            strength = BINARY_LEVEL[e.op]
            compare = strength == Level.COMPARE
            left = self.expr(e.left, Level.SUM if compare else strength)
            right = self.expr(e.right, Level(strength + 1))
            text = f"{left} {self.ops.get(e.op, e.op)} {right}"
        elif isinstance(e, ast.IfThen):
            strength = Level.IF
            text = (f"if {self.expr(e.condition, self.if_operand)} then {self.expr(e.then, self.if_operand)}"
                    f" else {self.expr(e.otherwise)}")
        elif isinstance(e, ast.Scale):
            rows: list[str] = []
            for r in e.rows:
                rows.append(f"below {self.expr(r.below)} {self.arrow} {self.expr(r.value)}")
            text = (f"scale {self.expr(e.subject, self.scale_subject)} {{ {'  '.join(rows)}"
                    f"  else {self.arrow} {self.expr(e.otherwise)} }}")
        else:
            raise TypeError(f"not an expression: {e!r}")
        return f"({text})" if strength < need else text


_AS_WRITTEN = ExprPrinter()


def expr_text(e: ast.Expr) -> str:
    """`e` as ruleset text, the way results show it: `lead_close_rate >= 20%`.

    Numbers keep their written form and parentheses appear only where the grammar
    needs them, so the text reads like the source line."""
    return _AS_WRITTEN.expr(e)
