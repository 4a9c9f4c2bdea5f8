"""The employee's total index ("итоговый коэффициент"): Σ of the KPI lines' indices, a
gated line counting 0, unknown when a line's index is — checked against an independent
reference, in every output that shows it."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpidsl.api import evaluate
from kpidsl.cli.main import cli

TWELVE = Decimal("1e-12")


def q12(x: Fraction) -> Decimal:
    """The engine's rounding: half away from zero at 12 decimals (values here are positive)."""
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(TWELVE, rounding=ROUND_HALF_UP)


def ruleset(lines: list[tuple[Decimal, int]], gate: bool) -> str:
    gated = "\n    require ok > 0"
    kpis = "\n".join(f"  kpi f{i} weight {w} target {t} bonus 1000" + (gated if gate and i == 0 else "")
                     for i, (w, t) in enumerate(lines))
    facts = "\n".join(f'fact f{i} "F{i}"' for i in range(len(lines)))
    return f'{facts}\nfact ok "OK"\nrole r "R" {{\n{kpis}\n}}\nemployee "Иванов" role r\n'


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=99), unique=True, max_size=4).map(sorted),
       targets=st.lists(st.integers(min_value=1, max_value=10**6), min_size=5, max_size=5),
       facts=st.lists(st.integers(min_value=0, max_value=10**7), min_size=5, max_size=5),
       gate_fails=st.booleans())
def test_the_total_is_the_sum_of_the_indices(tmp_path: Path, cuts: list[int], targets: list[int], facts: list[int],
                                              gate_fails: bool) -> None:
    bounds = [0, *cuts, 100]  # weights in hundredths that sum to 1, as the checker requires
    lines = [(Decimal(b - a) / 100, targets[i]) for i, (a, b) in enumerate(pairwise(bounds))]
    rules, data = tmp_path / "r.kpi", tmp_path / "f.csv"
    rules.write_text(ruleset(lines, gate=True), encoding="utf-8")
    rows = [f"2026Q3,Иванов,f{i},{facts[i]}" for i in range(len(lines))]
    rows.append(f"2026Q3,Иванов,ok,{0 if gate_fails else 1}")
    data.write_text("period,employee,fact,value\n" + "\n".join(rows) + "\n", encoding="utf-8")
    done = evaluate(rules, [data])
    assert done.results is not None, done.diagnostics
    (employee,) = done.results.results
    expected = Decimal(0)
    for i, (weight, target) in enumerate(lines):
        index = q12(Fraction(weight) * Fraction(q12(Fraction(facts[i], target))))
        expected += Decimal(0) if (i == 0 and gate_fails) else index
    assert employee.index == expected
    assert employee.index_plan == sum((w for w, _ in lines), Decimal(0))


MATRIX = '''fact revenue "Выручка" unit RUB
fact deals   "Сделки"  unit count
fact nps     "NPS"     unit percent
role sales "Менеджер по продажам" {
  kpi revenue weight 0.5  target 10_000_000 bonus 10000
  kpi deals   weight 0.25 target 20         bonus 5000
  kpi nps     weight 0.25 target 60%        bonus 5000
}
employee "Соколов Илья" role sales
'''


def _matrix(tmp_path: Path, deals: str = "17") -> tuple[Path, Path]:
    rules, data = tmp_path / "m.kpi", tmp_path / "m.csv"
    rules.write_text(MATRIX, encoding="utf-8")
    data.write_text(f"period,employee,fact,value\n2026Q3,,revenue,11000000\n2026Q3,,deals,{deals}\n2026Q3,,nps,90%\n",
                    encoding="utf-8")
    return rules, data


def test_the_kpi_matrix_example_shows_113_75_percent_in_json_and_text(tmp_path: Path) -> None:
    rules, data = _matrix(tmp_path)
    streamed = CliRunner().invoke(cli, ["eval", str(rules), "--facts", str(data), "--format", "json"])
    assert streamed.exit_code == 0, streamed.output
    (result,) = json.loads(streamed.stdout, parse_float=Decimal)["results"]
    assert (result["index"], result["index_plan"]) == (Decimal("1.1375"), 1)
    assert list(result)[-5:] == ["index", "index_plan", "payout", "plan_bonus", "bonus"]  # next to the bonus
    assert evaluate(rules, [data]).results.to_json()["results"][0]["index"] == Decimal("1.1375")  # type: ignore[union-attr,index]
    text = CliRunner().invoke(cli, ["eval", str(rules), "--facts", str(data), "--format", "text"])
    total = next(line for line in text.stdout.splitlines() if line.strip().startswith("итого"))
    assert total.split()[:4] == ["итого", "1", "1,138", "+0,138"], total  # Σ weights, the total, its deviation


def test_an_unknown_line_makes_the_total_unknown_everywhere(tmp_path: Path) -> None:
    rules, data = _matrix(tmp_path, deals="н/д")
    streamed = CliRunner().invoke(cli, ["eval", str(rules), "--facts", str(data), "--format", "json"])
    (result,) = json.loads(streamed.stdout)["results"]
    assert (result["index"], result["index_plan"]) == (None, 1)
    text = CliRunner().invoke(cli, ["eval", str(rules), "--facts", str(data), "--format", "text"])
    total = next(line for line in text.stdout.splitlines() if line.strip().startswith("итого"))
    assert total.split()[:3] == ["итого", "1", "—"], total


def test_explain_shows_the_sum(tmp_path: Path) -> None:
    rules, data = _matrix(tmp_path)
    done = CliRunner().invoke(cli, ["explain", str(rules), "--facts", str(data), "--employee", "Соколов Илья",
                                    "--period", "2026Q3"])
    assert done.exit_code == 0, done.output
    assert "index = revenue + deals + nps = 0,550 + 0,2125 + 0,375 = 1,1375" in done.stdout
    assert "index_plan = 1" in done.stdout
