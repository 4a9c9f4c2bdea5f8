"""The checks of plan versions (language/versions.py): dates, overlaps, gaps, period edges.

* K070 — a version's date is no real day (`2026-02-30`);
* K071 — a version ends before it starts;
* K072 — two versions of one name share a day (two starting the same day among them),
  both named;
* K073 — two versions leave days between them on which none is in force, both named;
* K074 — a version starts (or ends) inside a payout period: a period is paid by the
  versions in force on its first day, so the change takes effect from the next period;
* K075 — a version in force on no period's first day: it never applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import pairwise

from kpidsl.base.diagnostics import Diagnostic, error, warning
from kpidsl.language import ast
from kpidsl.language.assignments import iso_date
from kpidsl.language.load import Model
from kpidsl.language.versions import Version, Versioned, dates, groups, period_start, versions

KINDS = {ast.Role: "role", ast.Scheme: "scheme", ast.KpiLine: "KPI line"}


def _what(decl: Versioned, role: str | None = None) -> str:
    if isinstance(decl, ast.Goal):
        return f"{decl.kind} `{decl.name}`"
    if isinstance(decl, ast.KpiLine):
        return f"KPI line `{decl.indicator.text}` of role `{role}`"
    return f"{KINDS[type(decl)]} `{decl.name}`"


def _line_of(decl: Versioned) -> int:
    return decl.valid.span.line if decl.valid is not None else decl.span.line


def _shown(v: Version) -> str:
    if v.decl.valid is None:
        return f"the undated version (line {v.decl.span.line})"
    return f"the version {v.decl.valid.text()} (line {_line_of(v.decl)})"


def check_versions(model: Model) -> list[Diagnostic]:
    """Every version finding of the ruleset, by name."""
    out: list[Diagnostic] = []
    for *_, role, decls in groups(model):
        out += _dates(decls)
        if any(_bad(d.valid) for d in decls):
            continue  # the dates are wrong: nothing more to say about their order
        ordered = versions(decls)
        out += _order(ordered, role)
        out += _edges(ordered, role, model.period_kind)
    return out


def _bad(valid: ast.Validity | None) -> bool:
    """A written date that is no real day, or an end before the start."""
    if valid is None:
        return False
    start, end = dates(valid)
    unreadable = (valid.start is not None and start is None) or (valid.end is not None and end is None)
    return unreadable or (start is not None and end is not None and end < start)


def _dates(decls: Sequence[Versioned]) -> list[Diagnostic]:
    out = []
    for decl in decls:
        valid = decl.valid
        if valid is None:
            continue
        wrong = [p for p in (valid.start, valid.end) if p is not None and iso_date(p.text) is None]
        out += [error("K070", f"`{p.text}` is not a date", p.span,
                      "write a real day as YYYY-MM-DD: `from 2026-07-01`") for p in wrong]
        if not wrong and _bad(valid) and valid.start is not None and valid.end is not None:
            out.append(error("K071", f"this version ends ({valid.end.text}) before it starts ({valid.start.text})",
                             valid.end.span, "swap the dates, or correct the one that is wrong"))
    return out


def _order(ordered: list[Version], role: str | None) -> list[Diagnostic]:
    out = []
    for before, after in pairwise(ordered):
        what = _what(after.decl, role)
        where = after.decl.valid.span if after.decl.valid is not None else after.decl.span
        related = ((before.decl.valid.span if before.decl.valid is not None else before.decl.span,
                    f"the other version of {what}"),)
        if before.start is not None and before.start == after.start:
            out.append(error("K072", f"two versions of {what} start the same day ({after.start.isoformat()}): "
                                     f"{_shown(before)} and this one", where,
                             "give each version its own `from` date, or delete one", related))
        elif before.end is None or (after.start is not None and after.start <= before.end):
            out.append(error("K072", f"versions of {what} overlap: {_shown(before)} is still in force "
                                     f"when this one starts", where,
                             "end the earlier version the day before: `to "
                             f"{(after.start - dt.timedelta(days=1)).isoformat() if after.start else 'DATE'}`",
                             related))
        elif after.start is not None and after.start > before.end + dt.timedelta(days=1):
            first, last = before.end + dt.timedelta(days=1), after.start - dt.timedelta(days=1)
            gap = f"{first.isoformat()} – {last.isoformat()}"
            out.append(error("K073", f"no version of {what} is in force from {gap}, between {_shown(before)} "
                                     "and this one", where,
                             f"start this version on {(before.end + dt.timedelta(days=1)).isoformat()}, or end the "
                             "earlier one the day before this one starts", related))
    return out


def _edges(ordered: list[Version], role: str | None, kind: str) -> list[Diagnostic]:
    out = []
    for v in ordered:
        valid = v.decl.valid
        if valid is None:
            continue
        what = _what(v.decl, role)
        if v.start is not None and valid.start is not None and not period_start(v.start, kind):
            out.append(warning(
                "K074", f"the version of {what} starts on {v.start.isoformat()}, inside a {kind}: "
                        f"a {kind} is paid by the versions in force on its first day, so this one "
                        "applies from the next", valid.start.span,
                f"start versions on a {kind}'s first day"))
        if v.end is not None and valid.end is not None and not period_start(v.end + dt.timedelta(days=1), kind):
            out.append(warning(
                "K074", f"the version of {what} ends on {v.end.isoformat()}, inside a {kind}: "
                        f"it still pays that whole {kind} if it was in force on its first day",
                valid.end.span, f"end versions on a {kind}'s last day"))
        if v.start is not None and v.end is not None and not _first_day_within(v.start, v.end, kind):
            out.append(warning("K075", f"the version of {what} ({valid.text()}) is in force on no "
                                       f"{kind}'s first day: it never applies",
                               valid.span, "a version applies from the first period that starts inside it"))
    return out


def _first_day_within(start: dt.date, end: dt.date, kind: str) -> bool:
    day = start
    while day <= end:
        if period_start(day, kind):
            return True
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return False
