"""Facts aggregated from raw records, evaluated end to end: the CRM showcase against an
independent computation from its CSV rows, quality gates over real rows, who gets which
value, and bad records input (a message, exit 1, no output)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner, Result

from benchmarks import scoring
from kpidsl import api
from kpidsl.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
SHOWCASE = ROOT / "rulesets" / "crm_showcase.kpi"
DATA = ROOT / "rulesets" / "data"
ROSTER = DATA / "crm_roster.csv"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def quarter(date: str) -> str:
    year, month = int(date[:4]), int(date[5:7])
    return f"{year}Q{(month - 1) // 3 + 1}"


def showcase_reference() -> dict[tuple[str, str], Decimal]:
    """Every (quarter, employee) bonus of crm_showcase.kpi, computed from the CSV rows with
    the csv module and benchmarks/scoring.py (the hand-written statement of the scoring)."""
    def read(name: str) -> list[dict[str, str]]:
        with (DATA / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    revenue: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    won: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    leads: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    ads: dict[str, Decimal] = defaultdict(Decimal)
    for deal in read("crm_deals.csv"):
        q = quarter(deal["created_at"])
        if deal["status"] == "won":
            for who in (deal["manager"], None):
                revenue[(q, who)] += Decimal(deal["amount"])
                won[(q, who)] += 1
    for lead in read("crm_leads.csv"):
        for who in (lead["manager"], None):
            leads[(quarter(lead["created_at"]), who)] += 1
    for day in read("crm_ad_spend.csv"):
        ads[quarter(day["spent_on"])] += Decimal(day["amount"])
    staff = [r["employee"] for r in read("crm_roster.csv") if r["role"] == "sales_manager"]
    quarters = sorted({q for q, _ in leads} | {q for q, _ in won})
    out = {}
    for q in quarters:
        for name in staff:
            out[(q, name)] = scoring.manager_bonus(revenue[(q, name)], won[(q, name)], leads[(q, name)])
        out[(q, scoring.HEAD)] = scoring.head_bonus(revenue[(q, None)], won[(q, None)], leads[(q, None)], ads[q])
    return out


# ------------------------------------------------------------------ the showcase


def test_showcase_evaluates_from_records_alone_and_matches_an_independent_computation() -> None:
    evaluation = api.evaluate(SHOWCASE, [], api.EvalOptions(roster=str(ROSTER)))
    assert evaluation.ok, [d.message for d in evaluation.diagnostics if d.is_error]
    results = evaluation.results
    assert results is not None and results.periods == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    totals = {(r.period, r.employee): r.bonus for r in results.results}
    reference = showcase_reference()
    assert totals == reference
    assert len(totals) == 4 * 21
    # the findings are department-level rules over the aggregated facts
    assert {f.rule for f in results.findings} <= {"low_close_rate", "low_roas"}


def test_showcase_lead_gate_follows_each_managers_real_deals() -> None:
    results = api.evaluate(SHOWCASE, [], api.EvalOptions(roster=str(ROSTER))).results
    assert results is not None
    rates = {(m.period, m.employee): m.value for m in results.metrics if m.name == "lead_close_rate"}
    statuses = defaultdict(set)
    for r in results.results:
        if r.role != "sales_manager":
            continue
        leads = next(k for k in r.kpis if k.kpi == "leads")
        [gate] = leads.gates
        rate = rates.get((r.period, r.employee), rates[(r.period, None)])
        assert gate.passed is (rate >= Decimal("0.2")), (r.period, r.employee, rate)
        if not gate.passed:
            assert leads.status == "gated" and leads.bonus == 0
        statuses[gate.passed].add(r.employee)
    assert statuses[True] and statuses[False], "the sample has managers on both sides of the 20 % bar"


def test_showcase_through_the_command_line() -> None:
    result = run("eval", SHOWCASE, "--roster", ROSTER, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    totals = {(r["period"], r["employee"]): Decimal(r["bonus"]) for r in data["results"]}
    assert totals == showcase_reference()
    gated = [k for r in data["results"] for k in r["kpis"] if k["status"] == "gated"]
    assert gated and all(k["kpi"] == "leads" and k["bonus"] == "0.00" and k["gates"][0]["passed"] is False
                         for k in gated)


def test_explain_shows_where_an_aggregated_fact_comes_from() -> None:
    result = run("explain", SHOWCASE, "--roster", ROSTER, "--employee", "Семёнова Анна (01)", "--period", "2026Q1")
    assert result.exit_code == 0, result.output
    assert "count from deals" in result.stdout and "data/crm_deals.csv" in result.stdout
    assert "require lead_close_rate" in result.stdout


def test_sql_prints_the_records_query_before_the_plan() -> None:
    result = run("sql", SHOWCASE)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.index('INSERT INTO "kpidsl_facts"') < text.index("-- values")
    assert "crm_deals.csv" in text and '"kpidsl_roster"' in text[text.index("INSERT"):text.index("-- values")]
    spark = run("sql", SHOWCASE, "--dialect", "spark", "--source", "deals=crm.sales.deals")
    assert spark.exit_code == 0, spark.output
    assert "`crm`.`sales`.`deals`" in spark.stdout and "`lead_log`" in spark.stdout
    wrong = run("sql", SHOWCASE, "--source", "deal=x.csv")
    assert wrong.exit_code == 1 and "K057" in wrong.stderr and "`deals`" in wrong.stderr and not wrong.stdout


# ------------------------------------------------------------------ small rulesets over real rows

RULESET = '''ruleset "Продажи" {{ currency RUB  period quarter }}
records deals "Сделки" {{ file "deals.csv" date created_at employee manager }}
fact leads    = count from deals
fact won      = count from deals where status = "won"
fact revenue  = sum amount from deals where status = "won"
fact avg_deal = avg amount from deals where status = "won"
metric close_rate = won / leads unit percent
role rep "Менеджер" {{
  kpi revenue weight 0.5 target 1000 bonus 1000
  kpi leads   weight 0.5 target 2    bonus 1000
    require close_rate >= 50%
{extra}}}
role head "Руководитель" {{ kpi revenue weight 1 target 5000 bonus 2000 }}
employee "A" role rep
employee "B" role rep
employee "C" role rep
employee "D" role rep
employee "H" role head
'''

DEALS = """created_at,manager,client,amount,status
2026-01-10,A,c1,600,won
2026-02-10,A,c2,700,lost
2026-03-01,B,c3,100,lost
2026-03-02,B,c4,200,lost
2026-03-03,B,c5,300,open
2026-02-20,C,c6,,open
2026-03-30,X,c7,5000,won
"""


def write_case(tmp_path: Path, extra: str = "", deals: str = DEALS) -> Path:
    (tmp_path / "deals.csv").write_text(deals, encoding="utf-8")
    path = tmp_path / "sales.kpi"
    path.write_text(RULESET.format(extra=extra), encoding="utf-8")
    return path


def by_person(results: object) -> dict[str, object]:
    return {r.employee: r for r in results.results}  # type: ignore[attr-defined]


def kpi(result: object, name: str) -> object:
    return next(k for k in result.kpis if k.kpi == name)  # type: ignore[attr-defined]


def test_quality_gate_passes_and_fails_on_real_rows(tmp_path: Path) -> None:
    evaluation = api.evaluate(write_case(tmp_path), [])
    assert evaluation.ok, [d.message for d in evaluation.diagnostics]
    people = by_person(evaluation.results)
    a, b = kpi(people["A"], "leads"), kpi(people["B"], "leads")
    assert a.fact == 2 and a.gates[0].passed is True and a.status == "met" and a.bonus == Decimal("1000.00")
    assert b.fact == 3 and b.gates[0].passed is False and b.status == "gated" and b.bonus == Decimal("0.00")


def test_employee_without_deals_gets_zero_not_the_department_total(tmp_path: Path) -> None:
    evaluation = api.evaluate(write_case(tmp_path), [])
    people = by_person(evaluation.results)
    # the department: every won deal, X's (not on the roster) included
    assert kpi(people["H"], "revenue").fact == Decimal(5600)
    assert kpi(people["B"], "revenue").fact == 0  # deals, none won
    assert kpi(people["C"], "revenue").fact == 0 and kpi(people["C"], "leads").fact == 1
    # D has no record at all, but the role's other members appear in the records: own zeros
    assert kpi(people["D"], "revenue").fact == 0 and kpi(people["D"], "leads").fact == 0
    d_leads = kpi(people["D"], "leads")  # a close rate of 0 / 0 is unknown: the gate counts as failed
    assert d_leads.status == "gated" and d_leads.gates[0].passed is None and d_leads.bonus == 0
    assert any(d.code == "E023" and "D" in d.message for d in evaluation.diagnostics)
    strangers = [d for d in evaluation.diagnostics if d.code == "E003"]
    assert len(strangers) == 1 and "(X)" in strangers[0].message and not strangers[0].is_error


def test_an_employee_without_a_value_does_not_read_the_departments(tmp_path: Path) -> None:
    path = write_case(tmp_path, extra="  kpi avg_deal weight 0 target 500 bonus 0\n")
    evaluation = api.evaluate(path, [])
    people = by_person(evaluation.results)
    assert kpi(people["A"], "avg_deal").fact == Decimal(600)
    for name in ("B", "C", "D"):  # no won deal: no average, not the department's 2800
        assert kpi(people[name], "avg_deal").fact is None and kpi(people[name], "avg_deal").status == "no_data"
    assert any(d.code == "E020" and "avg_deal" in d.message for d in evaluation.diagnostics)


def test_facts_files_and_records_together(tmp_path: Path) -> None:
    path = write_case(tmp_path)
    facts = tmp_path / "facts.csv"
    facts.write_text("period,employee,fact,value\n2026Q2,,leads,5\n2026Q1,A,won,9\n", encoding="utf-8")
    evaluation = api.evaluate(path, [facts])
    assert evaluation.ok
    assert evaluation.results.periods == ["2026Q1"]  # the ignored rows bring no period
    ignored = [d.message for d in evaluation.diagnostics if d.code == "E007"]  # one per fact
    assert len(ignored) == 2 and "`leads` is aggregated from records `deals`" in ignored[0] and "`won`" in ignored[1]
    assert kpi(by_person(evaluation.results)["A"], "leads").fact == 2


def test_unknown_column_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    path = write_case(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("sum amount", "sum amont"), encoding="utf-8")
    out = tmp_path / "out.json"
    result = run("eval", path, "-o", out)
    assert result.exit_code == 1 and not out.exists()
    assert "K055" in result.stderr and "`amont`" in result.stderr and "did you mean `amount`?" in result.stderr
    assert "sales.kpi:5:21: error[K055]" in result.stderr  # the aggregated column in the ruleset
    assert "Traceback" not in result.output


def test_missing_records_file_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    path = write_case(tmp_path)
    out = tmp_path / "out.json"
    for args in (["--source", f"deals={tmp_path / 'nope.csv'}"], []):
        if not args:
            (tmp_path / "deals.csv").unlink()
        result = run("eval", path, *args, "-o", out, "--format", "json")
        assert result.exit_code == 1, result.output
        assert "K054" in result.stderr and "file not found" in result.stderr and not out.exists()
        assert not result.stdout
