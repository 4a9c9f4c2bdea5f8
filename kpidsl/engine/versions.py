"""Plan versions in the plan: the days of language/versions.py turned into period keys.

A period uses the versions in force on its first day, so a version in force from day
`a` to day `b` applies to the periods whose first day lies in [a, b]: the keys from the
first period starting on or after `a` up to, not including, the first one starting after
`b`.  Period keys of one kind sort as their periods do (`2026Q2` < `2026Q3`,
`2026-09` < `2026-10`), so the plan tests `period >= lo AND period < hi` on the key.

Each role becomes one *variant* per stretch of days over which its version, its KPI
lines' versions and its scheme's version stay the same; a variant is its own branch of
the kpis statement, restricted to its periods.  A versioned goal or param is one
column of the values frame: a CASE over its versions' periods (NULL where none is in force).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from kpidsl.base.diagnostics import Diagnostic, warning
from kpidsl.data.periods import bounds, key_for_date
from kpidsl.language import ast
from kpidsl.language.builtins import DEFAULT_SCHEME
from kpidsl.language.load import Model
from kpidsl.language.versions import boundaries, edition, is_versioned, model_at, versions

if TYPE_CHECKING:
    from kpidsl.engine.plan import Plan


def first_key(day: dt.date, kind: str) -> str:
    """The key of the first period of `kind` that starts on or after `day`."""
    key = key_for_date(day, kind)
    if bounds(key)[0] < day:
        key = key_for_date(bounds(key)[1] + dt.timedelta(days=1), kind)
    return key


def key_range(start: dt.date | None, end: dt.date | None, kind: str) -> tuple[str | None, str | None]:
    """The period keys [lo, hi) whose first day lies in [start, end] (None: open)."""
    lo = first_key(start, kind) if start is not None and start > dt.date.min else None
    hi = first_key(end + dt.timedelta(days=1), kind) if end is not None and end < dt.date.max else None
    return lo, hi


def in_range(period: exp.Expression, lo: str | None, hi: str | None) -> exp.Expression | None:
    """`period >= lo AND period < hi`, None when the range is open at both ends."""
    parts: list[exp.Expression] = []
    if lo is not None:
        parts.append(exp.GTE(this=period.copy(), expression=exp.Literal.string(lo)))
    if hi is not None:
        parts.append(exp.LT(this=period.copy(), expression=exp.Literal.string(hi)))
    if not parts:
        return None
    out = parts[0]
    for part in parts[1:]:
        out = exp.And(this=out, expression=part)
    return out


@dataclass(frozen=True)
class RoleVariant:
    """A role as it stands over a stretch of periods [lo, hi)."""

    role: ast.Role  # the version of the role, with its KPI lines in force
    model: Model  # the plan as it stands then (its schemes)
    lo: str | None
    hi: str | None
    label: str | None  # the first day it is in force (ISO), None when since the start

    @property
    def key(self) -> str:
        """The variant's name in the plan: the role's, with `@day` for a later version."""
        return self.role.name if self.label is None else f"{self.role.name}@{self.label}"


def role_variants(model: Model) -> list[RoleVariant]:
    """The variants of every role, role by role, oldest first (one, open, per role of a plan
    without versions).  The plan on each boundary day is resolved once, for all roles."""
    if not is_versioned(model):
        return [RoleVariant(role, model, None, None, None) for role in model.roles.values()]
    days = [dt.date.min, *boundaries(model)]
    plans = [model_at(model, day, strict=True) for day in days]
    return [v for name in model.roles for v in _variants(model, name, days, plans)]


def _variants(model: Model, name: str, days: list[dt.date], plans: list[Model]) -> list[RoleVariant]:
    kind = model.period_kind
    stretches: list[tuple[tuple[object, ...], dt.date, RoleVariant]] = []
    for i, (day, at) in enumerate(zip(days, plans, strict=True)):
        role = at.roles.get(name)
        if role is None:
            continue
        scheme_name = role.scheme.text if role.scheme is not None else DEFAULT_SCHEME
        versioned_scheme = ("scheme", scheme_name) in model.versions
        scheme = at.schemes.get(scheme_name)
        if versioned_scheme and scheme is None:
            continue  # the role's scheme is not in force: the role is not either (E056)
        # a version is known by its place in the ruleset (resolving copies the declarations)
        signature = (role.span, *(line.span for line in role.kpis), scheme.span if scheme is not None else None)
        end = days[i + 1] - dt.timedelta(days=1) if i + 1 < len(days) else None
        if stretches and stretches[-1][0] == signature and _next_day(stretches[-1][2], model, day):
            _, since, _ = stretches[-1]
            stretches[-1] = (signature, since, _variant(role, at, since, end, kind))
        else:
            stretches.append((signature, day, _variant(role, at, day, end, kind)))
    return [v for _, _, v in stretches if v.lo is None or v.hi is None or v.lo < v.hi]


def _variant(role: ast.Role, at: Model, since: dt.date, end: dt.date | None, kind: str) -> RoleVariant:
    lo, hi = key_range(since, end, kind)
    return RoleVariant(role, at, lo, hi, None if since == dt.date.min else since.isoformat())


def _next_day(previous: RoleVariant, model: Model, day: dt.date) -> bool:
    """Whether the stretch before `day` ran up to it (no day between them without the role)."""
    return previous.hi is None or previous.hi == first_key(day, model.period_kind)


def value_versions(model: Model, name: str) -> list[tuple[ast.Goal, str | None, str | None]]:
    """A versioned goal's or param's versions with their period keys [lo, hi), oldest first;
    empty when the value has one version."""
    decls = model.versions.get(("value", name))
    if not decls:
        return []
    out = []
    for v in versions([d for d in decls if isinstance(d, ast.Goal)]):
        lo, hi = key_range(v.start, v.end, model.period_kind)
        if isinstance(v.decl, ast.Goal) and (lo is None or hi is None or lo < hi):
            out.append((v.decl, lo, hi))
    return out


def editions(model: Model, periods: list[str]) -> dict[str, str | None]:
    """Each period → the plan's edition that pays it (ISO day, None as first written);
    empty for a plan without versions."""
    if not is_versioned(model):
        return {}
    out = {}
    for period in periods:
        day = edition(model, bounds(period)[0])
        out[period] = day.isoformat() if day is not None else None
    return out


def not_in_force(model: Model, plan: Plan, periods: list[str], roster: list[tuple[str, str]],
                 days: list[tuple[str, str, str, int, int]] | None) -> list[Diagnostic]:
    """E056: a period in which no version of a role (or of its scheme) is in force, for the
    employees who hold that role then; one warning per role and period."""
    if not is_versioned(model):
        return []
    held = None if days is None else {(p, e, r) for p, e, r, _, _ in days}
    out = []
    for role in dict.fromkeys(r for _, r in roster):
        variants = plan.variants.get(role)
        if not variants:
            continue  # an unknown role: E001
        for period in periods:
            if plan.variant_at(role, period) is not None:
                continue
            people = [e for e, r in roster if r == role and (held is None or (period, e, r) in held)]
            if people:
                shown = ", ".join(people[:3]) + (f" and {len(people) - 3} more" if len(people) > 3 else "")
                out.append(warning(
                    "E056", f"no version of role `{role}` (or of its scheme) is in force in {period}: "
                            f"{shown} not evaluated in it then", model.roles[role].span,
                    "a period uses the versions in force on its first day; extend a version's dates "
                    "to cover it, or assign these people another role"))
    return out
