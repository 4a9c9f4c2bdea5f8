"""What the comparison templates read (`reports/compare.html.j2`, `compare.md.j2`): text for people.

`build_view` turns a `Comparison` into plain dictionaries of formatted strings (money with
the currency sign, signed deltas, percentages, status labels, period names) in the
report's language, plus the numbers the XLSX writer needs and one inline SVG chart per
period (old vs new bonus per employee, `charts.fund_chart`).  The document header is the
shape `reports/base.html.j2` reads, so the comparison shares the reports' layout and CSS.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kpidsl.base.numbers import Numbers
from kpidsl.data.periods import bounds
from kpidsl.output.charts import FundRow, fund_chart
from kpidsl.output.export import unit_value
from kpidsl.output.i18n import Formatter
from kpidsl.results.compare import Comparison, EmployeeChange, FieldChange, LineChange, Total

MOVERS = 5  # how many winners and losers the outputs name


def sign(value: Decimal) -> str:
    """`up`, `down` or `same`: the CSS class and `data-sign` of a change."""
    return "up" if value > 0 else "down" if value < 0 else "same"


def field_text(n: Numbers, x: FieldChange, unit: str | None, digits: int) -> tuple[str, str]:
    """A definition change's old and new value for people (a weight, a target in its unit …)."""
    def one(value: Decimal | str | None) -> str:
        if value is None or isinstance(value, str):
            return value or "—"
        if x.name == "weight":
            return n.number(value, 0, 4)
        if x.name == "plan_bonus":
            return n.money(value, digits)
        return unit_value(n, value, unit)

    return one(x.old), one(x.new)


def build_view(c: Comparison, f: Formatter) -> dict[str, Any]:
    from markupsafe import Markup

    n = Numbers(str(f.babel))

    def money(v: Decimal) -> str:
        return f.money(v)

    def delta(v: Decimal) -> str:
        return ("+" if v > 0 else "") + f.money(v)

    def share(r: Decimal | None) -> str:
        return f.t("value.none") if r is None else ("+" if r > 0 else "") + f.percent(r, 2)

    def index(v: Decimal | None) -> str:
        return f.fixed(v, 3)

    def total(t: Total, label: str = "") -> dict[str, Any]:
        return {"label": label or t.title or t.role or "", "role": t.role or "", "period": t.period or "",
                "period_label": f.period(t.period) if t.period else f.t("compare.all_periods"),
                "employees": t.employees, "old": money(t.old), "new": money(t.new), "delta": delta(t.delta),
                "ratio": share(t.ratio), "sign": sign(t.delta), "data": t}

    def status(k: LineChange, side: str) -> str:
        line = k.old if side == "old" else k.new
        return f.t(f"status.{line.status}") if line is not None else f.t("value.none")

    def employee(e: EmployeeChange) -> dict[str, Any]:
        note = f.t(f"compare.employee.{e.presence}") if e.presence in ("added", "removed") else \
            f.t("compare.employee.role", old=e.old_role, new=e.role) if e.old_role is not None else ""
        return {"employee": e.employee, "role": e.role, "role_title": e.role_title or e.role, "note": note,
                "presence": e.presence, "old_index": index(e.old_index), "new_index": index(e.new_index),
                "old_bonus": money(e.old_bonus), "new_bonus": money(e.new_bonus), "delta": delta(e.delta),
                "ratio": share(e.ratio), "sign": sign(e.delta), "data": e}

    def line(e: EmployeeChange, k: LineChange) -> dict[str, Any]:
        return {"employee": e.employee, "kpi": k.kpi, "title": k.title, "presence": k.presence,
                "presence_label": f.t(f"compare.presence.{k.presence}"),
                "old_status": k.old.status if k.old is not None else "", "new_status":
                k.new.status if k.new is not None else "", "old_status_label": status(k, "old"),
                "new_status_label": status(k, "new"), "status_changed": k.status_changed,
                "old_bonus": money(k.old_bonus), "new_bonus": money(k.new_bonus), "delta": delta(k.delta),
                "sign": sign(k.delta), "data": k}

    periods = []
    for key, payroll in zip(c.periods, c.payroll, strict=True):
        rows = [e for e in c.employees if e.period == key]
        chart = fund_chart([FundRow(e.employee, e.old_bonus, e.new_bonus, money(e.old_bonus), money(e.new_bonus))
                            for e in rows], title=f"{f.t('compare.chart')} · {f.period(key)}")
        periods.append({
            "key": key, "label": f.period(key), "employees": [employee(e) for e in rows],
            "lines": [line(e, k) for e in rows for k in e.lines
                      if k.delta != 0 or k.status_changed or k.presence != "same"],
            "payroll": total(payroll, f.t("col.total")), "chart": Markup(chart)})
    definitions = [{"role": d.role, "role_title": d.role_title or d.role, "kpi": d.kpi, "title": d.title,
                    "presence": d.presence, "presence_label": f.t(f"compare.presence.{d.presence}"),
                    "fields": [{"name": x.name, "label": f.t(f"compare.field.{x.name}"), "old": old, "new": new}
                               for x in d.fields for old, new in [field_text(n, x, d.unit, c.minor_digits)]],
                    "data": d} for d in c.definitions]
    winners, losers = c.movers(MOVERS)
    grand = total(c.total, f.t("compare.payroll"))
    first, last = (c.periods[0], c.periods[-1]) if c.periods else ("", "")
    doc = {"title": c.new_title, "heading": f.t("compare.title"), "lang": f.lang, "currency": c.currency,
           "period_label": f.period(first) if first == last else f"{f.period(first)} – {f.period(last)}",
           "period_range": _range(f, first, last), "old": c.old_name, "new": c.new_name,
           "old_title": c.old_title, "new_title": c.new_title}
    return {
        "doc": doc, "t": f.t, "periods": periods, "definitions": definitions,
        "roles": [total(t) for t in c.roles], "payroll": [total(t, f.t("compare.payroll")) for t in c.payroll],
        "total": grand,
        "cost": f.t("compare.cost", delta=grand["delta"], ratio=grand["ratio"], old=grand["old"], new=grand["new"]),
        "winners": [total(t) for t in winners], "losers": [total(t) for t in losers],
    }


def _range(f: Formatter, first: str, last: str) -> str:
    """The first day of `first` to the last day of `last`, as the reports write a period's range."""
    if not first:
        return ""
    if first == last:
        return f.period_range(first)
    from babel.dates import format_date

    start, end = bounds(first)[0], bounds(last)[1]
    return f.t("period.range", start=format_date(start, f.t("period.range.end"), locale=f.babel),
               end=format_date(end, f.t("period.range.end"), locale=f.babel))
