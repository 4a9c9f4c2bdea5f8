"""Check that personal and department values never mix by accident (language/levels.py).

    K063 warning  a metric reads a `per employee` value and a `per department` value side
                  by side (the manager's own deals over the department's leads); written
                  on purpose it says `department(leads)`, which this check accepts

Only declared levels count: a fact without `per …` mixes with nothing here (the data
check E051 watches those at evaluation).
"""

from __future__ import annotations

from kpidsl.base.diagnostics import Diagnostic, warning
from kpidsl.language import ast
from kpidsl.language.levels import names_outside_department, value_levels
from kpidsl.language.load import Model


def check_levels(model: Model) -> list[Diagnostic]:
    """K063 for every metric whose formula reads both levels outside `department(…)`."""
    levels = value_levels(model)
    out: list[Diagnostic] = []
    for metric in model.metrics.values():
        by_level: dict[ast.Level, str] = {}
        for name in names_outside_department(metric.formula):
            for level in sorted(levels.get(name.name, set())):
                by_level.setdefault(level, name.name)
        if len(by_level) < 2:
            continue
        personal, shared = by_level["employee"], by_level["department"]
        out.append(warning(
            "K063", f"metric `{metric.name}` mixes an employee's own value (`{personal}`) with the "
                    f"department's (`{shared}`)", metric.span,
            f"if that is meant, write `department({shared})`; else declare both at the same level "
            "(`per employee` / `per department`)"))
    return out
