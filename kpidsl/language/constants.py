"""Constants: exact arithmetic over what a ruleset writes before any data.

Numbers written in the ruleset, goals and params, and `+ - * /`, unary minus,
`abs`, `min`, `max` and `round(x, d)` over them are *constants*.  They are
computed exactly, as rational numbers, and rounded half away from zero to 12
decimals only once: where a constant meets data (the SQL sees it as a literal) or
is reported (a goal's value, a KPI's target).  So a revenue goal of 10 000 000 at
a win rate of `1 / 3` is a pipeline target of exactly 30 000 000, while the win
rate on its own shows as 0.333333333333.  A constant division by zero has no
value, like any other.  Arithmetic on data keeps the fixed-point rule of
`fixedpoint.py` (every operation rounded to 12 decimals).

The engine (`lower.py`), the checker (`check_expr.py`) and `explain` share these
helpers, so all three agree on every constant.  The module imports nothing heavy:
`kpidsl check` uses it.

Exactness has a size limit only to stay fast on absurd input (`1e999999999`, a
chain of thousands of divisions): a number or an intermediate result whose
numerator or denominator needs more than `MAX_BITS` bits raises `OutOfRange`.
Every value the language can use (below 10^26, 12 decimals) is far inside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction

from kpidsl.language import ast

SCALE = 12
MAX_BITS = 4096  # about 1 200 decimal digits
_MAX_EXPONENT = 1000  # a written number's decimal exponent, checked before it is expanded


class OutOfRange(ArithmeticError):
    """A constant too large (or too finely divided) for exact arithmetic."""


class NotConstant(Exception):
    """The expression reads data (a fact, a metric, a scoring value) or uses `if`/`scale`/`prev`."""


def _checked(x: Fraction) -> Fraction:
    if x.numerator.bit_length() > MAX_BITS or x.denominator.bit_length() > MAX_BITS:
        raise OutOfRange("a constant too large or too finely divided for exact arithmetic")
    return x


def exact(value: Decimal) -> Fraction:
    """A written decimal as an exact rational number."""
    if not value.is_finite():
        raise OutOfRange(f"`{value}` is not a number")
    exponent = value.as_tuple().exponent  # an int: the value is finite
    if isinstance(exponent, int) and abs(exponent) > _MAX_EXPONENT:
        raise OutOfRange(f"`{value}` is beyond exact arithmetic (exponents stay within ±{_MAX_EXPONENT})")
    return _checked(Fraction(value))


def rounded(x: Fraction, digits: int = SCALE) -> Decimal:
    """`x` rounded half away from zero to `digits` decimals (negative: tens, hundreds …)."""
    scaled = abs(x) * Fraction(10) ** digits
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    sign = "-" if x < 0 and whole else ""
    return Decimal(f"{sign}{whole}E{-digits}")  # built from text: exact at any precision


def round_exact(x: Fraction, digits: int) -> Fraction:
    """`round(x, digits)` of a constant, still a constant."""
    return Fraction(rounded(x, digits))


def arith(op: str, a: Fraction, b: Fraction) -> Fraction | None:
    """`a op b` exactly; None (no value) for a division by zero."""
    if op == "+":
        return _checked(a + b)
    if op == "-":
        return _checked(a - b)
    if op == "*":
        return _checked(a * b)
    if b == 0:
        return None
    return _checked(a / b)


Lookup = Callable[[str], "ast.Expr | None"]


def fold(expr: ast.Expr, goal: Lookup) -> Fraction | None:
    """The exact value of a constant expression; None if it has no value (a division by zero).

    `goal(name)` gives the formula of a goal or param (None for any other name).
    Raises `NotConstant` if the expression reads anything else, and `OutOfRange`
    for absurd magnitudes.
    """
    return _fold(expr, goal, frozenset())


def _fold(e: ast.Expr, goal: Lookup, seen: frozenset[str]) -> Fraction | None:
    if isinstance(e, ast.Number):
        return exact(e.value)
    if isinstance(e, ast.Name):
        formula = goal(e.name)
        if formula is None or e.name in seen:  # a cycle is the checker's to report
            raise NotConstant(e.name)
        return _fold(formula, goal, seen | {e.name})
    if isinstance(e, ast.Unary) and e.op == "-":
        inner = _fold(e.operand, goal, seen)
        return None if inner is None else -inner
    if isinstance(e, ast.Binary) and e.op in ast.ARITHMETIC_OPS:
        a, b = _fold(e.left, goal, seen), _fold(e.right, goal, seen)
        return None if a is None or b is None else arith(e.op, a, b)
    if isinstance(e, ast.Call) and e.function in ("abs", "min", "max", "round") and e.args:
        if e.function == "round":
            digits = _digits(e.args[1]) if len(e.args) > 1 else 0
            x = _fold(e.args[0], goal, seen)
            return None if x is None else round_exact(x, digits)
        args = [_fold(a, goal, seen) for a in e.args]
        if any(a is None for a in args):
            return None
        known = [a for a in args if a is not None]
        if e.function == "abs":
            return abs(known[0])
        return min(known) if e.function == "min" else max(known)
    raise NotConstant(type(e).__name__)


def _digits(e: ast.Expr) -> int:
    """The digits of `round(x, d)`: a whole number written out (else not a constant call)."""
    if isinstance(e, ast.Number) and e.value == e.value.to_integral_value() and abs(e.value) <= 100:
        return int(e.value)
    if isinstance(e, ast.Unary) and e.op == "-":
        return -_digits(e.operand)
    raise NotConstant("round digits")


def goal_lookup(values: Mapping[str, object]) -> Lookup:
    """`fold`'s lookup over a model's values: the formula of each goal and param."""
    def lookup(name: str) -> ast.Expr | None:
        decl = values.get(name)
        return decl.expr if isinstance(decl, ast.Goal) else None
    return lookup


__all__ = ["MAX_BITS", "SCALE", "Lookup", "NotConstant", "OutOfRange", "arith", "exact", "fold", "goal_lookup",
           "round_exact", "rounded"]
