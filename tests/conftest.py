"""Shared fixtures: keep this file small; helpers that only one test module needs live there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def write_ruleset(tmp_path: Path) -> Callable[..., Path]:
    """`write_ruleset(text, name="client.kpi")` writes a UTF-8 ruleset into tmp_path and returns its path."""

    def write(text: str, name: str = "client.kpi") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A per-user cache folder of this test's own (`base.cache`), switched on."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("KPIDSL_NO_CACHE", raising=False)
    return tmp_path / "cache" / "kpidsl"
