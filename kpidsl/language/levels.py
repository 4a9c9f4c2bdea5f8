"""The level of a value: an employee's own (`per employee`), the department's (`per
department`), or not said.

A facts file has rows for employees and rows with no employee (the department's). What
an employee's formulas read of a fact follows its declared level:

    per employee    the employee's own row only; none is no data (never the department's)
    per department  the department's row, for everyone; an employee's own row is an error
    not said        the employee's own row, else the department's (with a warning when
                    other employees have rows of their own: engine/levels.py)

The department row (employee NULL) always reads the department's rows. A metric is
personal when it reads a personal value, departmental when it reads a department value;
one that reads both is a check-time warning (K063) unless the department value is
written `department(x)` on purpose. These rules are the plan's (`engine/compile.py`) and
the explainers' (`data/factindex.py`, `results/explain_values.py`) alike: each calls
`pick`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from kpidsl.language import ast

if TYPE_CHECKING:
    from kpidsl.language.load import Model

T = TypeVar("T")


def fact_levels(model: Model) -> dict[str, ast.Level | None]:
    """Each fact's declared level (None: not said)."""
    return {name: fact.level for name, fact in model.facts.items()}


def pick(level: ast.Level | None, employee: str | None, own: T | None, department: T | None) -> T | None:
    """What `employee` (None: the department row) reads of a fact of `level`, given its own
    value and the department's."""
    if employee is None or level == "department":
        return department
    if level == "employee":
        return own
    return own if own is not None else department


def names_outside_department(e: ast.Expr) -> Iterable[ast.Name]:
    """The names `e` reads at the reader's own level: every name but those inside `department(…)`."""
    if isinstance(e, ast.Call) and e.function == "department":
        return
    if isinstance(e, ast.Name):
        yield e
        return
    for child in ast.children(e):
        yield from names_outside_department(child)


def value_levels(model: Model) -> dict[str, set[ast.Level]]:
    """The levels each value reads (its own for a fact; a metric's from what it reads)."""
    out: dict[str, set[ast.Level]] = {}

    def levels(name: str, busy: frozenset[str]) -> set[ast.Level]:
        if name in out:
            return out[name]
        decl = model.values.get(name)
        found: set[ast.Level] = set()
        if isinstance(decl, ast.Fact):
            found = {decl.level} if decl.level is not None else set()
        elif isinstance(decl, ast.Metric) and name not in busy:
            for n in names_outside_department(decl.formula):
                found |= levels(n.name, busy | {name})
        elif isinstance(decl, ast.KpiCard) and decl.indicator is not None and name not in busy:
            found = levels(decl.indicator.text, busy | {name})
        out[name] = found
        return found

    for name in model.values:
        levels(name, frozenset())
    return out
