"""A role's payout (`payout { … }`): the employee's whole bonus from the role's totals, with a
cut-off, a cap and a guaranteed minimum — checked against an independent Fraction reference,
in every output that shows it; and the payout's bad inputs."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpidsl.cli.main import cli
from tests.helpers_engine import evaluate, facts, model_from

MATRIX = """
fact salary "Оклад" unit RUB
fact f0 "F0"
fact f1 "F1"
fact f2 "F2"
scheme matrix "Матрица" {{
  index = weight * attainment
  payout {{
    k = min(total, {cap})
    bonus = if total < {cut} then 0 else max(salary * {share} * k, {floor})
  }}
}}
role r "R" {{
  scheme matrix
  kpi f0 weight {w0} target 100
  kpi f1 weight {w1} target 100
  kpi f2 weight {w2} target 100
}}
employee "Иванов" role r
"""


def money(x: Fraction) -> Decimal:
    """The currency's minor unit, half away from zero (values here are not negative)."""
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def reference(weights: list[Fraction], attainments: list[Fraction], salary: int, share: Fraction,
              cut: Fraction, cap: Fraction, floor: int) -> tuple[Fraction, Decimal, Decimal]:
    """total, bonus and planned bonus by the methodology (§7), in exact fractions."""
    total = sum((w * a for w, a in zip(weights, attainments, strict=True)), Fraction(0))

    def pay(t: Fraction) -> Decimal:
        return money(Fraction(0) if t < cut else max(salary * share * min(t, cap), Fraction(floor)))

    return total, pay(total), pay(sum(weights, Fraction(0)))


# weights in twentieths summing to 1, facts against targets of 100: every product is exact, so
# the only rounding is the payout's one, to the kopeck
weights = st.tuples(st.integers(0, 20), st.integers(0, 20)).filter(lambda t: t[0] + t[1] <= 20)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=weights, fs=st.lists(st.integers(0, 400), min_size=3, max_size=3), salary=st.integers(0, 10**7),
       share=st.sampled_from(["25%", "20%", "7.5%"]), cut=st.sampled_from(["0%", "70%", "80%"]),
       cap=st.sampled_from(["120%", "150%", "200%"]), floor=st.sampled_from([0, 5000]))
def test_payout_with_cut_off_cap_and_floor_matches_the_reference(w: tuple[int, int], fs: list[int], salary: int,
                                                                 share: str, cut: str, cap: str, floor: int) -> None:
    ws = [Fraction(w[0], 20), Fraction(w[1], 20), Fraction(20 - w[0] - w[1], 20)]
    text = MATRIX.format(cap=cap, cut=cut, share=share, floor=floor,
                         **{f"w{i}": str(Decimal(x.numerator) / Decimal(x.denominator)) for i, x in enumerate(ws)})
    model = model_from(text)
    rows = [("2026Q3", "Иванов", "salary", salary), *(("2026Q3", None, f"f{i}", f) for i, f in enumerate(fs))]
    results, diagnostics = evaluate(model, facts(*rows))
    assert not [d for d in diagnostics if d.is_error]
    (r,) = results.results

    def pct(s: str) -> Fraction:
        return Fraction(s.rstrip("%")) / 100

    total, bonus, plan = reference(ws, [Fraction(f, 100) for f in fs], salary, pct(share), pct(cut), pct(cap), floor)
    assert r.index == total and r.bonus == bonus and r.plan_bonus == plan, (r.index, r.bonus, r.plan_bonus)
    assert r.payout == "paid"


def _matrix_files(tmp_path, salary: str = "100000"):  # type: ignore[no-untyped-def]
    rules = tmp_path / "m.kpi"
    rules.write_text('ruleset "M" { currency RUB period quarter }\n' + MATRIX.format(
        cap="150%", cut="70%", share="25%", floor=0, w0="0.5", w1="0.25", w2="0.25"), encoding="utf-8")
    data = tmp_path / "m.csv"
    data.write_text("period,employee,fact,value\n"
                    f"2026Q3,Иванов,salary,{salary}\n2026Q3,,f0,110\n2026Q3,,f1,85\n2026Q3,,f2,150\n", encoding="utf-8")
    return rules, data


def test_every_output_shows_the_payout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """113,75 % of plan on a salary of 100 000 at 25 %: 28 437,50 in JSON, CSV,
    the text table and explain; the planned bonus 25 000,00.  (That the bulk JSON and CSV equal
    `render_json` / `render_csv` byte for byte is tests/test_export.py's.)"""
    rules, data = _matrix_files(tmp_path)
    out = CliRunner().invoke(cli, ["eval", str(rules), "--facts", str(data), "--format", "json"])
    assert out.exit_code == 0, out.output
    (result,) = json.loads(out.stdout, parse_float=Decimal)["results"]
    assert (result["index"], result["payout"], result["plan_bonus"], result["bonus"]) == \
        (Decimal("1.1375"), "paid", "25000.00", "28437.50")
    csv = CliRunner().invoke(cli, ["eval", str(rules), "--facts", str(data), "--format", "csv"])
    header, first, *_ = csv.stdout.lstrip("\ufeff").splitlines()
    assert header.endswith("total_index,total_index_plan,total_plan_bonus,total_bonus,payout")
    assert first.endswith("1.1375,1,25000.00,28437.50,paid")
    text = CliRunner().invoke(cli, ["eval", str(rules), "--facts", str(data), "--format", "text"])
    text.stdout_bytes = text.stdout_bytes.replace("\xa0".encode(), b" ")  # the locale's spaces, for reading
    assert "25 000,00  28 437,50" in text.stdout and "→ 28 437,50 RUB (выплачена)" in text.stdout
    explained = CliRunner().invoke(cli, ["explain", str(rules), "--facts", str(data), "--employee", "Иванов"])
    assert explained.exit_code == 0, explained.output
    shown = explained.stdout.replace("\xa0", " ")
    assert "max(100 000 × 0,25 × 1,1375, 0) = 28 437,50 RUB" in shown
    assert "plan_bonus = " in shown and "25 000,00 RUB" in shown


def test_a_missing_salary_pays_nothing_and_says_why(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules, data = _matrix_files(tmp_path, salary="н/д")
    out = CliRunner().invoke(cli, ["eval", str(rules), "--facts", str(data), "--format", "json"])
    (result,) = json.loads(out.stdout, parse_float=Decimal)["results"]
    assert (result["payout"], result["bonus"], result["plan_bonus"]) == ("no_data", "0.00", "0.00")
    messages = [d["message"] for d in json.loads(out.stdout)["diagnostics"] if d["code"] == "E020"]
    assert any("no payout for role `r`" in m and "fact `salary` has no value" in m for m in messages), messages


def test_a_failed_role_condition_zeroes_the_payout() -> None:
    model = model_from("""
fact salary "Оклад" unit RUB
fact f0 "F0"
fact ok "OK"
role r "R" {
  require ok > 0
  kpi f0 weight 1 target 100
  payout { bonus = salary * 10% * total }
}
employee "Иванов" role r
""")
    rows = [("2026Q3", "Иванов", "salary", 100000), ("2026Q3", None, "f0", 100), ("2026Q3", None, "ok", 0)]
    results, _ = evaluate(model, facts(*rows))
    (r,) = results.results
    assert (r.payout, r.bonus, r.plan_bonus) == ("gated", Decimal("0.00"), Decimal("10000.00"))


def test_line_values_and_the_lines_own_money() -> None:
    """`attainment(revenue)` is that line's attainment; `lines_bonus` the lines' rounded bonuses
    (at 80 %: 10 000 × (1 + 0,4 − 0,5) + 10 000 = 19 000; at 120 %: 11 000 + 10 000)."""
    model = model_from("""
fact revenue "Выручка"
fact deals "Сделки"
role lead "Руководитель" {
  kpi revenue weight 0.5 target 100 bonus 10000
  kpi deals weight 0.5 target 10 bonus 10000
  payout { bonus = if attainment(revenue) < 80% then 0 else max(lines_bonus, 12000) }
}
employee "Петров" role lead
""")
    for revenue, expected in ((79, "0.00"), (80, "19000.00"), (120, "21000.00")):
        results, _ = evaluate(model, facts(("2026Q3", None, "revenue", revenue), ("2026Q3", None, "deals", 10)))
        (r,) = results.results
        assert r.bonus == Decimal(expected), (revenue, r.bonus)
        assert r.lines_bonus == sum((k.bonus for k in r.kpis), Decimal(0))
        assert r.plan_bonus == Decimal("20000.00")  # every line on plan: lines_bonus = lines_plan_bonus


def test_bad_payouts_are_located_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An unknown KPI line (K061), no `bonus` (K045), a total redefined (K045), a role payout
    without KPI lines (K062), a total outside a payout (K026): exit 1, at line:col."""
    head = 'ruleset "M" { currency RUB period quarter }\nfact salary "Оклад" unit RUB\nfact f0 "F0"\n'
    cases = {
        "K061": 'role r "R" {\n  kpi f0 weight 1 target 1\n  payout { bonus = index(f1) }\n}\n',
        "K045": 'role r "R" {\n  kpi f0 weight 1 target 1\n  payout { k = total }\n}\n',
        "K062": 'role r "R" {\n  payout { bonus = salary }\n}\n',
        "K026": 'metric m = total * 2\n',
    }
    places = {"K061": ":6:26:", "K045": ":6:3:", "K062": ":5:3:", "K026": ":4:12:"}
    data = tmp_path / "facts.csv"
    data.write_text("period,employee,fact,value\n2026Q3,,f0,1\n2026Q3,,salary,100\n", encoding="utf-8")
    for code, body in cases.items():
        path = tmp_path / f"{code}.kpi"
        path.write_text(head + body, encoding="utf-8")
        out = CliRunner().invoke(cli, ["check", str(path)])
        assert out.exit_code == 1, (code, out.output)
        assert f"{path}{places[code]} error[{code}]" in out.output, (code, out.output)
        written = tmp_path / f"{code}.json"  # eval stops at the same place and writes nothing
        run = CliRunner().invoke(cli, ["eval", str(path), "--facts", str(data), "-o", str(written)])
        assert run.exit_code == 1 and f"{path}{places[code]} error[{code}]" in run.output, (code, run.output)
        assert not written.exists()
    redefined = tmp_path / "total.kpi"
    redefined.write_text(head + 'role r "R" {\n  kpi f0 weight 1 target 1\n  payout { total = 1 bonus = total }\n}\n',
                         encoding="utf-8")
    out = CliRunner().invoke(cli, ["check", str(redefined)])
    assert out.exit_code == 1 and "`total` is a role total; a payout cannot redefine it" in out.output


def test_the_statement_says_the_role_formula_pays(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The employee statement describes the payout, not a sum of per-KPI bonuses, and adds up:
    the formula, the total and the amount it pays."""
    rules, data = _matrix_files(tmp_path)
    out = tmp_path / "statement.md"
    run = CliRunner().invoke(cli, ["eval", str(rules), "--facts", str(data), "--format", "md", "--report", "statement",
                                   "-o", str(out)])
    assert run.exit_code == 0, run.output
    text = out.read_text(encoding="utf-8").replace("\xa0", " ").replace("\u202f", " ")
    assert "Премию сотрудника даёт формула роли" in text
    assert "Премия роли считается по её формуле \\`bonus = if total \\< 70% then 0" in text  # Markdown-escaped
    assert "при итоговом коэффициенте 113,75 % это 28 437,50 ₽ (плановая 25 000,00 ₽" in text
    assert "Итоговая премия — сумма премий по показателям" not in text and "× (1 + индекс − вес)" not in text


def test_the_regulation_states_each_role_payout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`kpidsl doc` gives each payout its own section: the formulas in symbols and in words."""
    rules, data = _matrix_files(tmp_path)
    out = CliRunner().invoke(cli, ["doc", str(rules), "--facts", str(data), "--format", "md"])
    assert out.exit_code == 0, out.output
    section = out.stdout.split("### Премия роли «R»", 1)[1].split("\n## ", 1)[0]
    assert "`k = min(total, 150%)`" in section and "наименьшее из (total, 150%)" in section
    assert "«Оклад» × 25% × k" in section
    assert "28 437,50 ₽" in out.stdout.replace("\xa0", " ")  # the worked example, computed by the engine


def test_the_bonus_report_shows_no_line_money_where_the_payout_pays(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules, data = _matrix_files(tmp_path)
    out = CliRunner().invoke(cli, ["eval", str(rules), "--facts", str(data), "--format", "md", "--report", "bonus"])
    text = out.stdout.replace("\xa0", " ")
    assert "| +0,050 |  |  | выполнен |" in text  # the F0 line: no 0,00 of its own
    assert "| **25 000,00 ₽** | **28 437,50 ₽** | |" in text  # the employee's total: the payout's
