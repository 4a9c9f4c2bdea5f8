"""The outline (document symbols: roles with their KPI lines, metrics, facts, rules …) and folding.

A declaration's span points at its name; where it starts (its keyword) and where a block
ends (its `}`) are read from the text by the formatter's scanner (`fmt_layout.SourceText`),
the same way `kpidsl fmt` places comments.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types as lsp

from kpidsl.base.diagnostics import Span
from kpidsl.language import ast
from kpidsl.language.fmt_layout import SourceText, last_line
from kpidsl.lsp.analysis import Analysis
from kpidsl.lsp.convert import span_range, to_utf16

SK = lsp.SymbolKind
_KINDS: dict[type, tuple[str, lsp.SymbolKind]] = {
    ast.Header: ("ruleset", SK.Namespace), ast.Import: ("import", SK.Module), ast.Fact: ("fact", SK.Variable),
    ast.Records: ("records", SK.Struct), ast.Metric: ("metric", SK.Function), ast.KpiCard: ("kpi", SK.Object),
    ast.Scheme: ("scheme", SK.Interface), ast.Role: ("role", SK.Class), ast.Employee: ("employee", SK.Constructor),
    ast.Goal: ("goal", SK.Constant), ast.Rule: ("rule", SK.Event)}
_BLOCKS = (ast.Header, ast.Records, ast.KpiCard, ast.Scheme, ast.Role, ast.Rule)

Pos = tuple[int, int]


def document_symbols(analysis: Analysis) -> list[lsp.DocumentSymbol]:
    tree = analysis.tree
    if tree is None:
        return []
    src = SourceText(analysis.text)
    return [_symbol(analysis, src, item) for item in tree.items]


def folding_ranges(analysis: Analysis) -> list[lsp.FoldingRange]:
    """Blocks, multi-line declarations and KPI lines, and runs of whole-line comments."""
    out: list[lsp.FoldingRange] = []
    tree = analysis.tree
    if tree is not None:
        src = SourceText(analysis.text)
        for item in tree.items:
            start, end = _extent(src, item)
            if end[0] > start[0]:
                out.append(lsp.FoldingRange(start_line=start[0] - 1, end_line=end[0] - 1))
            if isinstance(item, ast.Role):
                for line in item.kpis:
                    first, last = _kpi_extent(src, line)
                    if last[0] > first[0]:
                        out.append(lsp.FoldingRange(start_line=first[0] - 1, end_line=last[0] - 1))
    run: list[int] = []
    for number, text in enumerate([*analysis.lines, ""]):
        if text.lstrip().startswith("#"):
            run.append(number)
            continue
        if len(run) > 1:
            out.append(lsp.FoldingRange(start_line=run[0], end_line=run[-1], kind=lsp.FoldingRangeKind.Comment))
        run = []
    return out


def _symbol(analysis: Analysis, src: SourceText, item: Any) -> lsp.DocumentSymbol:
    keyword, kind = _KINDS[type(item)]
    name = _name(item)
    start, end = _extent(src, item)
    children = None
    if isinstance(item, ast.Role):
        children = []
        for line in item.kpis:
            first, last = _kpi_extent(src, line)
            children.append(_make(analysis, line.indicator.text, SK.Field, "kpi", first, last, line.indicator.span))
    detail = getattr(item, "title", None) or keyword
    symbol = _make(analysis, name, kind, detail, start, end, item.span)
    symbol.children = children
    return symbol


def _make(analysis: Analysis, name: str, kind: lsp.SymbolKind, detail: str, start: Pos, end: Pos,
          selection: Span) -> lsp.DocumentSymbol:
    whole = _range(analysis, start, end)
    chosen = span_range(selection, analysis.line_text)
    if not (_before(whole.start, chosen.start) and _before(chosen.end, whole.end)):
        chosen = lsp.Range(start=whole.start, end=whole.start)
    return lsp.DocumentSymbol(name=name or "?", kind=kind, detail=detail, range=whole, selection_range=chosen)


def _name(item: Any) -> str:
    if isinstance(item, ast.Header):
        return item.title
    if isinstance(item, ast.Import):
        return item.path
    return str(item.name)


def _extent(src: SourceText, item: Any) -> tuple[Pos, Pos]:
    """Where an item starts (its keyword) and ends (its `}`, else the end of its last line)."""
    keyword = _KINDS[type(item)][0]
    words = ("goal", "param") if isinstance(item, ast.Goal) else (keyword,)
    start = src.keyword_before(item.span, words)
    if isinstance(item, _BLOCKS):
        block = src.block(start)
        if block is not None:
            line, column = src.pos(block[1])
            return start, (line, column + 1)
    parts: list[Any] = [item.span]
    if isinstance(item, ast.Fact):
        parts += [item.aggregation, item.unit, item.source, item.area]
    elif isinstance(item, ast.Metric):
        parts += [item.formula, item.unit, item.kind]
    elif isinstance(item, ast.Goal):
        parts.append(item.expr)
    elif isinstance(item, ast.Employee):
        parts.append(item.role)
    return start, _line_end(src, last_line(*parts))


def _kpi_extent(src: SourceText, line: ast.KpiLine) -> tuple[Pos, Pos]:
    start = src.keyword_before(line.indicator.span, ("kpi",))
    last = last_line(line.indicator, line.weight, line.baseline, line.target, line.bonus, *line.requires,
                     *(a.condition for a in line.actions))
    return start, _line_end(src, last)


def _line_end(src: SourceText, line: int) -> Pos:
    text = src.lines[line - 1] if 1 <= line <= len(src.lines) else ""
    return (line, len(text.removesuffix("\r")) + 1)


def _range(analysis: Analysis, start: Pos, end: Pos) -> lsp.Range:
    def position(pos: Pos) -> lsp.Position:
        line = analysis.line_text(analysis.path, pos[0])
        return lsp.Position(line=pos[0] - 1, character=to_utf16(line, pos[1]))

    return lsp.Range(start=position(start), end=position(end))


def _before(a: lsp.Position, b: lsp.Position) -> bool:
    return (a.line, a.character) <= (b.line, b.character)
