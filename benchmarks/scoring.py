"""The crm_showcase scoring, written out by hand for the benchmark's contenders.

rulesets/crm_showcase.kpi scores each `sales_manager` on their own revenue, won
deals and leads, and the `head` on the department's ROAS, lead close rate and CPL,
with the `capped_index` scheme:

    attainment = fact / target            (target / fact for `better lower`)
    index      = weight × min(attainment, 1.5)
    bonus      = plan_bonus × (1 + index − weight), rounded to kopecks

Every × and ÷ is rounded half away from zero to 12 decimals (kpidsl's arithmetic);
a zero divisor gives "no data" and a bonus of 0; the leads KPI pays only if the
manager's lead close rate (won / leads) is at least 20 %.  The contenders implement
this independently (SQL, pandas, zen-engine, rule-engine); these constants and the
Decimal version below are the single written statement of it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

CTX = Context(prec=100, rounding=ROUND_HALF_UP)
Q12 = Decimal("1e-12")
KOPECK = Decimal("0.01")
CAP = Decimal("1.5")
HEAD = "Волкова Наталья"

# (fact, weight, target, plan bonus); for the head's `cpl` attainment is target / fact
MANAGER_KPIS = (("revenue", Decimal("0.5"), Decimal(450000), Decimal(20000)),
                ("deals_won", Decimal("0.3"), Decimal(7), Decimal(10000)),
                ("leads", Decimal("0.2"), Decimal(30), Decimal(5000)))
LEAD_GATE = Decimal("0.20")
HEAD_KPIS = (("roas", Decimal("0.4"), Decimal(6), Decimal(40000)),
             ("lead_close_rate", Decimal("0.3"), Decimal("0.25"), Decimal(30000)),
             ("cpl", Decimal("0.3"), Decimal(2200), Decimal(30000)))


def q12(x: Decimal) -> Decimal:
    return x.quantize(Q12, rounding=ROUND_HALF_UP, context=CTX)


def div(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None or b is None or b == 0:
        return None
    return q12(CTX.divide(a, b))


def mul(a: Decimal, b: Decimal) -> Decimal:
    return q12(CTX.multiply(a, b))


def kpi_bonus(attainment: Decimal | None, weight: Decimal, plan: Decimal) -> Decimal:
    if attainment is None:
        return Decimal("0.00")
    index = mul(weight, min(attainment, CAP))
    return mul(plan, 1 + index - weight).quantize(KOPECK, rounding=ROUND_HALF_UP)


def manager_bonus(revenue: Decimal, won: Decimal, leads: Decimal) -> Decimal:
    facts = {"revenue": revenue, "deals_won": won, "leads": leads}
    total = Decimal("0.00")
    for name, weight, target, plan in MANAGER_KPIS:
        bonus = kpi_bonus(div(facts[name], target), weight, plan)
        if name == "leads":
            rate = div(won, leads)
            if rate is None or rate < LEAD_GATE:
                bonus = Decimal("0.00")
        total += bonus
    return total


def head_bonus(revenue: Decimal, won: Decimal, leads: Decimal, ad_spend: Decimal) -> Decimal:
    values = {"roas": div(revenue, ad_spend), "lead_close_rate": div(won, leads), "cpl": div(ad_spend, leads)}
    total = Decimal("0.00")
    for name, weight, target, plan in HEAD_KPIS:
        attainment = div(target, values[name]) if name == "cpl" else div(values[name], target)
        total += kpi_bonus(attainment, weight, plan)
    return total
