"""`kpidsl eval` and `kpidsl explain` end to end: the seed's numbers, the output formats,
exit codes, and bad input (each: a message, exit code 1, no output file, inputs untouched)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Context, Decimal
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from eval_fixtures import ROOT, manager_q3, pr_q3, seed_fact_table, seed_results
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpidsl import api
from kpidsl.base.diagnostics import DataLocation, Diagnostic, SourceCache, error, warning
from kpidsl.cli.main import cli
from kpidsl.language.load import load

NBSP = "\u00a0"
SEED = "rulesets/seed_marketing.kpi"
SEED_DATA = "rulesets/data/seed_marketing.csv"
MANAGER = "Смирнова Анна"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


# ------------------------------------------------------------------ the seed


def manager(data: dict, period: str = "2026Q3") -> dict:
    return next(r for r in data["results"] if r["employee"] == MANAGER and r["period"] == period)


def test_seed_json_reproduces_tables_3_and_4_to_the_digit(at_root: Path) -> None:
    result = run("eval", SEED, "--facts", SEED_DATA, "--format", "json")
    no_traceback(result)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    m = manager(data)
    kpis = {k["kpi"]: k for k in m["kpis"]}
    assert list(kpis) == ["customer_growth", "avg_check_growth", "positive_share", "roas"]
    assert [kpis[k]["bonus"] for k in kpis] == ["5500.00", "11200.00", "4960.00", "9700.00"]
    assert [kpis[k]["plan_bonus"] for k in kpis] == ["5000.00", "10000.00", "5000.00", "10000.00"]
    assert [Decimal(str(kpis[k]["index"])) for k in kpis] == [Decimal(x) for x in ("0.3", "0.42", "0.192", "0.27")]
    assert [Decimal(str(kpis[k]["index_plan"])) for k in kpis] == [Decimal(x) for x in ("0.2", "0.3", "0.2", "0.3")]
    assert [Decimal(str(kpis[k]["deviation"])) for k in kpis] == [Decimal(x)
                                                                   for x in ("0.1", "0.12", "-0.008", "-0.03")]
    assert [kpis[k]["status"] for k in kpis] == ["met", "met", "missed", "missed"]
    assert (m["plan_bonus"], m["bonus"]) == ("30000.00", "31360.00")
    assert data["currency"] == "RUB" and data["periods"] == ["2026Q1", "2026Q2", "2026Q3"]


def test_default_format_off_a_terminal_is_json_and_warnings_stay_on_stderr(at_root: Path) -> None:
    result = run("eval", SEED, "--facts", SEED_DATA, "--period", "2026Q3")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)  # nothing but JSON on stdout
    assert {r["period"] for r in data["results"]} == {"2026Q3"}
    assert manager(data)["bonus"] == "31360.00"


def test_period_in_any_spelling(at_root: Path) -> None:
    for spelling in ("3 кв. 2026", "30.09.2026"):  # more spellings: the command-layer test below
        result = run("eval", SEED, "--facts", SEED_DATA, "--period", spelling, "--employee", MANAGER)
        assert result.exit_code == 0, (spelling, result.stderr)
        data = json.loads(result.stdout)
        assert [(r["period"], r["employee"]) for r in data["results"]] == [("2026Q3", MANAGER)]


def test_text_table(at_root: Path) -> None:
    result = run("eval", SEED, "--facts", SEED_DATA, "--period", "2026Q3", "--employee", MANAGER, "--format", "text")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"2026Q3 · {MANAGER} · Менеджер по маркетингу и рекламе" in lines
    total = next(line for line in lines if line.strip().startswith("итого"))
    assert f"30{NBSP}000,00" in total and f"31{NBSP}360,00" in total


def test_csv_to_a_file_by_its_suffix(at_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "kpi.csv"
    result = run("eval", SEED, "--facts", SEED_DATA, "--period", "2026Q3", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = [r for r in csv.DictReader(io.StringIO(data[3:].decode("utf-8"))) if r["employee"] == MANAGER]
    assert [r["bonus"] for r in rows] == ["5500.00", "11200.00", "4960.00", "9700.00"]
    assert [p.name for p in tmp_path.iterdir()] == ["kpi.csv"]  # no temporary file left behind


def test_markdown_report_goes_through_the_renderer(at_root: Path) -> None:
    result = run("eval", SEED, "--facts", SEED_DATA, "--period", "2026Q3", "--format", "md", "--locale", "ru")
    no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert MANAGER in result.stdout


def test_xlsx_report_to_a_file(at_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    result = run("eval", SEED, "--facts", SEED_DATA, "--period", "2026Q3", "-o", str(out), "--report", "bonus")
    no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes()[:2] == b"PK"  # a zip container, as every xlsx


def test_explain_shows_the_31360_derivation(at_root: Path) -> None:
    result = run("explain", SEED, "--facts", SEED_DATA, "--employee", MANAGER, "--period", "2026Q3")
    no_traceback(result)
    assert result.exit_code == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert lines[0] == f"{MANAGER} — Менеджер по маркетингу и рекламе (marketing_manager), 2026Q3"
    assert (f"bonus = customer_growth + avg_check_growth + positive_share + roas = 5{NBSP}500,00 + "
            f"11{NBSP}200,00 + 4{NBSP}960,00 + 9{NBSP}700,00 = 31{NBSP}360,00 RUB") in lines
    assert f"bonus = plan_bonus × (1 + index − weight) = 5{NBSP}000 × (1 + 0,300 − 0,2) = 5{NBSP}500,00" in lines
    assert "index = weight × attainment = 0,2 × 1,5 = 0,300" in lines
    assert "attainment = fact / target = 0,15 / 0,1 = 1,5" in lines
    assert "fact customer_growth = growth(customers) = (230 − 200) / 200 = 0,15" in lines
    assert any(re.fullmatch(rf"customers \(2026Q3\) = 230   ← {re.escape(SEED_DATA)}:row \d+, column value", line)
               for line in lines)


def test_explain_defaults_to_the_latest_period_and_speaks_english(at_root: Path) -> None:
    result = run("explain", SEED, "--facts", SEED_DATA, "--employee", MANAGER, "--locale", "en")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{MANAGER} — ") and ", 2026Q3\n" in result.stdout
    assert "= 5,000 × (1 + 0.300 − 0.2) = 5,500.00" in result.stdout


def test_employee_names_match_up_to_case(at_root: Path) -> None:
    result = run("eval", SEED, "--facts", SEED_DATA, "--period", "2026Q3", "--employee", "смирнова  анна")
    assert result.exit_code == 0, result.stderr
    assert [r["employee"] for r in json.loads(result.stdout)["results"]] == [MANAGER]


def test_explain_a_role_wide_condition_and_a_role_without_kpis(tmp_path: Path) -> None:
    (tmp_path / "r.kpi").write_text('''ruleset "Gate" { currency RUB period quarter locale en }
fact revenue "Revenue" unit RUB
fact nps "NPS" unit percent
role manager "Manager" {
  require nps >= 50%
  kpi revenue weight 1 target 2000000 bonus 10000
}
role designer "Designer" { }
employee "Anna" role manager
employee "Igor" role designer
''', encoding="utf-8")
    (tmp_path / "f.csv").write_text("period,employee,fact,value\n2026Q3,,revenue,1926000\n2026Q3,,nps,40%\n",
                                    encoding="utf-8")
    args = ["explain", str(tmp_path / "r.kpi"), "--facts", str(tmp_path / "f.csv"), "--employee"]
    result = run(*args, "Anna")
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "require nps ≥ 50%: 0.4 ≥ 0.5 → fails" in lines
    assert "bonus = plan_bonus × (1 + index − weight) = 10,000 × (1 + 0.963 − 1) = 9,630.00" in lines
    assert "→ bonus = 0.00 (a role condition failed: the role's bonus is 0)" in lines
    assert "bonus = revenue = 0.00 RUB" in lines
    result = run(*args, "Igor")
    assert result.exit_code == 0, result.output
    assert "the role has no KPIs: bonus = 0.00 RUB" in result.stdout


# ------------------------------------------------------------------ unknown period / employee (exit 1)


def test_a_period_not_in_the_data_lists_the_periods(at_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = run("eval", SEED, "--facts", SEED_DATA, "--period", "2026Q4", "-o", str(out))
    no_traceback(result)
    assert result.exit_code == 1
    assert "2026Q4" in result.stderr and all(p in result.stderr for p in ("2026Q1", "2026Q2", "2026Q3"))
    assert not out.exists()


def test_an_unknown_employee_gets_did_you_mean(at_root: Path) -> None:
    for command in ("eval", "explain"):
        result = run(command, SEED, "--facts", SEED_DATA, "--employee", "Смирнова Ана")
        no_traceback(result)
        assert result.exit_code == 1, command
        assert "did you mean" in result.stderr and MANAGER in result.stderr


# ------------------------------------------------------------------ the command layer alone
# The pipeline replaced by hand-built results: what the commands add on top of it.


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, at_root: Path):  # type: ignore[no-untyped-def]
    def install(diagnostics: list[Diagnostic] = [], ok: bool = True) -> list[api.EvalOptions]:  # noqa: B006
        seen: list[api.EvalOptions] = []

        def evaluate_with_facts(ruleset: str, facts: list[str], options: api.EvalOptions | None = None,
                                text: str | None = None) -> api.Traced:
            assert options is not None
            seen.append(options)
            model, _ = load(ruleset)
            results = seed_results(manager_q3(), pr_q3()) if ok else None
            return api.Traced(api.Evaluation(results, diagnostics, SourceCache()), model, seed_fact_table())

        monkeypatch.setattr(api, "evaluate_with_facts", evaluate_with_facts)
        return seen
    return install


def test_command_passes_the_canonical_period_and_the_datas_spelling_of_the_name(fake) -> None:  # type: ignore[no-untyped-def]
    seen = fake()
    result = run("eval", SEED, "--facts", SEED_DATA, "--period", "III кв. 2026", "--employee", "СМИРНОВА АННА",
                 "--format", "text", "--encoding", "CP1251", "--delimiter", "semicolon")
    assert result.exit_code == 0, result.output
    assert (seen[0].period, seen[0].employee, seen[0].encoding, seen[0].delimiter) == \
        ("2026Q3", MANAGER, "cp1251", ";")
    assert "Соколова Елена" not in result.stdout and f"31{NBSP}360,00" in result.stdout


def test_command_prints_warnings_on_stderr_and_keeps_them_in_json(fake) -> None:  # type: ignore[no-untyped-def]
    fake([warning("E010", "no data for fact `media_mentions` in 2026Q3", DataLocation(SEED_DATA, 77, "value"))])
    result = run("eval", SEED, "--facts", SEED_DATA, "--format", "json")
    assert result.exit_code == 0
    assert f"{SEED_DATA}:77:value: warning[E010]: no data for fact `media_mentions`" in result.stderr
    assert json.loads(result.stdout)["diagnostics"][0]["code"] == "E010"


def test_command_with_errors_writes_nothing(fake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake([error("D030", "`abc` is not a number", DataLocation(SEED_DATA, 8, "value"))], ok=False)
    out = tmp_path / "out.csv"
    result = run("eval", SEED, "--facts", SEED_DATA, "-o", str(out))
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{SEED_DATA}:8:value: error[D030]" in result.stderr and "1 error(s)" in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_command_rejects_an_unknown_period_and_employee(fake) -> None:  # type: ignore[no-untyped-def]
    fake()
    result = run("eval", SEED, "--facts", SEED_DATA, "--period", "2025Q4")
    assert result.exit_code == 1
    assert "period 2025Q4 is not in the data" in result.stderr and "2026Q1, 2026Q2, 2026Q3" in result.stderr
    result = run("eval", SEED, "--facts", SEED_DATA, "--employee", "Смирнов Анна")
    assert result.exit_code == 1 and f"did you mean `{MANAGER}`" in result.stderr


def test_command_refuses_to_write_over_the_ruleset_or_its_imports(fake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake()
    for target in (SEED, "rulesets/std/marketing.kpi", SEED_DATA):
        before = Path(target).read_bytes()
        result = run("eval", SEED, "--facts", SEED_DATA, "-o", target, "--format", "json")
        assert result.exit_code == 1 and "refusing to overwrite an input" in result.stderr, target
        assert Path(target).read_bytes() == before


def test_command_explains_with_the_table_it_was_given(fake) -> None:  # type: ignore[no-untyped-def]
    fake()
    result = run("explain", SEED, "--facts", SEED_DATA, "--employee", MANAGER)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith(", 2026Q3")
    assert f"= 5{NBSP}000 × (1 + 0,300 − 0,2) = 5{NBSP}500,00" in result.stdout


def test_records_rulesets_need_no_facts_and_take_sources(fake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seen = fake()
    deals = tmp_path / "deals.csv"
    deals.write_text("deal_id,created_at,manager,client,channel,amount,status\n", encoding="utf-8")
    args = ["eval", "rulesets/crm_showcase.kpi", "--source", f"deals={deals}", "--format", "json"]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert seen[0].records == {"deals": str(deals)}
    before = deals.read_bytes()
    result = run(*args, "-o", str(deals))  # a records file is an input too
    assert result.exit_code == 1 and "refusing to overwrite an input" in result.stderr
    assert deals.read_bytes() == before


# ------------------------------------------------------------------ usage errors (exit 2)


@pytest.mark.parametrize("args, needle", [
    (["eval", SEED], "--facts"),
    (["eval", SEED, "--facts", SEED_DATA, "--format", "pdf"], "pdf"),
    (["eval", SEED, "--facts", SEED_DATA, "--format", "xlsx"], "-o"),
    (["eval", SEED, "--facts", SEED_DATA, "--format", "csv", "--report", "bonus"], "--report"),
    (["eval", SEED, "--facts", SEED_DATA, "--encoding", "no-such-codec"], "no-such-codec"),
    (["eval", SEED, "--facts", SEED_DATA, "--delimiter", "ab"], "delimiter"),
    (["eval", SEED, "--facts", SEED_DATA, "--period", "Q5 2026"], "Q5 2026"),
    (["eval", SEED, "--facts", SEED_DATA, "--locale", "de"], "de"),
    (["explain", SEED, "--facts", SEED_DATA], "--employee"),
    (["eval", SEED, "--facts", SEED_DATA, "--source", "deals"], "NAME=FILE"),
    (["eval", SEED, "--facts", SEED_DATA, "--source", "a=x.csv", "--source", "a=y.csv"], "twice"),
])
def test_usage_errors_exit_2(at_root: Path, args: list[str], needle: str) -> None:
    result = run(*args)
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr


# ------------------------------------------------------------------ bad input (exit 1, no output)

RULESET = '''ruleset "Проверка" { currency RUB period quarter locale ru }
fact revenue  "Выручка; \\"нетто\\" --" unit RUB
fact ad_spend "Рекламный бюджет" unit RUB
metric roas "ROAS" = revenue / ad_spend unit ratio
role manager "Менеджер" {
  kpi roas weight 1 target 20 bonus 10000
}
employee "Смирнова Анна" role manager
'''
GOOD = """period,employee,fact,value
2026Q2,,revenue,1500000
2026Q2,,ad_spend,100000
2026Q3,,revenue,1926000
2026Q3,,ad_spend,107000
"""


@pytest.fixture
def case(tmp_path: Path) -> Path:
    (tmp_path / "r.kpi").write_text(RULESET, encoding="utf-8")
    (tmp_path / "facts.csv").write_text(GOOD, encoding="utf-8")
    return tmp_path


def eval_case(case: Path, *extra: str, facts: str = "facts.csv", out: str = "out.json") -> Result:
    return run("eval", str(case / "r.kpi"), "--facts", str(case / facts), "-o", str(case / out), *extra)


def bad(result: Result, case: Path, *needles: str, out: str = "out.json") -> None:
    no_traceback(result)
    assert result.exit_code == 1, (result.exit_code, result.output)
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    assert not (case / out).exists()
    assert not [p for p in case.iterdir() if p.name.endswith(".tmp")]


def test_the_small_case_itself_evaluates(case: Path) -> None:
    result = eval_case(case)
    assert result.exit_code == 0, result.output
    data = json.loads((case / "out.json").read_text(encoding="utf-8"))
    assert manager(data)["kpis"][0]["fact"] == 18 and manager(data)["bonus"] == "9000.00"


def test_non_numeric_cell(case: Path) -> None:
    (case / "facts.csv").write_text(GOOD.replace("2026Q3,,revenue,1926000", "2026Q3,,revenue,много"), encoding="utf-8")
    bad(eval_case(case), case, "facts.csv", "много")
    assert re.search(r"facts\.csv:4\b", eval_case(case).stderr)  # the row, as a spreadsheet numbers it


def test_a_fact_the_kpis_need_is_absent_from_the_data(case: Path) -> None:
    (case / "facts.csv").write_text("\n".join(row for row in GOOD.splitlines() if "ad_spend" not in row) + "\n",
                                    encoding="utf-8")
    bad(eval_case(case), case, "ad_spend")


def test_empty_facts_file(case: Path) -> None:
    (case / "facts.csv").write_bytes(b"")
    bad(eval_case(case), case, "facts.csv")


def test_missing_facts_file(case: Path) -> None:
    bad(eval_case(case, facts="nowhere.csv"), case, "nowhere.csv")


def test_a_header_with_quotes_and_semicolons_is_data_not_sql(case: Path) -> None:
    # The fact's title, quotes and semicolons included, is the column header of a wide file.
    wide = 'period;"Выручка; ""нетто"" --";Рекламный бюджет\n2026Q2;1500000;100000\n2026Q3;1926000;107000\n'
    (case / "facts.csv").write_text(wide, encoding="utf-8")
    result = eval_case(case)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    data = json.loads((case / "out.json").read_text(encoding="utf-8"))
    assert manager(data)["kpis"][0]["fact"] == 18


def test_a_bad_cell_under_a_header_with_quotes_and_semicolons(case: Path) -> None:
    wide = 'period;"Выручка; ""нетто"" --";Рекламный бюджет\n2026Q2;1500000;100000\n2026Q3;много;107000\n'
    (case / "facts.csv").write_text(wide, encoding="utf-8")
    bad(eval_case(case), case, 'Выручка; "нетто" --', "много")


def test_a_fact_name_with_quotes_and_semicolons_is_reported_not_run(case: Path) -> None:
    # A fact the ruleset does not declare is a warning (exports carry extra data); the
    # name reaches the message verbatim and nothing else changes.
    hostile = 'x"; DROP TABLE facts; --'
    quoted = hostile.replace('"', '""')
    (case / "facts.csv").write_text(GOOD + f'2026Q3,,"{quoted}",5\n', encoding="utf-8")
    result = eval_case(case)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert hostile in result.stderr and "warning" in result.stderr
    assert manager(json.loads((case / "out.json").read_text(encoding="utf-8")))["bonus"] == "9000.00"


def test_an_employee_whose_role_does_not_exist(case: Path) -> None:
    (case / "roster.csv").write_text("employee,role\nИванов Пётр,no_such_role\n", encoding="utf-8")
    bad(eval_case(case, "--roster", str(case / "roster.csv")), case, "no_such_role")


def test_duplicate_rows_name_both_rows(case: Path) -> None:
    (case / "facts.csv").write_text(GOOD + "2026Q3,,revenue,1926000\n", encoding="utf-8")
    result = eval_case(case)
    bad(result, case, "revenue")
    message = next(block for block in result.stderr.split("\n") if "facts.csv" in block and "revenue" in block)
    assert re.search(r"\b4\b", message) and re.search(r"\b6\b", message), message


def test_unwritable_output_path(case: Path) -> None:
    result = eval_case(case, out="no/such/folder/out.json")
    bad(result, case, "out.json", out="no/such/folder/out.json")


@pytest.mark.parametrize("target", ["facts.csv", "r.kpi"])
def test_output_over_an_input_is_refused(case: Path, target: str) -> None:
    before = (case / target).read_bytes()
    result = eval_case(case, out=target)
    no_traceback(result)
    assert result.exit_code == 1
    assert "input" in result.stderr
    assert (case / target).read_bytes() == before


# ------------------------------------------------------------------ bulk output (JSON, CSV, Parquet streamed)

SHOWCASE = "rulesets/crm_showcase.kpi"
SHOWCASE_ROSTER = "rulesets/data/crm_roster.csv"

# Every shape the JSON and CSV can take: tiny and huge numbers (float repr with an exponent,
# integers beyond a double), negatives, no data, unknown and failed gates, role gates,
# actions, a role without KPIs, an employee without data, quotes and Cyrillic in texts.
EDGES = '''ruleset "Края «edge» \\"cases\\"" { currency RUB  period quarter }
fact sales "Продажи, \\"шт\\""
fact leads
fact cost
metric tiny = sales / 100000
metric cpl "Цена лида" = cost / leads better lower
role rep "=Менеджер" {
  require leads >= 1
  kpi sales weight 0.5 target 3 bonus 1000
    when attainment < 100% action "Поговорить"
    when attainment < 1000% action "+Обучение"
  kpi tiny  weight 0.25 target 0.00003 bonus 333.33
    require sales > 2
  kpi cpl   weight 0.25 target 7 bonus 100000000000
}
role observer "Наблюдатель" { }
employee "A \\"Ас\\"" role rep
employee "Б" role rep
employee "@Наблюдатель" role observer
employee "В" role rep
'''
EDGE_FACTS = '''period,employee,fact,value
2026Q1,,sales,1
2026Q1,,leads,3
2026Q1,,cost,10
2026Q1,"A ""Ас""",sales,0.0000001
2026Q1,Б,sales,123456789012345.678901234567
2026Q1,Б,leads,0
2026Q2,,sales,-7
2026Q2,,cost,22
2026Q2,В,leads,9
2026Q3,,cost,5
'''


def object_path(fmt: str, *args: str) -> bytes:
    """What `kpidsl eval` wrote before bulk output: Results objects, then render_json / render_csv."""
    from kpidsl.cli import eval as eval_cmd
    from kpidsl.cli import options
    from kpidsl.output.export import render_csv, render_json

    @click.command()
    @click.argument("ruleset")
    @options.input_options
    def reference(ruleset: str, **kw: Any) -> None:
        inputs = options.Inputs(ruleset, kw["facts"], kw["roster"], kw["sources"], kw["period"], kw["employee"],
                                 kw["locale"], kw["encoding"], kw["delimiter"])
        done = eval_cmd.evaluate(inputs)
        data = (render_json(done.results, done.traced.evaluation.diagnostics) if fmt == "json"
                else render_csv(done.results))
        eval_cmd.write_output(data, None, [])

    result = CliRunner().invoke(reference, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def bulk(fmt: str, *args: str) -> bytes:
    result = run("eval", *args, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


@pytest.fixture
def edges(tmp_path: Path) -> Path:
    (tmp_path / "edges.kpi").write_text(EDGES, encoding="utf-8")
    (tmp_path / "facts.csv").write_text(EDGE_FACTS, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("narrow", [(), ("--period", "2026Q3"), ("--employee", MANAGER)])
def test_bulk_output_is_byte_identical_to_the_object_path_on_the_seed(at_root: Path, fmt: str,
                                                                      narrow: tuple[str, ...]) -> None:
    args = (SEED, "--facts", SEED_DATA, *narrow)
    assert bulk(fmt, *args) == object_path(fmt, *args)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_bulk_output_is_byte_identical_to_the_object_path_on_the_showcase(at_root: Path, fmt: str) -> None:
    args = (SHOWCASE, "--roster", SHOWCASE_ROSTER)
    assert bulk(fmt, *args) == object_path(fmt, *args)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_bulk_output_is_byte_identical_on_edge_cases(edges: Path, fmt: str) -> None:
    args = (str(edges / "edges.kpi"), "--facts", str(edges / "facts.csv"))
    produced = bulk(fmt, *args)
    assert produced == object_path(fmt, *args)
    if fmt == "json":  # the case covers what it claims to
        data = json.loads(produced)
        kpis = [k for r in data["results"] for k in r["kpis"]]
        assert {k["status"] for k in kpis} >= {"no_data", "gated", "missed"}
        assert any(isinstance(k["fact"], float) and "e" in repr(k["fact"]) for k in kpis)
        assert any(r["kpis"] == [] for r in data["results"]) and any(r["gates"] for r in data["results"])
        assert any(k["actions"] for k in kpis) and any(g["passed"] is None for k in kpis for g in k["gates"])


def test_parquet_results_are_exact_typed_and_agree_with_json(at_root: Path, tmp_path: Path) -> None:
    import duckdb

    out = tmp_path / "results.parquet"
    result = run("eval", SHOWCASE, "--roster", SHOWCASE_ROSTER, "-o", str(out))  # the suffix picks parquet
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["results.parquet"]
    con = duckdb.connect()
    types = dict(con.execute(f"DESCRIBE SELECT * FROM read_parquet('{out}')").fetchall()[i][:2]
                 for i in range(len(con.execute(f"DESCRIBE SELECT * FROM read_parquet('{out}')").fetchall())))
    assert types["bonus"] == "DECIMAL(38,2)" and types["attainment"] == "DECIMAL(38,12)"
    assert types["gates"].startswith("STRUCT(") and types["actions"] == "VARCHAR[]"
    rows = con.execute("SELECT period, employee, kpi, bonus, status, gates, actions "
                       f"FROM read_parquet('{out}')").fetchall()
    data = json.loads(bulk("json", SHOWCASE, "--roster", SHOWCASE_ROSTER))
    expected = [(r["period"], r["employee"], k["kpi"], Decimal(k["bonus"]), k["status"],
                 [{"condition": g["condition"], "passed": g["passed"], "scope": "kpi"} for g in k["gates"]],
                 k["actions"]) for r in data["results"] for k in r["kpis"]]
    assert [(p, e, k, b, s, g, a) for p, e, k, b, s, g, a in rows] == expected  # same rows, same order


def test_parquet_needs_an_output_file_and_limits_are_checked(at_root: Path) -> None:
    assert run("eval", SEED, "--facts", SEED_DATA, "--format", "parquet").exit_code == 2
    for bad_option in (["--memory-limit", "lots"], ["--threads", "0"]):
        result = run("eval", SEED, "--facts", SEED_DATA, *bad_option)
        assert result.exit_code == 2 and not result.stdout, result.output
    limited = run("eval", SEED, "--facts", SEED_DATA, "--memory-limit", "500MB", "--threads", "1", "--quiet")
    assert limited.exit_code == 0 and manager(json.loads(limited.stdout))["bonus"] == "31360.00"


def test_progress_shows_each_stage_on_a_terminal_only(at_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpidsl.base import progress as progress_module

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    original = progress_module.Progress.__init__

    def on_screen(self: Any, stream: Any = None, **kw: Any) -> None:
        original(self, screen, **{**kw, "threshold": 0.0})

    monkeypatch.setattr(progress_module.Progress, "__init__", on_screen)
    result = run("eval", SHOWCASE, "--roster", SHOWCASE_ROSTER, "--format", "json")
    assert result.exit_code == 0
    shown = re.findall(r"kpidsl: (\w+) +\d+\.\d\d s", screen.getvalue())  # finished stages, with their times
    assert shown == ["load", "aggregate", "score", "explain", "write", "total"]
    screen.seek(0)
    screen.truncate()
    assert run("eval", SHOWCASE, "--roster", SHOWCASE_ROSTER, "--format", "json", "--quiet").exit_code == 0
    assert screen.getvalue() == ""


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_python_and_duckdb_layouts_write_the_same_bytes(edges: Path, fmt: str) -> None:
    """bulk.py formats in Python when the outputs are not the expected decimals; both layouts agree."""
    from kpidsl import api
    from kpidsl.output import bulk

    written = {}
    for layout in ("sql", "python"):
        started = api.start(str(edges / "edges.kpi"), [str(edges / "facts.csv")], api.EvalOptions(metrics=False))
        assert started.session is not None
        try:
            skeleton = bulk.prepare(started.session)
            out = edges / f"out-{layout}.{fmt}"
            bulk.write(started.session, skeleton, fmt, str(out), started.diagnostics, layout=layout)
            written[layout] = out.read_bytes()
        finally:
            started.close()
    assert written["sql"] == written["python"]
    assert written["sql"] == object_path(fmt, str(edges / "edges.kpi"), "--facts", str(edges / "facts.csv"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.decimals(min_value=Decimal("-99999999999999999999999999.999999999999"),
                            max_value=Decimal("99999999999999999999999999.999999999999"), places=12,
                            allow_nan=False, allow_infinity=False), min_size=1, max_size=40))
def test_duckdb_writes_json_numbers_as_results_to_json_does(values: list[Decimal]) -> None:
    """DuckDB lays out JSON numbers exactly: an integer, or every decimal digit (no float)."""
    import duckdb
    from sqlglot import exp

    from kpidsl.output.bulk_text import json_number_sql

    def num(value: Decimal) -> str:  # an independent reference: the digits, trailing zeros dropped
        sign, digits, exponent = value.as_tuple()
        text = "".join(map(str, digits)).rjust(-exponent + 1, "0") if exponent < 0 else str(int(value))
        if exponent >= 0 or not text[exponent:].strip("0"):
            return str(int(value))
        whole, fraction = text[:exponent], text[exponent:].rstrip("0")
        return ("-" if sign else "") + whole.lstrip("0").rjust(1, "0") + "." + fraction

    wide = Context(prec=60)
    values = [v.quantize(Decimal("1e-12"), context=wide) for v in values if abs(v) < Decimal(10) ** 26]
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT CAST(UNNEST($1) AS DECIMAL(38,12)) AS x, generate_subscripts($1, 1) AS i",
                [[str(v) for v in values]])
    query = exp.select(json_number_sql(exp.column("x", table="k")).as_("j")).from_(exp.to_table("t").as_("k")) \
        .order_by(exp.column("i"))
    assert [r[0] for r in con.execute(query.sql(dialect="duckdb")).fetchall()] == [num(v) for v in values]
