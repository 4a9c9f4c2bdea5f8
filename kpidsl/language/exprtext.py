"""Expressions back to ruleset text: `lead_close_rate >= 20%`.

Results show quality conditions as the consultant wrote them.  Numbers keep their
written form (`20%`, `10_000_000`) and parentheses appear only where the
grammar's precedence needs them, so the text reads like the source line.
"""

from __future__ import annotations

from kpidsl.language import ast

# Binding strength, lowest first, as in grammar/kpidsl.lark.
_IF, _OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(9)
_BINARY = {"or": _OR, "and": _AND, "+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT,
           **{op: _COMPARE for op in ast.COMPARISON_OPS}}


def _strength(e: ast.Expr) -> int:
    if isinstance(e, ast.IfThen):
        return _IF
    if isinstance(e, ast.Binary):
        return _BINARY[e.op]
    if isinstance(e, ast.Unary):
        return _NOT if e.op == "not" else _UNARY
    return _ATOM


def _string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def expr_text(e: ast.Expr, need: int = _IF) -> str:
    """`e` as ruleset text; wrapped in parentheses if it binds weaker than `need`."""
    text = _text(e)
    return f"({text})" if _strength(e) < need else text


def _text(e: ast.Expr) -> str:
    if isinstance(e, ast.Number):
        return e.text
    if isinstance(e, ast.String):
        return _string(e.value)
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Call):
        return f"{e.function}({', '.join(expr_text(a) for a in e.args)})"
    if isinstance(e, ast.Unary):
        if e.op == "not":
            return f"not {expr_text(e.operand, _NOT)}"
        return f"-{expr_text(e.operand, _UNARY)}"
    if isinstance(e, ast.Binary):
        level = _BINARY[e.op]
        right_need = level + 1 if level in (_SUM, _PRODUCT, _COMPARE) else level
        left_need = level + 1 if level == _COMPARE else level
        return f"{expr_text(e.left, left_need)} {e.op} {expr_text(e.right, right_need)}"
    if isinstance(e, ast.IfThen):
        return f"if {expr_text(e.condition)} then {expr_text(e.then)} else {expr_text(e.otherwise)}"
    if isinstance(e, ast.Scale):
        rows = " ".join(f"below {expr_text(r.below)} -> {expr_text(r.value)}" for r in e.rows)
        return f"scale {expr_text(e.subject)} {{ {rows} else -> {expr_text(e.otherwise)} }}"
    raise TypeError(f"not an expression: {e!r}")
