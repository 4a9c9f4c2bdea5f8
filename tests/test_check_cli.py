"""`kpidsl check` end to end through click: output format, exit codes, the done-when cases."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpidsl.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "rulesets" / "seed_marketing.kpi"

# A clean ruleset: no errors, no warnings, no hints.  Line numbers matter below.
CLEAN = """\
ruleset "Отдел маркетинга" {
  currency RUB
  period   quarter
}
fact customers "Клиенты" unit count
fact revenue   "Выручка" unit RUB
fact orders    "Заказы"  unit count
fact ad_spend  "Реклама" unit RUB
metric customer_growth "Прирост клиентов" = growth(customers) unit percent
metric avg_check "Средний чек" = revenue / orders unit RUB
metric roas "ROAS" = revenue / ad_spend unit ratio
role marketing_manager "Менеджер по маркетингу" {
  kpi customer_growth weight 0.4 target 10%  bonus 5000
  kpi avg_check       weight 0.3 target 3000 bonus 10000
  kpi roas            weight 0.3 target 20   bonus 10000
}
employee "Смирнова Анна" role marketing_manager
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def variant(old: str, new: str) -> str:
    assert old in CLEAN, old
    return CLEAN.replace(old, new, 1)


def first_line(output: str, code: str) -> str:
    """The `file:line:col: severity[code]: message` line for `code`."""
    return next(line for line in output.splitlines() if f"[{code}]" in line)


def test_clean_ruleset_passes_silently(write_ruleset: Callable[..., Path]) -> None:
    code, out = run(str(write_ruleset(CLEAN)))
    assert code == 0
    assert out.strip() == "checked 1 file: 0 error(s), 0 warning(s), 0 hint(s)"


def test_seed_ruleset_exits_0_with_its_known_warnings() -> None:
    code, out = run(str(SEED))
    assert code == 0
    assert "0 error(s), 4 warning(s)" in out
    assert "role `seo` has 6 KPIs" in out


# ---------------------------------------------------------------- the done-when cases


def test_syntax_error_on_line_7(write_ruleset: Callable[..., Path]) -> None:
    path = write_ruleset(variant('fact orders    "Заказы"  unit count', 'fact orders    "Заказы"  unit = count'))
    code, out = run(str(path))
    assert code == 1
    assert first_line(out, "K002") == f"{path}:7:31: error[K002]: unexpected `=`; expected a name"
    assert "   7 | fact orders" in out
    assert "\n" + " " * 37 + "^\n" in out  # the caret under the `=` (gutter of 7 + column 31)


def test_weights_summing_to_0_9(write_ruleset: Callable[..., Path]) -> None:
    path = write_ruleset(variant("kpi roas            weight 0.3", "kpi roas            weight 0.2"))
    code, out = run(str(path))
    assert code == 1
    assert first_line(out, "K040") == \
        f"{path}:12:6: error[K040]: weights of role `marketing_manager` sum to 0.9, not 1"
    assert "change them by 0.1 in total" in out


def test_unknown_name_with_did_you_mean(write_ruleset: Callable[..., Path]) -> None:
    path = write_ruleset(variant("= revenue / orders", "= revenu / orders"))
    code, out = run(str(path))
    assert code == 1
    assert first_line(out, "K021") == f"{path}:10:34: error[K021]: unknown name `revenu`"
    assert "= hint: did you mean `revenue`?" in out


def test_cycle_names_the_whole_cycle(write_ruleset: Callable[..., Path]) -> None:
    text = variant("= revenue / ad_spend unit ratio", "= avg_check / ad_spend unit ratio")
    text = text.replace("= revenue / orders unit RUB", "= roas * orders unit RUB")
    path = write_ruleset(text)
    code, out = run(str(path))
    assert code == 1
    assert first_line(out, "K023") == \
        f"{path}:10:8: error[K023]: `avg_check` depends on itself: `avg_check` → `roas` → `avg_check`"


def test_zero_target(write_ruleset: Callable[..., Path]) -> None:
    path = write_ruleset(variant("target 3000", "target 0   "))
    code, out = run(str(path))
    assert code == 1
    assert first_line(out, "K042") == (f"{path}:14:41: error[K042]: the target of `avg_check` is 0: "
                                       "attainment (fact / target) would divide by zero")


# ---------------------------------------------------------------- lints: warnings pass unless --strict

SIX_KPIS = CLEAN.replace("""  kpi roas            weight 0.3 target 20   bonus 10000
""", """  kpi roas            weight 0.1 target 20   bonus 10000
  kpi revenue         weight 0.05 target 1000000 bonus 1000
  kpi orders          weight 0.05 target 100 bonus 1000
  kpi customers       weight 0.05 target 300 bonus 1000
  kpi ad_spend        weight 0.05 target 90000 bonus 1000
""")
PROCESS_KPI = variant('metric roas "ROAS" = revenue / ad_spend unit ratio',
                      'metric roas "ROAS" = revenue / ad_spend unit ratio kind process')
LEADS_KPI = (variant('fact ad_spend  "Реклама" unit RUB',
                     'fact ad_spend  "Реклама" unit RUB\nfact leads "Лиды" unit count')
             .replace("kpi roas            weight 0.3 target 20 ", "kpi leads           weight 0.3 target 350"))


@pytest.mark.parametrize(("text", "code", "where"), [
    (SIX_KPIS, "K101", "12:6"),
    (PROCESS_KPI, "K102", "15:7"),
    (LEADS_KPI, "K103", "16:7"),
], ids=["six-kpis", "process-metric", "lead-count"])
def test_lints_warn_exit_0_and_fail_under_strict(write_ruleset: Callable[..., Path], text: str, code: str,
                                                 where: str) -> None:
    path = write_ruleset(text)
    status, out = run(str(path))
    assert status == 0, out
    assert first_line(out, code).startswith(f"{path}:{where}: warning[{code}]: ")
    assert "0 error(s), 1 warning(s)" in out
    strict_status, _ = run("--strict", str(path))
    assert strict_status == 1


def test_hints_do_not_fail_even_under_strict(write_ruleset: Callable[..., Path]) -> None:
    text = CLEAN + 'fact ltv "LTV" unit RUB\nmetric cac "CAC" = ad_spend / customers unit RUB better lower\n'
    status, out = run("--strict", str(write_ruleset(text)))
    assert status == 0
    assert "hint[K104]" in out


# ---------------------------------------------------------------- files, usage, JSON


def test_missing_file_argument_is_a_usage_error() -> None:
    status, out = run()
    assert status == 2
    assert "Missing argument" in out


def test_unknown_option_is_a_usage_error(write_ruleset: Callable[..., Path]) -> None:
    status, _ = run("--colour", str(write_ruleset(CLEAN)))
    assert status == 2


def test_nonexistent_file_is_a_k010_finding(tmp_path: Path) -> None:
    missing = tmp_path / "nope.kpi"
    status, out = run(str(missing))
    assert status == 1
    assert f"{missing}:1:1: error[K010]: cannot read ruleset: No such file or directory" in out


def test_several_files_each_summarised(write_ruleset: Callable[..., Path]) -> None:
    good = write_ruleset(CLEAN, "good.kpi")
    bad = write_ruleset(variant("target 3000", "target 0   "), "bad.kpi")
    status, out = run(str(good), str(bad))
    assert status == 1
    assert f"{good}: 0 error(s), 0 warning(s), 0 hint(s)" in out
    assert f"{bad}: 1 error(s), 0 warning(s), 0 hint(s)" in out
    assert out.rstrip().endswith("checked 2 files: 1 error(s), 0 warning(s), 0 hint(s)")


def test_json_output_for_tools(write_ruleset: Callable[..., Path]) -> None:
    path = write_ruleset(variant("= revenue / orders", "= revenu / orders"))
    status, out = run("--format", "json", str(path))
    assert status == 1
    data = json.loads(out)
    assert data["ok"] is False
    assert data["summary"] == {"errors": 1, "warnings": 0, "hints": 0}
    [entry] = data["files"]
    [diag] = entry["diagnostics"]
    assert diag == {"severity": "error", "code": "K021", "message": "unknown name `revenu`",
                    "location": f"{path}:10:34", "hint": "did you mean `revenue`?",
                    "file": str(path), "line": 10, "column": 34, "end_line": 10, "end_column": 40}


def test_json_links_a_second_definition_to_the_first(write_ruleset: Callable[..., Path]) -> None:
    path = write_ruleset('fact orders "Заказы"\nfact orders "Заказы ещё раз"\n')
    status, out = run("--format", "json", str(path))
    assert status == 1
    [diag] = json.loads(out)["files"][0]["diagnostics"]
    assert diag["code"] == "K020" and diag["location"] == f"{path}:2:6"
    assert diag["related"] == [{"location": f"{path}:1:6", "message": "the first `orders`"}]


def test_json_strict_marks_warnings_as_failure(write_ruleset: Callable[..., Path]) -> None:
    path = write_ruleset(PROCESS_KPI)
    status, out = run("--format", "json", "--strict", str(path))
    assert status == 1
    assert json.loads(out)["ok"] is False
    status, out = run("--format", "json", str(path))
    assert status == 0
    assert json.loads(out)["ok"] is True


def test_help_describes_exit_codes() -> None:
    status, out = run("--help")
    assert status == 0
    assert "--strict" in out and "--format" in out
    assert re.search(r"0 no errors, 1 errors \(or warnings with\s+--strict\), 2 usage\s+error", out)


def test_binary_file_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "cp1251.kpi"
    path.write_bytes('fact выручка "Выручка"\n'.encode("cp1251"))
    status, out = run(str(path))
    assert status == 1
    assert f"{path}:1:1: error[K011]: the ruleset is not UTF-8 text" in out


def test_check_does_not_import_heavy_stages() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from kpidsl.cli.main import cli\n"
        f"result = CliRunner().invoke(cli, ['check', {str(SEED)!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "heavy = sorted(m for m in ('duckdb', 'sqlglot', 'openpyxl', 'jinja2') if m in sys.modules)\n"
        "print(','.join(heavy) or 'none')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "none", out.stdout + out.stderr
