"""The per-user cache (parse tables, ASTs): used only where nobody else can plant a file."""

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


# ------------------------------------------------------------------ the AST cache

RULESET = 'fact leads "Лиды" unit count\nrole r "R" { kpi leads weight 1 target 10 bonus 100 }\n'


@pytest.fixture
def private(private_cache: Path) -> Path:
    return private_cache / "ast"


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from kpidsl.language import syntax

    calls: list[str] = []
    real = syntax.parse_text

    def counting(text: str, file: str):  # type: ignore[no-untyped-def]
        calls.append(file)
        return real(text, file)

    monkeypatch.setattr(syntax, "parse_text", counting)
    return calls


def test_a_text_parsed_once_is_loaded_from_the_cache(private: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpidsl.language.parse import parse

    calls = _count_parses(monkeypatch)
    first, first_diags = parse(RULESET, "a.kpi")
    again, again_diags = parse(RULESET, "a.kpi")
    assert calls == ["a.kpi"] and first is not None
    assert again == first and again_diags == first_diags
    (entry,) = private.glob("*.pickle")
    assert entry.stat().st_mode & 0o077 == 0  # nobody else may read or replace it


def test_the_key_is_the_text_and_the_file_name(private: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpidsl.language.parse import parse

    calls = _count_parses(monkeypatch)
    parse(RULESET, "a.kpi")
    other, _ = parse(RULESET, "b.kpi")  # spans carry the file: another name is another AST
    changed, _ = parse(RULESET.replace("100", "200"), "a.kpi")
    assert calls == ["a.kpi", "b.kpi", "a.kpi"]
    assert other is not None and other.items[0].span.file == "b.kpi"
    assert changed is not None and "200" in repr(changed)


def test_an_editors_text_stays_out_of_the_cache_and_is_kept_in_memory(
        private: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpidsl.api import check_file
    from kpidsl.language.parse import parse

    calls = _count_parses(monkeypatch)
    text = RULESET.replace("100", "300")
    checked = check_file("editor.kpi", text=text, keep_text=False)  # the language server's check
    tree, _ = parse(text, "editor.kpi", keep=False)  # and its look-up of the same text's AST
    assert checked.model is not None and tree is not None
    assert calls == ["editor.kpi"]  # parsed once
    assert not list(private.glob("*.pickle"))  # and never written to the per-user cache


def test_a_text_with_errors_is_not_cached(private: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpidsl.language.parse import parse

    calls = _count_parses(monkeypatch)
    for _ in range(2):
        tree, diagnostics = parse("role r {", "bad.kpi")
        assert tree is None and diagnostics[0].is_error
    assert calls == ["bad.kpi", "bad.kpi"]
    assert not list(private.glob("*.pickle"))


def test_a_broken_or_planted_entry_is_a_miss(private: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpidsl.language.parse import parse

    expected, _ = parse(RULESET, "a.kpi")
    (entry,) = private.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    calls = _count_parses(monkeypatch)
    assert parse(RULESET, "a.kpi")[0] == expected  # truncated: parsed again, and written again
    os.chmod(entry, 0o666)  # writable by others: never loaded
    assert parse(RULESET, "a.kpi")[0] == expected
    assert calls == ["a.kpi", "a.kpi"]


def test_without_a_private_folder_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpidsl.language.parse import parse

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
    monkeypatch.delenv("KPIDSL_NO_CACHE", raising=False)
    assert parse(RULESET, "a.kpi")[0] is not None
    assert list(shared.rglob("*")) == []
