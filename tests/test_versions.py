"""Plan versions by date (language/versions.py): one ruleset over Q2 and Q3 applies, in each
payout period, the versions in force on its first day — of a param, a scheme and its
payout, a KPI line and a role — checked for dates, overlaps and gaps, listed by `check`,
named by the reports."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from kpidsl.cli.main import cli
from kpidsl.data.periods import bounds
from kpidsl.language.fmt import format_text
from kpidsl.output.export import render_json, render_text
from tests.helpers_engine import VERSIONED, evaluate, facts, kpi, model_from, person

D = Decimal
MONTHS_Q2, MONTHS_Q3 = ("2026-04", "2026-05", "2026-06"), ("2026-07", "2026-08", "2026-09")


def _rows() -> list[tuple[str, str | None, str, str]]:
    rows = []
    for month in MONTHS_Q2:  # Анна: 990 000 revenue, 330 calls in Q2
        rows += [(month, "Анна", "revenue", "330000"), (month, "Анна", "calls", "110"),
                 (month, "Анна", "salary", "100000")]
    for month in MONTHS_Q3:  # 1 080 000 revenue, 324 calls in Q3; Борис 3 600 000
        rows += [(month, "Анна", "revenue", "360000"), (month, "Анна", "calls", "108"),
                 (month, "Анна", "salary", "100000"), (month, "Борис", "revenue", "1200000")]
    return rows


def test_each_quarter_is_paid_by_the_versions_in_force_on_its_first_day() -> None:
    results, diagnostics = evaluate(model_from(VERSIONED), facts(*_rows()))
    q2, q3 = person(results, "2026Q2", "Анна"), person(results, "2026Q3", "Анна")
    assert kpi(results, "2026Q2", "Анна", "revenue").target == D(900000)
    assert kpi(results, "2026Q3", "Анна", "revenue").target == D(1200000)  # the param from July
    assert kpi(results, "2026Q2", "Анна", "calls").target == D(300)
    assert kpi(results, "2026Q3", "Анна", "calls").target == D(360)  # the KPI line from July
    # Q2: total 0.77 + 0.33 = 1.1 ≥ 70 % → 100 000 × 25 % × 1.1; Q3: 0.63 + 0.27 = 0.9 ≥ 80 % → × 30 %
    assert (q2.index, q2.bonus, q2.version) == (D("1.1"), D("27500.00"), None)
    assert (q3.index, q3.bonus, q3.version) == (D("0.9"), D("27000.00"), "2026-07-01")
    assert results.editions == {"2026Q2": None, "2026Q3": "2026-07-01"}
    # the head role exists from July: no result in Q2, a warning naming Борис
    assert [r.period for r in results.results if r.employee == "Борис"] == ["2026Q3"]
    assert person(results, "2026Q3", "Борис").bonus == D("50000.00")
    e056 = [d for d in diagnostics if d.code == "E056"]
    assert len(e056) == 1 and "2026Q2" in e056[0].message and "Борис" in e056[0].message


def test_a_stricter_cut_off_from_july_pays_nothing_where_the_old_one_paid() -> None:
    """A total of 75 %: above Q2's cut-off (70 %), below Q3's (80 %)."""
    rows = []
    for month in (*MONTHS_Q2, *MONTHS_Q3):
        quota = D(900000) if month in MONTHS_Q2 else D(1200000)
        rows += [(month, "Анна", "revenue", str(quota * D("0.75") / 3)), (month, "Анна", "salary", "90000")]
        rows.append((month, "Анна", "calls", "75" if month in MONTHS_Q2 else "90"))  # 75 % of 300, of 360
    results, _ = evaluate(model_from(VERSIONED), facts(*rows))
    assert person(results, "2026Q2", "Анна").bonus == D("16875.00")  # 90 000 × 25 % × 0.75
    assert person(results, "2026Q3", "Анна").bonus == D("0.00")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.dates(dt.date(2025, 10, 1), dt.date(2027, 3, 31)), min_size=1, max_size=4, unique=True),
       st.booleans())
def test_the_version_of_each_period_matches_a_day_by_day_reference(starts: list[dt.date], undated: bool) -> None:
    """Random version starts of a param (some inside quarters): each quarter's target is the
    value of the version whose days cover the quarter's first day — found here by walking
    the versions, independently of the engine's period keys."""
    starts = sorted(starts)
    values = {day: D(1000 + 100 * i) for i, day in enumerate(starts)}
    lines = (["param quota = 999"] if undated else []) + [f"param quota = {values[d]} from {d.isoformat()}"
                                                           for d in starts]
    text = ('ruleset "x" { currency RUB period quarter }\nfact revenue "Выручка" per employee\n' + "\n".join(lines)
            + '\nrole sales { kpi revenue weight 1 target quota bonus 1000 }\nemployee "Анна" role sales\n')
    quarters = [f"{y}Q{q}" for y in (2025, 2026, 2027) for q in (1, 2, 3, 4)]
    results, _ = evaluate(model_from(text), facts(*[(q, "Анна", "revenue", "500") for q in quarters]))
    for quarter in quarters:
        first = bounds(quarter)[0]
        in_force = [values[d] for d in starts if d <= first]
        expected = in_force[-1] if in_force else (D(999) if undated else None)
        assert kpi(results, quarter, "Анна", "revenue").target == expected, quarter
        edition = max((d for d in starts if d <= first), default=None)
        assert results.editions[quarter] == (edition.isoformat() if edition else None)


def test_reports_and_json_name_the_version(tmp_path: Path) -> None:
    results, diagnostics = evaluate(model_from(VERSIONED), facts(*_rows()))
    text = render_text(results, "ru")
    assert "2026Q3 · Анна · Менеджер · версия с 01.07.2026" in text
    assert "2026Q2 · Анна · Менеджер\n" in text
    data = json.loads(render_json(results, diagnostics))
    assert data["versions"] == {"2026Q2": None, "2026Q3": "2026-07-01"}
    assert list(data)[:4] == ["ruleset", "currency", "periods", "versions"]


def _write(tmp_path: Path, text: str) -> tuple[Path, Path]:
    ruleset = tmp_path / "plan.kpi"
    ruleset.write_text(text, encoding="utf-8")
    data = tmp_path / "facts.csv"
    data.write_text("period,employee,fact,value\n" + "".join(f"{p},{e or ''},{f},{v}\n" for p, e, f, v in _rows()),
                    encoding="utf-8")
    return ruleset, data


def test_bulk_json_is_the_same_as_the_report_json(tmp_path: Path) -> None:
    """The streamed JSON (eval -o) and the one rendered from the results agree byte for byte."""
    ruleset, data = _write(tmp_path, VERSIONED)
    out = tmp_path / "out.json"
    done = CliRunner().invoke(cli, ["eval", str(ruleset), "--facts", str(data), "--format", "json", "-o", str(out)])
    assert done.exit_code == 0, done.output
    shown = CliRunner().invoke(cli, ["eval", str(ruleset), "--facts", str(data), "--format", "json"])
    streamed = json.loads(out.read_text(encoding="utf-8"))
    assert streamed["versions"] == {"2026Q2": None, "2026Q3": "2026-07-01"}
    assert streamed == json.loads(shown.stdout)


def test_check_lists_the_versions(tmp_path: Path) -> None:
    ruleset, _ = _write(tmp_path, VERSIONED)
    done = CliRunner().invoke(cli, ["check", str(ruleset)])
    assert done.exit_code == 0, done.output
    assert "param `quota`: from the start to 2026-06-30 (line 6); from 2026-07-01 (line 7)" in done.output
    assert "KPI line `calls` of role `sales`: from the start to 2026-06-30 (line 19); from 2026-07-01 (line 20)" \
        in done.output
    listed = json.loads(CliRunner().invoke(cli, ["check", "--format", "json", str(ruleset)]).stdout)
    versions = {(v["kind"], v["name"]): v["versions"] for v in listed["files"][0]["versions"]}
    assert versions[("role", "head")] == [{"from": "2026-07-01", "to": None, "line": 22}]
    assert versions[("scheme", "matrix")][1] == {"from": "2026-07-01", "to": None, "line": 12}


BAD = {  # each: the version lines, where the error is, its code
    "not a date": ("param quota = 1 from 2026-02-30", "plan.kpi:8:22", "K070"),
    "same day": ("param quota = 1_100_000 from 2026-07-01", "plan.kpi:8:30", "K072"),
    "ends before it starts": ("param quota = 1 from 2026-10-01 to 2026-09-30", "plan.kpi:8:36", "K071"),
}


def test_bad_versions_stop_eval_at_their_line_and_column(tmp_path: Path) -> None:
    for case, (line, where, code) in BAD.items():
        lines = VERSIONED.splitlines()
        lines.insert(7, line)  # after the two versions of `quota`
        ruleset, data = _write(tmp_path, "\n".join(lines) + "\n")
        out = tmp_path / f"{code}.json"
        done = CliRunner().invoke(cli, ["eval", str(ruleset), "--facts", str(data), "-o", str(out)])
        assert done.exit_code == 1, case
        assert f"{where}: error[{code}]" in done.output.replace(str(tmp_path) + "/", ""), (case, done.output)
        assert not out.exists(), case


def test_a_version_is_formatted_where_it_was_written() -> None:
    formatted = format_text(VERSIONED, "plan.kpi").text
    assert formatted is not None
    assert "param quota \"План выручки\" = 1_200_000 from 2026-07-01\n" in formatted
    assert "scheme matrix \"Матрица КПЭ\" from 2026-07-01 {\n" in formatted
    assert "  kpi calls   weight 30% target 360   from 2026-07-01\n" in formatted
    assert format_text(formatted, "plan.kpi").text == formatted


def test_explain_derives_a_period_with_the_plan_as_it_stood() -> None:
    from kpidsl.results.explain import explain

    model = model_from(VERSIONED)
    table = facts(*_rows())
    results, _ = evaluate(model, table)
    q3 = explain(model, results, table, "Анна", "2026Q3").render()
    q2 = explain(model, results, table, "Анна", "2026Q2").render()
    assert "total < 80%" in q3 and "total < 70%" not in q3, q3
    assert "total < 70%" in q2 and "total < 80%" not in q2, q2
    assert "test.kpi:7:7" in q3 and "test.kpi:6:7" in q2, (q2, q3)  # the param's version in force


def test_the_regulation_documents_one_edition_and_lists_them_all(tmp_path: Path) -> None:
    ruleset, _ = _write(tmp_path, VERSIONED)
    latest = CliRunner().invoke(cli, ["doc", str(ruleset), "--format", "md"])
    assert latest.exit_code == 0, latest.output
    shown = latest.stdout.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Настоящая редакция положения действует с 1 июля 2026 г.; редакции плана за год: первоначальная, " \
           "1 июля 2026 г." in shown
    assert "| План выручки | `quota` | 1 200 000 | 1 200 000 |" in shown
    spring = CliRunner().invoke(cli, ["doc", str(ruleset), "--format", "md", "--as-of", "01.05.2026", "--locale", "en"])
    assert spring.exit_code == 0, spring.output
    assert "This is the regulation's first edition" in spring.stdout
    assert "`quota` | 900 000 | 900,000 |" in spring.stdout.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Руководитель" not in spring.stdout  # the head role starts in July


def test_a_role_whose_scheme_is_not_yet_in_force_is_not_paid() -> None:
    text = VERSIONED.replace('scheme matrix "Матрица КПЭ" {\n  index = weight * attainment\n'
                             '  payout { bonus = if total < 70% then 0 else salary * 25% * min(total, 150%) }\n}\n', "")
    results, diagnostics = evaluate(model_from(text), facts(*_rows()))
    assert [r.period for r in results.results if r.employee == "Анна"] == ["2026Q3"]
    assert any(d.code == "E056" and "`sales`" in d.message and "2026Q2" in d.message for d in diagnostics)


def test_the_editor_hover_lists_a_names_versions() -> None:
    from kpidsl.lsp.analysis import analyse
    from kpidsl.lsp.hover import describe

    analysis = analyse(str(Path(__file__).parent / "plan.kpi"), VERSIONED)
    occurrence = next(o for o in analysis.index if o.name == "quota" and o.span.line == 18)
    card = "\n".join(describe(analysis, occurrence, "ru"))
    assert "* с начала по 2026-06-30 (`plan.kpi:6`): `900_000`\n* с 2026-07-01 (`plan.kpi:7`): `1_200_000`" in card
    head = next(o for o in analysis.index if o.name == "head" and o.space == "role")
    assert "* from 2026-07-01 (`plan.kpi:22`)" in "\n".join(describe(analysis, head, "en"))


def test_a_change_elsewhere_does_not_make_a_new_version_of_the_role() -> None:
    """The role's KPI line changes from October; only a param changes in July: Q3 is still the
    role as first written (its version None), Q4 the line's version."""
    text = ('ruleset "x" { currency RUB period quarter }\nfact revenue "Выручка" per employee\n'
            'param quota = 100\nparam quota = 120 from 2026-07-01\n'
            'role sales {\n  kpi revenue weight 1 target quota bonus 1000\n'
            '  kpi revenue weight 1 target quota * 2 bonus 1000 from 2026-10-01\n}\nemployee "Анна" role sales\n')
    quarters = ("2026Q2", "2026Q3", "2026Q4")
    results, _ = evaluate(model_from(text), facts(*[(q, "Анна", "revenue", "120") for q in quarters]))
    assert [(r.period, r.version) for r in results.results] == [("2026Q2", None), ("2026Q3", None),
                                                                 ("2026Q4", "2026-10-01")]
    assert [kpi(results, q, "Анна", "revenue").target for q in quarters] == [D(100), D(120), D(240)]
