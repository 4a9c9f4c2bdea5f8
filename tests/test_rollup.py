"""Monthly data paid quarterly (`period month pay quarter`): facts roll up by their
`rollup` (sum, last, avg), metrics are recomputed from the rolled-up facts, and bad
input is caught — checked against an independent Fraction reference."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from kpidsl.cli.main import cli
from kpidsl.language.fmt import format_text
from tests.helpers_engine import ROLLED_UP as RULESET
from tests.helpers_engine import evaluate, facts, kpi, model_from


def _exact(value: Fraction, digits: int = 12) -> Decimal:
    """`value` rounded half away from zero to `digits` decimals, from the fraction itself."""
    scaled = abs(value) * 10**digits
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    return Decimal(whole if value >= 0 else -whole).scaleb(-digits)


def _month_rows(month: str, deals: int, leads: int, customers: int | None, nps: str) -> list:  # type: ignore[type-arg]
    rows = [(month, "Анна", "deals", deals), (month, "Анна", "leads", leads), (month, None, "nps", nps)]
    if customers is not None:
        rows.append((month, "Анна", "customers", customers))
    return rows


def test_a_quarter_is_computed_from_the_sums_of_its_months_never_the_mean_of_rates() -> None:
    rows = [*_month_rows("2026-07", 10, 100, 7, "40"), *_month_rows("2026-08", 5, 20, None, "40"),
            *_month_rows("2026-09", 15, 30, 9, "41")]
    results, diagnostics = evaluate(model_from(RULESET), facts(*rows))
    assert [(r.period, r.employee) for r in results.results] == [("2026Q3", "Анна")]
    conversion = kpi(results, "2026Q3", "Анна", "conversion")
    assert conversion.fact == Decimal("0.2")  # 30 / 150, not (10 % + 25 % + 50 %) / 3
    assert kpi(results, "2026Q3", "Анна", "customers").fact == 9  # the latest month with a value
    assert kpi(results, "2026Q3", "Анна", "nps").fact == Decimal("40.333333333333")  # (40 + 40 + 41) / 3
    # only the growth KPI lacks data: the quarter before is not in it
    assert {(d.code, "deals_growth" in d.message) for d in diagnostics if d.code.startswith("E")} == {("E020", True)}


def test_prev_and_growth_compare_payout_periods() -> None:
    rows = [*_month_rows("2026-06", 20, 100, 5, "40"), *_month_rows("2026-07", 10, 100, 7, "40"),
            *_month_rows("2026-08", 5, 20, 7, "40"), *_month_rows("2026-09", 15, 30, 9, "41")]
    results, diagnostics = evaluate(model_from(RULESET), facts(*rows))
    growth = kpi(results, "2026Q3", "Анна", "deals_growth")
    assert growth.fact == Decimal("0.5")  # Q3 has 30 deals, Q2 (June only) 20
    e055 = [d for d in diagnostics if d.code == "E055"]
    assert len(e055) == 1 and "2026Q2 has data for 2026-06 but not for 2026-04, 2026-05" in e055[0].message


def test_the_explanation_names_every_month_a_value_is_rolled_up_from(tmp_path: Path) -> None:
    (tmp_path / "r.kpi").write_text(RULESET, encoding="utf-8")
    lines = ["period,employee,fact,value"] + [f"{m},Анна,{f},{v}" for m in ("2026-07", "2026-08", "2026-09")
                                              for f, v in (("deals", 10), ("leads", 50), ("customers", 3))]
    lines += [f"{m},,nps,40" for m in ("2026-07", "2026-08", "2026-09")]
    (tmp_path / "f.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["explain", str(tmp_path / "r.kpi"), "--facts", str(tmp_path / "f.csv"),
                                   "--employee", "Анна", "--period", "2026Q3"])
    assert out.exit_code == 0, out.output
    assert "deals (2026Q3, Анна) = 30" in out.output
    assert f"sum(2026-07, 2026-08, 2026-09) ← {tmp_path / 'f.csv'}:row 2, 5, 8" in out.output
    assert "last(2026-07, 2026-08, 2026-09)" in out.output
    # --period speaks of payout periods: a month is a usage error that says how to write one
    month = CliRunner().invoke(cli, ["eval", str(tmp_path / "r.kpi"), "--facts", str(tmp_path / "f.csv"),
                                     "--period", "2026-07"])
    assert month.exit_code == 2 and "2026Q3" in month.output


def test_a_payout_period_shorter_than_the_data_period_is_an_error_with_no_output(tmp_path: Path) -> None:
    ruleset = tmp_path / "r.kpi"
    ruleset.write_text('ruleset "x" { currency RUB period quarter pay month }\nfact deals\n'
                       'role r "R" { kpi deals weight 1 target 10 bonus 100 }\nemployee "A" role r\n',
                       encoding="utf-8")
    data = tmp_path / "f.csv"
    data.write_text("period,employee,fact,value\n2026Q3,A,deals,5\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["eval", str(ruleset), "--facts", str(data), "--format", "json",
                                   "-o", str(tmp_path / "out.json")])
    assert out.exit_code == 1
    assert "r.kpi:1:47: error[K066]" in out.output and "shorter than the data period" in out.output
    assert not (tmp_path / "out.json").exists()


def test_data_written_in_payout_periods_is_E004_at_its_row(tmp_path: Path) -> None:
    (tmp_path / "r.kpi").write_text(RULESET, encoding="utf-8")
    (tmp_path / "f.csv").write_text("period,employee,fact,value\n2026-07,Анна,deals,3\n2026Q3,Анна,deals,5\n",
                                    encoding="utf-8")
    out = CliRunner().invoke(cli, ["eval", str(tmp_path / "r.kpi"), "--facts", str(tmp_path / "f.csv"),
                                   "--format", "json"])
    assert out.exit_code == 1
    assert f"{tmp_path / 'f.csv'}:3:period: error[D021]: `2026Q3` is a quarter" in out.output


def test_pay_and_rollup_survive_formatting() -> None:
    text = ('ruleset "x" { currency RUB period month pay year }\n'
            'fact customers "Клиенты" unit count rollup last\n')
    formatted = format_text(text, "x.kpi").text
    assert re.search(r"\bpay +year\n", formatted) and "unit count rollup last" in formatted
    assert format_text(formatted, "x.kpi").text == formatted
    model = model_from(formatted)
    assert (model.data_kind, model.period_kind, model.rolled_up) == ("month", "year", True)


MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(MONTHS), st.integers(0, 500), st.integers(1, 900),
                          st.integers(0, 10**6), st.decimals("-50", "100", places=3)),
                min_size=1, max_size=6, unique_by=lambda t: t[0]))
def test_the_rolled_up_quarter_matches_a_fraction_reference(months: list) -> None:  # type: ignore[type-arg]
    """For random months: conversion = Σ deals / Σ leads, customers = the latest month's,
    nps = the mean of the months, each rounded once as the engine rounds."""
    rows = [row for m, deals, leads, customers, nps in months
            for row in _month_rows(m, deals, leads, customers, str(nps))]
    results, _ = evaluate(model_from(RULESET), facts(*rows))
    for quarter, names in (("2026Q1", MONTHS[:3]), ("2026Q2", MONTHS[3:])):
        inside = sorted((m for m in months if m[0] in names), key=lambda m: m[0])
        if not inside:
            assert all(r.period != quarter for r in results.results)
            continue
        deals, leads = sum(m[1] for m in inside), sum(m[2] for m in inside)
        assert kpi(results, quarter, "Анна", "conversion").fact == _exact(Fraction(deals, leads))
        assert kpi(results, quarter, "Анна", "customers").fact == inside[-1][3]
        mean = sum((Fraction(m[4]) for m in inside), Fraction(0)) / len(inside)
        assert kpi(results, quarter, "Анна", "nps").fact == _exact(mean)


def test_reference_rounding_is_half_away_from_zero() -> None:
    assert _exact(Fraction(1, 3)) == Decimal("0.333333333333")
    assert _exact(Fraction(-2, 3), 2) == Decimal("-0.67")
    assert _exact(Fraction(5, 1000), 2) == Decimal("0.005").quantize(Decimal("0.01"), ROUND_HALF_UP)
