"""Records: which raw records a ruleset reads (deals, leads, ad spend) and from which files.

A ruleset may declare raw sources and facts computed from them:

    records deals "Сделки из CRM" { file "deals.csv" date created_at employee manager }
    fact revenue "Выручка" = sum amount from deals where status = "won"

This module knows the sources: which facts aggregate which declared records, and
the file each records source is read from (a `--source` override, else the
ruleset's `file`).  It imports no SQL library.  The SQL that aggregates the records
into fact rows is `records_sql.py` (`aggregate_records`, `records_query`,
`records_sql`); how each record's columns are read and checked is
`records_columns.py`.

Diagnostics: K053 (no file), K054 (file not found), K057 (`--source` for unknown
records).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpidsl.base.diagnostics import DataLocation, Diagnostic, Location, error, shorten
from kpidsl.base.files import kind
from kpidsl.language import ast

if TYPE_CHECKING:
    from kpidsl.language.load import Model

_READERS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
            ".json": "json", ".jsonl": "json", ".ndjson": "json"}


@dataclass(frozen=True)
class Source:
    """One records source as this stage reads it."""

    name: str
    path: str  # a file (DuckDB) or a table name (other engines)
    reader: str  # "csv" | "parquet" | "json" | "table"
    columns: dict[str, str] | None = None  # column → DuckDB type, once described


def reader_for(path: str) -> str | None:
    """csv / parquet / json from the file's suffix (`.csv.gz` counts as csv), or None."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in (".gz", ".zst"):
        suffixes = suffixes[:-1]
    return _READERS.get(suffixes[-1]) if suffixes else None


def aggregated_facts(model: Model) -> dict[str, list[tuple[str, ast.Aggregation]]]:
    """records name → [(fact name, aggregation)], for facts over declared records."""
    used: dict[str, list[tuple[str, ast.Aggregation]]] = {}
    for name, fact in model.facts.items():
        agg = fact.aggregation
        if agg is not None and agg.records.text in model.records:
            used.setdefault(agg.records.text, []).append((name, agg))
    return used


def resolve_files(model: Model, overrides: Mapping[str, str] | None = None,
                  *, must_exist: bool = True) -> tuple[dict[str, str], list[Diagnostic]]:
    """records name → file for every records source that facts use.

    `overrides` (`--source deals=deals.parquet`, relative to the working folder) win;
    otherwise the ruleset's `file "…"`, relative to the file that declares it."""
    overrides = dict(overrides or {})
    diags: list[Diagnostic] = []
    for name in overrides:
        if name not in model.records:
            close = difflib.get_close_matches(name, list(model.records), n=1)
            diags.append(error("K057", f"--source names records `{name}`, but the ruleset declares no such records",
                               None, f"did you mean `{close[0]}`?" if close else
                               f"declared records: {', '.join(sorted(model.records)) or 'none'}"))
    files: dict[str, str] = {}
    for name in aggregated_facts(model):
        decl = model.records[name]
        where: Location
        if name in overrides:
            path, where = overrides[name], DataLocation(overrides[name])
        elif decl.file:
            path, where = str(Path(decl.span.file).parent / decl.file), decl.span
        else:
            diags.append(error("K053", f"records `{name}` has no file", decl.span,
                               f'add `file "{name}.csv"` to the records, or pass --source {name}=FILE'))
            continue
        if must_exist and kind(path) != "file":
            diags.append(error("K054", f"records `{name}`: file not found: {shorten(path)}", where,
                               "check the path; a ruleset's `file` is relative to the ruleset file, "
                               "--source paths to the current folder"))
            continue
        files[name] = path
    return files, diags
