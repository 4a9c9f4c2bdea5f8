"""Compare: two evaluations of two plans on the same data, side by side (`kpidsl compare`).

The consultant's question before a plan goes live is what the change costs and who wins
or loses.  `compare(old, new)` answers it from two `Results` computed by the same engine
over the same facts: for every period, employee and KPI line the old and the new bonus
and index, the delta in money and as a share of the old amount, the status that changed
(met → missed, gated), the KPI lines added, removed or redefined (weight, baseline,
target, planned bonus, scheme); totals per role and for the whole payroll (the cost of
the change); the biggest winners and losers.  Everything is exact `Decimal`: a delta is
`new − old` of the engine's rounded bonuses, and the totals are sums of those, so the
role totals add up to the payroll's, cent for cent.  The writers are in
`kpidsl.output.compare`; docs/compare.md is the contract of its JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal

from kpidsl.data.periods import ordinal
from kpidsl.results.model import EmployeeResult, KpiResult, Results

Presence = Literal["same", "changed", "added", "removed"]
# The parts of a KPI line's definition a comparison looks at, in the order outputs list them.
DEFINITION_FIELDS = ("weight", "baseline", "target", "plan_bonus", "scheme")

_RATIO = Decimal("1e-12")
_WIDE = Context(prec=80)
ZERO = Decimal(0)


class CompareError(ValueError):
    """The two plans cannot be compared (different currencies or period kinds)."""


def mismatch(old_name: str, old: tuple[str, str], new_name: str, new: tuple[str, str]) -> str | None:
    """Why plans with (currency, period kind) `old` and `new` cannot be compared, or None."""
    if old[0] != new[0]:
        return (f"{old_name} pays in {old[0]} and {new_name} in {new[0]}: bonuses in different currencies "
                "cannot be compared; give both rulesets the same `currency`")
    if old[1] != new[1]:
        return (f"{old_name} is evaluated per {old[1]} and {new_name} per {new[1]}: the periods differ; "
                "give both rulesets the same `period`")
    return None


def ratio(delta: Decimal, old: Decimal) -> Decimal | None:
    """`delta` as a share of `old` (0.05 is +5 %), rounded half up to 12 places; None when old is 0."""
    if old == 0:
        return None
    return (delta / old).quantize(_RATIO, rounding=ROUND_HALF_UP, context=_WIDE)


@dataclass(frozen=True)
class FieldChange:
    """One part of a KPI line's definition that differs: `weight 0.2 → 0.3`."""

    name: str  # one of DEFINITION_FIELDS
    old: Decimal | str | None
    new: Decimal | str | None


class _Bonuses:
    """The old and the new bonus of a pair of results (0 where a side is missing) and the change."""

    old: EmployeeResult | KpiResult | None
    new: EmployeeResult | KpiResult | None

    @property
    def old_bonus(self) -> Decimal:
        return self.old.bonus if self.old is not None else ZERO

    @property
    def new_bonus(self) -> Decimal:
        return self.new.bonus if self.new is not None else ZERO

    @property
    def delta(self) -> Decimal:
        return self.new_bonus - self.old_bonus


@dataclass(frozen=True)
class LineChange(_Bonuses):
    """One KPI line of one employee in one period, in the old plan and in the new."""

    kpi: str
    title: str
    unit: str | None
    old: KpiResult | None  # None: the line is new
    new: KpiResult | None  # None: the line was removed
    fields: tuple[FieldChange, ...] = ()  # the definition's differences (both sides present)

    @property
    def presence(self) -> Presence:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed" if self.fields else "same"

    @property
    def status_changed(self) -> bool:
        return self.old is not None and self.new is not None and self.old.status != self.new.status


@dataclass(frozen=True)
class EmployeeChange(_Bonuses):
    """One employee in one period under both plans."""

    period: str
    employee: str
    role: str  # the new plan's role (the old one's when the employee is gone from the new plan)
    role_title: str
    old: EmployeeResult | None
    new: EmployeeResult | None
    lines: tuple[LineChange, ...]

    @property
    def presence(self) -> Presence:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        changed = self.old.role != self.new.role or any(line.presence != "same" for line in self.lines)
        return "changed" if changed else "same"

    @property
    def old_role(self) -> str | None:
        """The old plan's role when it differs from the new one's."""
        if self.old is None or self.new is None or self.old.role == self.new.role:
            return None
        return self.old.role

    @property
    def ratio(self) -> Decimal | None:
        return ratio(self.delta, self.old_bonus)

    @property
    def old_index(self) -> Decimal | None:
        return self.old.index if self.old is not None else None

    @property
    def new_index(self) -> Decimal | None:
        return self.new.index if self.new is not None else None

    @property
    def index_delta(self) -> Decimal | None:
        if self.old_index is None or self.new_index is None:
            return None
        return self.new_index - self.old_index


@dataclass(frozen=True)
class Total:
    """The money of a group under both plans: a role in a period, a period's payroll, or every period's."""

    period: str | None  # None: every compared period
    role: str | None  # None: the whole payroll
    title: str
    old: Decimal
    new: Decimal
    employees: int

    @property
    def delta(self) -> Decimal:
        return self.new - self.old

    @property
    def ratio(self) -> Decimal | None:
        return ratio(self.delta, self.old)


@dataclass(frozen=True)
class DefinitionChange:
    """A KPI line of a role that the new plan adds, removes or defines differently."""

    role: str
    role_title: str
    kpi: str
    title: str
    unit: str | None
    presence: Presence  # "added" | "removed" | "changed"
    fields: tuple[FieldChange, ...] = ()


@dataclass
class Comparison:
    """Two plans' results on the same data, matched by period, employee and KPI line."""

    old_name: str  # the rulesets as the command line named them
    new_name: str
    old_title: str
    new_title: str
    currency: str
    locale: str
    period_kind: str
    minor_digits: int
    periods: list[str]
    employees: list[EmployeeChange] = field(default_factory=list)
    definitions: list[DefinitionChange] = field(default_factory=list)
    roles: list[Total] = field(default_factory=list)  # per period × role, in period order
    payroll: list[Total] = field(default_factory=list)  # per period
    total: Total = field(default_factory=lambda: Total(None, None, "", ZERO, ZERO, 0))

    def money(self, value: Decimal) -> str:
        return f"{value:.{self.minor_digits}f}"

    def movers(self, count: int = 5) -> tuple[list[Total], list[Total]]:
        """The `count` biggest winners and losers: each employee's delta over the compared
        periods (a `Total` whose `title` is the employee and `role` the role); ties by name."""
        by_employee: dict[str, list[EmployeeChange]] = {}
        for e in self.employees:
            by_employee.setdefault(e.employee, []).append(e)
        people = [Total(None, rows[-1].role, name, sum((r.old_bonus for r in rows), ZERO),
                        sum((r.new_bonus for r in rows), ZERO), 1) for name, rows in by_employee.items()]
        winners = sorted((p for p in people if p.delta > 0), key=lambda p: (-p.delta, p.title))
        losers = sorted((p for p in people if p.delta < 0), key=lambda p: (p.delta, p.title))
        return winners[:count], losers[:count]


def compare(old: Results, new: Results, old_name: str = "old", new_name: str = "new") -> Comparison:
    """Match `old` and `new` (the same data, two plans) and total the differences."""
    problem = mismatch(old_name, (old.currency, old.period_kind), new_name, (new.currency, new.period_kind))
    if problem is not None:
        raise CompareError(problem)
    # The periods someone is evaluated in: the data's other periods (and those --period
    # left out) have nothing to compare.
    periods = sorted({r.period for r in old.results} | {r.period for r in new.results}, key=ordinal)
    result = Comparison(old_name, new_name, old.ruleset, new.ruleset, new.currency, new.locale, new.period_kind,
                        new.minor_digits, periods)
    old_rows = {(r.period, r.employee): r for r in old.results}
    new_rows = {(r.period, r.employee): r for r in new.results}
    order = [*new_rows, *(key for key in old_rows if key not in new_rows)]
    rank = {p: i for i, p in enumerate(periods)}
    order.sort(key=lambda key: rank[key[0]])  # stable: within a period, the new plan's order
    for key in order:
        result.employees.append(_employee(old_rows.get(key), new_rows.get(key), old, new))
    result.definitions = definitions(result.employees)
    result.roles, result.payroll, result.total = _totals(result.employees, periods)
    return result


def _employee(before: EmployeeResult | None, after: EmployeeResult | None, old: Results,
              new: Results) -> EmployeeChange:
    shown = after if after is not None else before
    assert shown is not None  # a key comes from one side at least
    old_lines = {k.kpi: k for k in before.kpis} if before is not None else {}
    new_lines = {k.kpi: k for k in after.kpis} if after is not None else {}
    lines = []
    for name in [*new_lines, *(n for n in old_lines if n not in new_lines)]:
        a, b = old_lines.get(name), new_lines.get(name)
        fields: tuple[FieldChange, ...] = ()
        if a is not None and b is not None and before is not None and after is not None:
            fields = _fields(a, b, _scheme(old, before.plan_role, name), _scheme(new, after.plan_role, name))
        line = b if b is not None else a
        assert line is not None
        lines.append(LineChange(name, line.title, line.unit, a, b, fields))
    return EmployeeChange(shown.period, shown.employee, shown.role, shown.role_title, before, after, tuple(lines))


def _scheme(results: Results, role: str, kpi: str) -> str | None:
    text = results.schemes.get((role, kpi))
    return text.name if text is not None else None


def _fields(a: KpiResult, b: KpiResult, scheme_a: str | None, scheme_b: str | None) -> tuple[FieldChange, ...]:
    pairs: list[tuple[str, Decimal | str | None, Decimal | str | None]] = [
        ("weight", a.weight, b.weight), ("baseline", a.baseline, b.baseline), ("target", a.target, b.target),
        ("plan_bonus", a.plan_bonus, b.plan_bonus), ("scheme", scheme_a, scheme_b)]
    return tuple(FieldChange(name, x, y) for name, x, y in pairs if x != y)


def definitions(employees: Iterable[EmployeeChange]) -> list[DefinitionChange]:
    """Each role's KPI lines that were added, removed or redefined, once per (role, KPI):
    as the first period and employee that shows the difference has it."""
    found: dict[tuple[str, str], DefinitionChange] = {}
    for e in employees:
        if e.old is None or e.new is None or e.old_role is not None:
            continue  # an employee who came, went or changed role says nothing of a role's lines
        for line in e.lines:
            if line.presence == "same" or (e.role, line.kpi) in found:
                continue
            found[(e.role, line.kpi)] = DefinitionChange(e.role, e.role_title, line.kpi, line.title, line.unit,
                                                         line.presence, line.fields)
    return list(found.values())


def _totals(employees: Sequence[EmployeeChange], periods: Sequence[str]) -> tuple[list[Total], list[Total], Total]:
    roles: list[Total] = []
    payroll: list[Total] = []
    for period in periods:
        rows = [e for e in employees if e.period == period]
        by_role: dict[str, list[EmployeeChange]] = {}
        for e in rows:
            by_role.setdefault(e.role, []).append(e)
        for role, members in by_role.items():
            roles.append(_sum(period, role, members[0].role_title, members))
        payroll.append(_sum(period, None, "", rows))
    everything = Total(None, None, "", sum((t.old for t in payroll), ZERO), sum((t.new for t in payroll), ZERO),
                       len({e.employee for e in employees}))
    return roles, payroll, everything


def _sum(period: str, role: str | None, title: str, rows: Sequence[EmployeeChange]) -> Total:
    return Total(period, role, title, sum((r.old_bonus for r in rows), ZERO), sum((r.new_bonus for r in rows), ZERO),
                 len(rows))
