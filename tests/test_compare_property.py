"""`results.compare` as a general rule, and its outputs' safety.

For random weights of the marketing manager (summing to 1, as the checker requires):
every delta is new − old, an employee's delta is the sum of their lines', the role
totals add up to each period's payroll and those to the whole, nobody else's pay moves,
and the manager's new bonuses equal the methodology's formula computed here in Decimal.
Then the outputs of a plan whose KPI is titled `<script>` and whose employee is named
like a spreadsheet formula: HTML escapes it, Markdown escapes it, XLSX keeps it text.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_compare import MANAGER, OLD_WEIGHTS, SEED, SEED_DATA, methodology_bonus, with_weights

from kpidsl import api
from kpidsl.engine.options import EvalOptions
from kpidsl.output.compare import render_comparison
from kpidsl.results.compare import Comparison, compare
from kpidsl.results.model import Results

ZERO = Decimal(0)


def evaluate(text: str, name: str) -> Results:
    evaluation = api.evaluate(name, [SEED_DATA], EvalOptions(), text=text)
    assert evaluation.ok and evaluation.results is not None, evaluation.diagnostics
    return evaluation.results


@lru_cache(maxsize=1)
def seed() -> Results:
    return evaluate(SEED.read_text("utf-8"), str(SEED))


def check_sums(c: Comparison) -> None:
    """The bookkeeping every comparison obeys, whatever changed."""
    for e in c.employees:
        assert e.delta == e.new_bonus - e.old_bonus
        assert e.delta == sum((k.delta for k in e.lines), ZERO)
        assert all(k.delta == k.new_bonus - k.old_bonus for k in e.lines)
    for period, payroll in zip(c.periods, c.payroll, strict=True):
        roles = [t for t in c.roles if t.period == period]
        assert payroll.delta == sum((t.delta for t in roles), ZERO)
        assert payroll.delta == sum((e.delta for e in c.employees if e.period == period), ZERO)
        assert payroll.old == sum((r.bonus for r in seed().results if r.period == period), ZERO)
    assert c.total.delta == sum((t.delta for t in c.payroll), ZERO)
    winners, losers = c.movers(100)
    assert all(w.delta > 0 for w in winners) and all(x.delta < 0 for x in losers)
    assert [w.delta for w in winners] == sorted((w.delta for w in winners), reverse=True)


# Four weights in hundredths, each at least 0.01, summing to 1.
weights = st.lists(st.integers(1, 97), min_size=3, max_size=3).filter(lambda xs: sum(xs) <= 99) \
    .map(lambda xs: [*xs, 100 - sum(xs)])


@settings(max_examples=12, deadline=None)
@given(weights)
def test_deltas_are_new_minus_old_and_add_up(hundredths: list[int]) -> None:
    new_weights = {k: str(Decimal(w) / 100) for k, w in zip(OLD_WEIGHTS, hundredths, strict=True)}
    new = evaluate(with_weights(SEED.read_text("utf-8"), new_weights), f"{SEED}@new")
    c = compare(seed(), new, "old", "new")
    check_sums(c)
    manager = next(e for e in c.employees if e.employee == MANAGER and e.period == "2026Q3")
    for k in manager.lines:
        assert k.old_bonus == methodology_bonus(k.kpi, Decimal(OLD_WEIGHTS[k.kpi]))
        assert k.new_bonus == methodology_bonus(k.kpi, Decimal(new_weights[k.kpi]))
    assert all(e.delta == 0 for e in c.employees if e.employee != MANAGER)
    moved = {k for k in OLD_WEIGHTS if Decimal(OLD_WEIGHTS[k]) != Decimal(new_weights[k])}
    assert {d.kpi for d in c.definitions} == moved
    assert all([x.name for x in d.fields] == ["weight"] for d in c.definitions)


def test_the_same_results_compare_to_zero() -> None:
    c = compare(seed(), seed())
    check_sums(c)
    assert c.definitions == [] and all(e.delta == 0 and e.presence == "same" for e in c.employees)
    assert c.movers() == ([], [])


# ------------------------------------------------------------------ unsafe names

SCRIPT = "<script>alert(1)</script>"
FORMULA = "=HYPERLINK(1)+2"


def unsafe(tmp: Path) -> Comparison:
    text = SEED.read_text("utf-8").replace("Петров Игорь", FORMULA)
    text += f'\nmetric customer_growth "{SCRIPT}" = growth(customers) unit percent\n'
    changed = with_weights(text, {"customer_growth": "0.25", "avg_check_growth": "0.25"})
    return compare(evaluate(text, str(tmp / "old.kpi")), evaluate(changed, str(tmp / "new.kpi")))


def test_html_and_markdown_escape_what_rulesets_and_data_say(tmp_path: Path) -> None:
    c = unsafe(tmp_path)
    assert any(k.title == SCRIPT for e in c.employees for k in e.lines)
    page = render_comparison(c, "html")
    assert isinstance(page, bytes)
    html = page.decode("utf-8")
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = render_comparison(c, "md")
    assert isinstance(md, bytes)
    assert "\\<script>" in md.decode("utf-8") and "<script>" not in md.decode("utf-8").replace("\\<script>", "")


def test_xlsx_keeps_a_formula_like_name_as_text(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    data = render_comparison(unsafe(tmp_path), "xlsx")
    assert isinstance(data, bytes)
    cells = [cell for ws in load_workbook(BytesIO(data)) for row in ws.iter_rows() for cell in row]
    named = [cell for cell in cells if isinstance(cell.value, str) and "HYPERLINK" in cell.value]
    assert named and all(cell.value == "'" + FORMULA and cell.data_type == "s" for cell in named)
    assert any(cell.value == SCRIPT for cell in cells)  # text, shown as text
