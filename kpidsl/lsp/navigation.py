"""Go to definition and find references, across `import`ed files and into the standard library.

A name resolves as the loader merged the model: to the declaration that won (a client's
own `metric roas` over the library's), and its references are every use of that name in
its namespace in any file the ruleset was loaded from.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from kpidsl.base.diagnostics import Span
from kpidsl.lsp.analysis import Analysis, Place
from kpidsl.lsp.convert import path_to_uri, span_range

_START = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0))


def definition(place: Place) -> list[lsp.Location]:
    occ = place.occurrence()
    analysis = place.analysis
    if occ is None:
        return []
    if occ.space == "import":
        target = analysis.import_target(occ.name, occ.span.file)
        return [lsp.Location(uri=path_to_uri(target), range=_START)] if target else []
    decl = analysis.declaration(occ.space, occ.name)
    if decl is None:
        return []
    return [_location(analysis, decl.span)]


def references(place: Place, include_declaration: bool) -> list[lsp.Location]:
    occ = place.occurrence()
    if occ is None or occ.space in ("import", "builtin", "column"):
        return []
    analysis = place.analysis
    return [_location(analysis, o.span) for o in analysis.references(occ.space, occ.name)
            if include_declaration or not o.declares]


def _location(analysis: Analysis, span: Span) -> lsp.Location:
    return lsp.Location(uri=path_to_uri(span.file), range=span_range(span, analysis.line_text))
