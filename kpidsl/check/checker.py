"""Check: a loaded `Model` → every static diagnostic, before any data is read.

One pass collects everything, so a consultant fixes a ruleset in one go: header
settings, dependency cycles, each declaration's expressions (names, functions,
types, units — `kpidsl.check.expressions`), roles (indicators, weights summing to 1,
targets, bonuses, schemes), employees, rules and records; then the methodology's
lints (`kpidsl.check.lints`).  Bad input never raises: every problem is a Diagnostic
with a code, a span and, where possible, a hint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from functools import partial

from kpidsl.base.diagnostics import Diagnostic, Span, error, warning
from kpidsl.base.suggest import did_you_mean
from kpidsl.check.assignments import check_employees
from kpidsl.check.depgraph import Graph, components, cycle_path, is_cycle, reachable, value_graph
from kpidsl.check.expressions import BOOL, NUM, ExprChecker, Scope, constant_value, exact_value, show_number
from kpidsl.check.levels import check_levels
from kpidsl.check.lints import lint_model
from kpidsl.check.payouts import check_payout, check_scheme_payout_lines
from kpidsl.check.rollup import check_rollup
from kpidsl.check.versions import check_versions
from kpidsl.language import ast
from kpidsl.language.assignments import PRORATE_CHOICES, iso_date
from kpidsl.language.builtins import (
    CARD_FREQUENCIES,
    DEFAULT_SCHEME,
    KPI_CONDITION_NAMES,
    LOCALES,
    METRIC_KINDS,
    PERIOD_KINDS,
    PLAIN_UNITS,
    RULE_LEVELS,
    SCHEME_INPUTS,
    SCHEME_OUTPUTS,
    is_currency,
)
from kpidsl.language.constants import rounded
from kpidsl.language.load import Model
from kpidsl.language.units import ONE, Unit, declared_unit, describe_unit, is_concrete
from kpidsl.language.versions import boundaries, is_versioned, model_at

_LIMIT = Fraction(10) ** 26  # every value of the language stays below this (DECIMAL(38, 12))

VALUES = Scope("a formula")


def check_model(model: Model) -> list[Diagnostic]:
    """Every static diagnostic of `model`, in source order (the main file first).  A ruleset
    with versions is checked as it stands on each day a version starts or ends (each once),
    so every version is checked against the versions it runs with."""
    found: dict[tuple[str, str, str], Diagnostic] = {}
    versioned = is_versioned(model)
    plans = [model_at(model, day) for day in (dt.date.min, *boundaries(model))] if versioned else [model]
    for plan in plans:
        checker = _Checker(plan)
        checker.run()
        for d in checker.out:
            found.setdefault((d.code, str(d.location), d.message), d)
    for d in check_versions(model) if versioned else []:
        found.setdefault((d.code, str(d.location), d.message), d)
    files = {f: i for i, f in enumerate(model.files)}

    def where(d: Diagnostic) -> tuple[int, int, int]:
        loc = d.location
        if isinstance(loc, Span):
            return (files.get(loc.file, len(files)), loc.line, loc.column)
        return (len(files) + 1, 0, 0)

    return sorted(found.values(), key=where)


class _Checker:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.out: list[Diagnostic] = []
        self.graph: Graph = {}
        self.units: dict[str, Unit] = {}
        self.exprs = ExprChecker(model, self.units, self.out.append)
        self.money: Unit = model.currency if is_currency(model.currency) else None
        self.areas = {d.area.text for d in model.values.values() if isinstance(d, ast.Fact) and d.area}

    def run(self) -> None:
        m = self.model
        self._guard(m.header.span if m.header else None, self._analyse)
        self._header()
        for decl in m.values.values():
            self._guard(decl.span, partial(self._value, decl))
        for records in m.records.values():
            self._records(records)
        for scheme in m.schemes.values():
            self._guard(scheme.span, partial(self._scheme, scheme))
        for role in m.roles.values():
            self._guard(role.span, partial(self._role, role))
        self.out.extend(check_employees(m))
        self.out.extend(check_levels(m))
        self.out.extend(check_rollup(m))
        for rule in m.rules.values():
            self._guard(rule.span, partial(self._rule, rule))
        self._guard(m.header.span if m.header else None,
                    lambda: self.out.extend(lint_model(m, self.graph, self.units)))

    def _guard(self, span: Span | None, step: Callable[[], None]) -> None:
        """Run one check; an expression too deep for Python's stack is a diagnostic, not a crash."""
        try:
            step()
        except RecursionError:
            self.out.append(error("K006", "an expression here is nested too deeply to check", span,
                                  "split it into smaller metrics"))

    # -- the value graph: cycles first, then units dependencies-first
    def _analyse(self) -> None:
        m = self.model
        self.graph.update(value_graph(m))
        silent = ExprChecker(m, self.units, lambda d: None)
        for component in components(self.graph):
            if is_cycle(self.graph, component):
                self._cycle(component)
                continue
            name = component[0]
            decl = m.values[name]
            self.units[name] = self._unit_of(decl, silent)

    def _unit_of(self, decl: ast.Fact | ast.Metric | ast.Goal | ast.KpiCard, silent: ExprChecker) -> Unit:
        if isinstance(decl, ast.Fact):
            if decl.unit:
                return declared_unit(decl.unit.text)
            agg = decl.aggregation
            return "count" if agg and agg.function == "count" else None
        if isinstance(decl, ast.Metric):
            if decl.unit and declared_unit(decl.unit.text):
                return declared_unit(decl.unit.text)
            return silent.infer(decl.formula, VALUES)[1]
        if isinstance(decl, ast.Goal):
            return silent.infer(decl.expr, VALUES)[1]
        return self.units.get(decl.indicator.text) if decl.indicator else None

    def _cycle(self, component: list[str]) -> None:
        m = self.model
        first = min(component, key=lambda n: self._position(m.values[n].span))
        path = " → ".join(f"`{n}`" for n in cycle_path(self.graph, component, first))
        self.out.append(error("K023", f"`{first}` depends on itself: {path}", m.values[first].span,
                              "each of these is computed from the next; compute one of them from facts"))

    def _position(self, span: Span) -> tuple[int, int, int]:
        files = self.model.files
        return (files.index(span.file) if span.file in files else len(files), span.line, span.column)

    # -- header
    def _header(self) -> None:
        h = self.model.header
        if h is None:
            return
        if h.period_kind and h.period_kind.text not in PERIOD_KINDS:
            self._not_one_of("K046", "period", h.period_kind, PERIOD_KINDS)
        if h.locale and h.locale.text not in LOCALES:
            self._not_one_of("K046", "locale", h.locale, LOCALES)
        if h.prorate and h.prorate.text not in PRORATE_CHOICES:
            self._not_one_of("K046", "prorate", h.prorate, PRORATE_CHOICES)
        if h.currency and not is_currency(h.currency.text):
            text = h.currency.text
            hint = (f"write currency codes in capitals: `{text.upper()}`" if is_currency(text.upper())
                    else "a currency is a three-letter ISO code: RUB, USD, EUR")
            self.out.append(error("K046", f"`{text}` is not a currency code", h.currency.span, hint))

    def _not_one_of(self, code: str, setting: str, value: ast.Ident, allowed: tuple[str, ...]) -> None:
        hint = did_you_mean(value.text, allowed) or ""
        hint = (hint + " " if hint else "") + f"{setting} is one of: {', '.join(allowed)}"
        self.out.append(error(code, f"unknown {setting} `{value.text}`", value.span, hint))

    # -- values: facts, metrics, goals, KPI cards
    def _value(self, decl: ast.Fact | ast.Metric | ast.Goal | ast.KpiCard) -> None:
        if isinstance(decl, ast.Fact):
            self._unit_known(decl.unit)
            if decl.aggregation:
                self._aggregation(decl.aggregation)
        elif isinstance(decl, ast.Metric):
            self._metric(decl)
        elif isinstance(decl, ast.Goal):
            self.exprs.check(decl.expr, Scope(f"a {decl.kind}"), NUM, f"a {decl.kind}")
            data = [n for n in reachable(self.graph, self.graph.get(decl.name, []))
                    if not isinstance(self.model.values[n], ast.Goal)]
            if data:
                self.out.append(error(
                    "K048", f"{decl.kind} `{decl.name}` depends on `{min(data)}`, which comes from data",
                    decl.span, f"a {decl.kind} is a constant; for a value computed from data write a metric"))
            value = exact_value(decl.expr, self.model)
            if value is not None and abs(value) >= _LIMIT:
                self.out.append(error(
                    "K005", f"{decl.kind} `{decl.name}` is {show_number(rounded(value))}: values stay below 10^26",
                    decl.expr.span, "the language computes in exact decimals below 10^26"))
        else:
            self._card(decl)

    def _unit_known(self, unit: ast.Ident | None) -> None:
        if unit is None or declared_unit(unit.text):
            return
        hint = (did_you_mean(unit.text, PLAIN_UNITS)
                or (f"write currency codes in capitals: `{unit.text.upper()}`"
                    if unit.text.isalpha() and len(unit.text) == 3 else None)
                or f"units: {', '.join(PLAIN_UNITS)}, or a currency code (RUB, USD, EUR)")
        self.out.append(warning("K036", f"unknown unit `{unit.text}`", unit.span, hint))

    def _metric(self, m: ast.Metric) -> None:
        got = self.exprs.check(m.formula, Scope("a metric formula"), NUM, "a metric formula")[1]
        self._unit_known(m.unit)
        if m.kind and m.kind.text not in METRIC_KINDS:
            self._not_one_of("K047", "metric kind", m.kind, METRIC_KINDS)
        declared = declared_unit(m.unit.text) if m.unit else None
        if is_concrete(declared) and is_concrete(got) and declared != got:
            self.out.append(warning(
                "K037", f"metric `{m.name}` is declared in {describe_unit(declared)}, "
                f"but its formula gives {describe_unit(got)}", m.unit.span if m.unit else m.span,
                "fix the unit, or the formula"))

    def _card(self, card: ast.KpiCard) -> None:
        if card.indicator is not None:
            self._indicator_of_card(card, card.indicator)
        if card.frequency and card.frequency.text not in CARD_FREQUENCIES:
            self._not_one_of("K047", "frequency", card.frequency, CARD_FREQUENCIES)
        if card.goal is not None:
            self.exprs.check(card.goal, Scope("a KPI card's goal"), NUM, "a KPI card's goal")
        if card.goal_by is not None and iso_date(card.goal_by.text) is None:
            self.out.append(error("K069", f"`{card.goal_by.text}` is not a date: the goal of KPI card "
                                  f"`{card.name}` needs a real day to be reached by", card.goal_by.span,
                                  "write a real day as YYYY-MM-DD, e.g. 2026-12-31"))

    def _indicator_of_card(self, card: ast.KpiCard, ind: ast.Ident) -> None:
        decl = self.model.values.get(ind.text)
        if decl is None:
            candidates = [n for n, d in self.model.values.items() if isinstance(d, (ast.Fact, ast.Metric))]
            self.out.append(error("K021", f"unknown indicator `{ind.text}` in KPI card `{card.name}`", ind.span,
                                  did_you_mean(ind.text, candidates) or "an indicator is a metric or a fact"))
        elif not isinstance(decl, (ast.Fact, ast.Metric)):
            self.out.append(error("K022", f"the indicator of KPI card `{card.name}` must be a metric or a fact; "
                                  f"`{ind.text}` is {_kind(decl)}", ind.span,
                                  "name the metric or fact the card measures"))

    def _aggregation(self, agg: ast.Aggregation) -> None:
        if agg.records.text not in self.model.records:
            declare = f"declare them: `records {agg.records.text} {{ file \"….csv\" date DATE_COLUMN }}`"
            self.out.append(error("K050", f"unknown records `{agg.records.text}`", agg.records.span,
                                  did_you_mean(agg.records.text, self.model.records) or declare))
        if agg.distinct and agg.column is None:
            self.out.append(error("K052", "`count distinct` needs a column", agg.span,
                                  f"e.g. `count distinct client from {agg.records.text}`"))
        if agg.where is not None:
            self.exprs.check(agg.where, Scope("a where-clause", values=False, columns=True), BOOL, "`where`")

    def _records(self, r: ast.Records) -> None:
        if r.date_column is None:
            self.out.append(error("K051", f"records `{r.name}` have no `date` column", r.span,
                                  f"add `date COLUMN` so each row falls into a period, e.g. "
                                  f"`records {r.name} {{ file \"{r.name}.csv\" date created_at }}`"))

    # -- schemes
    def _scheme(self, s: ast.Scheme) -> None:
        """`index` and `bonus` are required; named intermediate steps may come before them.
        Formulas see the scoring values, the steps defined above, and the ruleset's values."""
        defined: dict[str, Unit] = {}
        for a in s.assignments:
            if a.name in SCHEME_INPUTS:
                self.out.append(error("K045", f"`{a.name}` is a scoring value; a scheme cannot redefine it",
                                      a.span, "give the intermediate step its own name"))
            elif a.name in defined:
                self.out.append(error("K045", f"`{a.name}` is defined twice in scheme `{s.name}`", a.span,
                                      "keep one formula"))
            extra = {n: self._scheme_unit(n) for n in SCHEME_INPUTS}
            extra.update(defined)
            unit = self.exprs.check(a.expr, Scope("a scheme formula", values=True, extra=extra, in_scheme=True),
                                    NUM, "a scheme formula")[1]
            defined.setdefault(a.name, ONE if a.name == "index" else unit)
        if s.payout is not None:
            check_payout(self.exprs, self.out.append, s.payout, f"scheme `{s.name}`", self.money, None)
        for name in SCHEME_OUTPUTS:
            if name not in defined and not (name == "bonus" and s.payout is not None):
                self.out.append(error("K045", f"scheme `{s.name}` does not define `{name}`", s.span,
                                      "a scheme computes `index = …` and `bonus = …` for each KPI"))

    def _scheme_unit(self, name: str) -> Unit:
        return ONE if name in ("weight", "attainment", "index", "index_plan", "deviation") \
            else self.money if name == "plan_bonus" else None

    # -- roles
    def _role(self, role: ast.Role) -> None:
        m = self.model
        if role.scheme and role.scheme.text not in m.schemes and role.scheme.text != DEFAULT_SCHEME:
            self.out.append(error("K025", f"unknown scheme `{role.scheme.text}`", role.scheme.span,
                                  did_you_mean(role.scheme.text, [*m.schemes, DEFAULT_SCHEME])
                                  or f"declare `scheme {role.scheme.text} {{ index = … bonus = … }}`, "
                                  f"or leave it out for the default `{DEFAULT_SCHEME}`"))
        for area in role.controls:
            if area.text not in self.areas:
                self.out.append(warning("K027", f"no fact declares area `{area.text}`", area.span,
                                        did_you_mean(area.text, self.areas) or
                                        "areas come from facts: `fact revenue … area sales`"))
        for cond in role.requires:
            self.exprs.check(cond, Scope("a role's `require`"), BOOL, "`require`")
        if role.payout is not None:
            check_payout(self.exprs, self.out.append, role.payout, f"role `{role.name}`", self.money, role)
        elif (used := m.schemes.get(role.scheme.text if role.scheme else DEFAULT_SCHEME)) is not None:
            check_scheme_payout_lines(self.out.append, used, role)
        seen: dict[str, ast.KpiLine] = {}
        weights: list[Fraction | None] = []  # exact: three weights of 1 / 3 sum to 1
        for line in role.kpis:
            name = line.indicator.text
            if name in seen:
                self.out.append(error("K044", f"KPI `{name}` is listed twice in role `{role.name}` "
                                      f"(first on line {seen[name].span.line})", line.indicator.span,
                                      "merge the two lines into one", ((seen[name].span, f"the first `{name}` line"),)))
            seen.setdefault(name, line)
            weights.append(self._kpi_line(role, line))
        known = [w for w in weights if w is not None]
        total = sum(known, Fraction(0)) if known and len(known) == len(weights) else None  # else: per line
        if total is not None and total != 1:
            self.out.append(error(
                "K040", f"weights of role `{role.name}` sum to {show_number(rounded(total))}, not 1", role.span,
                f"weights are shares of the role's bonus; change them by {show_number(rounded(1 - total))} in total"))

    def _kpi_line(self, role: ast.Role, line: ast.KpiLine) -> Fraction | None:
        """Check one KPI line; return its weight if it is a known constant."""
        name = line.indicator.text
        indicator, card = self._indicator(role, line)
        target = line.target if line.target is not None else card.goal if card else None
        # A role whose lines have no `bonus` at all is a plan of coefficients (the total index
        # alone); once one line pays money, every line of the role must say how much.
        pays = any(other.bonus is not None for other in role.kpis)
        required = (("weight", line.weight), ("target", target), *((("bonus", line.bonus),) if pays else ()))
        missing = [k for k, v in required if v is None]
        if missing:
            self.out.append(error(
                "K041", f"KPI `{name}` in role `{role.name}` has no {_either(missing)}"
                + (" (the role's other KPIs pay one)" if "bonus" in missing else ""), line.indicator.span,
                f"a KPI line reads `kpi {name} weight 0.25 target 100 bonus 5000` (baseline is optional)"
                + ("; a KPI card's `goal` also serves as the target" if "target" in missing else "")
                + ("; a role with no `bonus` on any line scores the total index alone" if "bonus" in missing else "")))
        unit = self.units.get(indicator.name) if indicator else None
        for key, expr in (("weight", line.weight), ("baseline", line.baseline),
                          ("target", line.target), ("bonus", line.bonus)):
            if expr is not None:
                got = self.exprs.check(expr, Scope(f"a KPI's {key}"), NUM, f"`{key}`")[1]
                if key in ("target", "baseline") and is_concrete(unit) and is_concrete(got) and unit != got:
                    self.out.append(warning("K035", f"the {key} of `{name}` is in {describe_unit(got)}, "
                                            f"but `{name}` is in {describe_unit(unit)}", expr.span,
                                            "a target is in the indicator's own unit"))
        if target is not None:
            self._target(line, target, indicator)
        if line.bonus is not None:
            self._not_negative(line.bonus, f"the bonus of `{name}`")
        extra = {n: (unit if n in ("fact", "target", "baseline") else self._scheme_unit(n))
                 for n in KPI_CONDITION_NAMES}
        scope = Scope("a KPI's condition", extra=extra)
        for cond in line.requires:
            self.exprs.check(cond, scope, BOOL, "`require`")
        for action in line.actions:
            self.exprs.check(action.condition, scope, BOOL, "`when`")
        return self._weight(line) if line.weight is not None else None

    def _indicator(self, role: ast.Role, line: ast.KpiLine) -> tuple[ast.Fact | ast.Metric | None, ast.KpiCard | None]:
        """What a KPI line measures: (the fact or metric, the card it came through)."""
        ident = line.indicator
        decl = self.model.values.get(ident.text)
        if decl is None:
            candidates = [n for n, d in self.model.values.items() if not isinstance(d, ast.Goal)]
            self.out.append(error("K021", f"unknown KPI `{ident.text}` in role `{role.name}`", ident.span,
                                  did_you_mean(ident.text, candidates)
                                  or "a KPI line names a metric, a fact or a KPI card"))
            return None, None
        if isinstance(decl, ast.Goal):
            self.out.append(error("K022", f"`{ident.text}` is {_kind(decl)}, not something to measure",
                                  ident.span, f"a KPI line names a metric, fact or KPI card; "
                                  f"use the {decl.kind} as a target: `target {ident.text}`"))
            return None, None
        if isinstance(decl, ast.KpiCard):
            if decl.indicator is None:
                self.out.append(error("K041", f"KPI card `{decl.name}` has no `indicator`, so role "
                                      f"`{role.name}` cannot measure it", ident.span,
                                      f"add `indicator METRIC` to the card `{decl.name}` (line {decl.span.line})"))
                return None, decl
            inner = self.model.values.get(decl.indicator.text)
            return (inner if isinstance(inner, (ast.Fact, ast.Metric)) else None), decl
        return decl, None

    def _target(self, line: ast.KpiLine, target: ast.Expr, indicator: ast.Fact | ast.Metric | None) -> None:
        if self._depends_on_data(target):
            return
        if constant_value(target, self.model) == 0:
            lower = ast.direction(indicator) == "lower"
            why = ("attainment (target / fact) would always be 0" if lower
                   else "attainment (fact / target) would divide by zero")
            self.out.append(error("K042", f"the target of `{line.indicator.text}` is 0: {why}",
                                  target.span, "set the level the indicator should reach in the period"))

    def _weight(self, line: ast.KpiLine) -> Fraction | None:
        assert line.weight is not None
        if self._depends_on_data(line.weight):
            self.out.append(error("K048", f"the weight of `{line.indicator.text}` depends on data",
                                  line.weight.span, "a weight is a fixed share: a number, goal or param"))
            return None
        self._not_negative(line.weight, f"the weight of `{line.indicator.text}`")
        return exact_value(line.weight, self.model)

    def _not_negative(self, expr: ast.Expr, what: str) -> Decimal | None:
        value = constant_value(expr, self.model)
        if value is not None and value < 0:
            self.out.append(error("K043", f"{what} is negative ({show_number(value)})", expr.span,
                                  "weights and bonuses are zero or more"))
        return value

    def _depends_on_data(self, expr: ast.Expr) -> bool:
        names = [n.name for n in ast.names_in(expr) if n.name in self.model.values]
        return any(not isinstance(self.model.values[n], ast.Goal) for n in reachable(self.graph, names))

    # -- rules
    def _rule(self, rule: ast.Rule) -> None:
        if rule.when is None:
            self.out.append(error("K041", f"rule `{rule.name}` has no `when` condition", rule.span,
                                  "e.g. `when ltv < 3 * cac`: the rule fires when the condition holds"))
        else:
            self.exprs.check(rule.when, Scope("a rule's condition"), BOOL, "`when`")
        if rule.level and rule.level.text not in RULE_LEVELS:
            self._not_one_of("K047", "level", rule.level, RULE_LEVELS)


def _kind(decl: ast.Fact | ast.Metric | ast.Goal | ast.KpiCard) -> str:
    if isinstance(decl, ast.Goal):
        return f"a {decl.kind}"
    return {ast.Fact: "a fact", ast.Metric: "a metric", ast.KpiCard: "a KPI card"}[type(decl)]


def _either(words: list[str]) -> str:
    """["weight", "bonus"] → "`weight` or `bonus`"."""
    quoted = [f"`{w}`" for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
