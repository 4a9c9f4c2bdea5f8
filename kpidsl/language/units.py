"""Units of measure, kept deliberately simple for the checker's sanity warnings.

A unit is a currency code (RUB, USD …), `count`, `days`, `hours`, `points`, or
`ratio` — percent and ratio are the same dimension (20% is 0.20).  A bare number
(`SCALAR`: 20, 20%, a goal) fits any unit.  Adding or comparing two different
known units is suspicious; products and quotients of different units (RUB per
lead) are not tracked and become unknown (`None`), which never warns.
"""

from __future__ import annotations

from kpidsl.language.builtins import is_known_unit

Unit = str | None  # None: unknown
SCALAR = "scalar"
ONE = "ratio"


def declared_unit(unit: str) -> Unit:
    """The unit a `unit NAME` declaration stands for (None if the name is unknown)."""
    if unit in ("percent", "ratio"):
        return ONE
    return unit if is_known_unit(unit) else None


def describe_unit(unit: Unit) -> str:
    return "percent/ratio" if unit == ONE else "unknown unit" if unit is None else unit


def is_concrete(unit: Unit) -> bool:
    return unit is not None and unit != SCALAR


def add_units(a: Unit, b: Unit) -> tuple[Unit, bool]:
    """The unit of `a + b` (or of comparing them), and whether the two clash."""
    if a == SCALAR:
        return b, False
    if b == SCALAR or a == b:
        return a, False
    if a is None or b is None:
        return None, False
    return None, True


def mul_units(a: Unit, b: Unit) -> Unit:
    if a == SCALAR:
        return b
    if b == SCALAR:
        return a
    if a == ONE:
        return b
    if b == ONE:
        return a
    return None  # count × RUB and friends: not tracked


def div_units(a: Unit, b: Unit) -> Unit:
    if b in (SCALAR, ONE):
        return a
    if a is not None and a == b:
        return ONE
    return None  # RUB per count: not tracked
