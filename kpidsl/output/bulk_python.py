"""Bulk JSON and CSV laid out in Python, and the JSON frame of both layouts.

`write_json` writes `render_json`'s own header, findings and diagnostics around the
employee results: DuckDB's texts (bulk_text.py), or texts formatted here row by row
from the sorted rows (bulk_rows.py) when the kpis columns are not the decimals
bulk_text expects; `write_csv` formats the CSV here for that case.  Either way the
bytes are those of `export.render_json` / `export.render_csv`: every value and field is
written by `kpidsl.output.cells`, as `export` writes them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from kpidsl.engine.session import batches
from kpidsl.output.bulk_rows import NUMBERS, kpi_columns, rows_query, sql_text
from kpidsl.output.cells import CSV_BOM, csv_field, csv_line, csv_number, csv_text, json_number, json_text, json_value

if TYPE_CHECKING:
    from kpidsl.base.diagnostics import Diagnostic
    from kpidsl.engine.plan import LinePlan
    from kpidsl.engine.session import Session
    from kpidsl.results.model import Results

_BATCH = 20_000


# ------------------------------------------------------------------ row streaming


class _Row:
    """Positions of the streamed columns."""

    def __init__(self, session: Session) -> None:
        plan = session.plan
        self.numbers = range(4, 4 + len(NUMBERS))
        self.plan_bonus, self.bonus = 4 + len(NUMBERS), 5 + len(NUMBERS)
        self.status = self.bonus + 1
        self.gates = self.status + 1
        self.actions = self.gates + plan.gate_width
        self.role_gates = self.actions + plan.action_width
        self.totals = self.role_gates + plan.role_gate_width


def _employees(session: Session) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Each wanted (period, employee): its first row (period, employee, role, totals) and its KPI rows."""
    query = rows_query(session, kpi_columns(session), outer=True)
    pending: list[tuple[Any, ...]] = []
    for chunk in batches(session.connection, sql_text(query), _BATCH):
        for row in chunk:
            if pending and (row[0] != pending[0][0] or row[1] != pending[0][1]):
                yield pending[0], [r for r in pending if r[3] is not None]
                pending = []
            pending.append(row)
    if pending:
        yield pending[0], [r for r in pending if r[3] is not None]


def _json_list(items: Sequence[str], indent: int) -> str:
    """A JSON list of already encoded items, as json.dumps(indent=2) lays it out at `indent`."""
    if not items:
        return "[]"
    pad = " " * (indent + 2)
    return "[\n" + ",\n".join(pad + item for item in items) + "\n" + " " * indent + "]"


def _gate_json(condition: str, passed: bool | None, indent: int) -> str:
    pad = " " * (indent + 2)
    return "{\n" + f"{pad}\"condition\": {condition},\n{pad}\"passed\": {json_value(passed)}\n" + " " * indent + "}"


def _json_employees(session: Session) -> Iterator[str]:
    """Each employee result's JSON text, as `render_json` writes it (list item at depth 2),
    formatted in Python (bulk_text formats it in DuckDB, which is faster)."""
    plan = session.plan
    at = _Row(session)
    digits = plan.minor_digits
    zero = f"{0:.{digits}f}"
    heads: dict[int, str] = {}
    for line in plan.lines:
        heads[line.id] = (f'        {{\n          "kpi": {json_text(line.kpi)},\n'
                          f'          "title": {json_text(line.title)},\n'
                          f'          "better": {json_text(line.better)},\n')
    gate_texts = {line.id: [json_text(t) for t in line.gates] for line in plan.lines}
    action_texts = {line.id: [json_text(t) for t in line.actions] for line in plan.lines}
    role_texts = {role: [json_text(t) for t in texts] for role, texts in plan.role_gates.items()}
    lines = {line.id: line for line in plan.lines}
    strings: dict[str, str] = {}

    def string(text: str) -> str:
        out = strings.get(text)
        if out is None:
            if len(strings) > 200_000:
                strings.clear()
            out = strings[text] = json_text(text)
        return out

    for first, kpis in _employees(session):
        parts: list[str] = []
        for row in kpis:
            line_id = row[3]
            weight, baseline, target, fact, attainment, index, deviation = (json_number(row[i]) for i in at.numbers)
            if weight == "null":
                weight = "0"
            gates = [_gate_json(text, row[at.gates + j], 12) for j, text in enumerate(gate_texts[line_id])]
            actions = [text for j, text in enumerate(action_texts[line_id]) if row[at.actions + j] is True]
            parts.append(
                heads[line_id]
                + f'          "weight": {weight},\n          "baseline": {baseline},\n'
                  f'          "target": {target},\n          "fact": {fact},\n'
                  f'          "attainment": {attainment},\n          "index": {index},\n'
                  f'          "index_plan": {weight},\n          "deviation": {deviation},\n'
                  f'          "plan_bonus": "{row[at.plan_bonus] or zero}",\n'
                  f'          "bonus": "{row[at.bonus] or zero}",\n'
                  f'          "status": {string(row[at.status])},\n'
                  f'          "gates": {_json_list(gates, 10)},\n'
                  f'          "actions": {_json_list(actions, 10)}\n        }}')
        role_gates: list[str] = []
        if kpis:
            role_gates = [_gate_json(text, kpis[0][at.role_gates + j], 8)
                          for j, text in enumerate(role_texts[lines[kpis[0][3]].plan_role])]
        kpi_list = "[\n" + ",\n".join(parts) + "\n      ]" if parts else "[]"
        yield (f'    {{\n      "period": {string(first[0])},\n      "employee": {string(first[1])},\n'
               f'      "role": {string(first[2])},\n      "kpis": {kpi_list},\n'
               f'      "gates": {_json_list(role_gates, 6)},\n'
               f'      "index": {json_number(first[at.totals + 2])},\n'
               f'      "index_plan": {json_number(first[at.totals + 3] or "0")},\n'
               f'      "payout": {json_value(first[at.totals + 4])},\n'
               f'      "plan_bonus": "{first[at.totals] or zero}",\n'
               f'      "bonus": "{first[at.totals + 1] or zero}"\n    }}')


def write_json(session: Session, skeleton: Results, diagnostics: Sequence[Diagnostic], out: BinaryIO,
               employees: Iterator[str] | None = None) -> None:
    """`render_json(results, diagnostics)`, streamed: the employee results from `employees`
    (JSON texts in order; default: formatted in Python)."""
    from kpidsl.output.export import render_json

    text = render_json(skeleton, diagnostics)
    marker = '\n  "results": [],\n'
    head, found, tail = text.partition(marker)
    assert found, "render_json lays out an empty results list as expected"
    out.write((head + '\n  "results": [').encode("utf-8"))
    first = True
    buffer: list[str] = []
    size = 0
    for item in (employees if employees is not None else _json_employees(session)):
        buffer.append(("\n" if first else ",\n") + item)
        first = False
        size += len(item)
        if size > 1 << 20:
            out.write("".join(buffer).encode("utf-8"))
            buffer, size = [], 0
    buffer.append("],\n" if first else "\n  ],\n")
    out.write(("".join(buffer) + tail).encode("utf-8"))


def write_csv(session: Session, out: BinaryIO) -> None:
    """`render_csv(results)`, streamed, formatted in Python (bulk_text: in DuckDB)."""
    from kpidsl.output.export import CSV_COLUMNS, GATE_STATES

    plan = session.plan
    at = _Row(session)
    zero = f"{0:.{plan.minor_digits}f}"
    roles = {name: csv_text(role.title or name) for name, role in session.model.roles.items()}
    fixed: dict[int, list[str]] = {
        line.id: [csv_text(c) for c in (line.kpi, line.title, line.better, line.unit or "", line.kind)]
        for line in plan.lines}
    lines: dict[int, LinePlan] = {line.id: line for line in plan.lines}
    buffer: list[str] = [csv_line(CSV_COLUMNS)]
    size = 0
    out.write(CSV_BOM)
    for first, kpis in _employees(session):
        who = [csv_text(first[0]), csv_text(first[1]), csv_text(first[2]), roles[first[2]]]
        role_lines = [f"role: {text}: {GATE_STATES[kpis[0][at.role_gates + j]]}"
                      for j, text in enumerate(plan.role_gates[lines[kpis[0][3]].plan_role])] if kpis else []
        for row in kpis:
            line = lines[row[3]]
            weight = csv_number(row[at.numbers[0]]) if row[at.numbers[0]] is not None else "0"
            numbers = [weight, *(csv_number(row[i]) for i in at.numbers[1:6]), weight, csv_number(row[at.numbers[6]]),
                       csv_field(row[at.plan_bonus] or zero), csv_field(row[at.bonus] or zero)]
            gates = role_lines + [f"{text}: {GATE_STATES[row[at.gates + j]]}" for j, text in enumerate(line.gates)]
            actions = [text for j, text in enumerate(line.actions) if row[at.actions + j] is True]
            totals = [csv_number(row[at.totals + 2]), csv_number(row[at.totals + 3]),
                      csv_field(row[at.totals] or zero), csv_field(row[at.totals + 1] or zero),
                      csv_text(row[at.totals + 4] or "")]
            text = csv_line([*who, *fixed[line.id], *numbers, csv_text(row[at.status]), csv_text("\n".join(gates)),
                             csv_text("\n".join(actions)), *totals])
            buffer.append(text)
            size += len(text)
        if size > 1 << 20:
            out.write("".join(buffer).encode("utf-8"))
            buffer, size = [], 0
    out.write("".join(buffer).encode("utf-8"))
