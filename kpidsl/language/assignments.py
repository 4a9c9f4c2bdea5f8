"""Dated assignments: who holds which role from which day to which day.

An assignment comes from a ruleset line (`employee "Петров" role sales from 2026-02-16
to 2026-06-30`) or a roster row (`employee, role, from, to`).  Both dates are inclusive
and either may be open.  The rules, shared by `kpidsl check` (ruleset lines) and the
engine (ruleset lines and the roster file together):

* `to` before `from` is an error;
* two assignments of one person whose days overlap are an error naming both (one person
  holds one role on any day); two undated lines of the same person are the older
  "listed twice" case, which the checker (K049) and the engine (E002) report;
* an employee is scored in a period for the days their assignments cover in it, and
  `prorate days` (the default) pays the planned bonus in proportion to those days:
  calendar days, inclusive, over the period's days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kpidsl.base.diagnostics import Location

PRORATE_CHOICES = ("days", "none")


@dataclass(frozen=True, slots=True)
class Assignment:
    employee: str
    role: str
    start: dt.date | None  # the first day in the role; None: since always
    end: dt.date | None  # the last day in the role; None: still in it
    where: str  # "ruleset line 12", "roster row 3": how messages name it
    location: Location

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None

    @property
    def inverted(self) -> bool:
        return self.start is not None and self.end is not None and self.end < self.start

    def days_in(self, first: dt.date, last: dt.date) -> int:
        """The calendar days of [first, last] this assignment covers (0 if none)."""
        start = max(first, self.start) if self.start is not None else first
        end = min(last, self.end) if self.end is not None else last
        return max(0, (end - start).days + 1)

    def span_text(self) -> str:
        """`from 2026-02-16 to 2026-06-30` as messages show it (ISO dates)."""
        parts = [f"from {self.start.isoformat()}"] if self.start is not None else []
        parts += [f"to {self.end.isoformat()}"] if self.end is not None else []
        return " ".join(parts) or "undated"


def iso_date(text: str | None) -> dt.date | None:
    """A DATE token (`2026-02-16`) as a date, or None if it names no real day (2026-02-30)."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def overlap(a: Assignment, b: Assignment) -> bool:
    """Whether two assignments share a day (open ends reach forever)."""
    a_before_b = a.end is not None and b.start is not None and a.end < b.start
    b_before_a = b.end is not None and a.start is not None and b.end < a.start
    return not (a_before_b or b_before_a)


def conflicts(assignments: list[Assignment]) -> list[tuple[Assignment, Assignment]]:
    """Pairs of one person's assignments whose days overlap, at least one of them dated,
    in the order they were written (the earlier first)."""
    by_person: dict[str, list[Assignment]] = {}
    for a in assignments:
        if not a.inverted:
            by_person.setdefault(a.employee, []).append(a)
    out: list[tuple[Assignment, Assignment]] = []
    for mine in by_person.values():
        for i, first in enumerate(mine):
            out += [(first, later) for later in mine[i + 1:] if (first.dated or later.dated) and overlap(first, later)]
    return out
