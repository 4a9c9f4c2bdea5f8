"""Atomic output: all or nothing, usual permissions, inputs protected."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kpidsl.output.atomic import OutputError, write_atomic


def test_a_new_file_gets_the_usual_permissions_not_the_temporary_files(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        target = tmp_path / "report.html"
        write_atomic(target, "<p>ok</p>")
    finally:
        os.umask(umask)
    assert target.read_text() == "<p>ok</p>"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_an_existing_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_refuses_to_overwrite_an_input_and_leaves_it_untouched(tmp_path: Path) -> None:
    source = tmp_path / "facts.csv"
    source.write_bytes(b"period,fact,value\n")
    with pytest.raises(OutputError, match="input"):
        write_atomic(tmp_path / "." / "facts.csv", "x", protected=(source,))
    assert source.read_bytes() == b"period,fact,value\n"


def test_an_unwritable_folder_is_an_error_and_leaves_no_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "out.json"
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(missing, "x")
    assert not missing.exists()
    assert list(tmp_path.iterdir()) == []
