"""`kpidsl lsp`: the language server on stdin/stdout, for editors (see docs/editors.md).

pygls is an optional extra (`pip install 'kpidsl[lsp]'`), imported only here and only
when the command runs; without it the command says how to install it and exits 2.
"""

from __future__ import annotations

import click

INSTALL = "pip install 'kpidsl[lsp]'"


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default and only transport).")
def command(stdio: bool) -> None:
    """Run the language server (LSP) on standard input and output.

    An editor starts it: diagnostics as you type (those of `kpidsl check`), hover,
    go to definition and references (into imports and the standard library),
    completion, outline, folding, formatting (`kpidsl fmt`) and "did you mean" fixes.
    """
    try:
        from kpidsl.lsp.server import serve
    except ImportError as exc:
        missing = exc.name or "pygls"
        if missing.split(".")[0] not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise  # not the optional extra: a bug, reported as one by the CLI
        click.echo(f"kpidsl lsp: error: the language server needs {missing}, which is not installed.\n"
                   f"Install it with: {INSTALL}", err=True)
        click.get_current_context().exit(2)
    serve()
