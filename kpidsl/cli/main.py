"""The `kpidsl` command line: a thin click group whose commands load lazily.

Each command lives in `kpidsl/cli/<name>.py` as a click command called
`command`; it is imported only when run, so `kpidsl check` never pays for DuckDB,
SQLGlot or openpyxl.  Exit codes everywhere: 0 ok, 1 findings or errors in the
input, 2 usage error (or an internal error, reported without a traceback).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from kpidsl import __version__
from kpidsl.base.diagnostics import shorten
from kpidsl.cli.stdout import StdoutError, guard_stdout, release_stdout

# name → one-line help, shown by `kpidsl --help` without importing the command.
COMMANDS: dict[str, str] = {
    "check": "Check rulesets: syntax, names, weights, units and the methodology's lints.",
    "fmt": "Format rulesets canonically (comments kept); --check only reports.",
    "eval": "Evaluate a ruleset over fact data: every KPI, index and bonus.",
    "compare": "Compare two plans (files or git revisions) on the same data: cost, winners, losers.",
    "explain": "Show every number of one employee's result with its formula.",
    "sql": "Print the compiled SQL for DuckDB or another engine.",
    "doc": "Write the bonus regulation (Положение о премировании) from a ruleset: md, html or docx.",
    "test": "Run a client's Gherkin feature specs with the bundled step library.",
    "init": "Create a client folder: ruleset, sample data and a passing spec.",
    "lsp": "Run the language server for editors (needs the `lsp` extra).",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not _available(cmd_name):
            return None
        module = importlib.import_module(f"kpidsl.cli.{cmd_name}")
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(f"kpidsl.cli.{name}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpidsl")
def cli() -> None:
    """kpidsl — KPI systems as text: rulesets in, KPIs, bonuses and reports out."""


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: click's exit codes, and no traceback even on a bug.

    Standard output that cannot be written is the environment's problem, not a bug: a
    full disk says so and exits 1; a reader that closed the pipe (`| head`) ends the run
    quietly with status 141, as a Unix tool stopped by SIGPIPE does."""
    guard_stdout()
    try:
        try:
            cli.main(args=argv, prog_name="kpidsl", standalone_mode=True)
        finally:
            sys.stdout.flush()
    except SystemExit as done:
        _flush_or_exit()
        raise done
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(2)
    except StdoutError as exc:
        _stdout_failed(exc)
    except OSError as exc:  # a file the environment would not let us touch: not a bug
        where = f"{shorten(str(exc.filename))}: " if exc.filename else ""
        click.echo(f"kpidsl: error: {where}{exc.strerror or exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # an internal error: say so plainly, never a traceback
        click.echo(
            f"kpidsl: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in kpidsl, not in your input; please report it with the command you ran.",
            err=True,
        )
        sys.exit(2)


def _flush_or_exit() -> None:
    try:
        sys.stdout.flush()
    except StdoutError as exc:
        _stdout_failed(exc)


def _stdout_failed(exc: StdoutError) -> None:
    release_stdout()
    if exc.closed:
        sys.exit(141)
    click.echo(f"kpidsl: error: cannot write to standard output: {exc.reason}", err=True)
    sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
