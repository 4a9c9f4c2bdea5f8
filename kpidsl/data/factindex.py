"""Which fact values exist, by (period, employee, fact): what the reasons behind an unknown
value and `explain` walk.  An employee's own value overrides the department's."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from kpidsl.data.facts import FactRow


class FactIndex:
    """Which (period, employee, fact) values exist; an employee's value overrides the department's."""

    def __init__(self, rows: Iterable[FactRow], periods: Iterable[str]) -> None:
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
        if employee is not None:
            mine = self.own.get((period, employee, fact))
            if mine is not None:
                return mine
        return self.dept.get((period, fact))

    def has_own(self, employee: str | None) -> bool:
        return employee is not None and employee in self.own_facts


class FactValues(FactIndex):
    """The facts files' rows plus the values aggregated from records.

    An aggregated value may be NULL for one employee (`avg` over no records):
    that is the employee's own "no data" and, as in the plan, it is not replaced
    by the department's value."""

    def __init__(self, rows: Iterable[FactRow], periods: Iterable[str],
                 aggregated: Iterable[tuple[str, str | None, str, Decimal | None]] = ()) -> None:
        super().__init__(rows, periods)
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
        if employee is not None and (period, employee, fact) in self.nulls:
            return None
        return super().value(period, employee, fact)
