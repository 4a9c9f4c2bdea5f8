"""End-to-end tests of `kpidsl lsp`: the real server process, driven by pytest-lsp's client.

The expectations come from elsewhere in the project, never from the server: the
diagnostics must be `api.check_file`'s, the formatting `kpidsl fmt`'s output, and the
places of definitions are found in the files' text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp")

import pytest_asyncio
from click.testing import CliRunner
from lsp_session import (
    ROOT,
    diagnostics,
    doc,
    expected,
    open_document,
    position_of,
    replace_all,
    seen,
    start,
    start_with_result,
    stop,
)
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from kpidsl.cli.main import cli

pytestmark = pytest.mark.asyncio(loop_scope="function")

STD = ROOT / "rulesets" / "std" / "marketing.kpi"

CLIENT = """ruleset "Клиент" {
  currency RUB
}

import std/marketing
import "common.kpi"

scheme flat "Плоская" {
  index = weight * attainment
  bonus = plan_bonus * index
}

metric доля_сделок "Доля выигранных сделок" = deals_won / leads unit percent
metric моя_маржа "Маржа" = gross_profit / revenue unit percent

role head "Руководитель" {
  scheme flat
  kpi roas          weight 0.6 target 20 bonus 10000
  kpi доля_сделок   weight 0.4 target 30% bonus 5000
    when attainment < 90% action "Разобрать воронку"
}

employee "Иванова" role head
"""

COMMON = """fact shared_cost "Общие расходы" unit RUB
"""


@pytest_asyncio.fixture
async def client(tmp_path: Path) -> AsyncIterator[LanguageClient]:
    session = await start(tmp_path)
    yield session
    await stop(session)


def _write(tmp_path: Path, text: str = CLIENT) -> Path:
    (tmp_path / "common.kpi").write_text(COMMON, encoding="utf-8")
    path = tmp_path / "client.kpi"
    path.write_text(text, encoding="utf-8")
    return path


async def test_initialize_announces_the_features(tmp_path: Path) -> None:
    session, result = await start_with_result(tmp_path)
    try:
        caps = result.capabilities
        assert result.server_info is not None and result.server_info.name == "kpidsl"
        assert caps.hover_provider and caps.definition_provider and caps.references_provider
        assert caps.completion_provider is not None and caps.document_formatting_provider
        assert caps.document_symbol_provider and caps.folding_range_provider and caps.code_action_provider
    finally:
        await stop(session)


async def test_an_unknown_name_is_reported_where_it_stands_and_clears_when_fixed(
        client: LanguageClient, tmp_path: Path) -> None:
    text = CLIENT.replace("deals_won / leads", "deals_won / leadz")
    path = _write(tmp_path, text)
    uri = open_document(client, path)
    found = await diagnostics(client, uri)
    unknown = [d for d in found if d.code == "K021"]
    assert len(unknown) == 1
    where = position_of(text, "leadz")
    assert (unknown[0].range.start.line, unknown[0].range.start.character) == (where.line, where.character)
    assert unknown[0].range.end.character == where.character + len("leadz")
    assert "did you mean `leads`" in unknown[0].message
    assert unknown[0].severity == lsp.DiagnosticSeverity.Error and unknown[0].source == "kpidsl"
    assert seen(found, path) == expected(path, text)  # exactly `kpidsl check`'s findings
    from_std = [d for d in found if d.code == "K104"]  # the LTV-without-CAC hint, found in std/marketing
    assert len(from_std) == 1 and from_std[0].range.start.line == position_of(text, "import std/marketing").line
    assert from_std[0].related_information[0].location.uri == STD.resolve().as_uri()  # type: ignore[index]

    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=doc(uri), range=unknown[0].range, context=lsp.CodeActionContext(diagnostics=unknown)))
    fixes = [a for a in actions or [] if isinstance(a, lsp.CodeAction) and a.edit and a.edit.changes]
    assert fixes and fixes[0].is_preferred
    edit = fixes[0].edit.changes[uri][0]  # type: ignore[union-attr,index]
    assert edit.new_text == "leads" and edit.range == unknown[0].range

    replace_all(client, uri, CLIENT, 2)
    assert seen(await diagnostics(client, uri), path) == expected(path, CLIENT)
    assert not [d for d in client.diagnostics[uri] if d.severity == lsp.DiagnosticSeverity.Error]


async def test_a_second_definition_links_to_the_first(client: LanguageClient, tmp_path: Path) -> None:
    first = 'metric моя_маржа "Маржа" = gross_profit / revenue unit percent\n'
    text = CLIENT.replace(first, first + 'metric моя_маржа "Маржа ещё раз" = revenue unit RUB\n')
    path = _write(tmp_path, text)
    found = await diagnostics(client, open_document(client, path))
    [twice] = [d for d in found if d.code == "K020"]
    assert twice.range.start.line == position_of(text, 'metric моя_маржа "Маржа ещё раз"').line
    [link] = twice.related_information or []
    assert link.location.uri == path.resolve().as_uri() and link.message == "the first `моя_маржа`"
    assert (link.location.range.start.line, link.location.range.start.character) == \
        (position_of(text, first).line, len("metric "))


async def test_a_syntax_error_is_a_diagnostic_and_the_server_keeps_answering(
        client: LanguageClient, tmp_path: Path) -> None:
    path = _write(tmp_path)
    uri = open_document(client, path)
    await diagnostics(client, uri)
    broken = CLIENT.replace("kpi roas          weight 0.6", "kpi roas          weight (0.6")
    replace_all(client, uri, broken, 2)
    found = await diagnostics(client, uri)
    assert seen(found, path) == expected(path, broken) and found[0].severity == lsp.DiagnosticSeverity.Error
    # hover still answers from the last text that parsed
    result = await client.text_document_hover_async(lsp.HoverParams(
        text_document=doc(uri), position=position_of(broken, "моя_маржа", offset=2)))
    assert result is not None and "gross_profit / revenue" in result.contents.value  # type: ignore[union-attr]


async def test_hover_on_a_metric_and_on_a_kpi_line(client: LanguageClient, tmp_path: Path) -> None:
    path = _write(tmp_path)
    uri = open_document(client, path)
    await diagnostics(client, uri)
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=doc(uri), position=position_of(CLIENT, "моя_маржа", offset=3)))
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    assert "**метрика** `моя_маржа` — Маржа" in text
    assert "gross_profit / revenue" in text and "percent" in text and "лучше больше" in text
    assert "client.kpi:14" in text

    line = await client.text_document_hover_async(lsp.HoverParams(
        text_document=doc(uri), position=position_of(CLIENT, "kpi roas", offset=5)))
    assert line is not None
    words = line.contents.value  # type: ignore[union-attr]
    assert "ROAS — окупаемость рекламных расходов" in words and "revenue / ad_spend" in words
    assert "marketing.kpi:" in words  # defined in the standard library
    assert "вес 0,6 — 60% индекса роли" in words and "цель 20" in words
    assert "плановая премия 10\u00a0000,00 RUB" in words
    assert "схема `flat`: `index = weight * attainment; bonus = plan_bonus * index`" in words


async def test_definition_across_an_import_and_into_the_standard_library(
        client: LanguageClient, tmp_path: Path) -> None:
    text = CLIENT.replace("gross_profit / revenue", "gross_profit / revenue - shared_cost")
    path = _write(tmp_path, text)
    uri = open_document(client, path)
    await diagnostics(client, uri)

    into_common = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=doc(uri), position=position_of(text, "shared_cost", offset=1)))
    assert isinstance(into_common, list) and len(into_common) == 1
    assert into_common[0].uri == (tmp_path / "common.kpi").resolve().as_uri()
    assert into_common[0].range.start == position_of(COMMON, "shared_cost")

    into_std = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=doc(uri), position=position_of(text, "kpi roas", offset=4)))
    std_text = STD.read_text(encoding="utf-8")
    assert isinstance(into_std, list) and len(into_std) == 1
    assert into_std[0].uri == STD.resolve().as_uri()
    assert into_std[0].range.start == position_of(std_text, "metric roas", offset=len("metric "))

    the_import = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=doc(uri), position=position_of(text, "std/marketing", offset=5)))
    assert isinstance(the_import, list) and the_import[0].uri == STD.resolve().as_uri()

    uses = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc(uri), position=position_of(text, "revenue - shared", offset=1),
        context=lsp.ReferenceContext(include_declaration=True)))
    places = {(u.uri, u.range.start.line) for u in uses or []}
    std_uri = STD.resolve().as_uri()
    std_lines = [n for n, line in enumerate(std_text.split("\n")) if "revenue" in line.split("#")[0]
                 and any(w == "revenue" for w in line.replace("(", " ").replace(")", " ").split())]
    assert {(std_uri, n) for n in std_lines} <= places
    assert (uri, position_of(text, "revenue - shared").line) in places


async def test_completion_after_scheme_offers_the_schemes(client: LanguageClient, tmp_path: Path) -> None:
    path = _write(tmp_path)
    uri = open_document(client, path)
    await diagnostics(client, uri)
    typing = CLIENT.replace("  scheme flat\n", "  scheme \n")
    replace_all(client, uri, typing, 2)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=doc(uri), position=position_of(typing, "  scheme \n", offset=len("  scheme "))))
    labels = {i.label for i in (result.items if isinstance(result, lsp.CompletionList) else result or [])}
    assert labels == {"flat", "weighted_index"}

    in_formula = CLIENT.replace("= gross_profit / revenue", "= gross_profit / rev")
    replace_all(client, uri, in_formula, 3)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=doc(uri), position=position_of(in_formula, "/ rev", offset=5)))
    labels = {i.label for i in (result.items if isinstance(result, lsp.CompletionList) else result or [])}
    assert {"revenue", "roas", "shared_cost", "доля_сделок", "growth"} <= labels and "head" not in labels

    employee = CLIENT.replace('employee "Иванова" role head', 'employee "Иванова" role ')
    replace_all(client, uri, employee, 4)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=doc(uri), position=position_of(employee, "role \n", offset=5)))
    labels = {i.label for i in (result.items if isinstance(result, lsp.CompletionList) else result or [])}
    assert labels == {"head"}


async def test_formatting_is_kpidsl_fmt(client: LanguageClient, tmp_path: Path) -> None:
    messy = CLIENT.replace("  kpi roas          weight 0.6", "kpi   roas weight    0.6").replace(
        "metric моя_маржа \"Маржа\" = gross_profit / revenue", "metric моя_маржа \"Маржа\"=(gross_profit)/revenue")
    path = _write(tmp_path, messy)
    uri = open_document(client, path)
    await diagnostics(client, uri)
    result = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc(uri), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert result and len(result) == 1
    formatted = CliRunner().invoke(cli, ["fmt", str(path)])
    assert formatted.exit_code == 0
    assert result[0].new_text == formatted.output and result[0].new_text != messy
    assert result[0].range.start == lsp.Position(line=0, character=0)
    assert result[0].range.end.line == messy.count("\n")


async def test_outline_and_folding(client: LanguageClient, tmp_path: Path) -> None:
    path = _write(tmp_path)
    uri = open_document(client, path)
    await diagnostics(client, uri)
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc(uri)))
    assert symbols is not None
    by_name = {s.name: s for s in symbols if isinstance(s, lsp.DocumentSymbol)}
    assert {"Клиент", "std/marketing", "flat", "доля_сделок", "моя_маржа", "head", "Иванова"} <= set(by_name)
    role = by_name["head"]
    assert [c.name for c in role.children or []] == ["roas", "доля_сделок"]
    start = position_of(CLIENT, "role head").line
    end = position_of(CLIENT, "}\n\nemployee").line
    assert (role.range.start.line, role.range.end.line) == (start, end)
    folds = await client.text_document_folding_range_async(lsp.FoldingRangeParams(text_document=doc(uri)))
    assert (start, end) in {(f.start_line, f.end_line) for f in folds or []}
