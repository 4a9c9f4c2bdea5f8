"""Roll-up: fact rows written per data period, gathered into the payout period.

A ruleset that counts its data in months and pays per quarter (`period month pay
quarter`) is evaluated per quarter: before the plan runs, each (quarter, employee,
fact) gets one value from its months' rows, by the fact's `rollup`:

    sum   (the default) the months' values added: deals, revenue, costs
    last  the latest month's value that the data has: a stock at period end (customers)
    avg   the mean of the months that have a value, rounded as the engine divides

Metrics are then computed from the rolled-up facts, so a quarter's conversion is
Σ deals / Σ leads, never the mean of three monthly rates.  Facts counted from records
need no roll-up: records carry dates and go straight into the payout period.  Each
rolled row keeps the rows it came from (`FactRow.parts`) for `explain`.

Diagnostics (listed in session.py):
    E005 error    a sum beyond the exact range (the rolled value is skipped)
    E055 warning  a payout period whose data periods are not all in the data
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from kpidsl.base.diagnostics import DataLocation, Diagnostic, error, warning
from kpidsl.data.facts import FactRow
from kpidsl.data.periods import bounds, key_for_date
from kpidsl.engine import fixedpoint as fp
from kpidsl.language.load import Model


def pay_key(key: str, kind: str) -> str:
    """The payout period of `kind` that holds the data period `key`."""
    return key_for_date(bounds(key)[0], kind)


def data_keys(pay: str, kind: str) -> list[str]:
    """The data periods of `kind` inside the payout period `pay`, in order."""
    start, end = bounds(pay)
    keys: list[str] = []
    day = start
    while day <= end:
        key = key_for_date(day, kind)
        keys.append(key)
        day = bounds(key)[1] + _dt.timedelta(days=1)
    return keys


def rule_of(model: Model, fact: str) -> str:
    """`sum`, `last` or `avg`: how `fact` rolls up."""
    decl = model.facts.get(fact)
    return decl.rollup.text if decl is not None and decl.rollup is not None else "sum"


def _value(rule: str, parts: list[FactRow]) -> Decimal:
    if rule == "last":
        return parts[-1].value
    total: Decimal | None = parts[0].value
    for part in parts[1:]:
        total = fp.py_add(total, part.value)
    assert total is not None
    if rule == "avg":
        mean = fp.py_div(total, Decimal(len(parts)))
        assert mean is not None  # the count is a small positive whole number
        return mean
    return total


def roll_up(model: Model, rows: list[FactRow], diagnostics: list[Diagnostic]) -> list[FactRow]:
    """`rows` (checked, per data period) as rows per payout period; unchanged when the
    ruleset pays per data period."""
    if not model.rolled_up:
        return rows
    kind, data_kind = model.period_kind, model.data_kind
    groups: dict[tuple[str, str | None, str], list[FactRow]] = {}
    seen: dict[str, set[str]] = {}
    for row in sorted(rows, key=lambda r: r.period):
        pay = pay_key(row.period, kind)
        groups.setdefault((pay, row.employee, row.fact), []).append(row)
        seen.setdefault(pay, set()).add(row.period)
    for pay in sorted(seen):
        missing = [k for k in data_keys(pay, data_kind) if k not in seen[pay]]
        if missing:
            have = sorted(seen[pay])
            diagnostics.append(warning(
                "E055", f"{pay} has data for {', '.join(have)} but not for {', '.join(missing)}: its facts "
                        f"are rolled up from {len(have)} of {len(have) + len(missing)} {data_kind}s",
                DataLocation(groups_first(groups, pay).location.file),
                f"add the rows of {', '.join(missing)}, or read the {kind} as incomplete"))
    out: list[FactRow] = []
    for (pay, employee, fact), parts in groups.items():
        rule = rule_of(model, fact)
        value = _value(rule, parts)
        if abs(value) >= fp.MAX_VALUE:
            diagnostics.append(error(
                "E005", f"the {rule} of `{fact}` over {pay}{' for ' + employee if employee else ''} is {value}, "
                        "beyond the exact range (magnitude below 10^26); it is skipped",
                parts[-1].location, "check the values and their unit"))
            continue
        out.append(FactRow(pay, employee, fact, value, parts[-1].location, tuple(parts)))
    return out


def groups_first(groups: dict[tuple[str, str | None, str], list[FactRow]], pay: str) -> FactRow:
    """The first row that falls into `pay` (for a diagnostic's file)."""
    return next(parts[0] for (key, _, _), parts in groups.items() if key == pay)
