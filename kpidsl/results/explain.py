"""Explain: every number of one employee's result, derived step by step.

For each KPI the trace goes from the bonus down to the data:

    bonus = plan_bonus × (1 + index − weight) = 5 000 × (1 + 0,300 − 0,2) = 5 500,00
    index = weight × attainment = 0,2 × 1,5 = 0,300
    attainment = fact / target = 0,15 / 0,1 = 1,5
    fact customer_growth = growth(customers) = (230 − 200) / 200 = 0,15
      customers (2026Q3) = 230   ← rulesets/data/seed_marketing.csv:row 54, column value

The formulas are the ruleset's own (metric formulas, the role's scheme, the
quality conditions); the numbers of the result are the engine's (`Results`), and
the facts carry the file row they were read from (`FactTable`).  Intermediate
values the results do not list (a metric inside a metric, a goal, the previous
period of `growth`) are computed by a small interpreter of the AST with the
language's decimal rules (`explain_values.py`) — no Python eval: constants exactly,
rounded once (`constants.py`), everything else rounded to 12 decimals at every
operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from kpidsl.base.numbers import Numbers, language_of
from kpidsl.data.facts import FactRow, FactTable
from kpidsl.data.periods import bounds
from kpidsl.engine.rollup import rule_of
from kpidsl.language import ast
from kpidsl.language.builtins import DEFAULT_SCHEME, default_scheme
from kpidsl.language.load import Model
from kpidsl.language.payout import payout_of, substitute
from kpidsl.language.versions import is_versioned, model_at
from kpidsl.results.explain_values import WORDS, Printer, Value, Values, num
from kpidsl.results.model import STATUS_TEXT, EmployeeResult, KpiResult, Results
from kpidsl.results.payouts import payout_values
from kpidsl.results.record_rows import RecordRows


@dataclass(frozen=True)
class Step:
    """One line of the trace, indented by its depth, with where its value came from."""

    depth: int
    text: str
    source: str | None = None
    name: str | None = None  # the scoring value this line computes (index, bonus, a scheme step …)
    value: Value = None  # its value, as the line shows it

    def render(self) -> str:
        line = "  " * self.depth + self.text
        return f"{line}   ← {self.source}" if self.source else line


@dataclass
class Explanation:
    period: str
    employee: str
    heading: str
    steps: list[Step] = field(default_factory=list)

    def render(self) -> str:
        return "\n".join([self.heading, *(s.render() for s in self.steps)]) + "\n"


# ------------------------------------------------------------------ the trace


def explain(model: Model, results: Results, facts: FactTable, employee: str, period: str,
            locale: str | None = None, records: RecordRows | None = None) -> Explanation:
    """The derivation of `employee`'s result in `period` (which the results must hold).
    `records`: the files, filters and counts behind facts aggregated from records."""
    result = next(r for r in results.results if r.employee == employee and r.period == period)
    if is_versioned(model):  # the plan as it stood on the period's first day (language/versions.py)
        model = model_at(model, bounds(period)[0])
    loc = locale or results.locale
    lang = language_of(loc)
    values = Values(model, results, facts, employee)
    tracer = _Tracer(model, results, values, Printer(values, Numbers(loc), lang), lang, records or RecordRows())
    return tracer.employee(result)


def equation(*parts: str | None) -> str:
    """`a = b = c`, leaving out a part that only repeats the one before it."""
    shown: list[str] = []
    for p in parts:
        if p and (not shown or shown[-1] != p):
            shown.append(p)
    return " = ".join(shown)


def _where(span: object) -> str:
    return str(span)


def _row_source(row: FactRow, rollup: str = "sum") -> str:
    """Where a fact value was read; a value rolled up into a payout period names its rule
    and every data period's row (`sum(2026-07, 2026-08, 2026-09) ← facts.csv:row 2, 5, 8`)."""
    if row.parts:
        files = {p.location.file for p in row.parts}
        if len(files) == 1 and all(p.location.row is not None for p in row.parts):
            where = f"{row.parts[0].location.file}:row {', '.join(str(p.location.row) for p in row.parts)}"
        else:
            where = "; ".join(_row_source(p) for p in row.parts)
        return f"{rollup}({', '.join(p.period for p in row.parts)}) ← {where}"
    loc = row.location
    text = loc.file
    if loc.row is not None:
        text += f":row {loc.row}"
    if loc.column is not None:
        text += f", column {loc.column}"
    return text


def _is_literal(e: ast.Expr | None) -> bool:
    return e is None or isinstance(e, ast.Number)


class _Tracer:
    def __init__(self, model: Model, results: Results, values: Values, printer: Printer, lang: str,
                 records: RecordRows) -> None:
        self.model, self.results, self.values, self.p = model, results, values, printer
        self.records = records
        self.lang, self.words = lang, WORDS[lang]
        self.steps: list[Step] = []
        self.seen: set[tuple[str, str]] = set()
        self.digits = results.minor_digits

    def add(self, depth: int, text: str, source: str | None = None, name: str | None = None,
            value: Value = None) -> None:
        self.steps.append(Step(depth, text, source, name, value))

    def money(self, v: Value) -> str:
        return self.words["no_data"] if v is None else self.p.n.money(num(v), self.digits)

    # -- the employee and each KPI

    def employee(self, r: EmployeeResult) -> Explanation:
        heading = f"{r.employee} — {r.role_title or r.role} ({r.role}), {r.period}"
        role = self.model.roles.get(r.role)
        scheme = self._scheme(role)
        if scheme.span.file != "<builtin>":
            self.add(0, f"scheme {scheme.name}" + (f" «{scheme.title}»" if scheme.title else ""), _where(scheme.span))
        else:
            self.add(0, f"scheme {scheme.name} (built in)")
        if not r.kpis:
            self.add(0, f"{self.words['no_kpis']}: bonus = {self.money(r.bonus)} {self.results.currency}")
        else:
            several = len(r.kpis) > 1  # a sum of one term would only repeat the total
            names = " + ".join(k.kpi for k in r.kpis)
            lines_sum = sum((k.bonus for k in r.kpis), Decimal(0))
            lines_plan = sum((k.plan_bonus for k in r.kpis), Decimal(0))
            if r.payout is None:
                self.add(0, equation("bonus", names, " + ".join(self.money(k.bonus) for k in r.kpis) if several
                                     else None, f"{self.money(r.bonus)} {self.results.currency}"))
                plan_terms = " + ".join(self.money(k.plan_bonus) for k in r.kpis) if several else None
                self.add(0, equation("plan_bonus", plan_terms, f"{self.money(r.plan_bonus)} {self.results.currency}"))
            elif lines_sum or lines_plan:  # the lines' own money, which the payout may read
                self.add(0, equation("lines_bonus", names, " + ".join(self.money(k.bonus) for k in r.kpis)
                                     if several else None, f"{self.money(lines_sum)} {self.results.currency}"))
            # the total index: a line whose quality condition failed counts 0, as its bonus does
            terms = " + ".join("0" if k.status == "gated" and k.index is not None else self.p.result(k.index, "index")
                               for k in r.kpis) if several else None
            self.add(0, equation("index", names, terms, self.p.result(r.index, "index")), value=r.index)
            self.add(0, equation("index_plan", self.p.show(r.index_plan)))
            if r.payout is not None and role is not None:
                self.payout(r, role)
        role_env: dict[str, Value] = {}
        for i, cond in enumerate(role.requires if role else ()):
            gate = r.gates[i] if i < len(r.gates) else None
            self.condition(0, "require", cond, r.period, role_env, gate.passed if gate else None)
        if any(g.passed is not True for g in r.gates):
            self.add(0, self.words["role_gated"])
        lines = self._lines(role, r.kpis)
        for k, line in zip(r.kpis, lines, strict=True):
            self.add(0, "")
            self.kpi(k, line, scheme, r)
        return Explanation(r.period, r.employee, heading, self.steps)

    def payout(self, r: EmployeeResult, role: ast.Role) -> None:
        """The role's payout, each formula with its values: the bonus, then the plan bonus."""
        payout = payout_of(self.model, role)
        if payout is None:
            return
        self.add(0, f"payout ({_where(payout.span)})")
        for planned, label in ((False, "bonus"), (True, "plan_bonus")):
            env: dict[str, Value] = dict(payout_values(r, r.kpis, planned))
            for a in payout.assignments:
                value = self.values.eval(substitute(a.expr), r.period, env)
                env[a.name] = value
                name = label if a.name == "bonus" else a.name
                if a.name == "bonus":
                    value = r.plan_bonus if planned else r.bonus
                    shown = f"{self.money(value)} {self.results.currency}"
                else:
                    shown = self.p.result(value, a.name)
                refs: list[tuple[str, str]] = []
                self.add(1, equation(name, self.p.expr(a.expr), self.p.expr(substitute(a.expr), r.period, env, refs),
                                     shown), name=name, value=value)
                if not planned:
                    self.derive_all(refs, 2)
            if not planned and r.payout != "paid":
                reason = self.words["role_gated"] if r.payout == "gated" else self.words["no_data"]
                self.add(2, f"→ bonus = {self.money(r.bonus)} ({reason})")

    def _scheme(self, role: ast.Role | None) -> ast.Scheme:
        name = role.scheme.text if role and role.scheme else DEFAULT_SCHEME
        if name in self.model.schemes:
            return self.model.schemes[name]
        return default_scheme()  # the one text of the built-in scheme (language/builtins.py)

    @staticmethod
    def _lines(role: ast.Role | None, kpis: tuple[KpiResult, ...]) -> list[ast.KpiLine | None]:
        """The role's KPI line for each result: in order when they match, else by name."""
        lines = list(role.kpis) if role else []
        if [line.indicator.text for line in lines] == [k.kpi for k in kpis]:
            return list(lines)
        by_name = {line.indicator.text: line for line in lines}
        return [by_name.get(k.kpi) for k in kpis]

    def kpi(self, k: KpiResult, line: ast.KpiLine | None, scheme: ast.Scheme, r: EmployeeResult) -> None:
        self.add(0, f"KPI {k.kpi} «{k.title}»: {STATUS_TEXT[self.lang].get(k.status, k.status)}")
        period = r.period
        if line is not None:
            settings = [f"{word} {self.p.expr(e)}" for word, e in
                        (("weight", line.weight), ("baseline", line.baseline), ("target", line.target),
                         ("bonus", line.bonus)) if e is not None]
            self.add(1, f"{self.words['settings']}: " + " · ".join(settings), _where(line.span))
        env: dict[str, Value] = {"weight": k.weight, "fact": k.fact, "target": k.target,
                                 "baseline": k.baseline, "attainment": k.attainment,
                                 "plan_bonus": k.plan_bonus}
        # a role-wide condition that could not be evaluated counts as failed, like a KPI's
        paid = k.status not in ("gated", "no_data") and all(g.passed is True for g in r.gates)
        computed: list[tuple[ast.Assignment, dict[str, Value], Value]] = []
        for a in scheme.assignments:
            before = dict(env)
            value = self.values.eval(a.expr, period, before)
            if a.name == "index":
                value = k.index
            elif a.name == "bonus":
                value = k.bonus if paid else (None if value is None else num(value).quantize(
                    Decimal(1).scaleb(-self.digits), ROUND_HALF_UP))
            env[a.name] = value
            computed.append((a, before, value))
        for a, before, value in reversed(computed):
            refs: list[tuple[str, str]] = []
            shown = self.money(value) if a.name == "bonus" else self.p.result(value, a.name)
            self.add(1, equation(a.name, self.p.expr(a.expr), self.p.expr(a.expr, period, before, refs), shown),
                     name=a.name, value=value)
            if a.name == "bonus" and not paid:
                reason = (self.words["role_gated"] if any(g.passed is not True for g in r.gates)
                          else self.words["gated"] if k.status == "gated" else self.words["no_data"])
                self.add(2, f"→ bonus = {self.money(k.bonus)} ({reason})")
            self.derive_all(refs, 2)
        self.add(1, equation("deviation", "index − index_plan",
                             f"{self.p.show(k.index, 'index')} − {self.p.show(k.index_plan, 'index_plan')}",
                             self.p.result(k.deviation, "deviation")))
        ratio = ("target", "fact") if k.better == "lower" else ("fact", "target")
        formula = f"{ratio[0]} / {ratio[1]}" + (" (better lower)" if k.better == "lower" else "")
        self.add(1, equation("attainment", formula, f"{self.p.show(env[ratio[0]])} / {self.p.show(env[ratio[1]])}",
                             self.p.result(k.attainment)))
        decl = self.model.values.get(k.kpi)
        card_goal = decl.goal if isinstance(decl, ast.KpiCard) and (line is None or line.target is None) else None
        for word, e, v in (("target", line.target if line else None, k.target), ("target", card_goal, k.target),
                           ("plan_bonus", line.bonus if line else None, k.plan_bonus),
                           ("baseline", line.baseline if line else None, k.baseline)):
            if e is not None and (not _is_literal(e) or e is card_goal):
                refs = []
                label = f"{word} (goal of {k.kpi})" if e is card_goal else word
                self.add(1, equation(label, self.p.expr(e), self.p.expr(e, period, env, refs), self.p.result(v)))
                self.derive_all(refs, 2)
        self.fact(k, decl, period)
        for i, cond in enumerate(line.requires if line else ()):
            gate = k.gates[i] if i < len(k.gates) else None
            self.condition(1, "require", cond, period, env | {"index": k.index, "index_plan": k.index_plan,
                                                              "deviation": k.deviation}, gate.passed if gate else None)
        for action in line.actions if line else ():
            fired = action.text in k.actions
            self.condition(1, "when", action.condition, period, env | {
                "index": k.index, "index_plan": k.index_plan, "deviation": k.deviation}, fired,
                f"{self.words['fires'] if fired else self.words['quiet']}: «{action.text}»")
        for problem in k.problems:
            self.add(1, f"? {problem}")

    def fact(self, k: KpiResult, decl: object, period: str) -> None:
        label = f"fact {k.kpi}"
        value = self.p.result(k.fact)
        if isinstance(decl, ast.Metric):
            refs: list[tuple[str, str]] = []
            self.add(1, equation(label, self.p.expr(decl.formula), self.p.expr(decl.formula, period, {}, refs), value))
            self.seen.add((k.kpi, period))
            self.derive_all(refs, 2)
        elif isinstance(decl, ast.KpiCard) and decl.indicator is not None:
            self.add(1, equation(label, decl.indicator.text, value))
            self.derive(decl.indicator.text, period, 2)
        else:
            self.add(1, equation(label, f"{k.kpi} ({period})", value))
            self.derive(k.kpi, period, 2)

    def condition(self, depth: int, word: str, cond: ast.Expr, period: str, env: dict[str, Value],
                  verdict: bool | None, outcome: str | None = None) -> None:
        refs: list[tuple[str, str]] = []
        if verdict is None and word == "require":  # the results did not list this gate
            computed = self.values.eval(cond, period, env)
            verdict = None if computed is None else computed is True
        state = {True: self.words["holds"], False: self.words["fails"], None: self.words["no_data"]}[verdict]
        text = f"{word} {self.p.expr(cond)}: {self.p.expr(cond, period, env, refs)} → {outcome or state}"
        self.add(depth, text)
        self.derive_all(refs, depth + 1)

    def _records_source(self, fact: str, agg: ast.Aggregation, period: str) -> str:
        """The records file actually read, how many of its records counted, and the filter."""
        file = self.records.files.get(fact) or agg.records.text
        count = self.records.count(fact, period, self.values.employee)
        text = f"{self.words['from_records']} {file}"
        if count is not None:
            text += f": {self.words['records_counted'].format(count=count)}"
        where = self.records.filters.get(fact)
        if where is not None:
            text += f" ({self.words['where']} {where})"
        return text

    # -- the values a formula read, down to the file rows

    def derive_all(self, refs: list[tuple[str, str]], depth: int) -> None:
        for name, period in refs:
            self.derive(name, period, depth)

    def derive(self, name: str, period: str, depth: int) -> None:
        decl = self.model.values.get(name)
        constant = isinstance(decl, ast.Goal)
        label = name if constant else f"{name} ({period})"
        value = self.values.value(name, period)
        key = (name, "" if constant else period)
        if key in self.seen:
            self.add(depth, equation(label, self.p.result(value)), self.words["see_above"])
            return
        self.seen.add(key)
        if isinstance(decl, ast.Fact):
            row = self.values.row(name, period)
            if row is not None:
                who = f"{name} ({period}, {row.employee})" if row.employee else label
                source = _row_source(row, rule_of(self.model, row.fact))
                self.add(depth, equation(who, self.p.result(row.value)), source)
            elif decl.aggregation is not None:
                agg = decl.aggregation
                what = f"{agg.function} {agg.column.text + ' ' if agg.column else ''}from {agg.records.text}"
                self.add(depth, equation(label, what, self.p.result(value)), self._records_source(name, agg, period))
            else:
                self.add(depth, equation(label, self.p.result(value)),
                         self.words["no_row"] if value is None else None)
        elif isinstance(decl, ast.Metric) or (isinstance(decl, ast.Goal) and not _is_literal(decl.expr)):
            formula = decl.formula if isinstance(decl, ast.Metric) else decl.expr
            refs: list[tuple[str, str]] = []
            self.add(depth, equation(label, self.p.expr(formula), self.p.expr(formula, period, {}, refs),
                                     self.p.result(value)))
            self.derive_all(refs, depth + 1)
        elif isinstance(decl, ast.KpiCard) and decl.indicator is not None:
            self.add(depth, equation(label, decl.indicator.text, self.p.result(value)))
            self.derive(decl.indicator.text, period, depth + 1)
        else:
            self.add(depth, equation(label, self.p.result(value)), _where(decl.span) if decl else None)
