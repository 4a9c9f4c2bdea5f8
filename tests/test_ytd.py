"""`ytd(x)`: a fact summed over the payout periods of the year up to this one — exact,
unknown (E020, saying which period is missing) unless the data holds every period of
the year so far, and refused by the checker where a sum means nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from kpidsl.cli.main import cli
from kpidsl.data.periods import year_to_date
from tests.helpers_engine import YEAR_TO_DATE, evaluate, facts, kpi, model_from

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]


def test_the_year_so_far_is_the_sum_of_its_quarters() -> None:
    rows = [(m, "Анна", "revenue", v) for m, v in (("2026-01", "100000.10"), ("2026-02", "200000"),
                                                   ("2026-03", "300000"), ("2026-04", "400000"),
                                                   ("2026-05", "0"), ("2026-06", "1000000.01"))]
    results, diagnostics = evaluate(model_from(YEAR_TO_DATE), facts(*rows))
    assert kpi(results, "2026Q1", "Анна", "ytd_revenue").fact == Decimal("600000.10")
    q2 = kpi(results, "2026Q2", "Анна", "ytd_revenue")
    assert q2.fact == Decimal("2000000.11")  # 600 000,10 + 1 400 000,01
    assert q2.bonus == Decimal("5000.00")  # 10 000 × (1 + 0.50000003 − 1), to the kopeck
    assert not [d for d in diagnostics if d.code.startswith("E")]


def test_a_year_the_data_holds_only_in_part_has_no_year_to_date() -> None:
    rows = [(m, "Анна", "revenue", "100") for m in ("2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09")]
    results, diagnostics = evaluate(model_from(YEAR_TO_DATE), facts(*rows))
    for quarter in ("2026Q2", "2026Q3"):
        line = kpi(results, quarter, "Анна", "ytd_revenue")
        assert line.fact is None and line.bonus == 0
    messages = [d.message for d in diagnostics if d.code == "E020"]
    assert any("`ytd(revenue)` needs every period of 2026 up to 2026Q3; 2026Q1 is not in the data" in m
               for m in messages), messages


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.sampled_from(MONTHS), st.decimals("0", "1000000", places=2), min_size=1, max_size=12))
def test_year_to_date_matches_a_decimal_reference(months: dict[str, Decimal]) -> None:
    """For random months of 2026: each quarter's ytd is the plain sum of every month so far,
    when every quarter so far has data; otherwise none."""
    rows = [(m, "Анна", "revenue", v) for m, v in sorted(months.items())]
    results, _ = evaluate(model_from(YEAR_TO_DATE), facts(*rows))
    quarters = {f"2026Q{(int(m[5:]) - 1) // 3 + 1}" for m in months}
    for quarter in sorted(quarters):
        so_far = year_to_date(quarter)
        expected = (sum((v for m, v in months.items() if f"2026Q{(int(m[5:]) - 1) // 3 + 1}" in so_far), Decimal(0))
                    if all(q in quarters for q in so_far) else None)
        assert kpi(results, quarter, "Анна", "ytd_revenue").fact == expected


def test_year_to_date_periods() -> None:
    assert year_to_date("2026Q3") == ["2026Q1", "2026Q2", "2026Q3"]
    assert year_to_date("2026-02") == ["2026-01", "2026-02"]
    assert year_to_date("2026") == ["2026"]


@pytest.mark.parametrize(("declaration", "words"), [
    ('metric conv "Конверсия" = deals / leads unit percent', "`conv` is a metric"),
    ('fact stock "Клиенты" rollup last', "`stock` is rolled up by `last`"),
    ('fact share "Доля" unit percent rollup sum', "`share` is a percentage or ratio"),
])
def test_ytd_of_what_does_not_add_up_is_K032(tmp_path: Path, declaration: str, words: str) -> None:
    name = declaration.split()[1]
    path = tmp_path / "x.kpi"
    path.write_text('ruleset "П" { currency RUB period month pay quarter }\nfact deals "Сделки"\nfact leads "Лиды"\n'
                    f'{declaration}\nmetric total "Итог" = ytd({name})\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    assert f"x.kpi:5:27: error[K032]: `ytd` adds a fact up over the year, but {words}" in result.output


def test_explain_and_the_regulation_spell_the_sum_out(tmp_path: Path) -> None:
    ruleset, data = tmp_path / "ytd.kpi", tmp_path / "facts.csv"
    ruleset.write_text(YEAR_TO_DATE, encoding="utf-8")
    data.write_text("period,employee,fact,value\n" + "".join(f"{m},Анна,revenue,{i}00\n"
                                                             for i, m in enumerate(MONTHS[:6], 1)), encoding="utf-8")
    explained = CliRunner().invoke(cli, ["explain", str(ruleset), "--facts", str(data), "--period", "2026Q2",
                                         "--employee", "Анна"])
    assert explained.exit_code == 0, explained.output
    assert "fact ytd_revenue = ytd(revenue) = (600 + 1\u00a0500) = 2\u00a0100" in explained.stdout
    for locale, words in (("ru", "«Выручка» с начала года"), ("en", "“Выручка” since the start of the year")):
        doc = CliRunner().invoke(cli, ["doc", str(ruleset), "--format", "md", "--locale", locale])
        assert doc.exit_code == 0, doc.output
        assert words in doc.stdout
