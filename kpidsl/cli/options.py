"""The options every evaluating command shares (`eval`, `explain`, `sql`): the data
files, the narrowing, the text encoding, and their checks (a usage error, exit 2).
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Callable
from typing import Any

import click

_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


def _encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise click.BadParameter(f"unknown text encoding `{value}` (try utf-8, cp1251)") from None


def _delimiter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(value.lower(), value)
    if len(value) != 1 or value in "\"\r\n" or value.isalnum():
        raise click.BadParameter(f"a delimiter is one character such as `;` `,` `|` or `tab`, not `{value}`")
    return value


def parse_sources(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict[str, str]:
    sources: dict[str, str] = {}
    for item in value:
        name, sep, file = item.partition("=")
        if not sep or not name.strip() or not file.strip():
            raise click.BadParameter(f"write NAME=FILE (the records' name in the ruleset, then the file), not `{item}`")
        if name.strip() in sources:
            raise click.BadParameter(f"records `{name.strip()}` are given twice")
        sources[name.strip()] = file.strip()
    return sources


def memory_size(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    if not _MEMORY.match(value):
        raise click.BadParameter(f"write an amount of memory such as 2GB, 500MB or 1.5GiB, not `{value}`")
    return value.replace(" ", "")


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What a command evaluates: the ruleset, its data and the narrowing asked for."""

    ruleset: str
    facts: tuple[str, ...]
    roster: str | None
    sources: dict[str, str]  # records name → file, replacing the ruleset's `file`
    period: str | None
    employee: str | None
    locale: str | None
    encoding: str | None
    delimiter: str | None
    import_paths: tuple[str, ...] = ()
    text: str | None = None  # the ruleset's text when not read from `ruleset` (a git revision's)

    @property
    def files(self) -> list[str]:
        """Every input file given on the command line (outputs must never replace one)."""
        return [self.ruleset, *self.facts, *([self.roster] if self.roster else []), *self.sources.values()]


import_path_option = click.option(
    "--import-path", "import_paths", multiple=True, metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=str),
    help="A folder of shared rulesets the imports may reach, besides the ruleset's own folder; repeatable.")


def input_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--facts, --source, --roster, --period, --employee, --locale, --encoding, --delimiter, --import-path."""
    for option in reversed([
        click.option("--facts", "facts", multiple=True, metavar="FILE",
                     help="A facts file (CSV, XLSX, JSON, Parquet); repeat for several.  "
                          "Required unless the ruleset computes its facts from records."),
        click.option("--source", "sources", multiple=True, metavar="NAME=FILE", callback=parse_sources,
                     help="Read the ruleset's records NAME from FILE instead of its `file`; repeatable."),
        click.option("--roster", metavar="FILE",
                     help="A file of employee and role columns, adding to the ruleset's employees."),
        click.option("--period", metavar="PERIOD", help="Only this period: 2026Q3, 2026-09, 2026, \"3 кв. 2026\" …"),
        click.option("--employee", metavar="NAME", help="Only this employee."),
        click.option("--locale", type=click.Choice(["ru", "en"]),
                     help="Language and number format (default: the ruleset's)."),
        click.option("--encoding", metavar="ENC", callback=_encoding,
                     help="The facts files' encoding (default: detect; e.g. cp1251)."),
        click.option("--delimiter", metavar="D", callback=_delimiter,
                     help="The CSV delimiter (default: detect; `;` `,` `tab`)."),
        import_path_option,
    ]):
        command = option(command)
    return command
