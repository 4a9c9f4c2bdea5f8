"""Export: a `Results` as a terminal table, JSON or CSV.

These are the outputs that need no templates: the text table a consultant reads
in the terminal, the JSON contract tools consume (`Results.to_json`, documented in
docs/eval.md) and a CSV with one row per period × employee × KPI for spreadsheets.
Reports (HTML, Markdown, XLSX) are rendered by `kpidsl.output.render`.  Numbers for people
follow the locale (`base.numbers.Numbers`: a decimal comma and no-break-space thousands
in Russian); numbers for machines are plain decimals with a point, and every JSON value
and CSV field is written by `kpidsl.output.cells`, as the bulk writers write theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from kpidsl.base.diagnostics import Diagnostic
from kpidsl.base.numbers import Numbers, language_of, optional
from kpidsl.base.statuses import status_words
from kpidsl.output.cells import CSV_BOM, csv_field, csv_line, csv_number, csv_text, json_text, json_value
from kpidsl.results.model import EmployeeResult, Formula, Gate, KpiResult, Results

FORMATS = ("text", "json", "csv", "html", "md", "xlsx")
REPORT_FORMATS = ("html", "md", "xlsx")  # rendered by kpidsl.output.render
BINARY_FORMATS = ("xlsx",)
SUFFIXES = {".txt": "text", ".json": "json", ".csv": "csv", ".html": "html", ".htm": "html",
            ".md": "md", ".xlsx": "xlsx"}

# ------------------------------------------------------------------ text table

HEADINGS = {
    "ru": ("KPI", "вес", "цель", "факт", "выполнение", "индекс", "отклонение", "план. премия",
           "премия", "статус"),
    "en": ("KPI", "weight", "target", "fact", "attainment", "index", "deviation", "plan bonus",
           "bonus", "status"),
}
WORDS = {
    "ru": {"total": "итого", "role_gate": "условие роли", "failed": "не выполнено",
           "unknown": "нет данных", "action": "мера", "no_results": "нет результатов",
           "no_kpis": "у роли нет KPI", "payout": "премия роли", "paid": "выплачена",
           "gated": "не выплачена: не выполнено условие роли", "no_data": "не выплачена: нет данных",
           "days": "в роли {held} из {of} дн.", "version": "версия с {day}"},
    "en": {"total": "total", "role_gate": "role condition", "failed": "failed",
           "unknown": "no data", "action": "action", "no_results": "no results",
           "no_kpis": "the role has no KPIs", "payout": "role payout", "paid": "paid",
           "gated": "not paid: a role condition failed", "no_data": "not paid: no data",
           "days": "in the role {held} of {of} days", "version": "version from {day}"},
}


def unit_value(n: Numbers, value: Decimal | None, unit: str | None) -> str:
    """A target or fact in its unit: percents as percents, everything else as a number."""
    if value is None:
        return "—"
    if unit == "percent":
        return n.percent(value, 2)
    return n.number(value, 0, 2)


def kpi_cells(n: Numbers, k: KpiResult, minor_digits: int, lang: str) -> list[str]:
    return [
        k.kpi,
        n.number(k.weight, 0, 4),
        unit_value(n, k.target, k.unit),
        unit_value(n, k.fact, k.unit),
        optional(k.attainment, lambda v: n.percent(v, 1)),
        optional(k.index, lambda v: n.number(v, 3, 3)),
        optional(k.deviation, lambda v: n.number(v, 3, 3, signed=True)),
        n.money(k.plan_bonus, minor_digits),
        n.money(k.bonus, minor_digits),
        status_words(k.status, lang).short,
    ]


def text_table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(r)]
        out.append("  ".join(cells).rstrip())
    return out


def _gate_text(g: Gate, lang: str) -> str:
    state = WORDS[lang]["unknown"] if g.passed is None else WORDS[lang]["failed"]
    return f"require {g.condition}: {state}"


def render_text(results: Results, locale: str | None = None) -> str:
    """One table per period and employee, then the period's rule findings."""
    loc = locale or results.locale
    lang = language_of(loc)
    n = Numbers(loc)
    words = WORDS[lang]
    blocks: list[str] = [results.ruleset]
    if not results.results and not results.findings:
        blocks.append(words["no_results"])
    for period in results.periods:
        for r in results.for_period(period):
            blocks.append(_employee_block(r, n, results.minor_digits, results.currency, lang,
                                          results.payouts.get(r.plan_role)))
        for f in (f for f in results.findings if f.period == period):
            lines = [f"{period}  {f.level.upper()}  {f.title or f.rule}: {f.message}"]
            lines += [f"  → {a}" for a in f.actions]
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _employee_block(r: EmployeeResult, n: Numbers, digits: int, currency: str, lang: str,
                    payout: tuple[Formula, ...] | None = None) -> str:
    words = WORDS[lang]
    head = f"{r.period} · {r.employee} · {r.role_title or r.role}"
    if r.partial and r.days is not None:  # a joiner, a leaver, a role change: what the bonus is prorated by
        head += " · " + words["days"].format(held=r.days[0], of=r.days[1])
    if r.version is not None:  # a later version of the role paid this period (language/versions.py)
        day = r.version if lang == "en" else f"{r.version[8:10]}.{r.version[5:7]}.{r.version[:4]}"  # 01.07.2026
        head += " · " + words["version"].format(day=day)
    if not r.kpis:
        return f"{head}\n  {words['no_kpis']}"
    rows = [list(HEADINGS[lang])]
    rows += [kpi_cells(n, k, digits, lang) for k in r.kpis]
    if r.payout is not None and not r.lines_bonus and not r.lines_plan_bonus:
        for row in rows[1:]:  # the lines pay nothing of their own: the payout pays (the total row)
            row[7] = row[8] = ""
    deviation = None if r.index is None else r.index - r.index_plan
    total = [words["total"], n.number(r.index_plan, 0, 4), "", "", "",
             optional(r.index, lambda v: n.number(v, 3, 3)),
             optional(deviation, lambda v: n.number(v, 3, 3, signed=True)),
             n.money(r.plan_bonus, digits), n.money(r.bonus, digits), currency]
    rows.append(total)
    right = set(range(1, 9))
    if not r.pays_money:  # a plan of coefficients only: no columns of zeros, no currency
        total[9] = ""
        rows = [[*row[:7], row[9]] for row in rows]
        right = set(range(1, 7))
    lines = [head, *("  " + line for line in text_table(rows, right=right))]
    if r.payout is not None and payout is not None:
        formula = next((f.text for f in reversed(payout) if f.name == "bonus"), "")
        lines.append(f"  {words['payout']}: bonus = {formula} → {n.money(r.bonus, digits)} {currency}"
                     f" ({words[r.payout]})")
    for g in r.gates:
        if g.passed is not True:
            lines.append(f"  ! {words['role_gate']}: {_gate_text(g, lang)}")
    for k in r.kpis:
        for g in k.gates:
            if g.passed is not True:
                lines.append(f"  ! {k.kpi}: {_gate_text(g, lang)}")
        for problem in k.problems:
            lines.append(f"  ? {k.kpi}: {problem}")
        for action in k.actions:
            lines.append(f"  → {k.kpi}: {action}")
    return "\n".join(lines)


# ------------------------------------------------------------------ JSON


def render_json(results: Results, diagnostics: Iterable[Diagnostic] = ()) -> str:
    """`Results.to_json()`, with the run's warnings when the engine did not attach them."""
    data = results.to_json()
    extra = [d for d in diagnostics if not d.is_error and d not in results.diagnostics]
    if extra:
        listed = data.get("diagnostics")
        entries = list(listed) if isinstance(listed, list) else []
        for d in extra:
            entry = d.to_json()
            entry.pop("hint", None)  # keep the entry shape of Results.to_json
            entries.append(entry)
        data["diagnostics"] = entries
    return dumps(data) + "\n"


def dumps(value: object, indent: int = 2, _level: int = 0) -> str:
    """JSON laid out as `json.dumps(value, ensure_ascii=False, indent=2)` does, except that
    a `Decimal` is written digit for digit (`cells.json_value`): no float ever rounds a ratio."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = "\n" + " " * (indent * (_level + 1))
        items = (f"{json_text(str(k))}: {dumps(v, indent, _level + 1)}" for k, v in value.items())
        return "{" + inner + ("," + inner).join(items) + "\n" + " " * (indent * _level) + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = "\n" + " " * (indent * (_level + 1))
        return "[" + inner + ("," + inner).join(dumps(v, indent, _level + 1) for v in value) + \
            "\n" + " " * (indent * _level) + "]"
    return json_value(value)


# ------------------------------------------------------------------ CSV

CSV_COLUMNS = ("period", "employee", "role", "role_title", "kpi", "title", "better", "unit", "kind",
               "weight", "baseline", "target", "fact", "attainment", "index", "index_plan",
               "deviation", "plan_bonus", "bonus", "status", "gates", "actions",
               "total_index", "total_index_plan", "total_plan_bonus", "total_bonus",
               "payout")  # the employee's, repeated on each of its rows


# How a quality condition ended, in the CSV's `gates` cell (and the bulk writers').
GATE_STATES: dict[bool | None, str] = {True: "passed", False: "failed", None: "no data"}


def gates_cell(role_gates: Sequence[Gate], kpi_gates: Sequence[Gate]) -> str:
    """The CSV's `gates` cell: the role's conditions (`role: …`) first, one per line."""
    lines = [f"role: {g.condition}: {GATE_STATES[g.passed]}" for g in role_gates]
    lines += [f"{g.condition}: {GATE_STATES[g.passed]}" for g in kpi_gates]
    return "\n".join(lines)


def render_csv(results: Results) -> bytes:
    """One row per period × employee × KPI; UTF-8 with a BOM so Excel reads Cyrillic.

    Numeric columns come from decimals the engine computed and stay numbers (a
    negative deviation keeps its minus); every text column is neutralised."""
    lines = [csv_line(CSV_COLUMNS)]
    money = results.money
    for r in results.results:
        for k in r.kpis:
            text = [r.period, r.employee, r.role, r.role_title, k.kpi, k.title, k.better, k.unit or "",
                    k.kind]
            numbers = [csv_number(k.weight), csv_number(k.baseline), csv_number(k.target), csv_number(k.fact),
                       csv_number(k.attainment), csv_number(k.index), csv_number(k.index_plan),
                       csv_number(k.deviation), csv_field(money(k.plan_bonus)), csv_field(money(k.bonus))]
            tail = [k.status, gates_cell(r.gates, k.gates), "\n".join(k.actions)]
            totals = [csv_number(r.index), csv_number(r.index_plan), csv_field(money(r.plan_bonus)),
                      csv_field(money(r.bonus)), csv_text(r.payout or "")]
            lines.append(csv_line([*map(csv_text, text), *numbers, *map(csv_text, tail), *totals]))
    return CSV_BOM + "".join(lines).encode("utf-8")
