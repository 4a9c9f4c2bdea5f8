"""The server's wiring: pygls on stdio, one handler per protocol feature, each a thin call
into the feature modules beside it.

Diagnostics are published on open and save at once, and on change after a short pause
(`debounce`, 50 ms by default: the check itself takes longer on a big file, and edits
that arrive while one runs are merged into the next).  Every request answers: a handler
that fails logs the error to the editor's log and returns an empty answer, so a
half-typed file can never take the server down.  While a text does not parse, hover,
definition, references and completion answer from the last analysis that had a model.

Options (`initializationOptions`): `language` (`ru`/`en`; default: the editor's locale,
else the ruleset's), `importPaths` (folders imports may reach, as `--import-path`),
`debounce` (milliseconds).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from kpidsl import __version__
from kpidsl.lsp import completion, edits, hover, navigation, symbols
from kpidsl.lsp.analysis import Analysis, Place, analyse
from kpidsl.lsp.convert import from_utf16, lines_of, uri_to_path, word_at
from kpidsl.lsp.diagnostics import document_diagnostics
from kpidsl.lsp.words import Lang, language

log = logging.getLogger("kpidsl.lsp")
F = TypeVar("F", bound=Callable[..., Any])


class KpiServer(LanguageServer):
    """The analyses of the open documents, and what the editor asked for at initialisation."""

    def __init__(self) -> None:
        super().__init__("kpidsl", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, Analysis] = {}
        self.good: dict[str, Analysis] = {}  # the last analysis of each document that had a model
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.requested_language: str | None = None
        self.import_paths: tuple[str, ...] = ()
        self.debounce = 0.05

    # -- analyses
    def current(self, uri: str) -> Analysis:
        """The analysis of the document's text as it is now (checked now if it changed)."""
        document = self.workspace.get_text_document(uri)
        text = document.source
        known = self.analyses.get(uri)
        if known is not None and known.text == text:
            return known
        analysis = analyse(uri_to_path(uri), text, self.import_paths)
        self.analyses[uri] = analysis
        if analysis.model is not None:
            self.good[uri] = analysis
        return analysis

    def place(self, uri: str, position: lsp.Position) -> Place:
        analysis = self.current(uri)
        fresh = analysis.model is not None
        chosen = analysis if fresh else self.good.get(uri, analysis)
        lines = analysis.lines
        text = lines[position.line] if 0 <= position.line < len(lines) else ""
        column = from_utf16(text, position.character) + 1
        name, start = word_at(text, column)
        return Place(chosen, position.line + 1, column, name, start, fresh)

    def language(self, analysis: Analysis | None) -> Lang:
        model = analysis.model if analysis is not None else None
        return language(self.requested_language, model.locale if model is not None else None)

    # -- diagnostics
    def publish(self, uri: str) -> None:
        try:
            analysis = self.current(uri)
            found = document_diagnostics(analysis)
        except Exception:
            log.exception("kpidsl: checking %s failed", uri)
            found = []
        version = self.workspace.get_text_document(uri).version
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=found,
                                                                            version=version))

    def schedule(self, uri: str, delay: float) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._publish_later(uri, delay))

    async def _publish_later(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self.pending.pop(uri, None)
        self.publish(uri)


def answering(default: Callable[[], object]) -> Callable[[F], F]:
    """A handler that never fails a request: an error is logged and `default()` answered."""
    def wrap(handler: F) -> F:
        @functools.wraps(handler)
        def safe(*args: Any) -> Any:
            try:
                return handler(*args)
            except Exception as exc:
                log.exception("kpidsl: %s failed", handler.__name__)
                server = args[0] if args and isinstance(args[0], KpiServer) else None
                if server is not None:
                    server.window_log_message(lsp.LogMessageParams(
                        type=lsp.MessageType.Error, message=f"kpidsl: {handler.__name__} failed: {exc!r}"))
                return default()
        return cast(F, safe)
    return wrap


def build() -> KpiServer:
    server = KpiServer()

    @server.feature(lsp.INITIALIZE)
    @answering(lambda: None)
    def initialize(ls: KpiServer, params: lsp.InitializeParams) -> None:
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        ls.requested_language = options.get("language") or params.locale
        paths = options.get("importPaths") or []
        ls.import_paths = tuple(str(p) for p in paths if isinstance(p, str))
        if isinstance(options.get("debounce"), (int, float)):
            ls.debounce = max(0.0, float(options["debounce"]) / 1000)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @answering(lambda: None)
    def did_open(ls: KpiServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @answering(lambda: None)
    def did_change(ls: KpiServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    @answering(lambda: None)
    def did_save(ls: KpiServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.analyses.clear()  # a saved file may be imported by another open document
        for uri in list(ls.workspace.text_documents):
            ls.schedule(uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @answering(lambda: None)
    def did_close(ls: KpiServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        ls.analyses.pop(uri, None)
        ls.good.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @answering(lambda: None)
    def on_hover(ls: KpiServer, params: lsp.HoverParams) -> lsp.Hover | None:
        place = ls.place(params.text_document.uri, params.position)
        return hover.hover(place, ls.language(place.analysis))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @answering(list)
    def on_definition(ls: KpiServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        return navigation.definition(ls.place(params.text_document.uri, params.position))

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    @answering(list)
    def on_references(ls: KpiServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        place = ls.place(params.text_document.uri, params.position)
        return navigation.references(place, params.context.include_declaration)

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION)
    @answering(lambda: lsp.CompletionList(is_incomplete=False, items=[]))
    def on_completion(ls: KpiServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        analysis = ls.current(uri)
        chosen = analysis if analysis.model is not None else ls.good.get(uri)
        lines = lines_of(analysis.text)
        line = lines[params.position.line] if 0 <= params.position.line < len(lines) else ""
        character = from_utf16(line, params.position.character)
        items = completion.complete(analysis.text.replace("\r\n", "\n"), params.position.line, character, chosen,
                                    ls.language(chosen))
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @answering(list)
    def on_symbols(ls: KpiServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        return symbols.document_symbols(ls.current(params.text_document.uri))

    @server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)
    @answering(list)
    def on_folding(ls: KpiServer, params: lsp.FoldingRangeParams) -> list[lsp.FoldingRange]:
        return symbols.folding_ranges(ls.current(params.text_document.uri))

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    @answering(list)
    def on_formatting(ls: KpiServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
        uri = params.text_document.uri
        return edits.formatting(ls.workspace.get_text_document(uri).source, uri_to_path(uri))

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    @answering(list)
    def on_code_action(ls: KpiServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        analysis = ls.current(uri)
        return edits.code_actions(analysis, uri, params.range, ls.language(analysis))

    return server


def serve() -> None:
    """Run the server on stdin/stdout until the editor says exit.

    The protocol gets its own handle on standard output, and `sys.stdout` points at
    standard error meanwhile: a stray print can never corrupt the protocol's stream."""
    import os
    import sys

    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(levelname)s: %(message)s")
    sys.stdout.flush()
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr
    build().start_io(sys.stdin.buffer, protocol_out)
