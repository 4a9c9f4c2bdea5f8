"""Time `kpidsl lsp`'s diagnostics after a one-character edit in a generated 2 000-line ruleset
(a benchmark, not a unit test).  Target: a median under 300 ms.

The server runs as an editor runs it (`python -m kpidsl lsp`, JSON-RPC on stdio, driven by
pytest-lsp's client).  Each run types one more character into a comment (an
incremental change, as editors send them) and waits for the diagnostics of that version:
the figure includes the server's pause before checking (50 ms by default).  Printed next
to it, for scale: `kpidsl check FILE` as a command (a fresh process; the file's AST comes
from the cache), and the facade's `check_file` on an edited text (the same work the
server does, in this process).

    python benchmarks/bench_lsp.py [LINES] [RUNS]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_ruleset import generate
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from kpidsl.api import check_file

ROOT = Path(__file__).resolve().parent.parent


async def _diagnostics(client: LanguageClient, uri: str, version: int) -> list[lsp.Diagnostic]:
    while True:
        params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == uri and params.version == version:
            return list(params.diagnostics)


async def server_times(path: Path, text: str, runs: int) -> list[float]:
    config = ClientServerConfig(server_command=[sys.executable, "-m", "kpidsl", "lsp"],
                                server_env={**os.environ, "PYTHONPATH": str(ROOT)})
    client = await config.start()
    assert isinstance(client, LanguageClient)
    await client.initialize_session(lsp.InitializeParams(capabilities=client_capabilities("visual-studio-code"),
                                                         root_uri=path.parent.as_uri()))
    uri = path.resolve().as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="kpi", version=1, text=text)))
    found = await _diagnostics(client, uri, 1)
    assert not [d for d in found if d.severity == lsp.DiagnosticSeverity.Error], found
    line = next(n for n, t in enumerate(text.split("\n")) if t.startswith("# Facts") and n > 1000)
    times = []
    for version in range(2, runs + 2):
        # Type one more character into the comment: every text is new, so no cached AST helps.
        at = lsp.Position(line=line, character=version - 1)
        change = lsp.TextDocumentContentChangePartial(range=lsp.Range(start=at, end=at), text="x")
        started = time.perf_counter()
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[change]))
        await _diagnostics(client, uri, version)
        times.append(time.perf_counter() - started)
    await client.shutdown_session()
    await client.stop()
    return times


def command_times(path: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kpidsl", "check", str(path)], check=False, capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        times.append(time.perf_counter() - started)
    return times


def facade_times(path: Path, text: str, runs: int) -> list[float]:
    times = []
    for n in range(runs):
        edited = text.replace("# Facts", f"# Facts{n}", 1)
        started = time.perf_counter()
        check_file(path, text=edited)
        times.append(time.perf_counter() - started)
    return times


def main(lines: int = 2_000, runs: int = 15) -> None:
    text = generate(lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.kpi"
        path.write_text(text, encoding="utf-8")
        served = asyncio.run(server_times(path, text, runs))
        command = command_times(path, 5)
        facade = facade_times(path, text, 5)
    ms = lambda xs: f"{statistics.median(xs) * 1000:.0f} ms"  # noqa: E731
    print(f"ruleset: {text.count(chr(10))} lines; {runs} one-character edits")
    print(f"kpidsl lsp, edit → diagnostics, median: {ms(served)} (min {min(served) * 1000:.0f}, "
          f"max {max(served) * 1000:.0f}); target ≤ 300 ms")
    print(f"kpidsl check FILE (a fresh process), median: {ms(command)}")
    print(f"api.check_file on an edited text, median: {ms(facade)}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
