"""HTML and Markdown reports: golden files, the seed's numbers, wording, escaping, templates.

Golden files live in tests/golden/reports/<report>.<lang>.<fmt>; regenerate them with
KPIDSL_UPDATE_GOLDEN=1 and review the diff.  The inline stylesheet is left out of the
comparison (it is checked separately), so a style change does not touch every golden.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_fixtures import (
    HEAD_ROMI_ACTION,
    HOSTILE_NAME,
    HOSTILE_TITLE,
    Elements,
    engine_results,
    expected_chart_counts,
    hostile_results,
    latest_only,
    seed_results,
)

from kpidsl.base.resources import resource_dir
from kpidsl.base.statuses import STATUSES
from kpidsl.output.analysis import REPORTS
from kpidsl.output.i18n import Formatter, available_languages, messages
from kpidsl.output.render import RenderError, md_escape, render_report
from kpidsl.output.statement import TERMS
from kpidsl.results.compare import DEFINITION_FIELDS, Presence
from kpidsl.results.model import KpiResult

GOLDEN = Path(__file__).parent / "golden" / "reports"
NBSP = "\u00a0"


def golden_results():
    """The results the golden files are made from: the real pipeline on the seed."""
    return engine_results()


def normalise(text: str, fmt: str) -> str:
    if fmt == "html":
        text = re.sub(r"<style>.*?</style>", "<style>…</style>", text, flags=re.S)
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def html(report: str = "all", locale: str | None = None, results=None, **kw) -> str:
    return render_report(results or seed_results(), "html", report=report, locale=locale, **kw).decode("utf-8")


def md(report: str = "all", locale: str | None = None, results=None, **kw) -> str:
    return render_report(results or seed_results(), "md", report=report, locale=locale, **kw).decode("utf-8")


def section(page: str, name: str) -> str:
    start = page.index(f'<section class="report {name}"')
    return page[start: page.index("</section>", start)]


# ------------------------------------------------------------------ golden files


@pytest.mark.parametrize("fmt", ["html", "md"])
@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("report", list(REPORTS))
def test_golden(report: str, lang: str, fmt: str) -> None:
    got = normalise(render_report(golden_results(), fmt, report=report, locale=lang).decode("utf-8"), fmt)
    path = GOLDEN / f"{report}.{lang}.{fmt}"
    if os.environ.get("KPIDSL_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with KPIDSL_UPDATE_GOLDEN=1"
    assert got == path.read_text(encoding="utf-8"), f"{path.name} differs (KPIDSL_UPDATE_GOLDEN=1 to accept)"


def test_hand_built_results_match_the_engine() -> None:
    """The fixtures the unit tests use are what the engine computes (reasons may be worded differently)."""
    real, hand = engine_results(), seed_results()
    assert (real.ruleset, real.currency, real.locale, real.period_kind, real.periods) == \
        (hand.ruleset, hand.currency, hand.locale, hand.period_kind, hand.periods)
    assert len(real.results) == len(hand.results) == 18 and real.findings == hand.findings
    for a, b in zip(real.results, hand.results, strict=True):
        assert (a.period, a.employee, a.role, a.role_title, a.plan_bonus, a.bonus, a.gates) == \
            (b.period, b.employee, b.role, b.role_title, b.plan_bonus, b.bonus, b.gates)
        assert [replace(k, problems=()) for k in a.kpis] == [replace(k, problems=()) for k in b.kpis]
        assert [bool(k.problems) for k in a.kpis] == [bool(k.problems) for k in b.kpis]
    department = {(m.period, m.name): m for m in real.metrics if m.employee is None}
    for m in hand.metrics:
        assert department[(m.period, m.name)] == m, m.name
    manager = next(r for r in real.for_period("2026Q3") if r.employee == "Смирнова Анна")
    assert manager.bonus == Decimal("31360.00")


def test_all_is_every_report_in_one_document() -> None:
    page = html("all")
    assert page.count("<html") == 1
    for name in REPORTS:
        assert f'<section class="report {name}"' in page
    assert "# " in md("all") and md("all").count("\n## ") == len(REPORTS)


# ------------------------------------------------------------------ the seed's numbers


def test_bonus_calculation_reproduces_seed_tables_3_and_4() -> None:
    page = Elements(section(html("bonus"), "bonus"))
    rows = {a["data-kpi"] for a in page.having("tr") if "data-kpi" in a}
    assert {"customer_growth", "avg_check_growth", "positive_share", "roas"} <= rows
    text = md("bonus")
    manager = text[text.index("### Смирнова Анна"):]
    for kpi, index, deviation, bonus in [("Процент прироста клиентов", "0,300", "+0,100", "5 500,00 ₽"),
                                         ("Прирост среднего чека", "0,420", "+0,120", "11 200,00 ₽"),
                                         ("Доля положительных отзывов", "0,192", "−0,008", "4 960,00 ₽"),
                                         ("ROAS — окупаемость рекламных расходов", "0,270", "−0,030", "9 700,00 ₽")]:
        row = next(line for line in manager.splitlines() if line.startswith(f"| {kpi} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[6] == index and cells[8] == deviation and cells[10] == bonus.replace(" ", NBSP), cells
    total = next(line for line in manager.splitlines() if line.startswith("| **Итого**"))
    assert f"**30{NBSP}000,00{NBSP}₽**" in total and f"**31{NBSP}360,00{NBSP}₽**" in total


def test_english_money_and_period_formats() -> None:
    text = md("bonus", locale="en")
    assert f"RUB{NBSP}31,360.00" in text and "Q3 2026" in text
    assert "0.192" in text and "−0.008" in text


def test_gated_kpi_is_marked_with_its_failed_condition() -> None:
    page = html("bonus")
    row = re.search(r'<tr class="row-gated" data-kpi="leads".*?</tr>', page, re.S)
    assert row, "the gated KPI has no gated row"
    assert "lead_close_rate &gt;= 20%" in row.group(0) and "не выполнено" in row.group(0)
    assert f"0,00{NBSP}₽" in row.group(0)


# ------------------------------------------------------------------ analytical report


def test_analytical_report_is_table_5_for_the_head() -> None:
    text = md("analytical")
    head = text[text.index("### Руководитель отдела маркетинга"):text.index("### SEO-специалист")]
    expect = {"LTV": ("3 000 ₽", "3 100 ₽"), "CPS": ("5 000 ₽", "5 000 ₽"), "ROMI": ("30 %", "25 %"),
              "Оценка лояльности клиентов": ("80 %", "80 %")}
    for name, (plan, fact) in expect.items():
        row = next(line for line in head.splitlines() if line.startswith(f"| {name}"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert (cells[1], cells[2]) == (plan.replace(" ", NBSP), fact.replace(" ", NBSP)), row
    romi = next(line for line in head.splitlines() if line.startswith("| ROMI"))
    assert HEAD_ROMI_ACTION in romi and "хуже плана" in romi
    ltv = next(line for line in head.splitlines() if line.startswith("| LTV"))
    assert ltv.rstrip().endswith("|  |"), "a met KPI has no corrective measure"


def test_findings_come_first_with_their_actions() -> None:
    page = section(html("analytical"), "analytical")
    finding = page.index('class="finding level-critical"')
    assert finding < page.index("<table")
    block = page[finding:page.index("</div>\n</div>", finding)]
    assert "LTV должен быть минимум в 3 раза выше CAC" in block and "Критично" in block
    assert "Пересмотреть каналы привлечения и программу удержания клиентов" in block


def test_diagnosis_shows_process_metrics_next_to_results() -> None:
    page = Elements(section(html("analytical"), "analytical"))
    process = [a["data-metric"] for a in page.having("tr") if "data-metric" in a]
    assert process[:3] == ["ctr", "cpc", "bounce_rate"]
    assert "cac" in process and "romi" in process
    text = md("analytical")
    ctr = next(line for line in text.splitlines() if line.startswith("| CTR — кликабельность рекламы | 1,5"))
    assert f"1,4{NBSP}%" in ctr and "улучшение" in ctr


def _kpi(**kw) -> KpiResult:
    base = dict(kpi="cps", title="CPS — стоимость продажи", better="lower", unit="RUB", kind="result",
                weight=Decimal("0.2"), baseline=None, target=Decimal("5000"), fact=Decimal("5200"),
                attainment=Decimal("0.961538461538"), index=Decimal("0.192307692308"), index_plan=Decimal("0.2"),
                deviation=Decimal("-0.007692307692"), plan_bonus=Decimal("10000"), bonus=Decimal("9923.08"),
                status="missed")
    base.update(kw)
    return KpiResult(**base)


def test_analysis_wording_is_direction_aware() -> None:
    from kpidsl.output.analysis import analyse

    ru, en = Formatter("ru", "RUB"), Formatter("en", "RUB")
    assert analyse(_kpi(), ru, "") == f"CPS 5{NBSP}200{NBSP}₽ — выше плана на 200{NBSP}₽ (4{NBSP}%): хуже плана."
    assert analyse(_kpi(), en, "") == f"CPS RUB{NBSP}5,200 is RUB{NBSP}200 (4%) above plan: worse than planned."
    cheaper = _kpi(fact=Decimal("4800"), status="met")
    assert "ниже плана на 200" in analyse(cheaper, ru, "") and "лучше плана" in analyse(cheaper, ru, "")
    higher = _kpi(better="higher", title="Выручка", fact=Decimal("5200"), status="met")
    assert analyse(higher, ru, "").startswith(f"Факт 5{NBSP}200{NBSP}₽ — выше плана") and "лучше плана" in \
        analyse(higher, ru, "")


def test_analysis_trend_against_previous_period() -> None:
    from kpidsl.output.analysis import analyse

    ru = Formatter("ru", "RUB")
    rising_cost = _kpi(previous_fact=Decimal("5000"))
    assert "рост на 200" in analyse(rising_cost, ru, "2 кв. 2026") and "это ухудшение" in \
        analyse(rising_cost, ru, "2 кв. 2026")
    percent = _kpi(better="higher", unit="percent", title="ROMI — окупаемость", target=Decimal("0.30"),
                   fact=Decimal("0.25"), previous_fact=Decimal("0.28"))
    text = analyse(percent, ru, "2 кв. 2026")
    assert "ниже плана на 5 п. п. (16,7" in text.replace(NBSP, " ") and "снижение на 3 п. п." in \
        text.replace(NBSP, " ")


def test_gated_and_no_data_explanations() -> None:
    from kpidsl.output.analysis import analyse
    from kpidsl.results.model import Gate

    ru = Formatter("ru", "RUB")
    gated = _kpi(status="gated", bonus=Decimal("0.00"), gates=(Gate("lead_close_rate >= 20%", False),))
    assert "не выполнено условие качества «lead_close_rate >= 20%»" in analyse(gated, ru, "")
    unknown = _kpi(status="gated", bonus=Decimal("0.00"), gates=(Gate("lead_close_rate >= 20%", None),))
    assert "не удалось проверить" in analyse(unknown, ru, "")
    missing = _kpi(fact=None, attainment=None, index=None, deviation=None, bonus=Decimal("0.00"), status="no_data",
                   problems=("no data for fact `orders` in 2026Q3",))
    assert analyse(missing, ru, "") == "Нет данных: no data for fact `orders` in 2026Q3."


# ------------------------------------------------------------------ statement and dashboard


def test_statement_explains_the_number_in_plain_words() -> None:
    page = section(html("statement"), "statement")
    assert page.count("<article class=\"statement\"") == 6
    expected = (f"Было 3{NBSP}%, цель 10{NBSP}%, факт 15{NBSP}%, значит выполнение 150{NBSP}%; "
                "индекс 0,2 × 1,5 = 0,300; "
                f"премия 5{NBSP}000 × (1 + 0,300 − 0,2) = 5{NBSP}500,00{NBSP}₽.")
    assert expected in page
    assert f"Итого: 5{NBSP}500,00 + 11{NBSP}200,00 + 4{NBSP}960,00 + 9{NBSP}700,00 = 31{NBSP}360,00{NBSP}₽." in page
    assert "здесь лучше меньше, поэтому выполнение = цель / факт" in page  # CPS, CPL, CPC
    assert "премия была бы 4" in page and "lead_close_rate &gt;= 20%" in page  # the gated KPI
    en = section(html("statement", locale="en"), "statement")
    assert (f"Baseline 3%, target 10%, actual 15%, so attainment is 150%; index 0.2 × 1.5 = 0.300; "
            f"bonus 5,000 × (1 + 0.300 − 0.2) = RUB{NBSP}5,500.00.") in en


def test_dashboard_charts_have_a_bar_and_points_per_value() -> None:
    results = seed_results()
    page = Elements(section(html("dashboard"), "dashboard"))
    bars, points = expected_chart_counts(results)
    fact_bars = [a for a in page.having("rect", "fact") if a.get("data-kpi")]
    assert len(fact_bars) == bars == 22
    assert len(page.having("circle", "point")) == points
    assert len(page.having("rect", "fact", kpi="customer_growth", status="met")) == 1
    growth = page.having("circle", "point", kpi="customer_growth")
    assert [p["data-period"] for p in growth[-2:]] == ["2026Q2", "2026Q3"]  # no point for 2026Q1 (no data)
    assert page.having("circle", "point", kpi="leads", period="2026Q3")[0]["data-status"] == "gated"
    assert page.having("g", "kpi", kpi="reputation_index", status="no_data")
    assert len(page.having("rect", "fact", status="missed")) == 9
    fund = page.having("g", "employee")
    assert len(fund) == 5  # the designer has no planned bonus


def test_dynamics_come_from_metrics_when_only_one_period_was_evaluated() -> None:
    page = Elements(section(html("dashboard", results=latest_only(seed_results())), "dashboard"))
    roas = page.having("circle", "point", kpi="roas")
    assert [p["data-period"] for p in roas] == ["2026Q1", "2026Q2", "2026Q3"]
    assert [p["data-status"] for p in roas] == ["none", "none", "missed"]


def test_period_argument_picks_an_earlier_period() -> None:
    text = md("analytical", period="2026Q2")
    assert "**2 кв. 2026**" in text and "1 кв. 2026" in text
    with pytest.raises(RenderError, match="no results for period '2025Q1'"):
        md(period="2025Q1")


# ------------------------------------------------------------------ HTML document


def test_html_is_self_contained_and_prints_on_a4() -> None:
    page = html()
    lowered = page.lower()
    for forbidden in ("<script", "<link", "<img", "@import", "url(", "http://", "https://", "<iframe"):
        assert forbidden not in lowered, forbidden
    assert "@page" in page and "size: A4" in page and "@media print" in page
    assert page.count("<svg class=\"chart") == 1 + 5 + 23  # fund, plan vs fact per employee, one per KPI
    assert '<html lang="ru">' in page and '<html lang="en">' in html(locale="en")


def test_everything_from_the_ruleset_or_data_is_escaped_in_html() -> None:
    page = html(results=hostile_results())
    assert HOSTILE_NAME not in page and "<script>x()</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;жирно&lt;/b&gt;" in page and "<b>жирно</b>" not in page
    assert "&lt;i&gt;по&lt;/i&gt;" in page
    assert "<script" not in page.lower()
    texts = "".join(Elements(page).text)
    assert HOSTILE_NAME in texts and HOSTILE_TITLE in texts  # shown as text, not lost


def test_markdown_escapes_table_breaking_text() -> None:
    text = md(results=hostile_results())
    row = next(line for line in text.splitlines() if "отзывов" in line and line.startswith("| Доля"))
    unescaped = re.findall(r"(?<!\\)\|", row)
    assert len(unescaped) == 6, row  # five cells: the title's `|` is escaped
    assert "\\<script>alert(1)\\</script>" in text and "\n<script" not in text
    assert md_escape("a|b\nc") == "a\\|b c" and md_escape("# heading") == "\\# heading"
    assert md_escape("customer_growth") == "customer_growth" and md_escape("_x_") == "\\_x\\_"


# ------------------------------------------------------------------ locale and arguments


def test_locale_defaults_to_the_results_and_can_be_overridden() -> None:
    assert "Аналитический отчёт" in md("analytical")
    assert "Analytical report" in md("analytical", results=seed_results(locale="en"))
    assert "Analytical report" in md("analytical", locale="en")
    assert "Analytical report" in md("analytical", locale="en_US")
    with pytest.raises(RenderError, match="no report catalogue for language 'de'"):
        md(locale="de")
    with pytest.raises(RenderError, match="unknown report locale"):
        md(locale="xx-nonsense!")


def test_bad_arguments_raise_render_error() -> None:
    with pytest.raises(RenderError, match="unknown report format 'pdf'"):
        render_report(seed_results(), "pdf")
    with pytest.raises(RenderError, match="unknown report 'summary'"):
        render_report(seed_results(), "html", report="summary")
    with pytest.raises(RenderError, match="not to xlsx"):
        render_report(seed_results(), "xlsx", template="x.j2")


def test_formatter_numbers_money_and_periods() -> None:
    ru, en = Formatter("ru", "RUB"), Formatter("en", "RUB")
    assert ru.money(Decimal("31360")) == f"31{NBSP}360,00{NBSP}₽"
    assert en.money(Decimal("31360")) == f"RUB{NBSP}31,360.00"
    assert Formatter("en", "USD").money(Decimal("-5.005")) == "-$5.01"  # half away from zero
    assert ru.period("2026Q3") == "3 кв. 2026" and en.period("2026Q3") == "Q3 2026"
    assert ru.period("2026-09") == "сентябрь 2026" and en.period("2026-09") == "September 2026"
    assert ru.period("2026") == "2026"
    assert ru.percent(Decimal("0.125")) == f"12,5{NBSP}%" and en.percent(Decimal("0.0125"), 0) == "1%"
    assert ru.value(Decimal("14.266666666667"), "RUB") == f"14,27{NBSP}₽"
    assert ru.value(Decimal("30000000.00003"), "RUB") == f"30{NBSP}000{NBSP}000{NBSP}₽"
    assert ru.value(Decimal("3"), "points") == "3 балла" and en.value(Decimal("1"), "points") == "1 point"
    assert ru.difference(Decimal("0.05"), "percent") == f"5{NBSP}п.{NBSP}п."
    assert ru.signed(Decimal("-0.008"), 3) == "−0,008" and ru.signed(Decimal("0.1"), 3) == "+0,100"


def test_period_range_is_the_catalogues_not_cldrs() -> None:
    """Regression: Babel 2.19 (CLDR 49) changed the Russian interval dash and broke every report header."""
    ru, en = Formatter("ru", "RUB"), Formatter("en", "RUB")
    assert ru.period_range("2026Q3") == "1 июл. – 30 сент. 2026\u202fг."
    assert ru.period_range("2026-02") == "1 февр. – 28 февр. 2026\u202fг."
    assert en.period_range("2026Q3") == "Jul 1\u2009–\u2009Sep 30, 2026"
    assert en.period_range("2026") == "Jan 1\u2009–\u2009Dec 31, 2026"
    assert ru.period_range("") == ""


def test_catalogues_have_the_same_keys_and_cover_every_use() -> None:
    import json

    folder = resource_dir("reports")
    files = {lang: json.loads((folder / "locales" / f"{lang}.json").read_text("utf-8"))
             for lang in available_languages()}
    # The statuses' labels come from the one list of statuses, not from the files.
    assert not [key for file in files.values() for key in file if key.startswith("status.")]
    catalogues = {lang: messages(lang) for lang in files}  # the messages a report reads
    assert set(catalogues) == {"ru", "en"}
    assert set(catalogues["ru"]) == set(catalogues["en"])
    used = set()
    package = Path(__file__).parents[1] / "kpidsl"
    modules = ("output/analysis", "output/statement", "output/charts", "output/xlsx", "output/i18n",
               "output/compare", "output/compare_view", "output/compare_xlsx",
               "output/regulation", "output/regulation_parts", "output/regulation_text")
    sources = [*folder.glob("*.j2"), *(package / f"{name}.py" for name in modules)]
    for path in sources:
        text = path.read_text("utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", text))
        used |= set(re.findall(r'"((?:analysis|statement|dashboard|xlsx|diagnosis|compare|doc)\.[a-z_.]+)"', text))
    used |= {f"status.{s}" for s in STATUSES} | {f"report.{r}.title" for r in REPORTS}
    used |= {f"xlsx.sheet.{r}" for r in REPORTS} | {f"diagnosis.{k}" for k in ("process", "results")}
    used |= {f"period.pattern.{k}" for k in ("quarter", "month", "year")} | {f"level.{k}" for k in ("critical",
                                                                                                     "warning", "info")}
    used |= {f"trend.{k}" for k in ("better", "worse", "same")} | {f"gate.{k}" for k in ("passed", "failed",
                                                                                             "unknown")}
    used |= {"analysis.above_nopct", "analysis.below_nopct", "statement.attainment_baseline",
             "statement.attainment_lower_baseline"}  # keys the code builds from a base key
    used |= {f"statement.term.{name}" for name in TERMS}  # the scoring values a scheme's formulas read
    used |= {f"compare.field.{name}" for name in DEFINITION_FIELDS}  # kpidsl compare: what a line's change names
    used |= {f"compare.presence.{p}" for p in get_args(Presence)}
    used |= {"compare.employee.added", "compare.employee.removed"}
    used |= regulation_keys()
    assert len(used) > 100
    missing = {key for key in used if key not in catalogues["ru"]}
    assert not missing, missing
    unused = set(catalogues["ru"]) - used
    assert not unused, f"catalogue entries nothing uses: {unused}"
    for key in ("status.met", "status.missed", "status.gated", "status.no_data"):
        assert catalogues["ru"][key] != catalogues["en"][key]


def regulation_keys() -> set[str]:
    """The keys `kpidsl doc` builds from a base key and a name (output/regulation*.py)."""
    from kpidsl.language.builtins import CARD_FREQUENCIES, PERIOD_KINDS
    from kpidsl.output.regulation import CARD_FIELDS
    from kpidsl.output.regulation_parts import GLOSSARY
    from kpidsl.output.regulation_text import FUNCTIONS, NAMED_TERMS

    return ({f"doc.term.{n}" for n in NAMED_TERMS} | {f"doc.fn.{n}" for n in FUNCTIONS}
            | {f"doc.agg.{n}" for n in ("sum", "count", "avg", "min", "max")}
            | {f"doc.frequency.{n}" for n in CARD_FREQUENCIES} | {f"doc.every.{n}" for n in PERIOD_KINDS}
            | {f"doc.period_kind.{n}" for n in PERIOD_KINDS} | {f"doc.card.{n}" for n in CARD_FIELDS}
            | {f"doc.glossary.{n}.{part}" for n in GLOSSARY for part in ("term", "text")})


# ------------------------------------------------------------------ custom templates


def test_custom_template_renders_against_the_documented_context(tmp_path: Path) -> None:
    template = tmp_path / "brief.html.j2"
    template.write_text(
        '{% import "macros.html.j2" as m with context %}'
        "<h1>{{ doc.title }} {{ doc.period_label }}</h1>"
        "{% for e in employees %}<p>{{ e.employee }}: {{ e.bonus }} {{ m.status(e.kpis[0]) if e.kpis }}</p>{% endfor %}"
        "<p>{{ totals.bonus }}</p>", encoding="utf-8")
    page = html(template=str(template), results=hostile_results())
    assert f"31{NBSP}360,00{NBSP}₽" in page and "&lt;script&gt;" in page and "<script>" not in page
    assert '<span class="status status-met">выполнен</span>' in page
    text = md(template=str(template))
    assert "Смирнова Анна" in text


def test_custom_template_errors_name_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html.j2"
    broken.write_text("<p>ok</p>\n{% for e in employees %}\n{{ e.employee }\n{% endfor %}\n", encoding="utf-8")
    with pytest.raises(RenderError) as err:
        html(template=str(broken))
    assert f"{broken}:3: template syntax error" in err.value.message
    typo = tmp_path / "typo.md.j2"
    typo.write_text("# {{ doc.title }}\n\n{{ doc.no_such_field }}\n", encoding="utf-8")
    with pytest.raises(RenderError) as err:
        md(template=str(typo))
    assert f"{typo}:3: template error" in err.value.message and "no_such_field" in err.value.message
    with pytest.raises(RenderError, match="template not found"):
        html(template=str(tmp_path / "absent.j2"))


def test_custom_templates_are_sandboxed(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.html.j2"
    sneaky.write_text("{{ results.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    with pytest.raises(RenderError) as err:
        html(template=str(sneaky))
    assert str(sneaky) in err.value.message
    attr = tmp_path / "attr.html.j2"
    attr.write_text("{{ t.__globals__ }}", encoding="utf-8")
    with pytest.raises(RenderError):
        html(template=str(attr))


def test_render_path_imports_are_lazy() -> None:
    code = ("import sys, kpidsl.output.render, kpidsl.output.analysis, kpidsl.output.charts, kpidsl.output.xlsx, "
            "kpidsl.output.i18n; "
            "print(sorted(m for m in ('jinja2', 'babel', 'openpyxl', 'markupsafe') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_results_without_kpis_or_periods_still_render() -> None:
    empty = replace(seed_results(), results=[], findings=[], metrics=[])
    page = html(results=empty)
    assert "Отчёт по KPI" in page and "3 кв. 2026" in page
    assert md(results=empty).startswith("# Отчёт по KPI")


def test_the_documented_example_template_renders(tmp_path: Path) -> None:
    doc = (Path(__file__).parents[1] / "docs" / "reports.md").read_text("utf-8")
    example = re.search(r"```jinja\n(.*?)```", doc, re.S)
    assert example, "docs/reports.md lost its example template"
    template = tmp_path / "memo.html.j2"
    template.write_text(example.group(1), encoding="utf-8")
    page = html(template=str(template))
    assert "Премии за 3 кв. 2026" in page and f"31{NBSP}360,00{NBSP}₽" in page
    assert f"132{NBSP}355,60{NBSP}₽" in page and HEAD_ROMI_ACTION in page and 'class="chart fund"' in page


def test_role_gate_and_several_employees_in_one_role() -> None:
    from kpidsl.results.model import Gate

    base = seed_results()
    rows = []
    for r in base.results:
        if r.role == "marketing_manager" and r.period == "2026Q3":
            rows.append(replace(r, gates=(Gate("roas >= 10", False, "role"),), bonus=Decimal("0.00")))
            rows.append(replace(r, employee="Васильева Ольга"))
        else:
            rows.append(r)
    results = replace(base, results=rows)
    page = html(results=results)
    analytical = section(page, "analytical")
    assert "<h3>Менеджер по маркетингу и рекламе</h3>" in analytical  # no single name in the role's heading
    assert "<h4>Смирнова Анна</h4>" in analytical and "<h4>Васильева Ольга</h4>" in analytical
    assert analytical.count('class="gate-banner"') == 1 and "условие «roas &gt;= 10» не выполнено" in analytical
    assert section(page, "statement").count('class="gate-banner"') == 1
    text = md("bonus", results=results)
    assert "**Премия роли не начислена: не выполнено условие качества.** условие «roas >= 10» не выполнено" in text


@given(st.text(max_size=60))
def test_md_escape_never_breaks_a_table_row(text: str) -> None:
    out = md_escape(text)
    assert "\n" not in out and "\r" not in out
    assert not re.search(r"(?<!\\)(\\\\)*\|", out.replace("\\\\", "")), out
    assert "<" not in out.replace("\\<", "")


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e7"), places=2),
       st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e7"), places=2),
       st.sampled_from(["higher", "lower"]))
def test_analysis_verdict_follows_the_direction(fact: Decimal, target: Decimal, better: str) -> None:
    from kpidsl.output.analysis import analyse

    text = analyse(_kpi(fact=fact, target=target, better=better), Formatter("ru", "RUB"), "")
    if fact == target:
        assert "точно по плану" in text
    else:
        good = (fact > target) == (better == "higher")
        assert ("лучше плана" in text) == good and ("хуже плана" in text) == (not good)
        assert ("выше плана" in text) == (fact > target)


def test_backticked_names_become_code_and_stay_escaped() -> None:
    from kpidsl.output.render import html_ticks, md_ticks

    assert str(html_ticks("no data for `orders` <b>")) == "no data for <code>orders</code> &lt;b&gt;"
    assert str(html_ticks("`<script>`")) == "<code>&lt;script&gt;</code>"
    assert md_ticks("`a|b` and c|d <x>") == "`a\\|b` and c\\|d \\<x>"
    page = section(html("analytical"), "analytical")
    assert "<code>publications_negative</code> is 0 in 2026Q3" in page
