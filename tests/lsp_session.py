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


async def diagnostics(client: LanguageClient, uri: str, timeout: float = 20) -> list[lsp.Diagnostic]:
    """The next diagnostics published for `uri`."""
    async def wait() -> list[lsp.Diagnostic]:
        while True:
            params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri:
                return list(params.diagnostics)

    return await asyncio.wait_for(wait(), timeout)


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


def position_of(text: str, needle: str, occurrence: int = 0, offset: int = 0) -> lsp.Position:
    """The protocol position of the `occurrence`-th `needle` in `text` (+ `offset` characters)."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    index += offset
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    return lsp.Position(line=line, character=column)
