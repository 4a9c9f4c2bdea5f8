"""The language's built-in vocabulary, shared by the checker and the compiler.

Functions declare their arity and what their arguments must be, so the checker
rejects `growth(1 + 2)` or `round(x, y, z)` before anything runs.  The scoring
names (`weight`, `attainment`, …) are the values a scheme formula, a quality
condition or an action condition can use besides the ruleset's own names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from kpidsl.language import ast

ArgKind = Literal["number", "series", "integer_literal"]


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[ArgKind, ...]  # the fixed parameters
    variadic: ArgKind | None  # more arguments of this kind may follow
    optional: int  # how many of the trailing fixed params may be left out
    summary: str

    @property
    def min_args(self) -> int:
        return len(self.params) - self.optional

    @property
    def max_args(self) -> int | None:
        return None if self.variadic else len(self.params)

    def signature(self) -> str:
        args = list(self.params)
        shown = [a if i < self.min_args else f"[{a}]" for i, a in enumerate(args)]
        if self.variadic:
            shown.append(f"{self.variadic}…")
        return f"{self.name}({', '.join(shown)})"


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("min", ("number", "number"), "number", 0, "the smallest of its arguments"),
        Function("max", ("number", "number"), "number", 0, "the largest of its arguments"),
        Function("abs", ("number",), None, 0, "the absolute value"),
        Function("round", ("number", "integer_literal"), None, 1,
                 "rounded half away from zero to the given number of decimals (default 0)"),
        Function("prev", ("series",), None, 0,
                 "the value of a fact or metric in the previous period"),
        Function("growth", ("series",), None, 0,
                 "(x − prev(x)) / prev(x): the relative change against the previous period"),
        Function("ytd", ("series",), None, 0,
                 "year to date: the sum of a fact over the periods of this year up to this one"),
        Function("department", ("series",), None, 0,
                 "the value of a fact or metric for the whole department in the same period"),
    )
}

# Values every scoring formula can read for the KPI it scores.
SCHEME_INPUTS: dict[str, str] = {
    "weight": "the KPI's weight in the role",
    "fact": "the indicator's actual value in the period",
    "target": "the KPI's target (plan)",
    "baseline": "the KPI's baseline (the current level before the period)",
    "attainment": "fact / target for `better higher`, target / fact for `better lower`",
    "plan_bonus": "the planned bonus for the KPI",
}

# A scheme must define these two; `index` may be used by `bonus`.
SCHEME_OUTPUTS = ("index", "bonus")

# The scheme of a role that names none: `index = weight * attainment`,
# `bonus = plan_bonus * (1 + index - weight)` (the methodology's weighted index).
DEFAULT_SCHEME = "weighted_index"
DEFAULT_SCHEME_TEXT = """scheme weighted_index "Взвешенный индекс" {
  index = weight * attainment
  bonus = plan_bonus * (1 + index - weight)
}"""
# Its formulas as `expr_text` prints them (tests check they agree): a scheme with exactly these
# is the weighted index, whatever its name, and the employee statement describes it in the
# methodology's words.
DEFAULT_SCHEME_FORMULAS = (("index", "weight * attainment"), ("bonus", "plan_bonus * (1 + index - weight)"))


def default_scheme() -> ast.Scheme:
    """The built-in scheme as an AST (its span's file is `<builtin>`)."""
    from kpidsl.language import ast
    from kpidsl.language.parse import parse

    tree, _ = parse(DEFAULT_SCHEME_TEXT, "<builtin>")
    assert tree is not None
    return next(d for d in tree.declarations if isinstance(d, ast.Scheme))

# What a KPI's `require` and `when … action` conditions can read besides ruleset names.
KPI_CONDITION_NAMES: dict[str, str] = {
    **SCHEME_INPUTS,
    "index": "the KPI's index (fact), as the scheme computed it",
    "index_plan": "the KPI's planned index (its weight)",
    "deviation": "index − index_plan",
}

PERIOD_KINDS = ("quarter", "month", "year")
ROLLUPS = ("sum", "last", "avg")  # how a fact's data periods make one payout period
LOCALES = ("ru", "en")
METRIC_KINDS = ("result", "process")
RULE_LEVELS = ("critical", "warning", "info")
CARD_FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "yearly")
PLAIN_UNITS = ("count", "percent", "ratio", "days", "hours", "points")


def is_currency(unit: str) -> bool:
    """A three-letter upper-case code (RUB, USD, EUR …) is a money unit."""
    return len(unit) == 3 and unit.isascii() and unit.isalpha() and unit.isupper()


def is_known_unit(unit: str) -> bool:
    return unit in PLAIN_UNITS or is_currency(unit)
