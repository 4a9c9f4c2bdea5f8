"""The employee statement's texts: each KPI's arithmetic and how the role's scheme computes the bonus.

`explain` puts one KPI's numbers into plain words; `method` is the paragraph before
them.  A scheme whose formulas are the methodology's weighted index (the built-in
`weighted_index`, or a ruleset's own with the same formulas) is described in the
methodology's words, with each KPI's arithmetic spelled out; any other scheme by its
own formulas as written, with the scoring values they read explained in words.  The
schemes come from `Results.schemes`; results that do not say (built by hand) are judged
by their numbers, as before.  Names in backticks are shown as code (`ticks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from kpidsl.language.builtins import DEFAULT_SCHEME_FORMULAS, SCHEME_INPUTS, SCHEME_OUTPUTS
from kpidsl.output.i18n import Formatter
from kpidsl.results.model import EmployeeResult, KpiResult, SchemeText

Q12 = Decimal("1e-12")
TERMS = (*SCHEME_OUTPUTS, *SCHEME_INPUTS)  # the scoring values the catalogue explains (`statement.term.*`)


def q12(value: Decimal) -> Decimal:
    return value.quantize(Q12, rounding=ROUND_HALF_UP)


def is_weighted(scheme: SchemeText) -> bool:
    """Does the scheme compute exactly the methodology's weighted index?"""
    return tuple((x.name, x.text) for x in scheme.formulas) == DEFAULT_SCHEME_FORMULAS


def line_schemes(r: EmployeeResult, schemes: Mapping[tuple[str, str], SchemeText]) -> list[SchemeText] | None:
    """The scheme of each of the employee's KPI lines, or None when the results do not say."""
    found = [schemes.get((r.plan_role, k.kpi)) for k in r.kpis]
    return None if any(s is None for s in found) else [s for s in found if s is not None]


def weighted_bonus(k: KpiResult, minor_digits: int) -> tuple[Decimal, Decimal] | None:
    """(index, bonus) by the methodology's weighted index, if the KPI was scored that way."""
    if k.attainment is None or k.index is None:
        return None
    index = q12(k.weight * k.attainment)
    bonus = q12(k.plan_bonus * q12(q12(1 + index) - k.index_plan))
    bonus = bonus.quantize(Decimal(1).scaleb(-minor_digits), rounding=ROUND_HALF_UP)
    if index != k.index or k.index_plan != k.weight:
        return None
    if k.status != "gated" and abs(bonus - k.bonus) > Decimal(1).scaleb(-minor_digits):
        return None
    return index, bonus


def explain(k: KpiResult, f: Formatter, minor_digits: int, scheme: SchemeText | None = None,
            money: bool = True) -> str:
    """The statement's sentence: the KPI's arithmetic in plain words (the weighted index's
    arithmetic only where `scheme` is the weighted index, or unknown and the numbers agree).
    Without `money` (a plan of coefficients only) it ends at the index."""
    if k.fact is None or k.target is None or k.attainment is None:
        problems = "; ".join(k.problems) or f.t("analysis.no_data_generic")
        return f.t("statement.no_data", problems=problems, bonus=f.money(k.bonus))
    parts = []
    key = "statement.attainment_lower" if k.better == "lower" else "statement.attainment"
    parts.append(f.t(key + ("_baseline" if k.baseline is not None else ""),
                     target=f.value(k.target, k.unit), fact=f.value(k.fact, k.unit),
                     attainment=f.percent(k.attainment), baseline=f.value(k.baseline, k.unit)))
    if not money:
        parts.append(f.t("statement.index", weight=f.number(k.weight, 4), attainment=f.number(k.attainment, 4),
                         index=f.fixed(k.index, 3)) if k.index is not None else "")
        return " ".join(p for p in parts if p)
    scored = weighted_bonus(k, minor_digits) if scheme is None or is_weighted(scheme) else None
    if scored is not None:
        index, bonus = scored
        parts.append(f.t("statement.index", weight=f.number(k.weight, 4), attainment=f.number(k.attainment, 4),
                         index=f.fixed(index, 3)))
        parts.append(f.t("statement.bonus_gated" if k.status == "gated" else "statement.bonus",
                         plan=f.amount(k.plan_bonus), index=f.fixed(index, 3), weight=f.number(k.index_plan, 4),
                         bonus=f.money(bonus)))
    else:
        parts.append(f.t("statement.scheme", index=f.fixed(k.index, 3), index_plan=f.number(k.index_plan, 4),
                         bonus=f.money(k.bonus)))
    for g in k.gates:
        if g.passed is not True:
            parts.append(f.t("statement.gate_failed" if g.passed is False else "statement.gate_unknown",
                             condition=g.condition, bonus=f.money(k.bonus)))
    return " ".join(parts)


def method(r: EmployeeResult, f: Formatter, minor_digits: int, schemes: list[SchemeText] | None) -> str:
    """How the employee's bonus is computed: by the scheme of each KPI line (`schemes`, in
    line order; None: unknown), or "" when there is nothing to describe."""
    if not r.kpis:
        return ""
    if r.payout is not None:  # the role's payout pays from the total (its sentence: statement.payout_*)
        return f.t("statement.method_payout")
    if not r.pays_money:
        return f.t("statement.method_index")  # a plan of coefficients only
    if schemes is None or all(is_weighted(s) for s in schemes):
        weighted = all(weighted_bonus(k, minor_digits) is not None or k.attainment is None for k in r.kpis)
        return f.t("statement.method") if weighted else ""
    groups: dict[SchemeText, list[KpiResult]] = {}  # each scheme with the lines it scores, in order
    for scheme, k in zip(schemes, r.kpis, strict=True):
        groups.setdefault(scheme, []).append(k)
    if len(groups) == 1:
        return scheme_description(schemes[0], f)
    parts = [f.t("statement.method_schemes")]
    parts += [f.t("statement.method_scheme_kpis", scheme=_title(scheme), formulas=_formulas(scheme),
                  kpis=", ".join(k.title for k in kpis)) for scheme, kpis in groups.items()]
    return " ".join(parts + _terms_and_total(list(groups), f))


def scheme_description(scheme: SchemeText, f: Formatter) -> str:
    """How one scheme computes a role's bonus, in the statement's words: the methodology's
    words for the weighted index, else its formulas as written with their terms explained.
    The statement and the bonus regulation (`output.regulation`) both say it so."""
    if is_weighted(scheme):
        return f.t("statement.method")
    parts = [f.t("statement.method_scheme", scheme=_title(scheme), formulas=_formulas(scheme))]
    return " ".join(parts + _terms_and_total([scheme], f))


def _terms_and_total(schemes: list[SchemeText], f: Formatter) -> list[str]:
    terms = list(dict.fromkeys(t for scheme in schemes for t in _terms(scheme, f)))
    out = [f.t("statement.method_terms", terms="; ".join(terms))] if terms else []
    return [*out, f.t("statement.method_total")]


def _title(scheme: SchemeText) -> str:
    return scheme.title or scheme.name


def _formulas(scheme: SchemeText) -> str:
    return "; ".join(f"`{x.name} = {x.text}`" for x in scheme.formulas)


def _terms(scheme: SchemeText, f: Formatter) -> list[str]:
    """The words for each name the formulas define or read: the scoring values from the
    catalogue, the ruleset's values by their titles (steps explain themselves)."""
    titles = dict(scheme.titles)
    out = []
    for name in dict.fromkeys(n for x in scheme.formulas for n in (x.name, *x.names)):
        if name in TERMS:
            out.append(f.t(f"statement.term.{name}"))
        elif name in titles:
            out.append(f.t("statement.term.value", name=name, title=titles[name]))
    return out
