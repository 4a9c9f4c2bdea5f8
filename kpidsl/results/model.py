"""The results model: what one evaluation produced, independent of how it is shown.

The engine fills it; reports, exports, explain and the spec steps read it.  Ratios
are `Decimal` (exact, as the engine computed them) or `None` when there was no data;
money is `Decimal` quantized to the currency's minor unit.  `to_json` is the
machine contract documented in docs/eval.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal

from kpidsl.base.diagnostics import Diagnostic
from kpidsl.base.statuses import WORDS, Status

# The short words for a KPI's status (terminal table, explain), by language: a view of
# the one list in base/statuses.py.
STATUS_TEXT: dict[str, dict[str, str]] = {
    lang: {status: w.short for status, w in words.items()} for lang, words in WORDS.items()}

_TWELVE = Decimal("1e-12")
_WIDE = Context(prec=80)

Better = Literal["higher", "lower"]
# How a role's payout ended: it paid, a role-wide `require` failed (0), or it had no value (0).
PayoutStatus = Literal["paid", "gated", "no_data"]


@dataclass(frozen=True)
class Gate:
    """A quality condition (`require …`) and whether it held."""

    condition: str  # the condition as written in the ruleset
    passed: bool | None  # None: could not be evaluated (no data)
    scope: Literal["kpi", "role"] = "kpi"


@dataclass(frozen=True)
class KpiResult:
    kpi: str  # the name in the ruleset
    title: str  # the human title ("Процент прироста клиентов")
    better: Better
    unit: str | None  # "percent", "RUB", "count", … or None
    kind: Literal["result", "process"]
    weight: Decimal
    baseline: Decimal | None
    target: Decimal | None
    fact: Decimal | None
    attainment: Decimal | None
    index: Decimal | None
    index_plan: Decimal
    deviation: Decimal | None
    plan_bonus: Decimal
    bonus: Decimal
    status: Status
    gates: tuple[Gate, ...] = ()
    actions: tuple[str, ...] = ()
    previous_fact: Decimal | None = None  # the fact in the previous period, for trends
    problems: tuple[str, ...] = ()  # why a value is missing ("no data for fact `orders`")


@dataclass(frozen=True)
class EmployeeResult:
    period: str  # canonical period key: "2026Q3", "2026-09", "2026"
    employee: str
    role: str  # role name
    role_title: str
    kpis: tuple[KpiResult, ...]
    plan_bonus: Decimal  # the sum of the lines' planned bonuses, or the payout's with every line on plan
    bonus: Decimal  # the sum of the rounded KPI bonuses, or what the role's payout pays
    gates: tuple[Gate, ...] = ()  # role-level quality conditions
    # The total index ("итоговый коэффициент"): the sum of the KPI lines' indices, a line
    # whose quality condition failed counting 0; unknown (None) when a line's index is, or
    # the role has no KPIs.  Computed by the engine (engine/totals.py).
    index: Decimal | None = None
    index_plan: Decimal = Decimal(0)  # the total planned index: the sum of the weights
    payout: PayoutStatus | None = None  # the role's payout: None if it has none (language/payout.py)
    lines_bonus: Decimal | None = None  # with a payout: the sum of the lines' bonuses it may read
    lines_plan_bonus: Decimal | None = None
    # A dated roster (`employee … from … to …`): the days the employee held the role in the
    # period and the period's days; None when the roster has no dates (the whole period).
    days: tuple[int, int] | None = None
    # Plan versions (language/versions.py): the first day of the role's version that paid
    # the period; None for the role as first written (or a role without versions).
    version: str | None = None

    @property
    def plan_role(self) -> str:
        """The version of the role that paid it: the key of `Results.schemes` and `payouts`."""
        return self.role if self.version is None else f"{self.role}@{self.version}"

    @property
    def partial(self) -> bool:
        """Whether the employee held the role for only part of the period (a joiner, a leaver)."""
        return self.days is not None and self.days[0] < self.days[1]

    @property
    def pays_money(self) -> bool:
        """Whether the plan has money in it.  A plan of coefficients only (no KPI line with a
        bonus; bonuses are never negative, K043) reads as its total index, without 0,00."""
        return self.plan_bonus != 0 or self.bonus != 0


@dataclass(frozen=True)
class Formula:
    """One line of a scoring scheme as the ruleset writes it: `bonus = plan_bonus * attainment`."""

    name: str  # `index`, `bonus` or an intermediate step's name
    text: str  # the expression as written (`kpidsl.language.exprtext.expr_text`)
    names: tuple[str, ...]  # the names it reads, in order, each once


@dataclass(frozen=True)
class SchemeText:
    """The scheme that scored a KPI line, for the reports that describe it."""

    name: str
    title: str | None
    formulas: tuple[Formula, ...]  # in order: steps, then `index` and `bonus` as written
    titles: tuple[tuple[str, str], ...] = ()  # (name, title) of the ruleset values the formulas read


@dataclass(frozen=True)
class Finding:
    """A ruleset-wide rule that fired in a period."""

    rule: str
    title: str
    level: str  # "critical", "warning", "info"
    period: str
    message: str
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricValue:
    """Any fact or metric's value in a period (for dynamics and diagnosis)."""

    name: str
    title: str
    period: str
    employee: str | None  # None: department level
    value: Decimal | None
    kind: Literal["fact", "result", "process"]
    unit: str | None
    better: Better


@dataclass
class Results:
    ruleset: str  # the ruleset's title
    currency: str
    locale: str
    period_kind: str  # "quarter" | "month" | "year"
    periods: list[str]  # every period in the data, oldest first
    results: list[EmployeeResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    metrics: list[MetricValue] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    minor_digits: int = 2
    # (role variant, KPI) → the scheme that scored that line (`EmployeeResult.plan_role`); empty
    # when unknown (results built by hand)
    schemes: dict[tuple[str, str], SchemeText] = field(default_factory=dict)
    # role variant → its payout's formulas as written (steps, then `bonus`), for roles with one
    payouts: dict[str, tuple[Formula, ...]] = field(default_factory=dict)
    # A plan with versions (language/versions.py): each period → the plan's edition that paid
    # it (the latest version start on or before its first day; None: as first written).
    editions: dict[str, str | None] = field(default_factory=dict)

    def money(self, value: Decimal) -> str:
        return f"{value:.{self.minor_digits}f}"

    def for_period(self, period: str) -> list[EmployeeResult]:
        return [r for r in self.results if r.period == period]

    def to_json(self) -> dict[str, object]:
        def num(value: Decimal | None) -> Decimal | int | None:
            """Exact: an integer when whole, else the decimal rounded to 12 places, trailing
            zeros dropped (`export.dumps` writes it as a JSON number, digit for digit)."""
            if value is None:
                return None
            if value == value.to_integral_value():
                return int(value)
            exact = value.quantize(_TWELVE, rounding=ROUND_HALF_UP, context=_WIDE)
            return int(exact) if exact == exact.to_integral_value() else exact

        return {
            "ruleset": self.ruleset,
            "currency": self.currency,
            "periods": list(self.periods),
            **({"versions": dict(self.editions)} if self.editions else {}),
            "results": [
                {
                    "period": r.period,
                    "employee": r.employee,
                    "role": r.role,
                    "kpis": [
                        {
                            "kpi": k.kpi,
                            "title": k.title,
                            "better": k.better,
                            "weight": num(k.weight),
                            "baseline": num(k.baseline),
                            "target": num(k.target),
                            "fact": num(k.fact),
                            "attainment": num(k.attainment),
                            "index": num(k.index),
                            "index_plan": num(k.index_plan),
                            "deviation": num(k.deviation),
                            "plan_bonus": self.money(k.plan_bonus),
                            "bonus": self.money(k.bonus),
                            "status": k.status,
                            "gates": [{"condition": g.condition, "passed": g.passed} for g in k.gates],
                            "actions": list(k.actions),
                        }
                        for k in r.kpis
                    ],
                    "gates": [{"condition": g.condition, "passed": g.passed} for g in r.gates],
                    "index": num(r.index),
                    "index_plan": num(r.index_plan),
                    "payout": r.payout,
                    "plan_bonus": self.money(r.plan_bonus),
                    "bonus": self.money(r.bonus),
                }
                for r in self.results
            ],
            "findings": [
                {
                    "rule": f.rule,
                    "level": f.level,
                    "period": f.period,
                    "message": f.message,
                    "actions": list(f.actions),
                }
                for f in self.findings
            ],
            "diagnostics": [
                {
                    "severity": d.severity.value,
                    "code": d.code,
                    "message": d.message,
                    "location": str(d.location) if d.location is not None else "",
                }
                for d in self.diagnostics
            ],
        }
