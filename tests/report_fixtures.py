"""Hand-built `Results` for the report tests: the seed department, 2026Q1–Q3.

The values are the seed's (rulesets/seed_marketing.kpi over
rulesets/data/seed_marketing.csv), worked out by hand with the language's decimal
rules, plus two per-employee rows that the report tests need and the seed does not
have (they are also in OVERRIDES_CSV so the same case can be run through the engine):

* the targetologist closed only 60 of 400 leads in 2026Q3, so his `leads` KPI is
  gated by `require lead_close_rate >= 20%`;
* the PR manager had no negative publications in 2026Q3, so `reputation_index`
  divides by zero and is `no_data`.

Scoring is the seed's `weighted_index`: index = weight × attainment (12 decimals,
half away from zero), bonus = plan_bonus × (1 + index − weight) rounded to kopecks.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from kpidsl.results.model import EmployeeResult, Finding, Gate, KpiResult, MetricValue, Results

D = Decimal
PERIODS = ["2026Q1", "2026Q2", "2026Q3"]
RULESET_TITLE = "Отдел маркетинга — пример из методики"

OVERRIDES_CSV = (
    "period,employee,fact,value\n"
    "2026Q3,Орлов Дмитрий,deals_won,60\n"
    "2026Q3,Соколова Елена,publications_negative,0\n"
)

# Department-level values per period (facts and the std/marketing metrics).
DEPARTMENT: dict[str, dict[str, Decimal | None]] = {
    "2026Q1": {
        "ltv": D("2900"), "nps": D("0.76"), "pipeline_value": D("25000000"), "visits": D("17000"),
        "organic_traffic": D("10500"), "referral_traffic": D("1700"), "ad_reach": D("90000"),
        "leads": D("360"), "pr_reach": D("420000"), "media_mentions": D("30"),
        "cac": D("23200.000000000000"), "romi": D("0.184210526316"), "roas": D("14.736842105263"),
        "cps": D("5428.571428571429"), "customer_growth": None, "avg_check": D("9655.172413793103"),
        "avg_check_growth": None, "positive_share": D("0.680000000000"), "cr": D("0.021176470588"),
        "cpl": D("263.888888888889"), "lead_close_rate": D("0.194444444444"),
        "reputation_index": D("3.000000000000"), "ctr": D("0.013777777778"), "cpc": D("15.322580645161"),
        "bounce_rate": D("0.458823529412"),
    },
    "2026Q2": {
        "ltv": D("3000"), "nps": D("0.78"), "pipeline_value": D("27000000"), "visits": D("18500"),
        "organic_traffic": D("11200"), "referral_traffic": D("1850"), "ad_reach": D("95000"),
        "leads": D("380"), "pr_reach": D("460000"), "media_mentions": D("35"),
        "cac": D("22692.307692307692"), "romi": D("0.230769230769"), "roas": D("15.000000000000"),
        "cps": D("5571.428571428571"), "customer_growth": D("0.030927835052"),
        "avg_check": D("10000.000000000000"), "avg_check_growth": D("0.035714285714"),
        "positive_share": D("0.700000000000"), "cr": D("0.020540540541"), "cpl": D("263.157894736842"),
        "lead_close_rate": D("0.184210526316"), "reputation_index": D("3.375000000000"),
        "ctr": D("0.014375000000"), "cpc": D("14.492753623188"), "bounce_rate": D("0.432432432432"),
    },
    "2026Q3": {
        "ltv": D("3100"), "nps": D("0.80"), "pipeline_value": D("31500000"), "visits": D("20000"),
        "organic_traffic": D("12400"), "referral_traffic": D("1900"), "ad_reach": D("120000"),
        "leads": D("400"), "pr_reach": D("510000"), "media_mentions": D("38"),
        "cac": D("20000.000000000000"), "romi": D("0.250000000000"), "roas": D("18.000000000000"),
        "cps": D("5000.000000000000"), "customer_growth": D("0.150000000000"),
        "avg_check": D("10700.000000000000"), "avg_check_growth": D("0.070000000000"),
        "positive_share": D("0.720000000000"), "cr": D("0.020000000000"), "cpl": D("267.500000000000"),
        "lead_close_rate": D("0.200000000000"), "reputation_index": D("5.000000000000"),
        "ctr": D("0.015000000000"), "cpc": D("14.266666666667"), "bounce_rate": D("0.410000000000"),
    },
}
# Per-employee values that differ from the department's (see OVERRIDES_CSV).
EMPLOYEE_VALUES = {
    ("2026Q3", "Орлов Дмитрий"): {"lead_close_rate": D("0.150000000000")},
    ("2026Q3", "Соколова Елена"): {"reputation_index": None},
}
PROBLEMS = {  # worded as the engine words them
    ("2026Q1", "customer_growth"): "`growth(customers)` needs the previous period 2025Q4, which is not in the data",
    ("2026Q1", "avg_check_growth"): "`growth(avg_check)` needs the previous period 2025Q4, which is not in the data",
    ("2026Q3", "reputation_index"): "`publications_negative` is 0 in 2026Q3, so "
                                    "`publications_positive / publications_negative` divides by zero",
}

# name: (title, unit, better, kind, indicator)
INDICATORS = {
    "ltv": ("LTV — пожизненная ценность клиента", "RUB", "higher", "result", "ltv"),
    "cps": ("CPS — стоимость продажи", "RUB", "lower", "result", "cps"),
    "romi": ("ROMI — окупаемость маркетинговых инвестиций", "percent", "higher", "result", "romi"),
    "loyalty": ("Оценка лояльности клиентов", "percent", "higher", "result", "nps"),
    "pipeline_value": ("Потенциальная сумма сделок по лидам", "RUB", "higher", "result", "pipeline_value"),
    "referral_traffic": ("Реферальный трафик", "count", "higher", "result", "referral_traffic"),
    "organic_traffic": ("Органический трафик", "count", "higher", "result", "organic_traffic"),
    "visits": ("Посещения сайта", "count", "higher", "result", "visits"),
    "cr": ("CR — конверсия посетителей в лиды", "percent", "higher", "result", "cr"),
    "cpl": ("CPL — стоимость лида", "RUB", "lower", "result", "cpl"),
    "cpc": ("CPC — стоимость клика", "RUB", "lower", "process", "cpc"),
    "ad_reach": ("Охват рекламы", "count", "higher", "result", "ad_reach"),
    "ctr": ("CTR — кликабельность рекламы", "percent", "higher", "process", "ctr"),
    "leads": ("Лиды", "count", "higher", "result", "leads"),
    "pr_reach": ("Охват аудитории публикаций", "count", "higher", "result", "pr_reach"),
    "media_mentions": ("Упоминания в СМИ", "count", "higher", "result", "media_mentions"),
    "reputation_index": ("Индекс репутационных рисков (позитивные / негативные публикации)", "ratio",
                         "higher", "result", "reputation_index"),
    "customer_growth": ("Процент прироста клиентов", "percent", "higher", "result", "customer_growth"),
    "avg_check_growth": ("Прирост среднего чека", "percent", "higher", "result", "avg_check_growth"),
    "positive_share": ("Доля положительных отзывов", "percent", "higher", "result", "positive_share"),
    "roas": ("ROAS — окупаемость рекламных расходов", "ratio", "higher", "result", "roas"),
}
RESULT_METRICS = ["cac", "romi", "roas", "cps", "customer_growth", "avg_check", "avg_check_growth",
                  "positive_share", "cr", "cpl", "lead_close_rate", "reputation_index"]
METRIC_TITLES = {
    "cac": ("CAC — стоимость привлечения клиента", "RUB", "lower"),
    "avg_check": ("Средний чек", "RUB", "higher"),
    "lead_close_rate": ("Доля лидов, закрытых в сделки", "percent", "higher"),
    "bounce_rate": ("Показатель отказов", "percent", "lower"),
}


@dataclass(frozen=True)
class Line:
    """A KPI line of a role: `kpi NAME weight W [baseline B] target T bonus P`."""

    kpi: str
    weight: str
    target: str
    bonus: str
    baseline: str | None = None
    action: tuple[str, str] | None = None  # (attainment below, text)
    require: tuple[str, str, str] | None = None  # (condition text, value name, minimum)


HEAD_ROMI_ACTION = "Пересмотреть распределение бюджета: сократить каналы с ROMI ниже планового"
ROLES = [
    ("head", "Руководитель отдела маркетинга", ["Иванов Пётр"], [
        Line("ltv", "0.25", "3000", "15000"),
        Line("cps", "0.2", "5000", "10000"),
        Line("romi", "0.25", "0.30", "15000", action=("1", HEAD_ROMI_ACTION)),
        Line("loyalty", "0.1", "0.80", "5000",
             action=("1", "Провести опрос недовольных клиентов и устранить главные причины")),
        Line("pipeline_value", "0.2", "30000000", "10000",
             action=("0.9", "Усилить лидогенерацию в сегментах с крупным чеком")),
    ]),
    ("seo", "SEO-специалист", ["Кузнецова Мария"], [
        Line("referral_traffic", "0.15", "2000", "3000", baseline="1800"),
        Line("organic_traffic", "0.2", "12000", "4000", baseline="11000",
             action=("1", "Обновить семантическое ядро и доработать посадочные страницы")),
        Line("visits", "0.15", "20000", "3000", baseline="18000"),
        Line("cr", "0.2", "0.02", "4000", baseline="0.018"),
        Line("cpl", "0.15", "250", "3000", baseline="280",
             action=("1", "Отключить источники трафика с CPL выше планового")),
        Line("cpc", "0.15", "14", "3000", baseline="15"),
    ]),
    ("targetologist", "Таргетолог", ["Орлов Дмитрий"], [
        Line("ad_reach", "0.2", "100000", "4000"),
        Line("ctr", "0.2", "0.02", "4000", action=("1", "Обновить креативы и сузить аудитории с низким CTR")),
        Line("cpc", "0.2", "15", "4000"),
        Line("cpl", "0.2", "250", "4000", action=("1", "Отключить кампании с CPL выше планового")),
        Line("leads", "0.2", "350", "4000", require=("lead_close_rate >= 20%", "lead_close_rate", "0.20")),
    ]),
    ("pr_manager", "PR-менеджер", ["Соколова Елена"], [
        Line("pr_reach", "0.4", "500000", "6000"),
        Line("media_mentions", "0.3", "40", "4500"),
        Line("reputation_index", "0.3", "4", "4500",
             action=("1", "Отработать негативные публикации и подготовить позитивные инфоповоды")),
    ]),
    ("marketing_manager", "Менеджер по маркетингу и рекламе", ["Смирнова Анна"], [
        Line("customer_growth", "0.2", "0.10", "5000", baseline="0.03"),
        Line("avg_check_growth", "0.3", "0.05", "10000", baseline="0.02"),
        Line("positive_share", "0.2", "0.75", "5000", baseline="0.70",
             action=("1", "Разобрать негативные отзывы с отделом продаж и ответить на каждый")),
        Line("roas", "0.3", "20", "10000", baseline="15",
             action=("1", "Перераспределить бюджет в кампании с ROAS выше 20")),
    ]),
    ("designer", "Дизайнер", ["Петров Игорь"], []),
]

FINDING = ("unit_economics", "LTV должен быть минимум в 3 раза выше CAC", "critical",
           "Экономика не сходится: LTV меньше трёх CAC",
           ("Пересмотреть каналы привлечения и программу удержания клиентов",))


def q12(value: Decimal) -> Decimal:
    return value.quantize(D("1e-12"), rounding=ROUND_HALF_UP)


def money(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def value_of(name: str, period: str, employee: str) -> Decimal | None:
    values = EMPLOYEE_VALUES.get((period, employee), {})
    if name in values:
        return values[name]
    return DEPARTMENT.get(period, {}).get(name)


def score(line: Line, period: str, employee: str) -> KpiResult:
    title, unit, better, kind, indicator = INDICATORS[line.kpi]
    weight, target, plan_bonus = D(line.weight), D(line.target), D(line.bonus)
    fact = value_of(indicator, period, employee)
    index_before = PERIODS.index(period) - 1
    previous = value_of(indicator, PERIODS[index_before], employee) if index_before >= 0 else None
    gates: tuple[Gate, ...] = ()
    if line.require:
        condition, name, minimum = line.require
        value = value_of(name, period, employee)
        gates = (Gate(condition, None if value is None else value >= D(minimum)),)
    if fact is None or (better == "lower" and fact == 0):
        return KpiResult(line.kpi, title, better, unit, kind, weight,
                         D(line.baseline) if line.baseline else None, target, fact, None, None, weight, None,
                         plan_bonus, D("0.00"), "no_data", gates, (), previous,
                         (PROBLEMS.get((period, line.kpi), f"no data for `{indicator}` in {period}"),))
    attainment = q12(fact / target) if better == "higher" else q12(target / fact)
    index = q12(weight * attainment)
    deviation = q12(index - weight)
    bonus = money(q12(plan_bonus * q12(1 + deviation)))
    status = "met" if attainment >= 1 else "missed"
    if any(g.passed is not True for g in gates):
        status, bonus = "gated", D("0.00")
    actions = (line.action[1],) if line.action and attainment < D(line.action[0]) else ()
    return KpiResult(line.kpi, title, better, unit, kind, weight, D(line.baseline) if line.baseline else None,
                     target, fact, attainment, index, weight, deviation, plan_bonus, bonus, status, gates,
                     actions, previous, ())


def seed_results(locale: str = "ru") -> Results:
    """The seed department over 2026Q1–Q3 (with the two overrides above)."""
    employees = []
    for period in PERIODS:
        for role, role_title, names, lines in ROLES:
            for name in names:
                kpis = tuple(score(line, period, name) for line in lines)
                employees.append(EmployeeResult(
                    period, name, role, role_title, kpis,
                    sum((k.plan_bonus for k in kpis), D("0.00")), sum((k.bonus for k in kpis), D("0.00"))))
    findings = [Finding(FINDING[0], FINDING[1], FINDING[2], period, FINDING[3], FINDING[4]) for period in PERIODS]
    metrics = []
    for period in PERIODS:
        for name in [*RESULT_METRICS, "ctr", "cpc", "bounce_rate"]:
            if name in INDICATORS:
                title, unit, better, kind, _ = INDICATORS[name]
            else:
                title, unit, better = METRIC_TITLES[name]
                kind = "process" if name == "bounce_rate" else "result"
            metrics.append(MetricValue(name, title, period, None, DEPARTMENT[period][name], kind, unit, better))
    return Results(RULESET_TITLE, "RUB", locale, "quarter", list(PERIODS), employees, findings, metrics)


@lru_cache(maxsize=1)
def engine_results() -> Results:
    """The same case run through the real pipeline: the seed ruleset over the seed data
    plus OVERRIDES_CSV (evaluated once per test session)."""
    from kpidsl.api import evaluate
    from kpidsl.base.resources import resource_dir

    rulesets = resource_dir("rulesets")
    with tempfile.TemporaryDirectory() as folder:
        overrides = Path(folder) / "overrides.csv"
        overrides.write_text(OVERRIDES_CSV, encoding="utf-8")
        evaluation = evaluate(rulesets / "seed_marketing.kpi", [rulesets / "data" / "seed_marketing.csv", overrides])
    assert evaluation.results is not None and evaluation.ok, [d.message for d in evaluation.diagnostics]
    return evaluation.results


def latest_only(results: Results) -> Results:
    """The same results evaluated for the latest period only (`--period 2026Q3`)."""
    return replace(results, results=results.for_period(PERIODS[-1]),
                   findings=[f for f in results.findings if f.period == PERIODS[-1]])


HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_ACTION = "=HYPERLINK(\"http://evil.example\",\"click\")"
HOSTILE_TITLE = "Доля | отзывов <b>жирно</b> & «кавычки»"


def hostile_results() -> Results:
    """The seed results with ruleset and data strings that try to inject markup or formulas."""
    base = seed_results()
    employees = []
    for r in base.results:
        if r.role == "marketing_manager":
            kpis = tuple(
                replace(k, title=HOSTILE_TITLE, actions=(HOSTILE_ACTION, "+1 @SUM(A1:A9)"))
                if k.kpi == "positive_share" else k for k in r.kpis)
            r = replace(r, employee=HOSTILE_NAME, kpis=kpis, role_title="-Менеджер <i>по</i> маркетингу")
        employees.append(r)
    findings = [replace(f, message="@cmd|' /C calc'!A0 <img src=x onerror=alert(2)>") for f in base.findings]
    return replace(base, results=employees, findings=findings, ruleset="Отчёт </title><script>x()</script>")


def expected_chart_counts(results: Results, period: str = "2026Q3") -> tuple[int, int]:
    """(fact bars, dynamics points) the dashboard must draw: a bar per KPI with a fact in
    `period`, a point per period in which that KPI has a fact."""
    bars = sum(1 for r in results.for_period(period) for k in r.kpis if k.fact is not None)
    points = 0
    for r in results.for_period(period):
        for k in r.kpis:
            points += sum(1 for x in results.results if x.employee == r.employee
                          for y in x.kpis if y.kpi == k.kpi and y.fact is not None)
    return bars, points


class Elements(HTMLParser):
    """Collects (tag, attributes) of every start tag, and the page's text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {k: v or "" for k, v in attrs}))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.text.append(data)

    def having(self, tag: str, cls: str | None = None, **data: str) -> list[dict[str, str]]:
        out = []
        for t, a in self.found:
            if t != tag or (cls and cls not in a.get("class", "").split()):
                continue
            if all(a.get(f"data-{k.replace('_', '-')}") == v for k, v in data.items()):
                out.append(a)
        return out
