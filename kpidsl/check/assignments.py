"""Check the ruleset's `employee` lines (language/assignments.py has the rules).

    K024 error    an employee's role is not declared
    K049 error    the same person on two undated lines (one role per person)
    K064 error    an assignment's date is not a real day, or its `to` is before its `from`
    K065 error    two dated assignments of one person overlap (naming both lines)

The roster file's rows are the engine's to check (E052/E053 in engine/assignments.py).
"""

from __future__ import annotations

from kpidsl.base.diagnostics import Diagnostic, Span, error
from kpidsl.base.suggest import did_you_mean
from kpidsl.language import ast
from kpidsl.language.assignments import Assignment, conflicts, iso_date
from kpidsl.language.load import Model


def check_employees(model: Model) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    first: dict[str, ast.Employee] = {}
    kept: list[Assignment] = []
    for emp in model.employees:
        if emp.role.text not in model.roles:
            out.append(error("K024", f"unknown role `{emp.role.text}` for employee \"{emp.name}\"",
                             emp.role.span, did_you_mean(emp.role.text, model.roles)
                             or f"declare `role {emp.role.text} {{ … }}`"))
        dated = emp.start is not None or emp.end is not None
        earlier = first.get(emp.name)
        if earlier is not None and not dated and earlier.start is None and earlier.end is None:
            out.append(error("K049", f"employee \"{emp.name}\" is listed twice (first on line {earlier.span.line})",
                             emp.span, "an employee has one role at a time; delete one of the lines, "
                                       "or give each line its dates (`from 2026-07-01`, `to 2026-06-30`)",
                             ((earlier.span, f"the first line of \"{emp.name}\""),)))
        first.setdefault(emp.name, emp)
        assignment = _assignment(emp, out)
        if assignment is not None:
            kept.append(assignment)
    for a, b in conflicts(kept):
        out.append(error("K065", f"employee \"{b.employee}\" holds two roles on the same days: role `{a.role}` "
                                 f"{a.span_text()} ({a.where}) and role `{b.role}` {b.span_text()}",
                         b.location, "make the dates follow one another: the later `from` after the earlier `to`",
                         ((a.location, f"role `{a.role}` {a.span_text()}"),) if isinstance(a.location, Span) else ()))
    return out


def _assignment(emp: ast.Employee, out: list[Diagnostic]) -> Assignment | None:
    """The line as an assignment, or None (with K064) when a date is wrong."""
    start, end = iso_date(emp.start), iso_date(emp.end)
    for text, day, span in ((emp.start, start, emp.start_span), (emp.end, end, emp.end_span)):
        if text is not None and day is None:
            out.append(error("K064", f"`{text}` is not a date", span,
                             "write a real day as YYYY-MM-DD, e.g. 2026-07-01"))
            return None
    assignment = Assignment(emp.name, emp.role.text, start, end, f"line {emp.span.line}", emp.span)
    if assignment.inverted:
        out.append(error("K064", f"the assignment of \"{emp.name}\" ends ({emp.end}) before it starts ({emp.start})",
                         emp.end_span, "swap the dates, or correct the one that is wrong"))
        return None
    return assignment
