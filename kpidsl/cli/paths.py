"""One module per CLI command; each defines a click command named `command`."""

from __future__ import annotations

from pathlib import Path

import click


def expand_rulesets(paths: tuple[str, ...]) -> list[str]:
    """Ruleset arguments with each folder replaced by the `.kpi` files under it, sorted.

    A folder without rulesets is a usage error; files (and `-`) pass through as given
    (a file that cannot be read is the loader's K010).
    """
    from kpidsl.base.files import kind

    out: list[str] = []
    for path in paths:
        folder = Path(path)
        if path != "-" and kind(folder) == "dir":
            found = sorted(str(p) for p in folder.rglob("*.kpi") if p.is_file())
            if not found:
                raise click.UsageError(f"no .kpi files under {path}")
            out.extend(found)
        else:
            out.append(path)
    return out
