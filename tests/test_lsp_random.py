"""A random editing session against the real `kpidsl lsp`: whatever half-typed text the
edits leave, every request answers without an error, the server logs no failure of its
own, and the diagnostics it finally publishes are exactly `kpidsl check`'s for that text."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsp_session import ROOT, diagnostics, doc, expected, open_document, position_at, replace_all, seen, start, stop
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

SEED = ROOT / "rulesets" / "seed_marketing.kpi"
FRAGMENTS = ["{", "}", "(", ")", '"', "«", "»", "\n", " ", "#", "kpi ", "role ", "scheme ", "metric m = ", " = ",
             "weight 0.", "target ", "20%", "1_000", "→", "×", "≤", "->", "import ", "std/", "where ", "from ",
             "employee \"Я\" role ", "fact ", "scale x { below 1 -> 2 else -> 3 }", "ё", "😀", "\r\n", "\t",
             "if a then b else", "growth(", "rule r { when ", "unit ", "better lower"]
_numbers = itertools.count()


Session = tuple[asyncio.AbstractEventLoop, LanguageClient, Path]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    root = tmp_path_factory.mktemp("lsp-random")
    loop = asyncio.new_event_loop()
    client = loop.run_until_complete(start(root))
    yield loop, client, root
    loop.run_until_complete(stop(client))
    loop.close()
    shutil.rmtree(root, ignore_errors=True)


edit = st.tuples(st.floats(0, 1), st.integers(0, 12), st.sampled_from(FRAGMENTS) | st.text(max_size=4))
request_at = st.floats(0, 1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(edit, request_at), min_size=1, max_size=6))
def test_the_server_answers_every_request_whatever_the_edits(
        session: Session, edits: list[tuple[tuple[float, int, str], float]]) -> None:
    loop, client, root = session
    loop.run_until_complete(_session(client, root, edits))


async def _session(client: LanguageClient, root: Path, edits: list[tuple[tuple[float, int, str], float]]) -> None:
    path = root / f"edit{next(_numbers)}.kpi"
    text = SEED.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    uri = open_document(client, path, text)
    logged = len(client.log_messages)
    version = 1
    for (where, cut, fragment), asked in edits:
        at = int(where * len(text))
        text = text[:at] + fragment + text[at + cut:]
        version += 1
        replace_all(client, uri, text, version)
        await _ask_everything(client, uri, position_at(text, int(asked * len(text))))
    version += 1
    replace_all(client, uri, text, version)
    found = await diagnostics(client, uri, version)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=doc(uri)))
    failures = [m.message for m in client.log_messages[logged:] if m.type == lsp.MessageType.Error]
    assert failures == []
    assert seen(found, path) == expected(path, text)


async def _ask_everything(client: LanguageClient, uri: str, position: lsp.Position) -> None:
    """Every request the server serves, at one place; pytest-lsp raises on an error answer."""
    here = lsp.Range(start=position, end=position)
    await client.text_document_hover_async(lsp.HoverParams(text_document=doc(uri), position=position))
    await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc(uri), position=position))
    await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc(uri), position=position, context=lsp.ReferenceContext(include_declaration=True)))
    await client.text_document_completion_async(lsp.CompletionParams(text_document=doc(uri), position=position))
    await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc(uri)))
    await client.text_document_folding_range_async(lsp.FoldingRangeParams(text_document=doc(uri)))
    await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc(uri), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=doc(uri), range=here, context=lsp.CodeActionContext(diagnostics=[])))
