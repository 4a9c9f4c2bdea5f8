"""`kpidsl compare --format xlsx`: the comparison as a workbook, numbers as numbers.

Four sheets — employees per period, the KPI lines that changed, the totals per role and
for the payroll, the definitions that changed — with the reports' sheet helper
(`output.xlsx.Sheet`: every text cell neutralised, so no ruleset or data text can run as
a formula; header rows frozen; columns sized).  Money and deltas are numbers in the
currency's format, shares in a percent format; labels come from the `compare.*`
messages.  openpyxl is imported only when a workbook is written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kpidsl.output.i18n import Formatter
from kpidsl.output.xlsx import INDEX, Sheet, money_format, saved_workbook, sheet_title, signed_format
from kpidsl.results.compare import Comparison

SHARE = "+0.00%;-0.00%;0%"


def workbook_bytes(c: Comparison, view: dict[str, Any], f: Formatter) -> bytes:
    """The workbook of `c`; `view` is `compare_view.build_view`'s (labels and the definitions' texts)."""
    from openpyxl import Workbook

    t = f.t
    money, delta = money_format(f), signed_format(money_format(f))
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()

    def sheet(name: str) -> Sheet:
        s = Sheet(wb.create_sheet(sheet_title(name, taken)), f)
        s.row += 1
        s.put(1, f"{t('compare.title')}: {c.old_name} → {c.new_name}", bold=True, size=14, shown="")
        s.row += 1
        return s

    def share(value: Decimal | None) -> tuple[Any, str, str]:
        return (value, SHARE, "+00.00 %") if value is not None else (None, "General", "")

    s = sheet(t("compare.employees"))
    freeze = s.header([t("document.period"), t("col.employee"), t("col.role"), t("compare.col.old_index"),
                       t("compare.col.new_index"), t("compare.col.old_bonus"), t("compare.col.new_bonus"),
                       t("col.delta"), t("compare.col.ratio"), t("compare.col.change")])
    for e in c.employees:
        note = "" if e.presence == "same" else t(f"compare.presence.{e.presence}")
        s.line([f.period(e.period), e.employee, e.role_title or e.role, (e.old_index, INDEX), (e.new_index, INDEX),
                (e.old_bonus, money), (e.new_bonus, money), (e.delta, delta), share(e.ratio), note])
    s.finish(freeze)

    s = sheet(t("compare.lines"))
    freeze = s.header([t("document.period"), t("col.employee"), t("col.kpi"), t("compare.col.change"),
                       t("compare.col.status"), t("compare.col.old_bonus"), t("compare.col.new_bonus"),
                       t("col.delta")])
    for p in view["periods"]:
        for k in p["lines"]:
            status = k["old_status_label"] + (f" → {k['new_status_label']}" if k["status_changed"] else "")
            line = k["data"]
            s.line([p["label"], k["employee"], k["title"], k["presence_label"], status,
                    (line.old_bonus, money), (line.new_bonus, money), (line.delta, delta)])
    s.finish(freeze)

    s = sheet(t("compare.totals"))
    freeze = s.header([t("document.period"), t("col.role"), t("compare.col.employees"), t("compare.col.old_bonus"),
                       t("compare.col.new_bonus"), t("col.delta"), t("compare.col.ratio")])
    for r in [*view["roles"], *view["payroll"], view["total"]]:
        x = r["data"]
        s.line([r["period_label"], r["label"], x.employees, (x.old, money), (x.new, money), (x.delta, delta),
                share(x.ratio)], bold=x.role is None)
    s.finish(freeze)

    s = sheet(t("compare.definitions"))
    freeze = s.header([t("col.role"), t("col.kpi"), t("compare.col.change"), t("compare.old"), t("compare.new")])
    for d in view["definitions"]:
        if not d["fields"]:
            s.line([d["role_title"], d["title"], d["presence_label"]])
        for x in d["fields"]:
            s.line([d["role_title"], d["title"], f"{d['presence_label']}: {x['label']}", x["old"], x["new"]])
    s.finish(freeze)

    return saved_workbook(wb, f"{t('compare.title')} — {c.new_title}", f.lang)
