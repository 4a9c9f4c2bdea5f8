"""Plan versions by date: a role, a scheme, a KPI line, a goal or a param that changes.

A declaration written again under the same name with `from DATE [to DATE]` is a new
version of it (`role sales from 2026-07-01 { … }`, `param quota = 120 from 2026-07-01`,
inside a role `kpi revenue weight 60% target 1_200_000 from 2026-07-01`).  The rules,
shared by `kpidsl check`, the engine and the reports:

* a version is in force on the days of its validity, both ends inclusive; a version
  without `to` runs to the day before the next one starts, and an undated version from
  the beginning (so the plan as first written needs no date, and a change needs only its
  `from`);
* versions of one name must not share a day (two starting the same day included) and
  must leave no day uncovered between them; before the first and after the last none is
  in force (a role introduced in July);
* **a payout period uses the versions in force on its first day**, for the whole period:
  a version that starts inside a period applies from the next one (`kpidsl check` warns,
  K074).  One period is never paid by two plans, and no amount is split by days;
* the plan's *edition* of a period is the latest version start on or before its first
  day: the date the reports name ("редакция с 01.07.2026"), None for the plan as first
  written.

This module works in days; the engine turns the days into period keys (engine/versions.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from kpidsl.language import ast
from kpidsl.language.assignments import iso_date
from kpidsl.language.load import Model

Versioned = ast.Role | ast.Scheme | ast.Goal | ast.KpiLine

# The months a period of each kind starts in.
FIRST_MONTHS = {"month": tuple(range(1, 13)), "quarter": (1, 4, 7, 10), "year": (1,)}


@dataclass(frozen=True)
class Version:
    """One version of a declaration and the days it is in force (None: open)."""

    decl: Versioned
    start: dt.date | None
    end: dt.date | None

    def covers(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


def dates(valid: ast.Validity | None) -> tuple[dt.date | None, dt.date | None]:
    """A validity's days as written (None where open or not a real day; K070 reports those)."""
    if valid is None:
        return None, None
    return (iso_date(valid.start.text) if valid.start else None), (iso_date(valid.end.text) if valid.end else None)


def versions(decls: Sequence[Versioned]) -> list[Version]:
    """The versions of one name, ordered by their first day.  A version without `to` runs
    to the day before the next one starts (the undated one, from the beginning)."""
    written = sorted(((d, *dates(d.valid)) for d in decls), key=lambda v: v[1] or dt.date.min)
    out: list[Version] = []
    for i, (decl, start, end) in enumerate(written):
        later = next((s for _, s, _ in written[i + 1:] if s is not None and (start is None or s > start)), None)
        open_end = decl.valid is None or decl.valid.end is None
        if open_end and later is not None:
            end = later - dt.timedelta(days=1)
        out.append(Version(decl, start, end))
    return out


def in_force(decls: Sequence[Versioned], day: dt.date) -> Versioned | None:
    """The version of one name in force on `day`, or None."""
    return next((v.decl for v in versions(decls) if v.covers(day)), None)


def nearest(decls: Sequence[Versioned], day: dt.date) -> Versioned:
    """The version in force on `day`, else the next to start, else the last (for checks that
    need some version of a name on every day)."""
    ordered = versions(decls)
    found = next((v for v in ordered if v.covers(day)), None)
    later = next((v for v in ordered if v.start is not None and v.start > day), None)
    return (found or later or ordered[-1]).decl


def line_groups(role: ast.Role) -> dict[str, list[ast.KpiLine]]:
    """A role's KPI lines by indicator: the versions of each line."""
    groups: dict[str, list[ast.KpiLine]] = {}
    for line in role.kpis:
        groups.setdefault(line.indicator.text, []).append(line)
    return groups


def has_line_versions(role: ast.Role) -> bool:
    return any(line.valid is not None for line in role.kpis)


def role_on(role: ast.Role, day: dt.date) -> ast.Role:
    """`role` with the KPI lines in force on `day` (in the order written, their dates dropped:
    the role on that day has no versions); a line without versions stays, duplicates
    included (the checker reports those, K044)."""
    if not has_line_versions(role):
        return role
    keep: set[int] = set()
    for group in line_groups(role).values():
        if any(line.valid is not None for line in group):
            found = in_force(group, day)
            keep |= {id(found)} if found is not None else set()
        else:
            keep |= {id(line) for line in group}
    return replace(role, kpis=tuple(replace(line, valid=None) for line in role.kpis if id(line) in keep))


def is_versioned(model: Model) -> bool:
    """Whether the ruleset has any dated version."""
    return bool(model.versions) or any(has_line_versions(r) for r in model.roles.values())


def groups(model: Model) -> list[tuple[str, str, str | None, Sequence[Versioned]]]:
    """Every versioned name with its versions as written: (kind, name, role of a KPI line, decls).
    The one walk the checks, the boundaries and `kpidsl check`'s listing share."""
    out: list[tuple[str, str, str | None, Sequence[Versioned]]] = []
    for (space, name), decls in model.versions.items():
        first = decls[0]
        out.append((first.kind if isinstance(first, ast.Goal) else space, name, None, decls))
    roles = [r for name, role in model.roles.items()
             for r in model.versions.get(("role", name), (role,)) if isinstance(r, ast.Role)]
    for role in roles:
        out += [("kpi", kpi, role.name, group) for kpi, group in line_groups(role).items()
                if any(line.valid is not None for line in group)]
    return out


def boundaries(model: Model) -> list[dt.date]:
    """Every day on which some version starts or the day after one ends, in order."""
    days: set[dt.date] = set()
    for *_, decls in groups(model):
        for v in versions(decls):
            if v.start is not None:
                days.add(v.start)
            if v.end is not None and v.end < dt.date.max:
                days.add(v.end + dt.timedelta(days=1))
    return sorted(days)


def starts(model: Model) -> list[dt.date]:
    """Every day on which a version starts as written (`from`), in order: the plan's editions."""
    days = {day for *_, decls in groups(model) for d in decls if (day := dates(d.valid)[0]) is not None}
    return sorted(days)


def model_at(model: Model, day: dt.date, strict: bool = False) -> Model:
    """The plan as it stands on `day`: every versioned name resolved to its version in force
    (roles with their KPI lines in force).  `strict`: a name none of whose versions is in
    force is left out; otherwise its nearest version stands in (the checker checks each)."""
    out = replace(model, values=dict(model.values), schemes=dict(model.schemes), roles=dict(model.roles),
                  versions={})
    for (space, name), decls in model.versions.items():
        found = in_force(decls, day) if strict else nearest(decls, day)
        if isinstance(found, ast.Role):
            out.roles[name] = found
        elif isinstance(found, ast.Scheme):
            out.schemes[name] = found
        elif isinstance(found, ast.Goal):
            out.values[name] = found
        elif space == "role":
            out.roles.pop(name, None)
        elif space == "scheme":
            out.schemes.pop(name, None)
        else:
            out.values.pop(name, None)
    out.roles = {n: role_on(r, day) for n, r in out.roles.items()}
    return out


def edition(model: Model, first_day: dt.date) -> dt.date | None:
    """The plan's edition on a period's first day: the latest version start on or before it."""
    return max((d for d in starts(model) if d <= first_day), default=None)


def period_start(day: dt.date, kind: str) -> bool:
    """Whether `day` is the first day of a period of `kind` (month, quarter, year)."""
    return day.day == 1 and day.month in FIRST_MONTHS.get(kind, (1,))


@dataclass(frozen=True)
class Listed:
    """One versioned name as `kpidsl check` lists it."""

    kind: str  # role, scheme, goal, param, kpi (a KPI line of `role`)
    name: str
    role: str | None  # a KPI line's role
    versions: tuple[tuple[dt.date | None, dt.date | None, int], ...]  # (first day, last day, line)

    def text(self) -> str:
        def one(start: dt.date | None, end: dt.date | None, line: int) -> str:
            days = " ".join([*([f"from {start.isoformat()}"] if start else ["from the start"]),
                             *([f"to {end.isoformat()}"] if end else [])])
            return f"{days} (line {line})"

        what = f"KPI line `{self.name}` of role `{self.role}`" if self.kind == "kpi" else f"{self.kind} `{self.name}`"
        return f"{what}: " + "; ".join(one(*v) for v in self.versions)


def listing(model: Model) -> list[Listed]:
    """Every versioned name with its versions in order: `kpidsl check` lists them."""
    return [Listed(kind, name, role, tuple((v.start, v.end, (v.decl.valid or v.decl).span.line)
                                           for v in versions(decls)))
            for kind, name, role, decls in groups(model)]
