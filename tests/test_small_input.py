"""Small inputs run with fewer DuckDB optimizer passes and lay out their text in Python
(engine/session.SMALL_INPUT, output/bulk.SQL_LAYOUT_FROM): both are start-up choices that
must not change a single byte of the output."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kpidsl import api
from kpidsl.cli.main import cli
from kpidsl.engine import session as engine_session
from kpidsl.output import bulk

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "seed": ["rulesets/seed_marketing.kpi", "--facts", "rulesets/data/seed_marketing.csv"],
    "crm": ["rulesets/crm_showcase.kpi", "--roster", "rulesets/data/crm_roster.csv"],
}


def _written(tmp_path: Path, case: str, fmt: str, tag: str) -> bytes:
    out = tmp_path / f"{case}-{tag}.{fmt}"
    result = CliRunner().invoke(cli, ["eval", *CASES[case], "--format", fmt, "-o", str(out), "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return out.read_bytes()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fmt", ["json", "csv", "parquet"])
def test_small_and_large_settings_write_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        case: str, fmt: str) -> None:
    monkeypatch.chdir(ROOT)
    small = _written(tmp_path, case, fmt, "small")
    monkeypatch.setattr(engine_session, "SMALL_INPUT", -1)
    monkeypatch.setattr(bulk, "SQL_LAYOUT_FROM", 0)
    large = _written(tmp_path, case, fmt, "large")
    if fmt == "parquet":  # the file's bytes carry no time stamp, but compare rows to say what differs
        import duckdb

        def rows(path: Path) -> list[tuple[object, ...]]:
            return duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()

        assert rows(tmp_path / f"{case}-small.parquet") == rows(tmp_path / f"{case}-large.parquet")
    else:
        assert small == large


def _disabled(monkeypatch: pytest.MonkeyPatch, small_input: int) -> str:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(engine_session, "SMALL_INPUT", small_input)
    started = api.start("rulesets/seed_marketing.kpi", ["rulesets/data/seed_marketing.csv"], api.EvalOptions())
    assert started.session is not None
    try:
        row = started.session.connection.execute("SELECT current_setting('disabled_optimizers')").fetchone()
        assert row is not None
        return str(row[0])
    finally:
        started.close()


def test_the_passes_are_off_only_for_small_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(_disabled(monkeypatch, 20_000).split(",")) == {"cte_inlining", "join_order"}
    assert _disabled(monkeypatch, 10) == ""
