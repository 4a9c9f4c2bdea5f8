"""The fact rows against each fact's level (`per employee` / `per department`, language/levels.py).

Personal and department values must never mix silently. Before the plan runs:

    E050 error    a row gives a `per department` fact for one employee: the row is skipped
                  (the department's value is everyone's; an own value would be ignored)
    E051 warning  a fact whose level the ruleset does not say has rows of their own for
                  some employees in a period, and others who read it take the department's
                  row instead (a manager hired mid-month paid from the department's
                  numbers); said once per period and fact, at the department row

Facts aggregated from records follow their own rule (engine/inputs.add_records) and are
not checked here.
"""

from __future__ import annotations

from collections.abc import Iterable

from kpidsl.base.diagnostics import Diagnostic, error, warning
from kpidsl.check.depgraph import names_of, reachable, role_expressions, value_graph
from kpidsl.data.facts import FactRow
from kpidsl.language.load import Model

_SHOWN = 5


def role_reads(model: Model) -> dict[str, set[str]]:
    """role → every value its KPI lines, conditions and payouts read (directly or through metrics)."""
    graph = value_graph(model)
    return {name: reachable(graph, [n for n in names_of(role_expressions(model, role)) if n in model.values])
            for name, role in model.roles.items()}


def check_levels(model: Model, rows: Iterable[FactRow], roster: list[tuple[str, str]],
                 diagnostics: list[Diagnostic]) -> list[FactRow]:
    """`rows` without the employee rows of department facts (E050), warning of silent mixes (E051)."""
    facts = model.facts
    kept: list[FactRow] = []
    department_rows: dict[tuple[str, str], FactRow] = {}
    own: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        level = facts[row.fact].level if row.fact in facts else None
        if row.employee is not None and level == "department":
            diagnostics.append(error(
                "E050", f"`{row.fact}` is declared `per department`, but this row gives it for {row.employee}; "
                        "the row is skipped", row.location,
                "remove the employee from the row (the department's value is everyone's), "
                "or declare the fact `per employee`"))
            continue
        kept.append(row)
        if level is None and row.fact in facts and facts[row.fact].aggregation is None:
            if row.employee is None:
                department_rows[(row.period, row.fact)] = row
            else:
                own.setdefault((row.period, row.fact), set()).add(row.employee)
    reads = role_reads(model) if own else {}
    for (period, fact), having in sorted(own.items()):
        department = department_rows.get((period, fact))
        if department is None:
            continue
        borrowing = [e for e, role in roster if e not in having and fact in reads.get(role, set())]
        if not borrowing:
            continue
        shown = ", ".join(borrowing[:_SHOWN]) + (f" and {len(borrowing) - _SHOWN} more"
                                                  if len(borrowing) > _SHOWN else "")
        diagnostics.append(warning(
            "E051", f"in {period}, {len(having)} employee(s) have `{fact}` of their own but {shown} "
                    f"{'has' if len(borrowing) == 1 else 'have'} none and read the department's value "
                    f"{department.value} from this row", department.location,
            f"say what `{fact}` is: `per employee` (no own value is no data) or `per department` "
            "(one value for everyone)"))
    return kept
