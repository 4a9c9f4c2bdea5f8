"""`kpidsl lsp` without the optional extra: a clear message naming the install command, exit 2."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from kpidsl.cli.main import cli


def test_without_pygls_the_command_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pygls", None)  # `import pygls` now fails, as when it is not installed
    monkeypatch.setitem(sys.modules, "pygls.lsp.server", None)
    monkeypatch.delitem(sys.modules, "kpidsl.lsp.server", raising=False)
    result = CliRunner().invoke(cli, ["lsp"])
    assert result.exit_code == 2
    assert "pip install 'kpidsl[lsp]'" in result.output
    assert "Traceback" not in result.output


def test_the_command_is_listed() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "lsp" in result.output
