"""Coverage: facts the KPIs need that no facts file names at all (error D042).

A fact missing in some periods or for some employees is the engine's `no data`
(warning E020): the KPI shows it and pays 0.  A fact that no file names — no column,
no row, not even an explicit `н/д` mark — is a different thing: the export does not
match the ruleset (a renamed column, the wrong file), and a bonus computed without it
would be paid on the remaining KPIs as if nothing were wrong.  So the evaluation stops.

The rule lives below the facade (`api.start` calls it), so `kpidsl eval`, the spec
step library and every API caller see the same error.
"""

from __future__ import annotations

from kpidsl.base.diagnostics import Diagnostic, error
from kpidsl.data.facts import FactTable
from kpidsl.language import ast
from kpidsl.language.load import Model

__all__ = ["absent_facts", "coverage_errors", "roles_in_scope"]


def roles_in_scope(model: Model, table: FactTable, employee: str | None) -> set[str]:
    """The roles whose KPIs this run computes: every listed employee's (the ruleset's
    `employee` lines and the roster), or only `employee`'s when one is asked for."""
    role_of = {e.name: e.role.text for e in model.employees}
    role_of.update((r.employee, r.role) for r in table.roster)  # a roster row overrides (warning E002)
    return {role for name, role in role_of.items() if employee is None or name == employee}


def absent_facts(model: Model, table: FactTable, roles: set[str]) -> dict[str, list[str]]:
    """Facts the KPIs of `roles` need (directly or through metrics, goals and indicators)
    that no facts file names, each with the KPIs that need it.  Facts computed from
    `records` are not looked for in the facts files."""
    needs: dict[str, list[str]] = {}

    def reach(name: str, seen: set[str]) -> set[str]:
        decl = model.values.get(name)
        if decl is None or name in seen:
            return set()
        seen.add(name)
        if isinstance(decl, ast.Fact):
            return {name} if decl.aggregation is None else set()
        parts: list[ast.Expr | None] = []
        if isinstance(decl, ast.Metric):
            parts = [decl.formula]
        elif isinstance(decl, ast.Goal):
            parts = [decl.expr]
        elif isinstance(decl, ast.KpiCard):
            indicator = [ast.Name(decl.indicator.text, decl.indicator.span)] if decl.indicator else []
            parts = [decl.goal, *indicator]
        found: set[str] = set()
        for e in parts:
            for n in ast.names_in(e) if e is not None else ():
                found |= reach(n.name, seen)
        return found

    for role_name in sorted(roles):
        role = model.roles.get(role_name)
        if role is None:  # an unknown role is the roster's error, reported elsewhere
            continue
        for line in role.kpis:
            exprs = [line.weight, line.target, line.bonus, line.baseline, *line.requires, *role.requires]
            names = [line.indicator.text] + [n.name for e in exprs if e is not None for n in ast.names_in(e)]
            found: set[str] = set()
            for name in names:
                found |= reach(name, set())
            for fact in sorted(found - table.named):
                needs.setdefault(fact, []).append(f"`{line.indicator.text}` of role `{role_name}`")
    return needs


def coverage_errors(model: Model, table: FactTable, employee: str | None = None) -> list[Diagnostic]:
    """One D042 error per needed fact that no facts file names, at the fact's declaration."""
    missing = absent_facts(model, table, roles_in_scope(model, table, employee))
    files = ", ".join(table.files) if table.files else "none given"
    out = []
    for fact, kpis in missing.items():
        decl = model.values[fact]
        out.append(error(
            "D042", f"fact `{fact}` is in none of the facts files ({files}), and KPI {', KPI '.join(kpis)} needs it",
            decl.span,
            "add its values, named by the fact's name or title as the ruleset declares it (write н/д where a "
            "value is missing on purpose), or correct a misspelled column (a warning lists names that are not "
            "facts of this ruleset)"))
    return out
