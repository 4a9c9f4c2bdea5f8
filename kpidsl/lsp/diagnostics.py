"""`kpidsl check`'s diagnostics as the protocol's: the same codes, severities, messages and hints.

A diagnostic placed in this document keeps its span.  One placed in an imported file
(the standard library, a shared ruleset) is shown on the `import` line that brings that
file in, its message prefixed with the real place, which is also given as related
information, so an editor that opens only this file still sees every finding; the other
places a finding names (the first of two definitions) are related information too.  The
hint has no field of its own in the protocol; it follows the message on a new line,
as `kpidsl check` prints it under the caret.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from kpidsl.base.diagnostics import Diagnostic, Severity, Span
from kpidsl.lsp.analysis import Analysis
from kpidsl.lsp.convert import path_to_uri, span_range

SOURCE = "kpidsl"

SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.HINT: lsp.DiagnosticSeverity.Hint,
}


def message(d: Diagnostic) -> str:
    return f"{d.message}\nhint: {d.hint}" if d.hint else d.message


def to_lsp(analysis: Analysis, d: Diagnostic) -> lsp.Diagnostic:
    loc = d.location
    related: list[lsp.DiagnosticRelatedInformation] | None = None
    text = message(d)
    if isinstance(loc, Span) and loc.file == analysis.path:
        where = span_range(loc, analysis.line_text)
    else:
        where = _import_line(analysis, loc.file if isinstance(loc, Span) else None)
        if loc is not None:
            text = f"{loc}: {text}"
        if isinstance(loc, Span):
            related = [lsp.DiagnosticRelatedInformation(
                location=lsp.Location(uri=path_to_uri(loc.file), range=span_range(loc, analysis.line_text)),
                message=d.message)]
    related = [*(related or []), *(lsp.DiagnosticRelatedInformation(
        location=lsp.Location(uri=path_to_uri(span.file), range=span_range(span, analysis.line_text)),
        message=words) for span, words in d.related)] or None
    return lsp.Diagnostic(range=where, message=text, severity=SEVERITY[d.severity], code=d.code,
                          source=SOURCE, related_information=related)


def document_diagnostics(analysis: Analysis) -> list[lsp.Diagnostic]:
    """Every diagnostic of the check, in the order `kpidsl check` prints them."""
    return [to_lsp(analysis, d) for d in analysis.checked.diagnostics]


def _import_line(analysis: Analysis, file: str | None) -> lsp.Range:
    """The range of the `import` that brings `file` in (else the first import, else the start)."""
    import os

    tree = analysis.tree
    imports = tree.imports if tree is not None else ()
    wanted = os.path.realpath(file) if file else None
    chosen = next((i for i in imports if wanted and analysis.import_target(i.path, analysis.path) == wanted),
                  imports[0] if imports else None)
    if chosen is None:
        return lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0))
    return span_range(chosen.span, analysis.line_text)
