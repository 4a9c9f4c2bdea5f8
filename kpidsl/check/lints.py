"""The methodology's lints (K1xx): a ruleset that computes fine but breaks the method.

Each lint quotes the rule it enforces (docs/methodology: 3–5 KPIs per person,
metrics are for diagnosis and KPIs for evaluation, a lead count needs a quality
condition, LTV ≥ 3 × CAC, a KPI must be measurable and within the person's zone of
control).  They are warnings or hints, never errors: the consultant may have a
reason, and `kpidsl check --strict` turns warnings into failures when wanted.
"""

from __future__ import annotations

import re

from kpidsl.base.diagnostics import Diagnostic, hint, warning
from kpidsl.check.depgraph import Graph, reachable
from kpidsl.check.expressions import constant_value, show_number
from kpidsl.language import ast
from kpidsl.language.load import Model
from kpidsl.language.units import Unit

Indicator = ast.Fact | ast.Metric


def lint_model(model: Model, graph: Graph, units: dict[str, Unit]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    used_cards: set[str] = set()
    for role in model.roles.values():
        _kpi_count(role, out)
        for line in role.kpis:
            decl, card = resolve_indicator(model, line)
            if card is not None:
                used_cards.add(card.name)
            if decl is None:
                continue  # the checker has reported why
            _process_metric(model, role, line, decl, out)
            _lead_count(role, line, decl, card, units, out)
            _measurable(model, graph, role, line, decl, out)
            _zone_of_control(model, graph, role, line, out)
            _target_direction(model, line, decl, out)
    for card in model.cards.values():
        if card.indicator is None and card.name not in used_cards:
            out.append(warning("K105", f"KPI card `{card.name}` has no indicator, so it cannot be measured",
                               card.span, "the method: a KPI is measurable (\"raise brand awareness\" is not a "
                               "KPI, \"grow branded traffic by 30%\" is); add `indicator METRIC`"))
    _ltv_cac(model, graph, out)
    return out


def resolve_indicator(model: Model, line: ast.KpiLine) -> tuple[Indicator | None, ast.KpiCard | None]:
    """The fact or metric a KPI line measures (through its KPI card, if it names one)."""
    decl = model.values.get(line.indicator.text)
    card = decl if isinstance(decl, ast.KpiCard) else None
    if card is not None:
        decl = model.values.get(card.indicator.text) if card.indicator else None
    return (decl if isinstance(decl, (ast.Fact, ast.Metric)) else None), card


def _kpi_count(role: ast.Role, out: list[Diagnostic]) -> None:
    n = len(role.kpis)
    if n == 0 or 3 <= n <= 5:
        return  # a role without KPIs is legitimate (the designer: "hard to quantify")
    why = "more loses focus" if n > 5 else "fewer gives an incomplete picture"
    out.append(warning("K101", f"role `{role.name}` has {n} KPI{'s' if n != 1 else ''}; "
                       f"the method recommends 3–5 per person ({why})", role.span,
                       "merge or drop KPIs" if n > 5 else "add the KPIs that complete the picture"))


def _process_metric(model: Model, role: ast.Role, line: ast.KpiLine, decl: Indicator,
                    out: list[Diagnostic]) -> None:
    if not isinstance(decl, ast.Metric) or decl.kind is None or decl.kind.text != "process":
        return
    if line.weight is not None and constant_value(line.weight, model) == 0:
        return  # weight 0: listed for the report only
    shown = f"`{line.indicator.text}`" + (f" (`{decl.name}`)" if line.indicator.text != decl.name else "")
    out.append(warning("K102", f"{shown} is a process metric used as a weighted KPI in role `{role.name}`",
                       line.indicator.span,
                       "metrics are for diagnosis, KPIs for evaluation: score a result indicator instead and "
                       f"watch `{decl.name}` in a `when … action` condition"))


_LEAD_WORDS = ("lead", "leads")


def _mentions_leads(text: str) -> bool:
    for word in re.findall(r"[^\W\d_]+", text.casefold()):
        if word in _LEAD_WORDS or (word.startswith("лид") and not word.startswith("лидер")):
            return True
    return False


def counts_leads(decl: Indicator, card: ast.KpiCard | None, units: dict[str, Unit]) -> bool:
    """Does this indicator count leads?

    Its name or title (or its KPI card's) speaks of leads (`lead`, `leads`, `лид…`
    but not `лидер…`), and it is a count: declared or inferred `unit count`, or a
    fact with no unit at all.  Costs and rates of leads (CPL in RUB, conversion in
    percent) have other units and are not counts.
    """
    texts = [decl.name, decl.title or ""] + ([card.name, card.title or ""] if card else [])
    if not any(_mentions_leads(t) for t in texts):
        return False
    unit = units.get(decl.name)
    return unit == "count" or (isinstance(decl, ast.Fact) and decl.unit is None and unit is None)


def _lead_count(role: ast.Role, line: ast.KpiLine, decl: Indicator, card: ast.KpiCard | None,
                units: dict[str, Unit], out: list[Diagnostic]) -> None:
    if line.requires or role.requires or not counts_leads(decl, card, units):
        return
    out.append(warning(
        "K103", f"KPI `{line.indicator.text}` in role `{role.name}` pays for the number of leads "
        "without a quality condition", line.indicator.span,
        "the classic mistake: a lead count alone rewards volume, not quality; add a condition after "
        "the KPI line, e.g. `require lead_close_rate >= 20%`"))


def _measurable(model: Model, graph: Graph, role: ast.Role, line: ast.KpiLine, decl: Indicator,
                out: list[Diagnostic]) -> None:
    if any(isinstance(model.values.get(n), ast.Fact) for n in reachable(graph, [decl.name])):
        return
    out.append(warning("K105", f"KPI `{line.indicator.text}` in role `{role.name}` does not depend on any fact, "
                       "so it is the same in every period", line.indicator.span,
                       "if it can't be counted it isn't a KPI: compute the indicator from facts"))


def _zone_of_control(model: Model, graph: Graph, role: ast.Role, line: ast.KpiLine,
                     out: list[Diagnostic]) -> None:
    if not role.controls:
        return
    controls = {c.text for c in role.controls}
    outside = sorted((name, fact.area.text) for name in reachable(graph, [line.indicator.text])
                     if isinstance(fact := model.values.get(name), ast.Fact)
                     and fact.area is not None and fact.area.text not in controls)
    if not outside:
        return
    name = line.indicator.text
    what = (f"is in area {outside[0][1]}" if [n for n, _ in outside] == [name]
            else "depends on " + ", ".join(f"`{n}` (area {a})" for n, a in outside))
    out.append(warning(
        "K106", f"KPI `{name}` of role `{role.name}` {what}, outside the role's "
        f"zone of control ({', '.join(sorted(controls))})", line.indicator.span,
        "the method: a person must be able to influence their KPI; choose a KPI the role controls, "
        "or add the area to `controls`"))


def _target_direction(model: Model, line: ast.KpiLine, decl: Indicator, out: list[Diagnostic]) -> None:
    if line.baseline is None or line.target is None:
        return
    base, target = constant_value(line.baseline, model), constant_value(line.target, model)
    if base is None or target is None:
        return
    lower = ast.direction(decl) == "lower"
    if (target < base) if not lower else (target > base):
        direction = "lower" if lower else "higher"
        out.append(hint("K107", f"the target of `{line.indicator.text}` ({show_number(target)}) is "
                        f"{'above' if lower else 'below'} its baseline ({show_number(base)}), "
                        f"but {direction} is better", line.target.span,
                        "a target asks for improvement; check the numbers, or declare the "
                        f"{'fact' if isinstance(decl, ast.Fact) else 'metric'}'s direction (`better lower`)"))


def _ltv_cac(model: Model, graph: Graph, out: list[Diagnostic]) -> None:
    ltv = next((n for n in model.values if n.casefold() == "ltv"), None)
    cac = next((n for n in model.values if n.casefold() == "cac"), None)
    if ltv is None or cac is None:
        return
    for rule in model.rules.values():
        if rule.when is not None:
            named = reachable(graph, [n.name for n in ast.names_in(rule.when) if n.name in model.values])
            if ltv in named and cac in named:
                return
    out.append(hint("K104", f"`{ltv}` and `{cac}` are both defined, but no rule checks that LTV is at "
                    "least 3 × CAC", model.values[ltv].span,
                    f"the unit-economics rule: `rule unit_economics {{ when {ltv} < 3 * {cac} "
                    "level critical action \"…\" }`"))
