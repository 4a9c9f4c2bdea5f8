"""Which fact values exist, by (period, employee, fact): what the reasons behind an unknown
value and `explain` walk.  What an employee reads follows the fact's level
(`language/levels.py`): their own value, the department's, or the own one over the
department's where the ruleset does not say."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from kpidsl.data.facts import FactRow
from kpidsl.language import ast
from kpidsl.language.levels import pick


class FactIndex:
    """Which (period, employee, fact) values exist, and what each employee reads of them."""

    def __init__(self, rows: Iterable[FactRow], periods: Iterable[str],
                 levels: Mapping[str, ast.Level | None] | None = None) -> None:
        self.levels: Mapping[str, ast.Level | None] = levels or {}
        self.dept: dict[tuple[str, str], Decimal] = {}
        self.own: dict[tuple[str, str, str], Decimal] = {}
        self.own_facts: dict[str, set[str]] = {}  # employee → facts they have rows for
        for row in rows:
            if row.employee is None:
                self.dept[(row.period, row.fact)] = row.value
            else:
                self.own[(row.period, row.employee, row.fact)] = row.value
                self.own_facts.setdefault(row.employee, set()).add(row.fact)
        self.periods = set(periods)

    def value(self, period: str, employee: str | None, fact: str) -> Decimal | None:
        own = self.own.get((period, employee, fact)) if employee is not None else None
        return pick(self.levels.get(fact), employee, own, self.dept.get((period, fact)))

    def has_own(self, employee: str | None) -> bool:
        return employee is not None and employee in self.own_facts


class FactValues(FactIndex):
    """The facts files' rows plus the values aggregated from records.

    An aggregated value may be NULL for one employee (`avg` over no records):
    that is the employee's own "no data" and, as in the plan, it is not replaced
    by the department's value."""

    def __init__(self, rows: Iterable[FactRow], periods: Iterable[str],
                 aggregated: Iterable[tuple[str, str | None, str, Decimal | None]] = (),
                 levels: Mapping[str, ast.Level | None] | None = None) -> None:
        super().__init__(rows, periods, levels)
        self.nulls: set[tuple[str, str, str]] = set()
        for period, employee, fact, value in aggregated:
            if employee is None:
                if value is not None:
                    self.dept[(period, fact)] = value
                continue
            self.own_facts.setdefault(employee, set()).add(fact)
            if value is None:
                self.nulls.add((period, employee, fact))
            else:
                self.own[(period, employee, fact)] = value

    def value(self, period: str, employee: str | None, fact: str) -> Decimal | None:
        if employee is not None and (period, employee, fact) in self.nulls and self.levels.get(fact) != "department":
            return None
        return super().value(period, employee, fact)
