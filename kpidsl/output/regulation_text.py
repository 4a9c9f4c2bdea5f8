"""The regulation's words for what a ruleset writes: formulas, values, sources, periods.

A formula is shown twice: in symbols, as the reports write formulas (`×`, `−`, `≥`:
`results.explain_values.WrittenPrinter`, on the one expression printer), and in words,
the same tree with every name replaced by its title (`«Расходы на маркетинг»`) and the
scoring values and functions by the catalogue's words.  A plan value written as a
constant (a target of `revenue_goal / win_rate`) is shown as the number the engine
uses (`check.expressions.constant_value`); one that comes from data, by its words.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kpidsl.check.depgraph import reachable, value_graph
from kpidsl.check.expressions import constant_value
from kpidsl.language import ast
from kpidsl.language.builtins import KPI_CONDITION_NAMES
from kpidsl.language.exprtext import Level
from kpidsl.language.load import Model
from kpidsl.output.i18n import Formatter
from kpidsl.results.explain_values import WrittenPrinter

NAMED_TERMS = tuple(KPI_CONDITION_NAMES)  # the scoring values with a word in the catalogue (`doc.term.*`)
FUNCTIONS = ("min", "max", "abs", "round", "prev", "growth", "department", "ytd")  # `doc.fn.*`


class WordsPrinter(WrittenPrinter):
    """A formula in words: names by their titles, scoring values and functions by the
    catalogue's words, operators as in symbols."""

    def __init__(self, model: Model, f: Formatter, own: frozenset[str] = frozenset()) -> None:
        self.model, self.f, self.own = model, f, own  # `own`: a scheme's steps, left as named

    def name(self, e: ast.Name) -> str:
        if e.name in NAMED_TERMS:
            return self.f.t(f"doc.term.{e.name}")
        if e.name in self.own:
            return e.name
        decl = self.model.values.get(e.name)
        title = decl.title if decl is not None else None
        return self.f.t("doc.quoted", text=title) if title else e.name

    def call(self, e: ast.Call) -> tuple[str, Level] | None:
        if e.function not in FUNCTIONS:
            return None
        args = ", ".join(self.expr(a) for a in e.args)
        return self.f.t(f"doc.fn.{e.function}", args=args), Level.ATOM


def symbols(e: ast.Expr) -> str:
    """`e` in the reports' symbols: `(marketing_spend + sales_spend) / new_customers`."""
    return WrittenPrinter().expr(e)


def words(e: ast.Expr, model: Model, f: Formatter, own: frozenset[str] = frozenset()) -> str:
    return WordsPrinter(model, f, own).expr(e)


def plan_value(e: ast.Expr | None, model: Model, f: Formatter, unit: str | None, money: bool = False) -> str:
    """A weight, baseline, target or planned bonus as the document shows it: the constant's
    value in the KPI's unit (money with kopecks for a bonus), or the words of what it is
    read from; "—" where the line has none."""
    if e is None:
        return f.t("value.none")
    value = constant_value(e, model)
    if value is None:
        return f.t("doc.from_data", words=words(e, model, f))
    if money:
        return f.money(value)
    return f.value(value, unit) if unit is not None else f.number(value, 4)


def weight_text(e: ast.Expr | None, model: Model, f: Formatter) -> str:
    if e is None:
        return f.number(Decimal(0))  # a line without a weight weighs 0 (engine/scoring.py)
    value = constant_value(e, model)
    return f.number(value, 4) if value is not None else f.t("doc.from_data", words=words(e, model, f))


def computed(series: ast.Fact | ast.Metric | None, model: Model, f: Formatter) -> tuple[str, str]:
    """(in words, in symbols) how the KPI's indicator is obtained."""
    if isinstance(series, ast.Metric):
        return words(series.formula, model, f), f"`{series.name} = {symbols(series.formula)}`"
    if isinstance(series, ast.Fact):
        agg = series.aggregation
        if agg is None:
            title = f.t("doc.quoted", text=series.title) if series.title else series.name
            return f.t("doc.measured", title=title), f"`{series.name}`"
        where = f.t("doc.where", condition=symbols(agg.where)) if agg.where is not None else ""
        column = agg.column.text if agg.column is not None else ""
        return (f.t(f"doc.agg.{agg.function}", column=column, records=agg.records.text, where=where),
                f"`{series.name}`")
    return f.t("value.none"), ""


def sources(series: ast.Fact | ast.Metric | None, card: ast.KpiCard | None, model: Model, f: Formatter) -> str:
    """The data source: the KPI card's, else the sources of the facts the indicator rests on."""
    if card is not None and card.source:
        return card.source
    if series is None:
        return f.t("value.none")
    found: list[str] = []
    facts = model.facts
    for name in sorted(reachable(value_graph(model), [series.name]) & set(facts)):
        fact = facts[name]
        if fact.source is not None:
            found.append(fact.source.text)
        elif fact.aggregation is not None:
            records = model.records.get(fact.aggregation.records.text)
            found.append(records.title or records.name if records is not None else fact.aggregation.records.text)
    return ", ".join(dict.fromkeys(found)) or f.t("value.none")


def frequency(card: ast.KpiCard | None, model: Model, f: Formatter) -> str:
    if card is not None and card.frequency is not None:
        return f.t(f"doc.frequency.{card.frequency.text}")
    return f.t(f"doc.every.{model.period_kind}")


def direction(better: str, f: Formatter) -> str:
    return f.t("doc.better_lower" if better == "lower" else "doc.better_higher")


def date_text(iso: str, f: Formatter) -> str:
    from babel.dates import format_date

    try:
        return format_date(dt.date.fromisoformat(iso), "long", locale=f.babel)
    except ValueError:
        return iso


def goal_text(card: ast.KpiCard, model: Model, f: Formatter, unit: str | None) -> str:
    if card.goal is None:
        return f.t("value.none")
    value = plan_value(card.goal, model, f, unit)
    return f.t("doc.goal_by", goal=value, date=date_text(card.goal_by.text, f)) if card.goal_by else value
