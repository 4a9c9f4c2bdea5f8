"""`kpidsl fmt`: print rulesets in the canonical layout, or rewrite / check them.

Without options the formatted text goes to stdout and no file is touched.  `-w`
rewrites a file in place (atomically, and only when the text changes); `--check`
lists the files that would change and exits 1 if there are any.  A file that does
not parse is reported compiler-style and left alone.  Every formatted text is parsed
again and compared with the original before it is printed or written, so a printer
bug can never lose a declaration or a comment.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from kpidsl.base.diagnostics import Diagnostic, SourceCache, Span, error, render_human
from kpidsl.cli.paths import expand_rulesets

STDIN = "-"
STDIN_NAME = "<stdin>"


@dataclass
class _Outcome:
    name: str
    original: bytes = b""
    formatted: str | None = None  # None: not formatted (errors reported)
    exit_code: int = 0

    @property
    def changed(self) -> bool:
        return self.formatted is not None and self.formatted.encode("utf-8") != self.original


def _read(path: str) -> tuple[bytes | None, Diagnostic | None]:
    try:
        if path == STDIN:
            stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else sys.stdin
            data = stream.read()
            return (data.encode("utf-8") if isinstance(data, str) else data), None
        return Path(path).read_bytes(), None
    except OSError as exc:
        return None, error("K010", f"cannot read ruleset: {exc.strerror or exc}", Span(path, 1, 1), "check the path")


def _format_one(path: str) -> _Outcome:
    from kpidsl.language import fmt

    name = STDIN_NAME if path == STDIN else path
    raw, problem = _read(path)
    text = ""
    outcome = _Outcome(name, raw or b"")
    if raw is not None:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            problem = error("K011", "the ruleset is not UTF-8 text", Span(name, line, 1), "save the file as UTF-8")
    if problem is not None:
        click.echo(render_human(problem), err=True)
        outcome.exit_code = 1
        return outcome
    result = fmt.format_text(text, name)
    if result.failure is None and result.text is None:
        sources = SourceCache()
        sources.add(name, text)
        for d in result.errors:
            click.echo(render_human(d, sources), err=True)
        outcome.exit_code = 1
        return outcome
    if result.text is None:
        click.echo(f"{name}: internal error: cannot format safely ({result.failure}); the file is left as it is.\n"
                   "This is a bug in kpidsl fmt, not in your ruleset; please report it with the file.", err=True)
        outcome.exit_code = 2
        return outcome
    formatted = result.text
    outcome.formatted = formatted
    return outcome


def _write(path: str, text: str) -> str | None:
    """Rewrite `path` atomically, keeping its permissions; an error message or None."""
    from kpidsl.output.atomic import OutputError, write_atomic

    target = Path(path).resolve()  # through a symlink: replace the file, not the link
    try:
        write_atomic(target, text)  # keeps the file's permissions
    except (OutputError, OSError) as exc:
        return str(exc)
    return None


@click.command("fmt")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, allow_dash=True), metavar="FILE...")
@click.option("-w", "--write", is_flag=True, help="Rewrite each file in place (only when its text changes).")
@click.option("--check", is_flag=True, help="Change nothing: list the files that would change; exit 1 if any.")
@click.pass_context
def command(ctx: click.Context, files: tuple[str, ...], write: bool, check: bool) -> None:
    """Format rulesets canonically, keeping every comment.

    FILE… are ruleset files or folders (every .kpi file under them); `-` reads
    standard input.  By default the formatted
    text is printed and no file is changed.  Exit codes: 0 done (with --check: all
    files already formatted), 1 a file has syntax errors or would change (--check),
    2 usage or internal error.
    """
    if write and check:
        raise click.UsageError("choose one of --write and --check")
    if files.count(STDIN) > 1:
        raise click.UsageError("standard input (`-`) can be read only once")
    worst = 0
    for path in expand_rulesets(files):
        outcome = _format_one(path)
        worst = max(worst, outcome.exit_code)
        if outcome.formatted is None:
            continue
        if check:
            if outcome.changed:
                click.echo(outcome.name)
                worst = max(worst, 1)
        elif write and path != STDIN:
            if outcome.changed:
                message = _write(path, outcome.formatted)
                if message is not None:
                    click.echo(f"kpidsl fmt: {message}", err=True)
                    worst = 2
                else:
                    click.echo(f"reformatted {outcome.name}", err=True)
        else:
            click.echo(outcome.formatted, nl=False)
    ctx.exit(worst)
