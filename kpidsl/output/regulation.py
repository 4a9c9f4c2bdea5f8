"""The bonus regulation ("Положение о премировании", appendix "КПЭ сотрудников") as a document.

`build_regulation` turns a checked ruleset and its compiled plan into a `Document`
(`output.document`), every word from the message catalogue and every fact from the
ruleset: the purpose and period, each role's KPI table, the schemes in words with their
scales as tables, the quality conditions and corrective actions, the rules, the KPI
cards, a worked example when results are given (computed by the engine), a glossary and
the ruleset's version.  The KPI lines are read from the plan (`engine.plan.LinePlan`),
so the document names the same titles, units, directions, targets and schemes the engine
scores with.  The writers are `output.docwrite` (Markdown, HTML) and `output.wordfile`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from kpidsl.engine.plan import LinePlan, Plan
from kpidsl.language import ast
from kpidsl.language.load import Model
from kpidsl.output import regulation_parts as parts
from kpidsl.output import regulation_text as rt
from kpidsl.output.document import Bullets, Document, Heading, Paragraph, Table
from kpidsl.output.i18n import Formatter
from kpidsl.output.provenance import Version
from kpidsl.results.model import Results

KPI_COLUMNS = ("col.kpi", "doc.col.measures", "doc.col.computed", "doc.col.source", "doc.col.frequency",
               "doc.col.owner", "doc.col.direction", "col.weight", "col.baseline", "col.target", "col.plan_bonus")


def build_regulation(model: Model, plan: Plan, f: Formatter, version: Version,
                     results: Results | None = None, period: str | None = None,
                     edition: tuple[str | None, list[str | None]] | None = None) -> Document:
    """The regulation of `model`; `results` (of `kpidsl eval`) add the worked example of `period`.
    `edition`: for a plan with versions, the day this document's edition is in force from and
    every edition's first day (None: as first written); `model` is then the plan on that day."""
    doc = Document(f.t("doc.title"), f.t("doc.subtitle", ruleset=model.title), f.lang, contents=f.t("doc.contents"),
                   contents_hint=f.t("doc.contents_hint"))
    chapter = Chapters(doc, f)
    _general(model, f, chapter)
    if edition is not None:
        day, editions = edition
        listed = ", ".join(f.day(d) if d else f.t("doc.edition_first") for d in editions)
        chapter.add(Paragraph(f.t("doc.edition", date=f.day(day), editions=listed) if day is not None
                              else f.t("doc.edition_initial", editions=listed)))
    _roles(model, plan, f, chapter)
    parts.schemes(model, plan, f, chapter)
    _conditions(model, plan, f, chapter)
    _rules(model, f, chapter)
    _cards(model, plan, f, chapter)
    parts.example(results, f, chapter, period)
    parts.glossary(f, chapter)
    parts.version(version, f, chapter)
    doc.footer = f.t("doc.footer", sha=version.files[0][1][:12])
    return doc


class Chapters:
    """Numbered chapters: `chapter("doc.h.roles")` adds `2. Показатели …` and returns its number."""

    def __init__(self, doc: Document, f: Formatter) -> None:
        self.doc, self.f, self.number = doc, f, 0

    def __call__(self, key: str) -> int:
        self.number += 1
        self.doc.add(Heading(1, self.f.t(key), key.rsplit(".", 1)[-1], f"{self.number}."))
        return self.number

    def add(self, *blocks: Heading | Paragraph | Bullets | Table) -> None:
        self.doc.add(*blocks)


def _general(model: Model, f: Formatter, chapter: Chapters) -> None:
    chapter("doc.h.general")
    client = model.header.client if model.header is not None and model.header.client else None
    chapter.add(Paragraph(f.t("doc.purpose_client" if client else "doc.purpose", client=client or "",
                              ruleset=model.title)))
    chapter.add(Paragraph(f.t("doc.period", period=f.t(f"doc.period_kind.{model.period_kind}"),
                              currency=model.currency)))
    chapter.add(Paragraph(f.t("doc.exact")))
    goals = list(model.goals.values())
    if goals:
        chapter.add(Paragraph(f.t("doc.goals_lead")))
        rows = tuple((g.title or g.name, f"`{g.name}`", rt.symbols(g.expr), rt.plan_value(g.expr, model, f, None))
                     for g in goals)
        chapter.add(Table((f.t("doc.col.goal"), f.t("doc.col.name"), f.t("doc.col.formula"), f.t("doc.col.value")),
                          rows, numeric=frozenset({3}), kind="goals"))


def lines_of(plan: Plan, role: str) -> list[LinePlan]:
    return [line for line in plan.lines if line.role == role]


def series_of(model: Model, line: LinePlan) -> ast.Fact | ast.Metric | None:
    decl = model.values.get(line.series)
    return decl if isinstance(decl, (ast.Fact, ast.Metric)) else None


def _roles(model: Model, plan: Plan, f: Formatter, chapter: Chapters) -> None:
    chapter("doc.h.roles")
    chapter.add(Paragraph(f.t("doc.roles_lead")))
    for role in model.roles.values():
        chapter.add(Heading(2, role.title or role.name, f"role-{role.name}"))
        lines = lines_of(plan, role.name)
        if not lines:
            chapter.add(Paragraph(f.t("role.no_kpis")))
            continue
        scheme = lines[0].scheme
        chapter.add(Paragraph(f.t("doc.role_scheme", scheme=scheme.title or scheme.name)))
        rows = tuple(_kpi_row(model, line, f) for line in lines)
        weights = [parts.constant(line.line.weight, model, Decimal(0)) for line in lines]
        bonuses = [parts.constant(line.line.bonus, model, Decimal(0)) for line in lines]
        footer = (f.t("col.total"), "", "", "", "", "", "", _total(weights, lambda x: f.number(x, 4)),
                  "", "", _total(bonuses, f.money))
        chapter.add(Table(tuple(f.t(k) for k in KPI_COLUMNS), rows, footer, frozenset({7, 8, 9, 10}), "kpi",
                          role.name, wide=True))


def _total(values: list[Decimal | None], show: Callable[[Decimal], str]) -> str:
    """The sum of a column of constants, shown; "" when some line's value comes from data."""
    known = [v for v in values if v is not None]
    return show(sum(known, Decimal(0))) if len(known) == len(values) else ""


def _kpi_row(model: Model, line: LinePlan, f: Formatter) -> tuple[str, ...]:
    card = model.cards.get(line.kpi)
    series = series_of(model, line)
    in_words, in_symbols = rt.computed(series, model, f)
    attainment = f.t("doc.attainment_lower" if line.better == "lower" else "doc.attainment_higher")
    how = "\n".join(x for x in (in_words, in_symbols, attainment) if x)
    k = line.line
    return (line.title, card.measures if card is not None and card.measures else f.t("value.none"), how,
            rt.sources(series, card, model, f), rt.frequency(card, model, f),
            card.owner if card is not None and card.owner else f.t("value.none"), rt.direction(line.better, f),
            rt.weight_text(k.weight, model, f), rt.plan_value(k.baseline, model, f, line.unit),
            rt.plan_value(line.target_expr, model, f, line.unit),
            rt.plan_value(k.bonus, model, f, None, money=True) if k.bonus is not None else f.money(Decimal(0)))


def _conditions(model: Model, plan: Plan, f: Formatter, chapter: Chapters) -> None:
    chapter("doc.h.conditions")
    gates: list[tuple[str, ...]] = []
    actions: list[tuple[str, ...]] = []
    for role in model.roles.values():
        title = role.title or role.name
        if lines_of(plan, role.name):
            gates += [(title, f.t("doc.whole_role"), rt.words(c, model, f), f"`{rt.symbols(c)}`",
                       f.t("doc.gate_role")) for c in role.requires]
        for line in lines_of(plan, role.name):
            gates += [(title, line.title, rt.words(c, model, f), f"`{rt.symbols(c)}`", f.t("doc.gate_kpi"))
                      for c in line.line.requires]
            actions += [(title, line.title, rt.words(a.condition, model, f), f"`{rt.symbols(a.condition)}`", a.text)
                        for a in line.line.actions]
    chapter.add(Paragraph(f.t("doc.gates_lead")))
    columns = (f.t("col.role"), f.t("col.kpi"), f.t("doc.col.condition"), f.t("doc.col.symbols"))
    if gates:
        chapter.add(Table((*columns, f.t("doc.col.if_failed")), tuple(gates), kind="gates"))
    else:
        chapter.add(Paragraph(f.t("doc.no_gates")))
    chapter.add(Paragraph(f.t("doc.actions_lead")))
    if actions:
        chapter.add(Table((*columns, f.t("col.actions")), tuple(actions), kind="actions"))
    else:
        chapter.add(Paragraph(f.t("doc.no_actions")))


def _rules(model: Model, f: Formatter, chapter: Chapters) -> None:
    chapter("doc.h.rules")
    if not model.rules:
        chapter.add(Paragraph(f.t("doc.no_rules")))
        return
    chapter.add(Paragraph(f.t("doc.rules_lead")))
    rows = []
    for rule in model.rules.values():
        level = rule.level.text if rule.level is not None else "warning"
        when = rule.when
        rows.append((rule.title or rule.name, rt.words(when, model, f) if when is not None else f.t("value.none"),
                     f"`{rt.symbols(when)}`" if when is not None else "",
                     f.t(f"level.{level}") if f.has(f"level.{level}") else level,
                     rule.message or f.t("value.none"), "\n".join(rule.actions) or f.t("value.none")))
    chapter.add(Table((f.t("doc.col.rule"), f.t("doc.col.condition"), f.t("doc.col.symbols"), f.t("col.level"),
                       f.t("col.message"), f.t("col.actions")), tuple(rows), kind="rules"))


CARD_FIELDS = ("measures", "audience", "access", "source", "frequency", "owner", "indicator", "goal")


def _cards(model: Model, plan: Plan, f: Formatter, chapter: Chapters) -> None:
    chapter("doc.h.cards")
    cards = list(model.cards.values())
    if not cards:
        chapter.add(Paragraph(f.t("doc.no_cards")))
        return
    chapter.add(Paragraph(f.t("doc.cards_lead")))
    units = {line.kpi: line.unit for line in plan.lines}
    for card in cards:
        chapter.add(Heading(2, card.title or card.name, f"card-{card.name}"))
        indicator = model.values.get(card.indicator.text) if card.indicator is not None else None
        values = {
            "measures": card.measures, "audience": card.audience, "access": card.access, "source": card.source,
            "frequency": rt.frequency(card, model, f) if card.frequency is not None else None, "owner": card.owner,
            "indicator": (indicator.title or indicator.name) if indicator is not None else None,
            "goal": rt.goal_text(card, model, f, units.get(card.name)) if card.goal is not None else None}
        rows = tuple((f.t(f"doc.card.{name}"), values[name] or f.t("value.none")) for name in CARD_FIELDS)
        chapter.add(Table((f.t("doc.col.field"), f.t("doc.col.value")), rows, kind="card", key=card.name))
