"""Regression tests for the defects found while writing real compensation plans (the
issue on real plans, item 8), one per defect, named after it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from kpidsl.cli.main import cli

RULES_ONLY = '''fact leads "Лиды" unit count
rule low_leads "Мало лидов" {
  when leads < 10
  level warning
  message "мало лидов"
}
'''
KPI_LESS = RULES_ONLY + '''role intern "Стажёр" { }
employee "Петров" role intern
'''


@pytest.mark.parametrize("ruleset", [RULES_ONLY, KPI_LESS], ids=["rules only", "a role without KPI lines"])
@pytest.mark.parametrize("fmt", ["json", "csv", "parquet"])
def test_8a_bulk_output_of_a_ruleset_without_kpi_lines_gives_the_findings(tmp_path: Path, ruleset: str,
                                                                           fmt: str) -> None:
    rules, facts, out = tmp_path / "r.kpi", tmp_path / "f.csv", tmp_path / f"out.{fmt}"
    rules.write_text(ruleset, encoding="utf-8")
    facts.write_text("period,employee,fact,value\n2026Q3,,leads,5\n", encoding="utf-8")
    done = CliRunner().invoke(cli, ["eval", str(rules), "--facts", str(facts), "--format", fmt, "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert "internal error" not in done.output and "Catalog" not in done.output
    if fmt == "json":
        data = json.loads(out.read_text(encoding="utf-8"))
        people = [(r["employee"], r["role"], r["kpis"], r["bonus"]) for r in data["results"]]
        assert people == ([] if ruleset == RULES_ONLY else [("Петров", "intern", [], "0.00")])
        assert [(f["rule"], f["period"], f["message"]) for f in data["findings"]] == [
            ("low_leads", "2026Q3", "мало лидов")]
    elif fmt == "csv":  # the KPI table: its header, and no rows (findings are JSON's and the reports')
        lines = out.read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].startswith("period,employee,role,") and lines[1:] == []
    else:
        assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}')").fetchall() == [(0,)]
