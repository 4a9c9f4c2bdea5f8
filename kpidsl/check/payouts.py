"""Check a payout: `payout { … bonus = … }` in a scheme or a role (see `language/payout.py`).

A payout defines `bonus` once (K045), each step before the formulas that use it, and no
step may take a total's name (K045).  Its formulas see the role's totals, one line's
values by the line's name — `index(revenue)`, a line the role must have (K061) — and the
ruleset's values.  A role's own payout needs KPI lines to pay from (K062).  A scheme's
payout is checked once with any line names allowed, then for each role that uses it
against that role's lines.
"""

from __future__ import annotations

from collections.abc import Callable

from kpidsl.base.diagnostics import Diagnostic, error
from kpidsl.base.suggest import did_you_mean
from kpidsl.check.expressions import NUM, ExprChecker, Scope
from kpidsl.language import ast
from kpidsl.language.payout import PAYOUT_INPUTS, line_calls
from kpidsl.language.units import ONE, Unit


def check_payout(exprs: ExprChecker, emit: Callable[[Diagnostic], None], payout: ast.Payout, owner: str,
                 money: Unit, role: ast.Role | None) -> None:
    """Every formula of `payout` (of `owner`: "scheme `matrix`", "role `sales`"); `role`:
    the role whose lines `index(…)` may name (None: a scheme's payout, any name)."""
    totals: dict[str, Unit] = {"total": ONE, "total_plan": ONE, "lines_bonus": money, "lines_plan_bonus": money}
    lines = frozenset(line.indicator.text for line in role.kpis) if role is not None else None
    defined: dict[str, Unit] = {}
    for a in payout.assignments:
        if a.name in PAYOUT_INPUTS:
            emit(error("K045", f"`{a.name}` is a role total; a payout cannot redefine it", a.span,
                       "give the intermediate step its own name"))
        elif a.name in defined:
            emit(error("K045", f"`{a.name}` is defined twice in the payout of {owner}", a.span, "keep one formula"))
        scope = Scope("a payout formula", values=True, extra={**totals, **defined}, in_payout=True, lines=lines,
                      role=role.name if role is not None else None)
        unit = exprs.check(a.expr, scope, NUM, "a payout formula")[1]
        defined.setdefault(a.name, unit)
    if "bonus" not in defined:
        emit(error("K045", f"the payout of {owner} does not define `bonus`", payout.span,
                   "a payout computes the employee's whole bonus: `bonus = …`, e.g. `bonus = salary * 20% * total`"))
    if role is not None and not role.kpis:
        emit(error("K062", f"role `{role.name}` has a payout but no KPI lines", payout.span,
                   "a payout pays from the KPI lines' totals: add KPI lines, or remove the payout"))


def check_scheme_payout_lines(emit: Callable[[Diagnostic], None], scheme: ast.Scheme, role: ast.Role) -> None:
    """The KPI lines a scheme's payout names must be lines of `role`, which uses the scheme."""
    if scheme.payout is None or not role.kpis:
        return
    lines = sorted(line.indicator.text for line in role.kpis)
    for a in scheme.payout.assignments:
        for call in line_calls(a.expr):
            arg = call.args[0] if len(call.args) == 1 else None
            if isinstance(arg, ast.Name) and arg.name not in lines:
                emit(error("K061", f"role `{role.name}` has no KPI line `{arg.name}` (the payout of scheme "
                                   f"`{scheme.name}` reads it)", arg.span,
                           did_you_mean(arg.name, lines) or f"its KPI lines: {', '.join(lines)}"))
