"""Edits the server proposes: whole-document formatting (`kpidsl fmt`'s own, safe, text) and
quick fixes that apply a diagnostic's "did you mean" (`base.suggest`, written by the checker
into the hint as `did you mean `x`?` or `did you mean `x` or `y`?`).
"""

from __future__ import annotations

import re

from lsprotocol import types as lsp

from kpidsl.base.diagnostics import Span
from kpidsl.language.fmt import format_text
from kpidsl.lsp.analysis import Analysis
from kpidsl.lsp.convert import span_range, to_utf16, word_at
from kpidsl.lsp.diagnostics import to_lsp
from kpidsl.lsp.words import Lang, word

_SUGGESTION = re.compile(r"did you mean (.*)\?")
_NAME = re.compile(r"`([^`]+)`")


def formatting(text: str, file: str) -> list[lsp.TextEdit]:
    """One edit replacing the whole text by its canonical form; none when it is already
    canonical or cannot be formatted (a syntax error: the diagnostics say why)."""
    result = format_text(text, file)
    if result.text is None or result.text == text:
        return []
    lines = text.split("\n")
    end = lsp.Position(line=len(lines) - 1, character=to_utf16(lines[-1], len(lines[-1]) + 1))
    return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=result.text)]


def suggestions(hint: str | None) -> list[str]:
    """The names a "did you mean" hint proposes, best first."""
    found = _SUGGESTION.search(hint or "")
    return _NAME.findall(found.group(1)) if found else []


def code_actions(analysis: Analysis, uri: str, wanted: lsp.Range, lang: Lang) -> list[lsp.CodeAction]:
    """A quick fix per suggestion of every diagnostic of this document that touches `wanted`."""
    actions: list[lsp.CodeAction] = []
    for d in analysis.checked.diagnostics:
        loc = d.location
        names = suggestions(d.hint)
        if not names or not isinstance(loc, Span) or loc.file != analysis.path:
            continue
        shown = to_lsp(analysis, d)
        if not _touches(shown.range, wanted):
            continue
        target = _name_range(analysis, loc)
        if target is None:
            continue
        for n, name in enumerate(names):
            edit = lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(range=target, new_text=name)]})
            actions.append(lsp.CodeAction(title=word("fix.replace", lang, name=name), kind=lsp.CodeActionKind.QuickFix,
                                          diagnostics=[shown], edit=edit, is_preferred=n == 0))
    return actions


def _name_range(analysis: Analysis, span: Span) -> lsp.Range | None:
    """The misspelt name itself: the identifier where the diagnostic starts (an unknown
    function's span covers the whole call)."""
    line = analysis.line_text(analysis.path, span.line)
    if line is None:
        return None
    name, start = word_at(line, span.column + 1)
    if not name or start != span.column:
        return None
    return span_range(Span(span.file, span.line, start, span.line, start + len(name)), analysis.line_text)


def _touches(a: lsp.Range, b: lsp.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)
