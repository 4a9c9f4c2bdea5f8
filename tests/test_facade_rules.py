"""The facade holds the rules: `kpidsl eval` and `kpidsl.api.evaluate` agree.

For a set of inputs — good data, a fact no file names (D042), a value marked `н/д`, a
wide file with an empty column, a fact needed only by a role nobody holds, a narrowed
employee — the CLI exits 1 exactly when the API's evaluation is not ok, and both report
the same error codes.  The spec step library sees the API, so a rule the CLI added on
its own would make a spec pass where the command fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpidsl.api import EvalOptions, evaluate
from kpidsl.cli.main import cli

RULESET = '''fact deals   "Сделки"  unit count
fact revenue "Выручка" unit RUB
fact visits  "Визиты"  unit count
metric per_visit = revenue / visits

role sales "Продажи" {
  kpi deals   weight 0.5 target 100       bonus 5000
  kpi revenue weight 0.5 target 1_000_000 bonus 5000
}
role web "Сайт" {
  kpi per_visit weight 1 target 10 bonus 1000
}
role nobody "Вакансия" {
  kpi visits weight 1 target 10 bonus 1000
}

employee "Соколов" role sales
employee "Орлова"  role web
'''

CASES = {
    # name: (facts CSV, --employee, error codes both must report)
    "complete": ("period,employee,fact,value\n2026Q3,,deals,90\n2026Q3,,revenue,1000000\n2026Q3,,visits,5\n",
                 None, set()),
    "a fact no file names": ("period,employee,fact,value\n2026Q3,,revenue,1000000\n2026Q3,,visits,5\n",
                             None, {"D042"}),
    "a fact reached through a metric": ("period,employee,fact,value\n2026Q3,,deals,90\n2026Q3,,revenue,1\n",
                                        None, {"D042"}),
    "marked н/д on purpose": ("period,employee,fact,value\n2026Q3,,deals,н/д\n2026Q3,,revenue,1\n2026Q3,,visits,5\n",
                              None, set()),
    "a wide file with an empty column": ("period;deals;revenue;visits\n2026Q3;;1000000;5\n", None, set()),
    "narrowed to an employee who needs it not": ("period,employee,fact,value\n2026Q3,,revenue,1\n2026Q3,,visits,5\n",
                                                 "Орлова", set()),
    "narrowed to an employee who needs it": ("period,employee,fact,value\n2026Q3,,revenue,1\n2026Q3,,visits,5\n",
                                             "Соколов", {"D042"}),
}


def _codes(text: str) -> set[str]:
    return set(re.findall(r"error\[([A-Z]\d{3})\]", text))


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_command_and_the_api_agree(tmp_path: Path, case: str) -> None:
    facts_text, employee, expected = CASES[case]
    ruleset, facts = tmp_path / "r.kpi", tmp_path / "f.csv"
    ruleset.write_text(RULESET, encoding="utf-8")
    facts.write_text(facts_text, encoding="utf-8")

    api = evaluate(ruleset, [facts], EvalOptions(employee=employee))
    api_errors = {d.code for d in api.diagnostics if d.is_error}
    args = ["eval", str(ruleset), "--facts", str(facts), "--format", "json"]
    if employee is not None:
        args += ["--employee", employee]
    run = CliRunner().invoke(cli, args)

    assert api_errors == expected
    assert _codes(run.stderr) == expected, run.stderr
    assert (run.exit_code == 1) == (not api.ok) == bool(expected), run.stderr
    assert run.exit_code in (0, 1)


def test_the_error_names_the_fact_the_kpi_and_the_declaration(tmp_path: Path) -> None:
    ruleset, facts = tmp_path / "r.kpi", tmp_path / "f.csv"
    ruleset.write_text(RULESET, encoding="utf-8")
    facts.write_text("period,employee,fact,value\n2026Q3,,revenue,1000000\n2026Q3,,visits,5\n", encoding="utf-8")
    (d,) = [d for d in evaluate(ruleset, [facts]).diagnostics if d.code == "D042"]
    assert d.is_error
    assert "`deals`" in d.message and "KPI `deals` of role `sales`" in d.message and "f.csv" in d.message
    assert (d.location.file, d.location.line, d.location.column) == (str(ruleset), 1, 6)
    assert d.hint is not None and "н/д" in d.hint
