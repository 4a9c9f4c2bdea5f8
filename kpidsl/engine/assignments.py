"""The roster as dated assignments, and the days each one covers in each period.

Step 1 of an evaluation (`session.py`).  Entries come from the ruleset's `employee`
lines, then the roster file's rows (language/assignments.py has the rules):

* an undated entry for someone already listed undated: the same role is merged, another
  role replaces the earlier one with a warning (E002);
* a role the ruleset does not define: the entry is skipped (E001);
* a roster row whose `to` is before its `from` (E053), or two assignments of one person
  on the same days (E052, naming both): errors, and that person is not evaluated;
* an assignment that covers no period of the data: a warning (E054).

`days` gives, per period of the data, each (employee, role) holding the role in it and
the calendar days they held it (inclusive) out of the period's days; the plan scores
an employee in a period only for the roles they held in it (`engine/compile.py`).
"""

from __future__ import annotations

from kpidsl.base.diagnostics import Diagnostic, error, warning
from kpidsl.data.facts import FactTable
from kpidsl.data.periods import bounds
from kpidsl.language.assignments import Assignment, conflicts, iso_date
from kpidsl.language.load import Model

Roster = list[tuple[str, str]]  # (employee, role) in display order; one person may hold two roles
Days = list[tuple[str, str, str, int, int]]  # (period, employee, role, days in the role, days in the period)


def build_assignments(model: Model, table: FactTable, diagnostics: list[Diagnostic]) -> list[Assignment]:
    """The assignments to evaluate, in the order written (ruleset lines, then roster rows)."""
    entries = [Assignment(e.name, e.role.text, iso_date(e.start), iso_date(e.end), f"ruleset line {e.span.line}",
                          e.role.span) for e in model.employees]
    entries += [Assignment(r.employee, r.role, r.start, r.end, f"roster row {r.location.row}", r.location)
                for r in table.roster]
    kept: list[Assignment] = []
    for entry in entries:
        if entry.inverted:
            diagnostics.append(error(
                "E053", f"the assignment of {entry.employee} ({entry.where}) ends on {entry.end} before it starts "
                        f"on {entry.start}; it is skipped", entry.location, "swap the dates, or correct the wrong one"))
            continue
        earlier = next((a for a in kept if a.employee == entry.employee and not a.dated), None)
        if earlier is not None and not entry.dated:
            if earlier.role != entry.role:
                diagnostics.append(warning(
                    "E002", f"{entry.employee} is listed with role `{earlier.role}` and again with role "
                            f"`{entry.role}` ({entry.where}); the later entry, `{entry.role}`, is used",
                    entry.location, "list each employee once, give each entry its dates, or keep the roles consistent"))
            kept.remove(earlier)  # the later entry wins, even with a role the ruleset lacks
        if entry.role not in model.roles:
            known = ", ".join(sorted(model.roles)) or "none"
            diagnostics.append(error("E001", f"{entry.employee} has role `{entry.role}`, which the ruleset does not "
                                             "define; this employee is not evaluated", entry.location,
                                     f"use one of the ruleset's roles: {known}"))
            continue
        kept.append(entry)
    clashing: set[str] = set()
    for a, b in conflicts(kept):
        clashing.add(a.employee)
        diagnostics.append(error(
            "E052", f"{b.employee} holds two roles on the same days: role `{a.role}` {a.span_text()} ({a.where}) "
                    f"and role `{b.role}` {b.span_text()} ({b.where}); {b.employee} is not evaluated", b.location,
            "make the dates follow one another: the later `from` after the earlier `to`"))
    return [a for a in kept if a.employee not in clashing]


def roster_of(assignments: list[Assignment]) -> Roster:
    """The distinct (employee, role)s, in the order first written."""
    return list(dict.fromkeys((a.employee, a.role) for a in assignments))


def days(assignments: list[Assignment], periods: list[str], diagnostics: list[Diagnostic]) -> Days:
    """Who holds which role in which period, for how many of its days; E054 for an
    assignment that no period of the data reaches."""
    spans = {p: bounds(p) for p in periods}
    held: dict[tuple[str, str, str], int] = {}
    for a in assignments:
        reached = False
        for period, (first, last) in spans.items():
            n = a.days_in(first, last)
            if n:
                reached = True
                key = (period, a.employee, a.role)
                held[key] = held.get(key, 0) + n
        if not reached and periods:
            diagnostics.append(warning(
                "E054", f"the assignment of {a.employee} to role `{a.role}` ({a.where}, {a.span_text()}) covers no "
                        f"period of the data ({periods[0]}–{periods[-1]}); it is not scored", a.location,
                "check the dates, or the periods of the facts files"))
    order = {p: i for i, p in enumerate(periods)}
    rows = [(p, e, r, n, (spans[p][1] - spans[p][0]).days + 1) for (p, e, r), n in held.items()]
    return sorted(rows, key=lambda row: order[row[0]])
