"""The payout: how an employee's whole bonus follows from the role's totals.

A role (or the scheme it uses) may end with `payout { … bonus = … }`, the "матрица КПЭ" of
Russian practice: `bonus = salary * 25% * min(total, 150%)`, with a cut-off (`if total <
70% then 0 else …`), a cap, a guaranteed minimum or a `scale` over the total.  The KPI
lines keep their own index; the payout's `bonus` is the employee's bonus, rounded once, to
the currency's minor unit.  Its formulas see:

* the role's totals (`PAYOUT_INPUTS`): `total`, `total_plan`, `lines_bonus`, `lines_plan_bonus`;
* one KPI line's values by its name (`LINE_FUNCTIONS`): `index(revenue)`, `attainment(revenue)`;
* the steps defined above them, and the ruleset's values (facts, metrics, goals, params).

The planned bonus of a role with a payout is the payout with every line exactly on plan:
`total` = `total_plan`, each line's `attainment` 1 and `index` its weight, `lines_bonus` =
`lines_plan_bonus`.  This module holds the names and the one rule of which payout applies;
the checker, the engine and the results all ask it.
"""

from __future__ import annotations

from dataclasses import replace

from kpidsl.language import ast
from kpidsl.language.builtins import DEFAULT_SCHEME
from kpidsl.language.load import Model

PAYOUT_INPUTS: dict[str, str] = {
    "total": "the employee's total index: the sum of the KPI lines' indices (a line whose quality condition "
             "failed counts 0)",
    "total_plan": "the total planned index: the sum of the KPI lines' weights",
    "lines_bonus": "the sum of the KPI lines' bonuses (each rounded, after its quality conditions)",
    "lines_plan_bonus": "the sum of the KPI lines' planned bonuses",
}

# `index(revenue)`: one KPI line's value, by the line's indicator name.
LINE_FUNCTIONS: dict[str, str] = {
    "index": "the index of one KPI line of the role",
    "attainment": "the attainment of one KPI line of the role",
}


def payout_of(model: Model, role: ast.Role) -> ast.Payout | None:
    """The payout that pays `role`: its own, else its scheme's, else none."""
    if role.payout is not None:
        return role.payout
    scheme = model.schemes.get(role.scheme.text if role.scheme is not None else DEFAULT_SCHEME)
    return scheme.payout if scheme is not None else None


def line_calls(expr: ast.Expr) -> list[ast.Call]:
    """The `index(x)` / `attainment(x)` calls of `expr`, in order."""
    return [e for e in ast.walk(expr) if isinstance(e, ast.Call) and e.function in LINE_FUNCTIONS]


def line_key(function: str, kpi: str) -> str:
    """The name a line value stands under once substituted: `index(revenue)` (no ruleset
    name can contain a parenthesis, so it never meets one)."""
    return f"{function}({kpi})"


def substitute(expr: ast.Expr) -> ast.Expr:
    """`expr` with every `index(x)` / `attainment(x)` replaced by the name `line_key` gives it,
    so the engine and the results read a line value as they read any other name."""
    if isinstance(expr, ast.Call):
        if expr.function in LINE_FUNCTIONS and len(expr.args) == 1 and isinstance(expr.args[0], ast.Name):
            return ast.Name(line_key(expr.function, expr.args[0].name), expr.span)
        return replace(expr, args=tuple(substitute(a) for a in expr.args))
    if isinstance(expr, ast.Unary):
        return replace(expr, operand=substitute(expr.operand))
    if isinstance(expr, ast.Binary):
        return replace(expr, left=substitute(expr.left), right=substitute(expr.right))
    if isinstance(expr, ast.IfThen):
        return replace(expr, condition=substitute(expr.condition), then=substitute(expr.then),
                       otherwise=substitute(expr.otherwise))
    if isinstance(expr, ast.Scale):
        rows = tuple(replace(r, below=substitute(r.below), value=substitute(r.value)) for r in expr.rows)
        return replace(expr, subject=substitute(expr.subject), rows=rows, otherwise=substitute(expr.otherwise))
    return expr


def referenced_lines(payout: ast.Payout) -> list[tuple[str, str]]:
    """(function, KPI) of every line value the payout reads, each once, in order."""
    out: list[tuple[str, str]] = []
    for a in payout.assignments:
        for call in line_calls(a.expr):
            arg = call.args[0] if len(call.args) == 1 else None
            if isinstance(arg, ast.Name) and (call.function, arg.name) not in out:
                out.append((call.function, arg.name))
    return out
