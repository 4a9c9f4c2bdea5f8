"""Facts: the client's exported data → validated fact rows.

Reads CSV, XLSX, JSON and Parquet in long form (period, employee?, fact, value) or
wide form (one row per period[/employee], one column per fact), including Russian
spreadsheet exports.  Every bad cell becomes a diagnostic with file:row:column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .diagnostics import DataLocation, Diagnostic


@dataclass(frozen=True, slots=True)
class FactRow:
    period: str  # canonical period key ("2026Q3")
    employee: str | None  # None: department level, applies to everyone
    fact: str  # the fact's name in the ruleset
    value: Decimal
    location: DataLocation  # where the value came from (file, row, column)


@dataclass(frozen=True, slots=True)
class RosterRow:
    employee: str
    role: str
    location: DataLocation


@dataclass
class FactTable:
    rows: list[FactRow] = field(default_factory=list)
    roster: list[RosterRow] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def load_facts(paths: list[str], *, encoding: str | None = None, delimiter: str | None = None,
               period_kind: str = "quarter", roster: str | None = None,
               known_facts: dict[str, str] | None = None) -> tuple[FactTable, list[Diagnostic]]:
    """Read every facts file (and the roster).  `known_facts` maps accepted column/fact
    spellings (casefolded names and titles) to fact names."""
    raise NotImplementedError("facts loading is being written")
