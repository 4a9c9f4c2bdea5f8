"""`kpidsl compare`'s outputs: a `Comparison` as a terminal table, JSON, HTML, Markdown or XLSX.

    render_comparison(comparison, "text" | "json" | "html" | "md" | "xlsx", locale) -> str | bytes

The words come from the reports' message catalogues (`compare.*` in
reports/locales/*.json), so every format says the same thing in Russian and English;
digits from the one formatter (`base.numbers`).  JSON is the machine contract of
docs/compare.md: money as strings with the currency's minor digits (as `eval`'s JSON
writes it), ratios and indices as exact numbers, every value through `output.cells`.
HTML and Markdown are the sandboxed, escaped templates `reports/compare.*.j2`
(`output.compare_view` builds what they read); XLSX is `output.compare_xlsx`.
"""

from __future__ import annotations

from decimal import Decimal

from kpidsl.base.numbers import Numbers, language_of, optional
from kpidsl.base.statuses import status_words
from kpidsl.output.compare_view import MOVERS, build_view, field_text
from kpidsl.output.export import dumps, text_table
from kpidsl.output.i18n import Formatter
from kpidsl.results.compare import Comparison, EmployeeChange, FieldChange, LineChange, Total

FORMATS = ("text", "json", "html", "md", "xlsx")
SUFFIXES = {".txt": "text", ".json": "json", ".html": "html", ".htm": "html", ".md": "md", ".xlsx": "xlsx"}


def render_comparison(comparison: Comparison, fmt: str, locale: str | None = None) -> str | bytes:
    """`comparison` in `fmt`; `locale` overrides the new plan's language."""
    if fmt == "json":
        return dumps(to_json(comparison)) + "\n"
    f = Formatter(locale or comparison.locale, comparison.currency, comparison.minor_digits)
    if fmt == "text":
        return render_text(comparison, f)
    view = build_view(comparison, f)
    if fmt == "xlsx":
        from kpidsl.output.compare_xlsx import workbook_bytes

        return workbook_bytes(comparison, view, f)
    from kpidsl.output.render import render_builtin

    return render_builtin(view, fmt, f"compare.{fmt}.j2").encode("utf-8")


# ------------------------------------------------------------------ JSON


def to_json(c: Comparison) -> dict[str, object]:
    """The JSON contract (docs/compare.md)."""
    money = c.money

    def total(t: Total, **head: object) -> dict[str, object]:
        return {**head, "old": money(t.old), "new": money(t.new), "delta": money(t.delta), "ratio": t.ratio,
                "employees": t.employees}

    def fields(items: tuple[FieldChange, ...]) -> list[dict[str, object]]:
        return [{"field": x.name, "old": _json_field(c, x.name, x.old), "new": _json_field(c, x.name, x.new)}
                for x in items]

    def line(k: LineChange) -> dict[str, object]:
        return {"kpi": k.kpi, "title": k.title, "change": k.presence,
                "old_bonus": money(k.old_bonus), "new_bonus": money(k.new_bonus), "delta": money(k.delta),
                "old_index": k.old.index if k.old is not None else None,
                "new_index": k.new.index if k.new is not None else None,
                "old_status": k.old.status if k.old is not None else None,
                "new_status": k.new.status if k.new is not None else None,
                "fields": fields(k.fields)}

    def employee(e: EmployeeChange) -> dict[str, object]:
        return {"period": e.period, "employee": e.employee, "role": e.role, "old_role": e.old_role,
                "change": e.presence, "old_bonus": money(e.old_bonus), "new_bonus": money(e.new_bonus),
                "delta": money(e.delta), "ratio": e.ratio, "old_index": e.old_index, "new_index": e.new_index,
                "index_delta": e.index_delta, "kpis": [line(k) for k in e.lines]}

    winners, losers = c.movers(MOVERS)
    return {
        "old": {"ruleset": c.old_name, "title": c.old_title},
        "new": {"ruleset": c.new_name, "title": c.new_title},
        "currency": c.currency,
        "period_kind": c.period_kind,
        "periods": list(c.periods),
        "total": total(c.total),
        "payroll": [total(t, period=t.period) for t in c.payroll],
        "roles": [total(t, period=t.period, role=t.role, title=t.title) for t in c.roles],
        "definitions": [{"role": d.role, "kpi": d.kpi, "title": d.title, "change": d.presence,
                         "fields": fields(d.fields)} for d in c.definitions],
        "employees": [employee(e) for e in c.employees],
        "winners": [total(t, employee=t.title, role=t.role) for t in winners],
        "losers": [total(t, employee=t.title, role=t.role) for t in losers],
    }


def _json_field(c: Comparison, name: str, value: Decimal | str | None) -> object:
    if name == "plan_bonus" and isinstance(value, Decimal):
        return c.money(value)
    return value


# ------------------------------------------------------------------ text


def render_text(c: Comparison, f: Formatter) -> str:
    """The terminal report: what changed in the plan, every employee per period, the totals."""
    n = Numbers(str(f.babel))
    lang = language_of(f.lang)
    digits = c.minor_digits

    def money(v: Decimal) -> str:
        return n.money(v, digits)

    def delta(v: Decimal) -> str:
        return n.number(v, digits, digits, signed=True)

    def share(r: Decimal | None) -> str:
        return optional(r, lambda v: n.percent(v, 1, signed=True))

    def index(v: Decimal | None) -> str:
        return optional(v, lambda x: n.number(x, 3, 3))

    blocks = [f"{f.t('compare.title')}: {c.old_name} → {c.new_name}\n"
              f"  {f.t('compare.old')}: «{c.old_title}» · {f.t('compare.new')}: «{c.new_title}» · {c.currency}"]
    lines = [f.t("compare.definitions")]
    for d in c.definitions:
        what = "; ".join(f"{f.t(f'compare.field.{x.name}')} {a} → {b}"
                         for x in d.fields for a, b in [field_text(n, x, d.unit, digits)])
        lines.append(f"  {d.role_title or d.role} · {d.kpi}: {f.t(f'compare.presence.{d.presence}')}"
                     + (f" ({what})" if what else ""))
    if not c.definitions:
        lines.append("  " + f.t("compare.no_definitions"))
    blocks.append("\n".join(lines))

    heading = [f.t("col.employee"), f.t("col.role"), f.t("compare.col.old_index"), f.t("compare.col.new_index"),
               f.t("compare.col.old_bonus"), f.t("compare.col.new_bonus"), f.t("col.delta"), "%"]
    for period, payroll in zip(c.periods, c.payroll, strict=True):
        rows = [heading]
        notes = []
        for e in (e for e in c.employees if e.period == period):
            rows.append([e.employee, e.role_title or e.role, index(e.old_index), index(e.new_index),
                         money(e.old_bonus), money(e.new_bonus), delta(e.delta), share(e.ratio)])
            if e.presence in ("added", "removed"):
                notes.append(f"  {e.employee}: {f.t(f'compare.employee.{e.presence}')}")
            elif e.old_role is not None:
                notes.append(f"  {e.employee}: {f.t('compare.employee.role', old=e.old_role, new=e.role)}")
            for k in e.lines:
                if k.delta == 0 and not k.status_changed and k.presence == "same":
                    continue
                text = f"  {e.employee} · {k.kpi}: {money(k.old_bonus)} → {money(k.new_bonus)} ({delta(k.delta)})"
                if k.presence in ("added", "removed"):
                    text += f"; {f.t(f'compare.presence.{k.presence}')}"
                if k.status_changed and k.old is not None and k.new is not None:
                    text += f"; {status_words(k.old.status, lang).short} → {status_words(k.new.status, lang).short}"
                notes.append(text)
        rows.append([f.t("col.total"), "", "", "", money(payroll.old), money(payroll.new), delta(payroll.delta),
                     share(payroll.ratio)])
        blocks.append("\n".join([f"{period} · {f.period(period)}", *_indented(rows), *notes]))

    rows = [[f.t("document.period"), f.t("col.role"), f.t("compare.col.employees"), f.t("compare.col.old_bonus"),
             f.t("compare.col.new_bonus"), f.t("col.delta"), "%"]]
    rows += [[t.period or "", t.title or t.role or "", str(t.employees), money(t.old), money(t.new), delta(t.delta),
              share(t.ratio)] for t in c.roles]
    rows += [[t.period or "", f.t("compare.payroll"), str(t.employees), money(t.old), money(t.new), delta(t.delta),
              share(t.ratio)] for t in c.payroll]
    t = c.total
    rows.append([f.t("compare.all_periods"), f.t("compare.payroll"), str(t.employees), money(t.old), money(t.new),
                 delta(t.delta), share(t.ratio)])
    blocks.append("\n".join([f.t("compare.totals"), *_indented(rows)]))

    winners, losers = c.movers(MOVERS)
    for key, people in (("compare.winners", winners), ("compare.losers", losers)):
        named = ", ".join(f"{p.title} {delta(p.delta)}" for p in people) or f.t("compare.nobody")
        blocks.append(f"{f.t(key)}: {named}")
    return "\n\n".join(blocks) + "\n"


def _indented(rows: list[list[str]]) -> list[str]:
    """A table indented by two spaces: the first two columns text, the others numbers (right-aligned)."""
    return ["  " + line for line in text_table(rows, set(range(2, len(rows[0]))))]
