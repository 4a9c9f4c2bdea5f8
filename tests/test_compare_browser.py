"""The compare HTML in a real browser (headless Chromium, as tests/test_browser.py): the DOM
a reader gets shows the cost of the change and the manager's delta, readable in the
locale's format, and one old-vs-new chart per period with two bars per employee.
Skipped without Chromium, except under CI=true."""

from __future__ import annotations

from html import unescape
from pathlib import Path

from click.testing import CliRunner
from report_fixtures import Elements
from test_browser import chromium, run  # noqa: F401  (chromium is a fixture)
from test_compare import MANAGER, NEW_WEIGHTS, SEED, SEED_DATA, with_weights

from kpidsl.cli.main import cli

NBSP = "\u00a0"


def test_compare_page_shows_the_cost_and_the_charts(chromium: str, tmp_path: Path) -> None:  # noqa: F811
    new = tmp_path / "new.kpi"
    new.write_text(with_weights(SEED.read_text("utf-8"), NEW_WEIGHTS), encoding="utf-8")
    page = tmp_path / "compare.html"
    done = CliRunner().invoke(cli, ["compare", str(SEED), str(new), "--facts", SEED_DATA, "-o", str(page)])
    assert done.exit_code == 0, done.output
    dom = run(chromium, tmp_path, "--dump-dom", page.as_uri()).stdout.decode("utf-8")
    found = Elements(dom)
    text = unescape(" ".join(found.text))
    assert "Сравнение планов" in text and "Стоимость изменения" in text
    assert f"31{NBSP}360,00{NBSP}₽" in text and f"31{NBSP}245,00{NBSP}₽" in text and f"-115,00{NBSP}₽" in text
    rows = [a for tag, a in found.found if tag == "tr" and a.get("data-employee") == MANAGER and "data-change" in a]
    assert any(a["data-delta"] == "-115.00" for a in rows)
    charts = found.having("svg", "fund")
    periods = {a["data-period"] for a in found.having("table", "compare-table")}
    assert len(charts) == len(periods) == 3
    employee_rows = [a for tag, a in found.found if tag == "tr" and "data-change" in a and "data-kpi" not in a
                     and "data-employee" in a]
    assert len(employee_rows) == 3 * 6  # three quarters, six employees
    assert len(found.having("rect", "plan")) == len(found.having("rect", "fact")) == len(employee_rows)
