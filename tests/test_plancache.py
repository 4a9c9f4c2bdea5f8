"""The compiled plan's per-user cache: an unchanged ruleset is not compiled again, and a
plan from the cache computes exactly what a freshly compiled one does."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpidsl.api import evaluate
from kpidsl.engine import plancache
from kpidsl.engine.compile import compile_model
from kpidsl.language.load import load

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "rulesets" / "seed_marketing.kpi"
SEED_FACTS = ROOT / "rulesets" / "data" / "seed_marketing.csv"


@pytest.fixture
def private(private_cache: Path) -> Path:
    return private_cache / "plan"


def _count_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def counting(model, digits, dated=False):  # type: ignore[no-untyped-def]
        calls.append(model.file)
        return compile_model(model, digits, dated)

    monkeypatch.setattr(plancache, "compile_model", counting)
    return calls


def test_an_unchanged_model_is_compiled_once(private: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, _ = load(SEED)
    assert model is not None
    calls = _count_compiles(monkeypatch)
    fresh = plancache.compiled(model, 2)
    cached = plancache.compiled(model, 2)
    assert calls == [str(SEED)]
    assert cached.statements == {} and cached.model is model
    assert cached.names == fresh.names == ("values", "kpis", "totals", "rules", "metrics")
    assert {n: cached.sql(n) for n in cached.names} == {n: fresh.sql(n) for n in fresh.names}
    assert cached.text_sql("metrics") == fresh.text_sql("metrics")
    assert (cached.lines, cached.role_gates, cached.rules) == (fresh.lines, fresh.role_gates, fresh.rules)
    assert len(list(private.glob("*.pickle"))) == 1


def test_another_model_or_currency_is_another_plan(private: Path, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    model, _ = load(SEED)
    changed_file = tmp_path / "seed.kpi"
    changed_file.write_text(SEED.read_text(encoding="utf-8").replace("bonus 5000", "bonus 5001", 1), encoding="utf-8")
    changed, _ = load(changed_file)
    assert model is not None and changed is not None
    calls = _count_compiles(monkeypatch)
    plancache.compiled(model, 2)
    plancache.compiled(model, 0)
    plancache.compiled(changed, 2)
    assert len(calls) == 3


def test_a_cached_plan_gives_the_same_results(private: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIDSL_NO_CACHE", "1")
    reference = evaluate(SEED, [SEED_FACTS])
    monkeypatch.delenv("KPIDSL_NO_CACHE")
    first = evaluate(SEED, [SEED_FACTS])  # compiles and stores
    calls = _count_compiles(monkeypatch)
    second = evaluate(SEED, [SEED_FACTS])  # from the cache
    assert calls == []
    assert reference.results is not None
    assert first.results == reference.results and second.results == reference.results
    assert [d.message for d in second.diagnostics] == [d.message for d in reference.diagnostics]


def test_a_broken_entry_is_compiled_again(private: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, _ = load(SEED)
    assert model is not None
    plancache.compiled(model, 2)
    (entry,) = private.glob("*.pickle")
    entry.write_bytes(b"\x80\x05junk")
    calls = _count_compiles(monkeypatch)
    assert plancache.compiled(model, 2).names == ("values", "kpis", "totals", "rules", "metrics")
    assert len(calls) == 1
