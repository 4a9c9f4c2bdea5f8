"""`kpidsl init CLIENT_DIR`: a new client folder that works from the first minute.

It holds a ruleset importing the standard library (`ruleset.kpi`), sample data
(`data/facts.csv`) and one Russian spec (`features/bonus.feature`) that passes
`kpidsl test CLIENT_DIR` as created — a starting point to edit, not a template
language.  The folder is assembled beside the target and renamed into place, so
an error leaves nothing half-made.

Exit status: 0 created; 2 usage error — the folder exists and is not empty
(nothing is overwritten) or cannot be created.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import click

from kpidsl.language.exprtext import quote

_SCAFFOLD = Path(__file__).resolve().parent.parent / "specs" / "scaffold"
_FILES = ("ruleset.kpi", "data/facts.csv", "features/bonus.feature")


def _dsl_string(text: str) -> str:
    """The client's name inside a double-quoted ruleset string (the one quoter's escapes)."""
    return quote(text)[1:-1]


@click.command(name="init")
@click.argument("client_dir", type=click.Path(file_okay=True, path_type=Path))
@click.option("--client", default=None, help="The client's name (default: the folder's name).")
def command(client_dir: Path, client: str | None) -> None:
    """Create CLIENT_DIR with a ruleset, sample data and a passing spec.

    Refuses to touch a folder that already has files in it.
    Exit status: 0 created, 2 usage error.
    """
    ctx = click.get_current_context()
    target = client_dir.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        click.echo(f"kpidsl init: {client_dir} already exists and is not empty; "
                   "choose a new folder (nothing was changed)", err=True)
        ctx.exit(2)
    name = " ".join((client or target.name).split()) or "Клиент"  # one line: it lands in comments and steps
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        click.echo(f"kpidsl init: cannot create {client_dir}: {exc.strerror or exc}", err=True)
        ctx.exit(2)
    try:
        for relative in _FILES:
            text = (_SCAFFOLD / relative).read_text(encoding="utf-8")
            if relative.endswith(".kpi"):
                text = text.replace("{{client}}", _dsl_string(name))
            else:
                text = text.replace("{{client}}", name)
            out = staging / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        mask = os.umask(0)
        os.umask(mask)
        staging.chmod(0o777 & ~mask)  # mkdtemp's folder is private; the client folder is not
        os.replace(staging, target)  # an empty existing folder is replaced too
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        click.echo(f"kpidsl init: cannot create {client_dir}: {exc.strerror or exc}", err=True)
        ctx.exit(2)
    click.echo(f"created {client_dir}/: " + ", ".join(_FILES))
    click.echo(f"next: kpidsl check {client_dir / 'ruleset.kpi'} && kpidsl test {client_dir}")
