"""Driving the real `kpidsl lsp` process with pytest-lsp's client (for tests/test_lsp*.py).

The server runs as an editor runs it: `python -m kpidsl lsp`, talking JSON-RPC on stdio.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from kpidsl.api import check_file
from kpidsl.base.diagnostics import Span

ROOT = Path(__file__).resolve().parent.parent
SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "kpidsl", "lsp"],
    server_env={**os.environ, "PYTHONPATH": str(ROOT)},
)


async def start_with_result(root: Path, language: str = "ru") -> tuple[LanguageClient, lsp.InitializeResult]:
    client = await SERVER.start()
    assert isinstance(client, LanguageClient)
    result = await client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri(),
        initialization_options={"language": language}))
    return client, result


async def start(root: Path, language: str = "ru") -> LanguageClient:
    return (await start_with_result(root, language))[0]


async def stop(client: LanguageClient) -> None:
    await client.shutdown_session()
    await client.stop()


def open_document(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.resolve().as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="kpi", version=version,
        text=path.read_text(encoding="utf-8") if text is None else text)))
    return uri


def replace_all(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))


async def diagnostics(client: LanguageClient, uri: str, version: int | None = None,
                      timeout: float = 20) -> list[lsp.Diagnostic]:
    """The next diagnostics published for `uri` (for its `version`, when given)."""
    async def wait() -> list[lsp.Diagnostic]:
        while True:
            params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and (version is None or params.version == version):
                return list(params.diagnostics)

    return await asyncio.wait_for(wait(), timeout)


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


def position_at(text: str, index: int) -> lsp.Position:
    """The protocol position (UTF-16 columns) of a character index of `text`."""
    line_start = text.rfind("\n", 0, index) + 1
    before = text[line_start:index]
    return lsp.Position(line=text.count("\n", 0, index),
                        character=sum(2 if ord(ch) > 0xFFFF else 1 for ch in before))


def position_of(text: str, needle: str, occurrence: int = 0, offset: int = 0) -> lsp.Position:
    """The protocol position of the `occurrence`-th `needle` in `text` (+ `offset` characters)."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    return position_at(text, index + offset)


def expected(path: Path, text: str) -> list[tuple[str, int, int, str]]:
    """What `kpidsl check` finds: (code, 0-based line, UTF-16 column, severity); a finding
    in an imported file stands on the first line of the text (no import resolves it here)
    or on its `import` line (the caller's `imports`: file name → import text)."""
    out = []
    for d in check_file(path, text=text).diagnostics:
        loc = d.location
        assert isinstance(loc, Span)
        if loc.file == str(path):
            lines = text.split("\n")
            column = position_at(lines[loc.line - 1] if loc.line <= len(lines) else "", loc.column - 1).character
            out.append((d.code, loc.line - 1, column, d.severity.value))
        else:
            out.append((d.code, -1, -1, d.severity.value))
    return sorted(out)


def seen(found: list[lsp.Diagnostic], path: Path) -> list[tuple[str, int, int, str]]:
    """The server's diagnostics in `expected`'s terms (one placed for another file: -1, -1)."""
    names = {lsp.DiagnosticSeverity.Error: "error", lsp.DiagnosticSeverity.Warning: "warning",
             lsp.DiagnosticSeverity.Hint: "hint"}
    out = []
    for d in found:
        elsewhere = d.related_information and d.related_information[0].location.uri != path.resolve().as_uri()
        where = (-1, -1) if elsewhere else (d.range.start.line, d.range.start.character)
        out.append((str(d.code), *where, names[d.severity]))  # type: ignore[index]
    return sorted(out)
