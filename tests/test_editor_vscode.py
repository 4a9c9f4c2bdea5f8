"""The VS Code extension (editors/vscode): its TextMate grammar, client and package.

The grammar and client tests are node scripts (`npm test` in editors/vscode) run here so that
`pytest` covers them: the grammar is tokenized with vscode-textmate + vscode-oniguruma, the
engine VS Code uses, over every shipped ruleset and the docs' ```kpi blocks, and against golden
scopes for a sample.  The .vsix is built with @vscode/vsce.  They need node and the packages of
`npm ci` in editors/vscode; without them the tests are skipped with the reason, except under
CI=true (`.ci/run` installs both), where that fails the run.  The checks in Python keep the
grammar's word lists equal to the language's own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from kpidsl.language.builtins import FUNCTIONS, KPI_CONDITION_NAMES
from kpidsl.language.parse import parse
from kpidsl.language.syntax import keywords

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "editors" / "vscode"
GRAMMAR = EXTENSION / "syntaxes" / "kpi.tmLanguage.json"
SETUP = "install node (Debian: apt-get install -y nodejs npm) and run `npm ci` in editors/vscode"
# Words of an expression's structure, never read as names (the grammar's `keyword-as-name` rule).
EXPRESSION_WORDS = {"if", "then", "else", "scale", "below", "and", "or", "not", "higher", "lower"}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}; {SETUP}")
    pytest.skip(f"{reason} ({SETUP}); CI runs this test")


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node") or shutil.which("nodejs")
    if path is None:
        _unavailable("node is not installed here")
    assert path is not None
    if not (EXTENSION / "node_modules" / "vscode-textmate").is_dir():
        _unavailable("the extension's node packages are not installed")
    return path


def _run(args: list[str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=EXTENSION, capture_output=True, text=True, timeout=timeout)


def test_grammar_tokenizes_every_shipped_ruleset_and_matches_the_golden_sample(node: str) -> None:
    done = _run([node, "test/grammar.test.js"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "grammar ok: 4 rulesets" in done.stdout


def test_client_starts_the_configured_language_server(node: str) -> None:
    done = _run([node, "test/client.test.js"])
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_extension_packages_to_a_vsix(node: str, tmp_path: Path) -> None:
    vsce = EXTENSION / "node_modules" / "@vscode" / "vsce" / "vsce"
    out = tmp_path / "kpidsl.vsix"
    done = _run([node, str(vsce), "package", "--out", str(out)])
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(out) as vsix:
        names = set(vsix.namelist())
        manifest = json.loads(vsix.read("extension/package.json"))
    for wanted in ("extension/extension.js", "extension/syntaxes/kpi.tmLanguage.json",
                   "extension/language-configuration.json", "extension/package.nls.ru.json",
                   "extension/node_modules/vscode-languageclient/package.json"):
        assert wanted in names
    assert not any(n.startswith(("extension/test/", "extension/node_modules/vscode-textmate/",
                                 "extension/node_modules/@vscode/vsce/")) for n in names)
    assert manifest["contributes"]["languages"][0]["id"] == "kpi"


def _grammar_words(rule: dict[str, object]) -> set[str]:
    """The words of a rule's `\\b(a|b|c)` alternation."""
    found = re.search(r"\\b\(([a-z_|]+)\)", str(rule["match"]))
    assert found, rule
    return set(found.group(1).split("|"))


def test_grammar_lists_every_keyword_function_and_scoring_name_of_the_language() -> None:
    repo = json.loads(GRAMMAR.read_text(encoding="utf-8"))["repository"]
    listed: set[str] = set()
    for rule in repo["keyword"]["patterns"]:
        words = _grammar_words(rule)
        assert not words & listed, f"a keyword in two groups: {words & listed}"
        listed |= words
    assert listed == keywords()
    assert _grammar_words(repo["keyword-as-name"]) == keywords() - EXPRESSION_WORDS
    assert _grammar_words(repo["call"]["patterns"][0]) == set(FUNCTIONS)
    assert _grammar_words(repo["scoring-name"]) == set(KPI_CONDITION_NAMES) - keywords()


def test_the_golden_sample_is_a_ruleset() -> None:
    tree, diagnostics = parse((EXTENSION / "test" / "sample.kpi").read_text(encoding="utf-8"), "sample.kpi")
    assert tree is not None and not [d for d in diagnostics if d.is_error], diagnostics


def test_manifest_contributes_the_language_and_its_texts_in_both_locales() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    language = manifest["contributes"]["languages"][0]
    assert (language["id"], language["extensions"]) == ("kpi", [".kpi"])
    assert (EXTENSION / language["configuration"]).is_file()
    for grammar in manifest["contributes"]["grammars"]:
        json.loads((EXTENSION / grammar["path"]).read_text(encoding="utf-8"))
    assert (EXTENSION / manifest["main"]).is_file() and (EXTENSION / "LICENSE").is_file()
    assert manifest["repository"] and "vscode:prepublish" not in manifest["scripts"]
    settings = manifest["contributes"]["configuration"]["properties"]
    assert settings["kpidsl.server.path"]["default"] == "kpidsl"
    assert settings["kpidsl.server.args"]["default"] == ["lsp"]
    keys = set(re.findall(r'"%([\w.]+)%"', (EXTENSION / "package.json").read_text(encoding="utf-8")))
    english = json.loads((EXTENSION / "package.nls.json").read_text(encoding="utf-8"))
    russian = json.loads((EXTENSION / "package.nls.ru.json").read_text(encoding="utf-8"))
    assert keys and keys == set(english) == set(russian)
    assert all(re.search("[а-яё]", text) for text in russian.values())


def test_the_lockfile_pins_what_the_manifest_asks_for() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((EXTENSION / "package-lock.json").read_text(encoding="utf-8"))
    root = lock["packages"][""]
    assert root["dependencies"] == manifest["dependencies"]
    assert root["devDependencies"] == manifest["devDependencies"]
    for name, version in {**manifest["dependencies"], **manifest["devDependencies"]}.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_language_configuration_comments_brackets_and_quotes() -> None:
    config = json.loads((EXTENSION / "language-configuration.json").read_text(encoding="utf-8"))
    assert config["comments"] == {"lineComment": "#"}
    assert ["{", "}"] in config["brackets"] and ["(", ")"] in config["brackets"]
    pairs = {(p["open"], p["close"]) for p in config["autoClosingPairs"]}
    assert {('"', '"'), ("«", "»"), ("{", "}"), ("(", ")")} <= pairs
