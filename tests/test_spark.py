"""The Spark engine (`kpidsl eval --engine spark`): DuckDB's numbers, to the kopeck.

Spark runs in local mode (one session for the whole module: starting it takes
seconds).  Every comparison is exact: each KPI's fact, target, attainment, index,
deviation, bonus and status, each employee's total, every metric and finding as
`Decimal`s with their scale, the diagnostics, and the CLI's output bytes.

Without pyspark these tests are skipped, except in CI (CI=true), where the Spark
engine must be tested: there a missing pyspark or Java fails them.
"""

from __future__ import annotations

import importlib.util
import os
import random
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers_engine import (
    DATED_QUARTERLY,
    ROLLED_UP,
    SEED_FACTS,
    SEED_RULESET,
    VERSIONED,
    YEAR_TO_DATE,
    facts,
    model_from,
    read_long_csv,
    seed_model,
)

from kpidsl.api import EvalOptions
from kpidsl.base.diagnostics import DataLocation
from kpidsl.cli.main import cli
from kpidsl.data.facts import FactRow, FactTable
from kpidsl.data.roster import RosterRow
from kpidsl.engine import fixedpoint as fp
from kpidsl.language.load import Model
from kpidsl.results.collect import run
from kpidsl.results.model import Results

if importlib.util.find_spec("pyspark") is None and os.environ.get("CI") != "true":
    pytest.skip("pyspark is not installed (pip install 'kpidsl[spark]'); CI installs it and runs these tests",
                allow_module_level=True)

from kpidsl.engine import spark as kspark

D = Decimal
ROOT = Path(__file__).resolve().parent.parent
ROLES = ("head", "seo", "targetologist", "pr_manager", "marketing_manager", "designer")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local SparkSession for the module, stopped at the end (the JVM holds memory)."""
    try:
        session = kspark.session()
    except kspark.SparkUnavailable as exc:  # pyspark is there (or CI): Spark itself must start
        pytest.fail(f"Spark could not start: {exc}")
    yield session
    session.stop()
    kspark._session = None


def both(model: Model, table: FactTable, **options: Any) -> tuple[Results, Results, list[Any], list[Any]]:
    duck, duck_diags = run(model, table, EvalOptions(**options))
    on_spark, spark_diags = run(model, table, EvalOptions(engine="spark", **options))
    assert duck is not None, [d.message for d in duck_diags if d.is_error]
    assert on_spark is not None, [d.message for d in spark_diags if d.is_error]
    return duck, on_spark, duck_diags, spark_diags


def exact(value: Any) -> Any:
    """A Decimal with its representation (5500.00 is not 5500.000000000000), anything else as is."""
    return (value, str(value)) if isinstance(value, Decimal) else value


KPI_FIELDS = ("kpi", "status", "fact", "target", "baseline", "weight", "attainment", "index", "index_plan",
              "deviation", "plan_bonus", "bonus", "previous_fact", "gates", "actions", "problems")


def assert_identical(duck: Results, on_spark: Results, duck_diags: list[Any], spark_diags: list[Any]) -> int:
    """Every number of both results, exactly; returns how many KPI results were compared."""
    assert duck.periods == on_spark.periods
    assert [(r.period, r.employee, r.role) for r in duck.results] == \
           [(r.period, r.employee, r.role) for r in on_spark.results]
    compared = 0
    totals: Counter[str] = Counter()
    for a, b in zip(duck.results, on_spark.results, strict=True):
        where = (a.period, a.employee)
        assert exact(a.bonus) == exact(b.bonus), where
        assert exact(a.plan_bonus) == exact(b.plan_bonus), where
        assert a.gates == b.gates, where
        assert len(a.kpis) == len(b.kpis), where
        for ka, kb in zip(a.kpis, b.kpis, strict=True):
            for name in KPI_FIELDS:
                assert exact(getattr(ka, name)) == exact(getattr(kb, name)), (*where, ka.kpi, name)
            compared += 1
        totals[a.period] += a.bonus
    for p in duck.periods:  # the department's total per period
        assert totals[p] == sum((r.bonus for r in on_spark.results if r.period == p), D(0))
    assert [(f.rule, f.period, f.level) for f in duck.findings] == \
           [(f.rule, f.period, f.level) for f in on_spark.findings]
    assert [(m.name, m.period, m.employee, exact(m.value)) for m in duck.metrics] == \
           [(m.name, m.period, m.employee, exact(m.value)) for m in on_spark.metrics]
    assert [(d.code, d.message) for d in duck_diags] == [(d.code, d.message) for d in spark_diags]
    assert duck.to_json() == on_spark.to_json()
    return compared


# ------------------------------------------------------------------ the seed


def test_seed_example_identical(spark: Any) -> None:
    model, table = seed_model(), read_long_csv()
    duck, on_spark, dd, sd = both(model, table)
    assert assert_identical(duck, on_spark, dd, sd) == 69
    manager = next(r for r in on_spark.results if r.period == "2026Q3" and r.employee == "Смирнова Анна")
    assert [k.bonus for k in manager.kpis] == [D("5500.00"), D("11200.00"), D("4960.00"), D("9700.00")]
    assert [str(k.index) for k in manager.kpis] == ["0.300000000000", "0.420000000000", "0.192000000000",
                                                    "0.270000000000"]
    assert [k.deviation for k in manager.kpis] == [D("0.1"), D("0.12"), D("-0.008"), D("-0.03")]
    assert manager.bonus == D("31360.00")


def test_spark_master_needs_the_spark_engine() -> None:
    result = CliRunner().invoke(cli, ["eval", str(SEED_RULESET), "--facts", str(SEED_FACTS),
                                      "--spark-master", "local[1]"])
    assert result.exit_code == 2 and "--spark-master applies to --engine spark" in result.output


# ------------------------------------------------------------------ exact arithmetic at the edges

EDGES = [  # (a, b): quotients beyond 2^63 (Spark's BIGINT DIV wraps), 38-digit negatives (Spark's
    # unary minus rounds to 34 digits), zero and huge divisors, tiny values, signs
    ("9300000000000000000", "1"), ("18446744073709551616", "1"), ("9223372036854775807", "0.5"),
    ("50000000000000000000000000", "0.6"), ("-50000000000000000000000000", "0.6"), ("1E25", "1E-12"),
    ("12345678901234567890123.456789012345", "1.000000000001"), ("-99999999999999999999999998.5", "0.999999999999"),
    ("0.000000000001", "3"), ("-0.000000000005", "10"), ("2", "-3"), ("-7", "-0.000000000003"),
    ("5", "0"), ("0", "0"), ("1", "10000000000000"), ("1", "9999999999999.999999999999"),
    ("9999999999999", "0.0000001"), ("-1234.5678", "0.0001"),
]


def test_edge_arithmetic_matches_duckdb_and_the_decimal_reference(spark: Any) -> None:
    model = model_from('''
ruleset "x" { currency RUB period quarter }
fact a
fact b
metric q = a / b
metric r = b / a
metric s = a / 7
metric n = 0 - a / 3
metric m = (a - b) * 0.000001
metric k = 12345678901234567890123.456789012345 / b
role r1 "R" { }
''')
    rows = []
    for i, (a, b) in enumerate(EDGES):
        rows += [(f"{2000 + i}Q1", None, "a", a), (f"{2000 + i}Q1", None, "b", b)]
    duck, on_spark, dd, sd = both(model, facts(*rows))
    assert_identical(duck, on_spark, dd, sd)
    q = {m.period: m.value for m in on_spark.metrics if m.name == "q"}
    for i, (a, b) in enumerate(EDGES):
        assert q[f"{2000 + i}Q1"] == fp.py_div(D(a), D(b)), (a, b)
    k = {m.period: m.value for m in on_spark.metrics if m.name == "k"}
    for i, (_, b) in enumerate(EDGES):  # a 35-digit constant stays 35 digits
        assert k[f"{2000 + i}Q1"] == fp.py_div(D("12345678901234567890123.456789012345"), D(b)), b
    assert k["2015Q1"] == D("1234567890.123456789012")
    assert q["2000Q1"] == D("9300000000000000000")  # beyond 2^63: Spark's DIV alone would wrap around
    assert q["2003Q1"] == D("83333333333333333333333333.333333333333")
    assert q["2004Q1"] == D("-83333333333333333333333333.333333333333")  # all 38 digits, sign included
    # quotients of 10^37 and just over 10^26, ÷ 0, 0 ÷ 0, a divisor of 10^13: no data (the same E021/E022 warnings)
    assert sorted(p for p, v in q.items() if v is None) == ["2005Q1", "2007Q1", "2012Q1", "2013Q1", "2014Q1"]


MONTHS_RULESET = """
ruleset "Месяцы" { currency USD period month locale en }
fact sales "Продажи"
fact costs "Затраты"
fact visits "Визиты"
metric margin = (sales - costs) / sales unit percent
metric sales_growth = growth(sales) unit percent
metric tier = scale margin { below 10% -> 0  below 30% -> 0.8  else -> 1 }
metric capped = min(max(sales_growth, -1), 2)
metric per_week = round(sales / 7, 2)
metric gap = abs(costs - sales)
metric per_visit = if visits > 1000 then sales / visits else -1
metric cost_share = costs / sales better lower
scheme tiered "Ступени" {
  step  = min(attainment, 1.5)
  index = weight * step * tier
  bonus = plan_bonus * (1 + index - weight)
}
role rep "Менеджер" {
  scheme tiered
  require visits >= 100
  kpi sales      weight 0.5 target 10000 bonus 1000
    when attainment < 90% action "Разобрать воронку"
  kpi cost_share weight 0.3 target 60% bonus 600
    require margin > 0
  kpi per_visit  weight 0.2 baseline 5 target 8 bonus 400
}
rule falling "Продажи падают" {
  when sales_growth < -10%
  level warning
  message "Продажи упали больше чем на 10 %"
}
"""


def test_months_schemes_scales_conditions_and_rules(spark: Any) -> None:
    """Every construct the compiler lowers: month ordinals for growth (gaps included), scale,
    min/max/abs/round, if, a scheme's own step, better lower, both kinds of require, actions,
    rules — over values with negatives, zeros and gaps."""
    rng = random.Random(7)
    months = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-04", "2026-05"]  # no March: growth has no data
    department = zip(months, (9000, 7000, 7500, 7600, 7000, 6000), strict=True)
    rows: list[tuple[str, str | None, str, str]] = [(m, None, f, str(v)) for m, sales in department
                                                    for f, v in (("sales", sales), ("costs", 5000), ("visits", 900))]
    people = [(f"Rep {i:02d}", "rep") for i in range(60)]
    for name, _ in people:
        for m in months:
            for f, low, high in (("sales", -2000, 20000), ("costs", 0, 15000), ("visits", 0, 3000)):
                u = rng.random()
                if u < 0.1:
                    continue
                value = "0" if u < 0.15 else str(D(rng.randint(low * 100, high * 100)) / 100)
                rows.append((m, name, f, value))
    duck, on_spark, dd, sd = both(model_from(MONTHS_RULESET), facts(*rows, roster=people))
    compared = assert_identical(duck, on_spark, dd, sd)
    statuses = Counter(k.status for r in on_spark.results for k in r.kpis)
    assert compared == 60 * 6 * 3 and len(statuses) == 4, statuses
    assert any(r.gates and r.gates[0].passed is False for r in on_spark.results)  # the role-wide require
    assert any(k.actions for r in on_spark.results for k in r.kpis) and on_spark.findings
    growth = {(m.period, m.employee): m.value for m in on_spark.metrics if m.name == "sales_growth"}
    assert growth[("2025-12", None)] == D("-0.222222222222") and growth[("2026-04", None)] is None  # no March
    assert [f.period for f in on_spark.findings] == ["2025-12", "2026-05"]  # −22 %, −14 %


def test_overflow_is_E040_on_both_engines(spark: Any) -> None:
    model = model_from('''
ruleset "x" { currency RUB period quarter }
fact a
metric big = a * a
role r1 "R" { }
''')
    table = facts(("2026Q1", None, "a", "10000000000000000"))
    for engine in ("duckdb", "spark"):
        results, diagnostics = run(model, table, EvalOptions(engine=engine))
        assert results is None
        assert [d.code for d in diagnostics if d.is_error] == ["E040"], engine


def test_engine_that_cannot_start_is_E098(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(master: str | None = None) -> Any:
        raise kspark.SparkUnavailable("JAVA_HOME is not set")

    monkeypatch.setattr(kspark, "session", broken)
    results, diagnostics = run(seed_model(), read_long_csv(), EvalOptions(engine="spark"))
    assert results is None
    errors = [d for d in diagnostics if d.is_error]
    assert [d.code for d in errors] == ["E098"] and "JAVA_HOME is not set" in errors[0].message
    assert "--engine duckdb" in (errors[0].hint or "")


def test_master_comes_from_the_option_the_environment_or_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(kspark.ENV_MASTER, raising=False)
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    assert kspark.chosen_master() == "local[2]"
    monkeypatch.setenv(kspark.ENV_MASTER, "spark://head:7077")
    assert kspark.chosen_master() == "spark://head:7077"
    assert kspark.chosen_master("local[4]") == "local[4]"
    monkeypatch.delenv(kspark.ENV_MASTER)
    monkeypatch.setenv("PYSPARK_GATEWAY_PORT", "40000")  # inside spark-submit: its --master applies
    assert kspark.chosen_master() is None


# ------------------------------------------------------------------ 100 000 fact rows


def generated_facts(employees: int, seed: int = 1) -> FactTable:
    """The seed department's values for four quarters, and every employee's own values of
    every fact around them (50–150 %), a few zeros (division by zero) and gaps (the
    department's value applies).  Deterministic: `random.Random(seed)`."""
    rng = random.Random(seed)
    department = {(r.period, r.fact): r.value for r in read_long_csv().rows}
    names = sorted({fact for _, fact in department})
    periods = ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    where = DataLocation("generated.csv", 1, "value")
    rows = [FactRow(p, None, f, department.get((p, f), department[("2026Q3", f)]), where)
            for p in periods for f in names]
    roster = []
    for i in range(employees):
        name = f"Сотрудник {i + 1:05d}"
        roster.append(RosterRow(name, ROLES[i % len(ROLES)], where))
        for p in periods:
            for f in names:
                u = rng.random()
                if u < 0.03:
                    continue
                base = department.get((p, f), department[("2026Q3", f)])
                value = D(0) if u < 0.06 else (base * rng.randint(50, 150) / 100).quantize(D("0.01"))
                rows.append(FactRow(p, name, f, value, where))
    return FactTable(rows=rows, roster=roster, files=["generated.csv"])


@pytest.mark.slow  # about 40 s of the module's two minutes on two busy cores
def test_100k_fact_rows_identical(spark: Any) -> None:
    table = generated_facts(1000)
    assert len(table.rows) >= 100_000
    duck, on_spark, dd, sd = both(seed_model(), table)
    compared = assert_identical(duck, on_spark, dd, sd)
    statuses = Counter(k.status for r in on_spark.results for k in r.kpis)
    assert compared == sum(statuses.values()) > 15_000
    assert all(statuses[s] > 100 for s in ("met", "missed", "no_data", "gated")), statuses
    assert len(on_spark.metrics) > 50_000 and on_spark.findings


# ------------------------------------------------------------------ records


def test_records_showcase_from_generated_crm_files(spark: Any, tmp_path: Path) -> None:
    """Through the command and its streamed CSV writer: records (about 100 000 rows of deals,
    leads and ad spend) are aggregated on the driver by DuckDB and scored on Spark."""
    from benchmarks.generate import generate

    files = generate(tmp_path, employees=200, rows=40_000, seed=3, fmt="parquet")
    outputs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"{engine}.csv"
        result = CliRunner().invoke(cli, [
            "eval", str(ROOT / "rulesets" / "crm_showcase.kpi"), "--roster", str(files["roster"]),
            "--source", f"deals={files['deals']}", "--source", f"lead_log={files['leads']}",
            "--source", f"ad_costs={files['ad_spend']}", "--engine", engine, "--quiet", "-o", str(out)])
        assert result.exit_code == 0, result.output
        outputs[engine] = out.read_text(encoding="utf-8")
    assert outputs["spark"] == outputs["duckdb"]
    assert outputs["spark"].count("\n") > 200 * 4 * 3  # every manager's three KPIs in four quarters


PAYOUT_RULESET = """
ruleset "Payouts" { currency RUB period month }
fact salary "Оклад" unit RUB
fact sales "Продажи"
fact visits "Визиты"
fact ok "Допуск"
scheme matrix "Матрица КПЭ" {
  index = weight * attainment
  payout {
    k = min(total, 150%)
    bonus = if total < 70% then 0 else max(salary * 25% * k, 1000)
  }
}
role rep "Менеджер" {
  scheme matrix
  require ok > 0
  kpi sales  weight 0.6 target 10000
  kpi visits weight 0.4 target 1000
}
role lead "Руководитель" {
  kpi sales weight 1 target 100000 bonus 20000
  payout { bonus = if attainment(sales) < 80% then 0 else lines_bonus * scale total { below 100% -> 1 else -> 1.2 } }
}
"""


def test_payouts_identical(spark: Any) -> None:
    """Role payouts — a scheme's and a role's own, cut-off, cap, floor, line values, a scale over the
    total, a role-wide condition, a missing salary — are the same on Spark, to the kopeck."""
    rng = random.Random(11)
    months = ["2026-01", "2026-02", "2026-03"]
    people = [(f"Rep {i:02d}", "rep") for i in range(30)] + [(f"Lead {i}", "lead") for i in range(3)]
    rows: list[tuple[str, str | None, str, str]] = []
    for name, _ in people:
        for m in months:
            if rng.random() > 0.1:
                rows.append((m, name, "salary", str(rng.randint(30_000, 200_000))))
            rows += [(m, name, "sales", str(D(rng.randint(0, 2_000_000)) / 100)),
                     (m, name, "visits", str(rng.randint(0, 2000))), (m, name, "ok", str(rng.randint(0, 5)))]
    duck, on_spark, dd, sd = both(model_from(PAYOUT_RULESET), facts(*rows, roster=people))
    assert_identical(duck, on_spark, dd, sd)
    assert {r.payout for r in on_spark.results} == {"paid", "gated", "no_data"}
    assert [(r.index, r.lines_bonus) for r in duck.results] == [(r.index, r.lines_bonus) for r in on_spark.results]


LEVELS_RULESET = """
ruleset "Уровни" { currency RUB period month }
fact deals "Сделки" per employee
fact leads "Лиды" per department
fact calls "Звонки"
metric share "Доля" = deals / department(leads) unit ratio
role rep "Менеджер" {
  kpi deals weight 0.4 target 10 bonus 10000
  kpi share weight 0.3 target 10% bonus 3000
  kpi calls weight 0.3 target 100 bonus 3000
}
"""


def test_fact_levels_and_department_identical(spark: Any) -> None:
    """`per employee`, `per department`, an undeclared fact's fallback and `department(x)` are the
    same on Spark, with joiners who have no rows of their own in some months."""
    rng = random.Random(5)
    months = ["2026-01", "2026-02", "2026-03"]
    people = [(f"Rep {i:02d}", "rep") for i in range(20)]
    rows: list[tuple[str, str | None, str, str]] = []
    for m in months:
        rows += [(m, None, "leads", str(rng.randint(50, 500))), (m, None, "deals", str(rng.randint(0, 90))),
                 (m, None, "calls", str(rng.randint(0, 900)))]
        for name, _ in people:
            if rng.random() > 0.2:
                rows.append((m, name, "deals", str(rng.randint(0, 30))))
            if rng.random() > 0.5:
                rows.append((m, name, "calls", str(rng.randint(0, 300))))
    duck, on_spark, dd, sd = both(model_from(LEVELS_RULESET), facts(*rows, roster=people))
    assert assert_identical(duck, on_spark, dd, sd) > 0
    assert {k.status for r in duck.results for k in r.kpis} >= {"no_data"}


def test_a_dated_roster_is_identical(spark: Any) -> None:
    """Joiners, leavers and a role change inside a quarter, prorated by days, a payout role
    among them: the same on Spark."""
    text = DATED_QUARTERLY + """
employee "A" role sales from 2026-02-16
employee "B" role sales to 2026-08-15
employee "C" role sales from 2026-01-01 to 2026-08-15
employee "C" role matrix from 2026-08-16
employee "D" role matrix
"""
    rows = [(q, who, fact, str(value)) for q in ("2026Q1", "2026Q2", "2026Q3") for who in "ABCD"
            for fact, value in (("deals", 7 + ord(who) % 5), ("salary", 90000 + 1000 * ord(who)))]
    duck, on_spark, dd, sd = both(model_from(text), facts(*rows))
    assert assert_identical(duck, on_spark, dd, sd) > 0
    assert {r.days for r in duck.results if r.employee == "C" and r.period == "2026Q3"} == {(46, 92)}


def test_monthly_data_paid_quarterly_is_identical(spark: Any) -> None:
    """Facts rolled up by sum, last and avg, a metric of the sums and growth over quarters,
    with a dated joiner: the same on Spark."""
    rng = random.Random(15)
    rows = []
    for month in ("2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"):
        rows.append((month, None, "nps", str(rng.randint(0, 100))))
        for who in ("Анна", "Борис"):
            rows += [(month, who, "deals", str(rng.randint(0, 30))), (month, who, "leads", str(rng.randint(1, 200)))]
            if rng.random() > 0.3:
                rows.append((month, who, "customers", str(rng.randint(0, 50))))
    text = ROLLED_UP + 'employee "Борис" role sales from 2026-05-20\n'
    duck, on_spark, dd, sd = both(model_from(text), facts(*rows))
    assert assert_identical(duck, on_spark, dd, sd) > 0
    assert [r.days for r in duck.results if r.employee == "Борис"] == [(42, 91), (92, 92)]


def test_year_to_date_is_identical_on_both_engines(spark: Any) -> None:
    """`ytd` is a window over each employee's periods of the year: the same on Spark, a
    year the data holds in part included."""
    rng = random.Random(11)
    rows = [(f"2026-{m:02d}", who, "revenue", str(rng.randint(0, 10**6)))
            for m in range(3, 13) for who in ("Анна", "Борис") if (who == "Анна" or m > 3) and rng.random() > 0.2]
    text = YEAR_TO_DATE + 'employee "Борис" role sales\n'
    duck, on_spark, dd, sd = both(model_from(text), facts(*rows))
    assert assert_identical(duck, on_spark, dd, sd) > 0
    known = {r.employee: any(k.fact is not None for k in r.kpis) for r in duck.results if r.period == "2026Q4"}
    assert known == {"Анна": True, "Борис": False}  # Борис has no data in 2026Q1


def test_plan_versions_are_identical_on_both_engines(spark: Any) -> None:
    """A param, a scheme with its payout, a KPI line and a role changing from July, over
    monthly data paid quarterly: each quarter uses its versions, the same on Spark."""
    rng = random.Random(5)
    rows = []
    for month in ("2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"):
        for who in ("Анна", "Борис"):
            rows += [(month, who, "revenue", str(rng.randint(100_000, 600_000))),
                     (month, who, "calls", str(rng.randint(50, 150))), (month, who, "salary", "100000")]
    duck, on_spark, dd, sd = both(model_from(VERSIONED), facts(*rows))
    assert assert_identical(duck, on_spark, dd, sd) > 0
    assert [(r.period, r.version) for r in duck.results if r.employee == "Анна"] == [("2026Q2", None),
                                                                                       ("2026Q3", "2026-07-01")]
