"""The regulation's later chapters: the schemes and their scales, the worked example,
the glossary and the version (`output.regulation` builds the rest and the whole).

The worked example is never computed here: it shows the engine's results (`kpidsl eval`
over `--facts`) with the employee statement's own texts (`output.analysis.employee_view`).
A scheme is described in the statement's words (`output.statement.scheme_description`)
and its formulas as written; a `scale` becomes a table of its rows.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING

from kpidsl.check.expressions import constant_value
from kpidsl.engine.plan import Plan
from kpidsl.language import ast
from kpidsl.language.load import Model
from kpidsl.output import regulation_text as rt
from kpidsl.output.analysis import choose_period, employee_view
from kpidsl.output.document import Block, Bullets, Heading, Paragraph, Table
from kpidsl.output.i18n import Formatter
from kpidsl.output.provenance import Version
from kpidsl.output.statement import scheme_description
from kpidsl.results.assemble import scheme_text
from kpidsl.results.model import Results

if TYPE_CHECKING:
    from kpidsl.output.regulation import Chapters

GLOSSARY = ("kpi", "metric", "weight", "baseline", "target", "fact", "attainment", "index", "index_plan",
            "deviation", "plan_bonus", "bonus", "total_index", "gate", "action", "rule", "period")


def constant(e: ast.Expr | None, model: Model, missing: Decimal) -> Decimal | None:
    """A plan value's constant (`missing` where the line has none); None if read from data."""
    return missing if e is None else constant_value(e, model)


# ------------------------------------------------------------------ schemes


def schemes(model: Model, plan: Plan, f: Formatter, chapter: Chapters) -> None:
    chapter("doc.h.schemes")
    chapter.add(Paragraph(f.t("doc.attainment")))
    used: dict[int, tuple[ast.Scheme, list[str]]] = {}
    for line in plan.lines:
        entry = used.setdefault(id(line.scheme), (line.scheme, []))
        title = model.roles[line.role].title or line.role
        if title not in entry[1]:
            entry[1].append(title)
    for scheme, roles in used.values():
        chapter.add(Heading(2, f.t("doc.scheme", scheme=scheme.title or scheme.name), f"scheme-{scheme.name}"))
        chapter.add(Paragraph(f.t("doc.scheme_roles", roles=", ".join(roles))))
        chapter.add(Paragraph(scheme_description(scheme_text(scheme, model), f)))
        own = frozenset(a.name for a in scheme.assignments)
        rows = tuple((f"`{a.name}`", f"`{a.name} = {rt.symbols(a.expr)}`", rt.words(a.expr, model, f, own))
                     for a in scheme.assignments)
        chapter.add(Table((f.t("doc.col.step"), f.t("doc.col.symbols"), f.t("doc.col.words")), rows,
                          kind="formulas", key=scheme.name))
        for a in scheme.assignments:
            for node in ast.walk(a.expr):
                if isinstance(node, ast.Scale):
                    chapter.add(scale_table(node, a.name, model, f, own))
        chapter.add(*pay_curve(scheme, model, f))
    for role, payout in plan.payouts.items():  # the employee's whole bonus from the totals
        title = model.roles[role].title or role
        chapter.add(Heading(2, f.t("doc.payout", role=title), f"payout-{role}"))
        chapter.add(Paragraph(f.t("doc.payout_lead")))
        own = frozenset(a.name for a in payout.assignments)
        rows = tuple((f"`{a.name}`", f"`{a.name} = {rt.symbols(a.expr)}`", rt.words(a.expr, model, f, own))
                     for a in payout.assignments)
        chapter.add(Table((f.t("doc.col.step"), f.t("doc.col.symbols"), f.t("doc.col.words")), rows,
                          kind="formulas", key=f"payout-{role}"))
    if plan.lines:
        chapter.add(Paragraph(f.t("doc.rounding", digits=plan.minor_digits)))
        chapter.add(Paragraph(f.t("doc.total_index")))


def scale_table(scale: ast.Scale, step: str, model: Model, f: Formatter, own: frozenset[str]) -> Table:
    """A `scale`'s rows as a table: each range of the subject and the value it gives.  The
    first row whose bound exceeds the subject applies; with constant bounds in ascending
    order that reads as ranges (`от 70% до 100%`), otherwise each row is shown as written."""
    bounds = [constant_value(r.below, model) for r in scale.rows]
    ascending = all(b is not None for b in bounds) and all(
        a < b for a, b in pairwise(bounds) if a is not None and b is not None)
    rows: list[tuple[str, str]] = []
    previous = ""
    for row in scale.rows:
        bound = rt.symbols(row.below)
        text = f.t("doc.range_between", low=previous, high=bound) if previous and ascending \
            else f.t("doc.range_below", high=bound)
        rows.append((text, rt.words(row.value, model, f, own)))
        previous = bound
    last = f.t("doc.range_from", low=previous) if ascending else f.t("doc.range_else")
    rows.append((last, rt.words(scale.otherwise, model, f, own)))
    return Table((rt.words(scale.subject, model, f, own), f.t("doc.col.scale_value", step=step)), tuple(rows),
                 kind="scale", key=step, caption=f.t("doc.scale_caption", step=step))


def pay_curve(scheme: ast.Scheme, model: Model, f: Formatter) -> list[Block]:
    """The hook for the scheme's pay curve (bonus against attainment), issue 11's chart:
    the chart must come from the engine's own numbers for sample attainments, never from
    re-computing the scheme here, so until the engine offers those there is no chart."""
    return []


# ------------------------------------------------------------------ worked example


EXAMPLE_COLUMNS = ("col.kpi", "col.fact", "col.attainment", "col.index", "col.index_plan", "col.deviation",
                   "col.plan_bonus", "col.bonus")


def example(results: Results | None, f: Formatter, chapter: Chapters, period: str | None) -> None:
    """The engine's results of one period (the latest, unless `period`) for each employee."""
    chapter("doc.h.example")
    if results is None:
        chapter.add(Paragraph(f.t("doc.example_none")))
        return
    chosen = choose_period(results, period)
    chapter.add(Paragraph(f.t("doc.example_lead", period=f.period(chosen), range=f.period_range(chosen))))
    shown = [r for r in results.for_period(chosen) if r.kpis]
    if not shown:
        chapter.add(Paragraph(f.t("doc.example_empty")))
    for r in shown:
        e = employee_view(r, f, results.minor_digits, results.schemes, results.payouts)
        chapter.add(Heading(2, f.t("doc.example_employee", employee=e.employee, role=e.role_title),
                            f"example-{len(chapter.doc.blocks)}"))
        chapter.add(Paragraph(e.summary, "lead"))
        columns = EXAMPLE_COLUMNS if e.money else EXAMPLE_COLUMNS[:-2]
        rows = tuple((k.title, k.fact.text, k.attainment.text, k.index.text, k.index_plan.text, k.deviation.text,
                      k.plan_bonus.text, k.bonus.text)[:len(columns)] for k in e.kpis)
        footer = (f.t("col.total"), "", "", e.index.text, e.index_plan.text, e.index_deviation.text,
                  e.plan_bonus.text, e.bonus.text)[:len(columns)]
        chapter.add(Table(tuple(f.t(c) for c in columns), rows, footer, frozenset(range(1, len(columns))),
                          "example", e.employee))
        chapter.add(Bullets(tuple(f"{k.title}: {k.explanation}" for k in e.kpis), numbered=True))
        for g in e.gates:
            if g.passed is not True:
                chapter.add(Paragraph(g.text, "note"))
        for line in (e.total_formula, e.index_line):
            if line:
                chapter.add(Paragraph(line, "formula"))


# ------------------------------------------------------------------ glossary and version


def glossary(f: Formatter, chapter: Chapters) -> None:
    chapter("doc.h.glossary")
    rows = tuple((f.t(f"doc.glossary.{term}.term"), f.t(f"doc.glossary.{term}.text")) for term in GLOSSARY)
    chapter.add(Table((f.t("doc.col.term"), f.t("doc.col.meaning")), rows, kind="glossary"))


def version(v: Version, f: Formatter, chapter: Chapters) -> None:
    chapter("doc.h.version")
    chapter.add(Paragraph(f.t("doc.version_lead")))
    files = tuple((name, f"`{sha}`") for name, sha in v.files)
    chapter.add(Table((f.t("doc.col.file"), f.t("doc.col.checksum")), files, kind="version"))
    if v.revision is None:
        chapter.add(Paragraph(f.t("doc.no_revision")))
    else:
        chapter.add(Paragraph(f.t("doc.revision_changed" if v.changed else "doc.revision", revision=v.revision)))
    chapter.add(Paragraph(f.t("doc.tool", version=v.tool), "note"))
