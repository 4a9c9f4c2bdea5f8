"""`check` and `fmt` take folders: every .kpi file under them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kpidsl.cli.main import cli

GOOD = ('ruleset "x" {\n  currency RUB\n  period   quarter\n  locale   ru\n}\n\n'
        'fact revenue "Выручка" unit RUB\n')  # in canonical format


def test_check_walks_a_folder_and_reports_each_file(tmp_path: Path) -> None:
    (tmp_path / "a.kpi").write_text(GOOD, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.kpi").write_text("fact = 1\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a ruleset", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'sub' / 'b.kpi'}:1:6: error[K002]" in result.output
    assert "notes.txt" not in result.output


def test_fmt_check_walks_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a.kpi").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.kpi").write_text(GOOD.replace("fact revenue", "fact   revenue"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["fmt", "--check", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.split() == [str(tmp_path / "b.kpi")]


def test_a_folder_without_rulesets_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "no .kpi files under" in result.output
