"""The XLSX workbook: one sheet per report, numbers as numbers.

Every value is written as a number with a number format (percent for percent
units, the currency format for money, three decimals for indices), never as text,
so the client can sum and chart it.  Labels come from the message catalogue; sheet
names are localized and fit Excel's 31 characters.  Each sheet's header row is
frozen, columns are sized to their content, and every text cell from a ruleset or
data file goes through `neutralise_cell`, so nothing can run as a formula.
openpyxl is imported only here, when a workbook is written.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from kpidsl.output.cells import neutralise_cell

if TYPE_CHECKING:
    from kpidsl.output.analysis import Context, Val
    from kpidsl.output.i18n import Formatter

__all__ = ["neutralise_cell", "sheet_title", "workbook_bytes"]

STATUS_FILL = {"met": "E3F1E4", "missed": "FBE3E3", "gated": "FFEBD6", "no_data": "ECEFF1"}
HEADER_FILL = "E8EEF2"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text: str, taken: set[str] | None = None) -> str:
    """A valid, unique sheet name: no `[]:*?/\\`, at most 31 characters."""
    name = _BAD_SHEET_CHARS.sub(" ", text).strip(" '")[:31].rstrip() or "Sheet"
    taken = taken if taken is not None else set()
    candidate, n = name, 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.casefold())
    return candidate


class Sheet:
    """A worksheet being filled row by row, tracking column widths."""

    def __init__(self, ws: Any, f: Formatter) -> None:
        self.ws, self.f, self.row = ws, f, 0
        self.widths: dict[int, float] = {}
        self.wrap: dict[int, float] = {}  # columns whose text wraps, with their width

    def put(self, column: int, value: Any, fmt: str | None = None, shown: str | None = None, *,
            bold: bool = False, fill: str | None = None, size: float | None = None) -> Any:
        from openpyxl.styles import Alignment, Font, PatternFill

        if isinstance(value, str):
            value = neutralise_cell(value)
        cell = self.ws.cell(row=self.row, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text stays text, whatever it starts with
        if fmt:
            cell.number_format = fmt
        if bold or size:
            cell.font = Font(bold=bold, size=size or 11)
        if fill:
            cell.fill = PatternFill("solid", fgColor=fill)
        text = shown if shown is not None else ("" if value is None else str(value))
        if column in self.wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        else:
            cell.alignment = Alignment(vertical="top")
            self.widths[column] = max(self.widths.get(column, 0), len(text) * (1.15 if bold else 1.0) + 2)
        return cell

    def line(self, values: list[Any], **style: Any) -> None:
        self.row += 1
        for i, value in enumerate(values, start=1):
            if isinstance(value, tuple):
                self.put(i, *value, **style)
            else:
                self.put(i, value, **style)

    def header(self, labels: list[str]) -> int:
        from openpyxl.styles import Alignment, Border, Side

        self.line(labels, bold=True, fill=HEADER_FILL)
        for i in range(1, len(labels) + 1):
            cell = self.ws.cell(row=self.row, column=i)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cell.border = Border(bottom=Side(style="thin", color="90A4AE"))
        return self.row

    def title(self, context: Context, heading: str) -> None:
        self.row += 1
        self.put(1, heading, bold=True, size=14, shown="")
        self.row += 1
        doc = context.doc
        self.put(1, f"{doc.title} · {self.f.t('document.period')}: {doc.period_label} ({doc.period_range})",
                 shown="")

    def finish(self, freeze_row: int) -> None:
        from openpyxl.utils import get_column_letter

        self.ws.freeze_panes = f"A{freeze_row + 1}"
        for column, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(column)].width = min(max(width, 8), 48)
        for column, width in self.wrap.items():
            self.ws.column_dimensions[get_column_letter(column)].width = width
        self.ws.sheet_view.zoomScale = 100
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.paperSize = self.ws.PAPERSIZE_A4
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        self.ws.print_title_rows = f"{freeze_row}:{freeze_row}"


# ------------------------------------------------------------------ number formats


def money_format(f: Formatter, digits: int | None = None, currency: str | None = None) -> str:
    """Babel's currency pattern for the locale as an Excel format: `#,##0.00 "₽"`."""
    from babel.numbers import get_currency_symbol

    digits = f.minor_digits if digits is None else digits
    symbol = get_currency_symbol(currency or f.currency, locale=f.babel)
    pattern = f.babel.currency_formats["standard"].pattern.split(";")[0].replace("\u00a0", " ")
    number = "#,##0" + ("." + "0" * digits if digits else "")
    _, _, after = pattern.partition("¤")
    if "#" in after:  # symbol first: `¤#,##0.00`
        space = " " if symbol[-1:].isalpha() or after.startswith(" ") else ""
        return f'"{symbol}"{space}{number}'
    return f'{number} "{symbol}"'


def unit_format(f: Formatter, value: Decimal | None, unit: str | None) -> str:
    whole = value is None or value == value.to_integral_value()
    if unit == "percent":
        return "0%" if value is not None and (value * 100) == (value * 100).to_integral_value() else "0.0%"
    if unit is not None and len(unit) == 3 and unit.isalpha() and unit.isupper():
        minor = None if value is None else value.quantize(Decimal(1).scaleb(-f.minor_digits), ROUND_HALF_UP)
        return money_format(f, 0 if minor is not None and minor == minor.to_integral_value() else None, unit)
    return "#,##0" if whole else "#,##0.00"


def _num(value: Decimal | None, digits: int = 12) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP).normalize() if digits < 12 else value


def _cell(f: Formatter, v: Val, unit: str | None) -> tuple[Any, str, str]:
    return (_num(v.value), unit_format(f, v.value, unit), v.text)


def signed_format(fmt: str) -> str:
    """An Excel format that shows the sign of a change: `+5`, `-5`, `0`."""
    return f"+{fmt};-{fmt};0"


INDEX, WEIGHT, PERCENT = "0.000", "0.00##", "0.0%"
DEVIATION = "+0.000;-0.000;0.000"


# ------------------------------------------------------------------ sheets


def write_analytical(sheet: Sheet, c: Context) -> int:
    f, t = sheet.f, sheet.f.t
    sheet.title(c, t("report.analytical.title"))
    if c.findings:
        sheet.row += 1
        sheet.header([t("col.level"), t("col.finding"), t("col.message"), t("findings.actions")])
        for x in c.findings:
            sheet.line([x.level_label, x.title, x.message, "; ".join(x.actions)],
                       fill="FDEEEE" if x.level == "critical" else None)
        sheet.row += 1
    sheet.wrap = {8: 60.0, 9: 44.0}
    freeze = sheet.header([t("col.role"), t("col.employee"), t("col.kpi"), t("col.plan"), t("col.fact"),
                           t("col.attainment"), t("col.status"), t("col.analysis"), t("col.actions")])
    for e in c.employees:
        if not e.kpis:
            sheet.line([e.role_title, e.employee, t("role.no_kpis")])
        for k in e.kpis:
            sheet.line([e.role_title, e.employee, k.title, _cell(f, k.target, k.unit), _cell(f, k.fact, k.unit),
                        (_num(k.attainment.value), PERCENT, k.attainment.text),
                        (k.status_label, None, k.status_label), k.analysis, "; ".join(k.actions)])
            sheet.ws.cell(row=sheet.row, column=7).fill = _fill(k.status)
    rows = [(t("diagnosis.process"), c.diagnosis.process), (t("diagnosis.results"), c.diagnosis.results)]
    if any(r for _, r in rows):
        sheet.row += 1
        sheet.line([t("diagnosis.title")], bold=True)
        sheet.header([t("col.metric"), t("xlsx.kind"), c.doc.period_label, c.doc.previous_label, t("col.change"),
                      t("col.status")])
        for label, metrics in rows:
            for m in metrics:
                change: tuple[Any, str, str] = (None, "General", "")
                if m.change.value is not None and m.unit == "percent":  # in percentage points
                    change = (_num(m.change.value * 100), signed_format(f'0.0 "{t("xlsx.pp")}"'), m.change.text)
                elif m.change.value is not None:
                    change = (_num(m.change.value), signed_format(unit_format(f, m.change.value, m.unit)),
                              m.change.text)
                sheet.line([m.title, label, _cell(f, m.value, m.unit), _cell(f, m.previous, m.unit), change,
                            m.assessment_label])
    return freeze


def write_bonus(sheet: Sheet, c: Context) -> int:
    f, t = sheet.f, sheet.f.t
    sheet.title(c, t("report.bonus.title"))
    money = money_format(f)
    # a plan of coefficients only (no bonus anywhere) has no money columns
    keep = (lambda cells: cells) if c.money else (lambda cells: [*cells[:11], *cells[13:]])
    sheet.wrap = {15 if c.money else 13: 40.0}
    freeze = sheet.header(keep([t("col.employee"), t("col.role"), t("col.kpi"), t("col.baseline"), t("col.target"),
                                t("col.fact"), t("col.weight"), t("col.attainment"), t("col.index"),
                                t("col.index_plan"), t("col.deviation"), t("col.plan_bonus"), t("col.bonus"),
                                t("col.status"), t("col.conditions")]))
    for e in c.employees:
        for k in e.kpis:
            sheet.line(keep([e.employee, e.role_title, k.title, _cell(f, k.baseline, k.unit),
                             _cell(f, k.target, k.unit), _cell(f, k.fact, k.unit),
                             (k.weight.value, WEIGHT, k.weight.text),
                             (_num(k.attainment.value), PERCENT, k.attainment.text),
                             (_num(k.index.value, 6), INDEX, k.index.text),
                             (k.index_plan.value, WEIGHT, k.index_plan.text),
                             (_num(k.deviation.value, 6), DEVIATION, k.deviation.text),
                             (k.plan_bonus.value, money, k.plan_bonus.text), (k.bonus.value, money, k.bonus.text),
                             k.status_label, "; ".join(g.text for g in k.gates)]))
            sheet.ws.cell(row=sheet.row, column=14 if c.money else 12).fill = _fill(k.status)
        sheet.line(keep([e.employee, e.role_title, t("col.total"), None, None, None,
                         (e.index_plan.value, WEIGHT, e.index_plan.text), None,  # the sum of the weights
                         (_num(e.index.value, 6), INDEX, e.index.text), (e.index_plan.value, WEIGHT, e.index_plan.text),
                         (_num(e.index_deviation.value, 6), DEVIATION, e.index_deviation.text),
                         (e.plan_bonus.value, money, e.plan_bonus.text), (e.bonus.value, money, e.bonus.text), None,
                         "; ".join(g.text for g in e.gates)]), bold=True)
    if c.money:
        sheet.row += 1
        sheet.line([t("col.total"), None, None, None, None, None, None, None, None, None, None,
                    (c.totals["plan_bonus"].value, money, c.totals["plan_bonus"].text),
                    (c.totals["bonus"].value, money, c.totals["bonus"].text)], bold=True)
    return freeze


def write_statement(sheet: Sheet, c: Context) -> int:
    f, t = sheet.f, sheet.f.t
    sheet.title(c, t("report.statement.title"))
    sheet.wrap = {4: 90.0}
    money = money_format(f)
    last = t("col.bonus") if c.money else t("col.total_index")
    freeze = sheet.header([t("col.employee"), t("col.kpi"), t("col.status"), t("col.explanation"), last])
    for e in c.employees:
        total = (e.bonus.value, money, e.bonus.text) if e.money else (_num(e.index.value, 6), INDEX, e.index.text)
        sheet.line([e.employee, e.role_title, None, e.summary, total], bold=True)
        if e.method:
            sheet.line([e.employee, None, None, e.method])
        for k in e.kpis:
            text = k.explanation + (f" {t('statement.actions')}: {'; '.join(k.actions)}." if k.actions else "")
            value = (k.bonus.value, money, k.bonus.text) if e.money else (_num(k.index.value, 6), INDEX, k.index.text)
            sheet.line([e.employee, k.title, k.status_label, text, value])
            sheet.ws.cell(row=sheet.row, column=3).fill = _fill(k.status)
        if e.total_formula:
            sheet.line([e.employee, t("col.total"), None, e.total_formula, (e.bonus.value, money, e.bonus.text)],
                       bold=True)
        sheet.row += 1
    return freeze


def write_dashboard(sheet: Sheet, c: Context) -> int:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.formatting.rule import DataBarRule
    from openpyxl.utils import get_column_letter

    f, t = sheet.f, sheet.f.t
    sheet.title(c, t("report.dashboard.title"))
    money = money_format(f)
    periods = c.doc.periods
    freeze = sheet.header([t("col.employee"), t("col.kpi"), t("col.plan"), t("col.fact"), t("col.attainment"),
                           t("col.status")] + [p.label for p in periods])
    first = sheet.row + 1
    facts = {(d.employee.employee, tr.kpi.kpi): {p.period: p for p in tr.points}
             for d in c.dashboard.employees for tr in d.trends}
    for e in c.employees:
        for k in e.kpis:
            series = facts.get((e.employee, k.kpi), {})
            cells: list[Any] = [e.employee, k.title, _cell(f, k.target, k.unit), _cell(f, k.fact, k.unit),
                                (_num(k.attainment.value), PERCENT, k.attainment.text), k.status_label]
            for p in periods:
                point = series.get(p.key)
                value = point.value if point is not None else None
                cells.append((_num(value), unit_format(f, value, k.unit), point.text if point else ""))
            sheet.line(cells)
            sheet.ws.cell(row=sheet.row, column=6).fill = _fill(k.status)
    last = sheet.row
    if last >= first:
        sheet.ws.conditional_formatting.add(f"E{first}:E{last}", DataBarRule(
            start_type="num", start_value=0, end_type="num", end_value=1.5, color="5B9BD5"))
    # The bonus fund: a small table and a native bar chart of plan vs actual per employee.
    funded = [e for e in c.employees if e.plan_bonus.value]
    if funded:
        sheet.row += 2
        top = sheet.header([t("col.employee"), t("col.plan_bonus"), t("col.bonus"), t("col.share")])
        for e in funded:
            sheet.line([e.employee, (e.plan_bonus.value, money, e.plan_bonus.text),
                        (e.bonus.value, money, e.bonus.text), (_num(e.share.value), PERCENT, e.share.text)])
        chart = BarChart()
        chart.type, chart.title, chart.style = "bar", t("dashboard.fund"), 10
        chart.add_data(Reference(sheet.ws, min_col=2, max_col=3, min_row=top, max_row=sheet.row), titles_from_data=True)
        chart.set_categories(Reference(sheet.ws, min_col=1, min_row=top + 1, max_row=sheet.row))
        chart.height, chart.width = 2 + 1.1 * len(funded), 18
        sheet.ws.add_chart(chart, f"{get_column_letter(len(periods) + 8)}{top}")
    return freeze


WRITERS: dict[str, Callable[[Sheet, Context], int]] = {
    "analytical": write_analytical, "bonus": write_bonus, "statement": write_statement, "dashboard": write_dashboard}


def _fill(status: str) -> Any:
    from openpyxl.styles import PatternFill

    return PatternFill("solid", fgColor=STATUS_FILL.get(status, "FFFFFF"))


def workbook_bytes(context: Context, f: Formatter) -> bytes:
    """The chosen reports of `context` as an XLSX file, one sheet each."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for name in context.doc.reports:
        ws = wb.create_sheet(sheet_title(f.t(f"xlsx.sheet.{name}"), taken))
        sheet = Sheet(ws, f)
        sheet.finish(WRITERS[name](sheet, context))
    return saved_workbook(wb, f"{context.doc.heading} — {context.doc.title}", f.lang)


def saved_workbook(wb: Any, title: str, lang: str) -> bytes:
    """The finished workbook as bytes, its document title (neutralised), author and language set."""
    wb.properties.title = neutralise_cell(title)
    wb.properties.creator = "kpidsl"
    wb.properties.language = lang
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
