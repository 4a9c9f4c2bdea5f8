"""The parser's per-user cache: used only where nobody else can plant a file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kpidsl.base.cache import private_cache_dir, trusted_file


def test_the_cache_folder_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("KPIDSL_NO_CACHE", raising=False)
    folder = private_cache_dir()
    assert folder == tmp_path / "cache" / "kpidsl"
    assert folder.stat().st_mode & 0o777 == 0o700


def test_a_folder_others_can_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
    monkeypatch.delenv("KPIDSL_NO_CACHE", raising=False)
    assert private_cache_dir() is None
    os.chmod(shared, 0o755)
    (shared / "kpidsl").mkdir(mode=0o700)
    os.chmod(shared / "kpidsl", 0o777)
    assert private_cache_dir() is None


def test_a_relative_or_disabled_cache_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    monkeypatch.delenv("KPIDSL_NO_CACHE", raising=False)
    assert private_cache_dir() is None
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("KPIDSL_NO_CACHE", "1")
    assert private_cache_dir() is None


def test_a_planted_or_writable_cache_file_is_not_loaded(tmp_path: Path) -> None:
    good = tmp_path / "good.cache"
    good.write_bytes(b"x")
    os.chmod(good, 0o644)
    assert trusted_file(good) and trusted_file(tmp_path / "missing.cache")
    os.chmod(good, 0o666)
    assert not trusted_file(good)
    link = tmp_path / "link.cache"
    link.symlink_to(good)
    assert not trusted_file(link)
