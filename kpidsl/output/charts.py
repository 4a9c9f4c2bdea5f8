"""The dashboard's charts: inline SVG drawn here, with no JavaScript, fonts or network.

Three charts: plan vs fact per KPI (horizontal bars, fact as a share of plan, coloured
by status), each KPI's dynamics over every period in the data (a small line chart with
the plan as a dashed line) and the bonus fund per employee (plan vs actual).  Every
bar and point carries classes and `data-*` attributes (`bar fact`, `point`,
`data-kpi`, `data-status`, `data-period`, `data-value`) so tests and a browser can
count and check them.  All text is escaped here; the result is marked safe for the
HTML template.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

from kpidsl.base.statuses import STATUSES
from kpidsl.output.analysis import all_periods

if TYPE_CHECKING:
    from kpidsl.output.analysis import Context, EmployeeView, KpiView, Val
    from kpidsl.output.i18n import Formatter
    from kpidsl.results.model import Results

COLOURS = {"met": "#2e7d32", "missed": "#c62828", "gated": "#ef6c00", "no_data": "#9e9e9e", "none": "#546e7a"}
PLAN_COLOUR = "#cfd8dc"
TEXT = "#263238"
MUTED = "#607d8b"
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"


def _a(value: object) -> str:
    """An attribute value, escaped (quotes included)."""
    return escape(str(value), quote=True)


def _d(value: Decimal | None) -> str:
    """A decimal for a data attribute: plain notation, no trailing zeros (`3000`, `0.15`)."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _clip(text: str, width_px: float, font_px: float) -> str:
    """Shorten `text` to about `width_px` at `font_px` (DejaVu Sans averages ≈ 0.6 em a glyph)."""
    limit = max(4, int(width_px / (font_px * 0.6)))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _svg(width: float, height: float, label: str, body: list[str], cls: str) -> str:
    # width 100 % with a viewBox: the chart scales to its column on screen and on A4.
    return (f'<svg class="chart {cls}" viewBox="0 0 {_n(width)} {_n(height)}" width="100%" '
            f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{_a(label)}" font-family="{FONT}">'
            f"<title>{escape(label)}</title>" + "".join(body) + "</svg>")


# ------------------------------------------------------------------ plan vs fact


@dataclass(frozen=True)
class Bar:
    kpi: str
    label: str
    status: str
    ratio: Decimal | None  # fact / plan
    plan_text: str
    fact_text: str


def plan_fact_chart(bars: list[Bar], *, title: str, no_data: str) -> str:
    """One row per KPI: a grey plan bar (100 %) and a fact bar at fact / plan."""
    width, label_w, bar_x, bar_w, row_h, top = 1000.0, 330.0, 340.0, 440.0, 34.0, 8.0
    ratios = [float(b.ratio) for b in bars if b.ratio is not None]
    scale = max(1.25, min(2.0, max(ratios, default=1.0) * 1.08))
    height = top + row_h * len(bars) + 6
    body = []
    hundred = bar_x + bar_w / scale
    for i, b in enumerate(bars):
        y = top + i * row_h
        colour = COLOURS.get(b.status, COLOURS["none"])
        body.append(f'<g class="kpi" data-kpi="{_a(b.kpi)}" data-status="{_a(b.status)}">')
        body.append(f'<text x="{_n(label_w)}" y="{_n(y + 20)}" text-anchor="end" font-size="12" fill="{TEXT}">'
                    f"<title>{escape(b.label)}</title>{escape(_clip(b.label, label_w, 12))}</text>")
        body.append(f'<rect class="bar plan" x="{_n(bar_x)}" y="{_n(y + 5)}" width="{_n(bar_w / scale)}" '
                    f'height="9" fill="{PLAN_COLOUR}" data-value="1"/>')
        if b.ratio is None:
            body.append(f'<text x="{_n(bar_x + 4)}" y="{_n(y + 27)}" font-size="11" fill="{MUTED}" '
                        f'font-style="italic">{escape(no_data)}</text>')
        else:
            shown = min(float(b.ratio), scale)
            body.append(f'<rect class="bar fact status-{_a(b.status)}" x="{_n(bar_x)}" y="{_n(y + 16)}" '
                        f'width="{_n(max(1.0, bar_w * shown / scale))}" height="13" fill="{colour}" '
                        f'data-kpi="{_a(b.kpi)}" data-status="{_a(b.status)}" data-value="{_d(b.ratio)}"/>')
            if float(b.ratio) > scale:  # an arrow says the bar is cut at the chart's edge
                tip = bar_x + bar_w
                body.append(f'<path d="M{_n(tip + 1)} {_n(y + 16)} l7 6.5 l-7 6.5 z" fill="{colour}"/>')
        body.append(f'<text x="{_n(width - 4)}" y="{_n(y + 20)}" text-anchor="end" font-size="12" '
                    f'fill="{TEXT}"><tspan font-weight="bold">{escape(b.fact_text)}</tspan>'
                    f'<tspan fill="{MUTED}"> / {escape(b.plan_text)}</tspan></text>')
        body.append("</g>")
    body.append(f'<line class="plan-line" x1="{_n(hundred)}" y1="{_n(top - 4)}" x2="{_n(hundred)}" '
                f'y2="{_n(height - 2)}" stroke="{MUTED}" stroke-width="1" stroke-dasharray="3 3"/>')
    return _svg(width, height, title, body, "plan-fact")


# ------------------------------------------------------------------ dynamics


@dataclass(frozen=True)
class Point:
    period: str
    label: str  # the period's label
    value: Decimal | None
    text: str
    status: str  # the KPI's status in that period, or "none" (a metric value)


def dynamics_chart(kpi: str, points: list[Point], target: Decimal | None, *, title: str) -> str:
    """A line over every period; a dot per period with data; the plan as a dashed line.

    Values are written above their dots when there are at most six periods (otherwise
    only the latest), so the chart reads without an axis scale."""
    width, height, left, right, top, bottom = 300.0, 130.0, 30.0, 30.0, 22.0, 26.0
    values = [float(p.value) for p in points if p.value is not None]
    span_values = values + ([float(target)] if target is not None else [])
    low, high = (min(span_values), max(span_values)) if span_values else (0.0, 1.0)
    if high == low:
        low, high = low - (abs(low) or 1) * 0.1, high + (abs(high) or 1) * 0.1
    pad = (high - low) * 0.12
    low, high = low - pad, high + pad

    def x(i: int) -> float:
        inner = width - left - right
        return left + inner / 2 if len(points) == 1 else left + inner * i / (len(points) - 1)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - low) / (high - low))

    base = height - bottom + 4
    body = [f'<line x1="4" y1="{_n(base)}" x2="{_n(width - 4)}" y2="{_n(base)}" stroke="{PLAN_COLOUR}" '
            f'stroke-width="1"/>']
    if target is not None:
        ty = y(float(target))
        body.append(f'<line class="target" x1="4" y1="{_n(ty)}" x2="{_n(width - 4)}" y2="{_n(ty)}" '
                    f'stroke="{MUTED}" stroke-width="1.2" stroke-dasharray="5 4" data-value="{_d(target)}"/>')
    segment: list[str] = []
    for i, p in enumerate([*points, Point("", "", None, "", "none")]):
        if p.value is None:
            if len(segment) > 1:
                body.append(f'<polyline class="line" points="{" ".join(segment)}" fill="none" stroke="#37474f" '
                            f'stroke-width="1.8"/>')
            segment = []
        else:
            segment.append(f"{_n(x(i))},{_n(y(float(p.value)))}")
    step = max(1, -(-len(points) // 6))  # at most about six period labels under the axis
    last = max((i for i, p in enumerate(points) if p.value is not None), default=-1)
    for i, p in enumerate(points):
        if i % step == 0 or i == len(points) - 1:
            body.append(f'<text x="{_n(x(i))}" y="{_n(height - 6)}" text-anchor="middle" font-size="10" '
                        f'fill="{MUTED}">{escape(p.label)}</text>')
        if p.value is None:
            continue
        px, py = x(i), y(float(p.value))
        colour = COLOURS.get(p.status, COLOURS["none"])
        body.append(f'<circle class="point status-{_a(p.status)}" cx="{_n(px)}" cy="{_n(py)}" r="4.5" '
                    f'fill="{colour}" stroke="#fff" stroke-width="1.2" data-kpi="{_a(kpi)}" '
                    f'data-period="{_a(p.period)}" data-status="{_a(p.status)}" data-value="{_d(p.value)}">'
                    f"<title>{escape(p.label)}: {escape(p.text)}</title></circle>")
        if len(points) <= 6 or i == last:
            ly = py - 9 if py - 9 > 10 else py + 17
            weight = ' font-weight="bold"' if i == last else ""
            half = len(p.text) * 10.5 * 0.6 / 2 + 2  # keep the label inside the chart
            lx = min(max(px, half), width - half)
            body.append(f'<text class="value" x="{_n(lx)}" y="{_n(ly)}" text-anchor="middle" font-size="10.5"'
                        f'{weight} fill="{TEXT}">{escape(p.text)}</text>')
    return _svg(width, height, title, body, "dynamics")


# ------------------------------------------------------------------ bonus fund


@dataclass(frozen=True)
class FundRow:
    employee: str
    plan: Decimal
    actual: Decimal
    plan_text: str
    actual_text: str


def fund_chart(rows: list[FundRow], *, title: str) -> str:
    """Planned and actual bonus per employee, on one scale."""
    width, label_w, bar_x, bar_w, row_h, top = 1000.0, 250.0, 260.0, 520.0, 36.0, 6.0
    scale = float(max([max(r.plan, r.actual) for r in rows], default=Decimal(1))) or 1.0
    height = top + row_h * len(rows) + 4
    body = []
    for i, r in enumerate(rows):
        y = top + i * row_h
        status = "met" if r.actual >= r.plan else "missed"
        body.append(f'<g class="employee" data-employee="{_a(r.employee)}" data-status="{status}">')
        body.append(f'<text x="{_n(label_w)}" y="{_n(y + 20)}" text-anchor="end" font-size="12" fill="{TEXT}">'
                    f"{escape(_clip(r.employee, label_w, 12))}</text>")
        body.append(f'<rect class="bar plan" x="{_n(bar_x)}" y="{_n(y + 5)}" '
                    f'width="{_n(bar_w * float(r.plan) / scale)}" height="9" fill="{PLAN_COLOUR}" '
                    f'data-value="{_d(r.plan)}"/>')
        body.append(f'<rect class="bar fact status-{status}" x="{_n(bar_x)}" y="{_n(y + 16)}" '
                    f'width="{_n(max(1.0, bar_w * float(r.actual) / scale))}" height="13" fill="{COLOURS[status]}" '
                    f'data-value="{_d(r.actual)}"/>')
        body.append(f'<text x="{_n(width - 4)}" y="{_n(y + 20)}" text-anchor="end" font-size="12" fill="{TEXT}">'
                    f'<tspan font-weight="bold">{escape(r.actual_text)}</tspan>'
                    f'<tspan fill="{MUTED}"> / {escape(r.plan_text)}</tspan></text>')
        body.append("</g>")
    return _svg(width, height, title, body, "fund")


# ------------------------------------------------------------------ the dashboard's view


@dataclass(frozen=True)
class Trend:
    kpi: KpiView
    points: list[Point]
    chart: Any  # markupsafe.Markup


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    note: str


@dataclass(frozen=True)
class DashEmployee:
    employee: EmployeeView
    plan_fact: Any  # markupsafe.Markup
    trends: list[Trend]


@dataclass(frozen=True)
class Dashboard:
    tiles: list[Tile]
    fund: Any  # markupsafe.Markup ("" when no one has a planned bonus)
    employees: list[DashEmployee]


def _series(results: Results, employee: str, kpi: KpiView, f: Formatter) -> list[Point]:
    """The KPI's fact in every period of the data (from results, else from the metrics)."""
    by_period = {r.period: k for r in results.results if r.employee == employee for k in r.kpis if k.kpi == kpi.kpi}
    metric = {m.period: m.value for m in results.metrics if m.name == kpi.kpi and m.employee is None}
    metric.update({m.period: m.value for m in results.metrics if m.name == kpi.kpi and m.employee == employee})
    points = []
    for p in all_periods(results):
        status: str  # the KPI's status, or "none" for a metric's value
        if p in by_period:
            value, status = by_period[p].fact, by_period[p].status
        else:
            value, status = metric.get(p), "none"
        points.append(Point(p, f.period(p), value, f.value(value, kpi.unit) if value is not None else "", status))
    return points


def build_dashboard(context: Context, results: Results, f: Formatter) -> Dashboard:
    from markupsafe import Markup

    employees = []
    for e in context.employees:
        bars = [Bar(k.kpi, k.title, k.status, _ratio(k.fact, k.target), k.target.text, k.fact.text or "—")
                for k in e.kpis]
        plan_fact = Markup(plan_fact_chart(bars, title=f.t("dashboard.plan_fact_of", employee=e.employee),
                                           no_data=f.t("status.no_data"))) if bars else Markup("")
        trends = []
        for k in e.kpis:
            points = _series(results, e.employee, k, f)
            chart = dynamics_chart(k.kpi, points, k.target.value, title=f.t("dashboard.dynamics_of", kpi=k.title))
            trends.append(Trend(k, points, Markup(chart)))
        employees.append(DashEmployee(e, plan_fact, trends))
    fund_rows = [FundRow(e.employee, e.plan_bonus.value or Decimal(0), e.bonus.value or Decimal(0),
                         e.plan_bonus.text, e.bonus.text) for e in context.employees if e.plan_bonus.value]
    fund = Markup(fund_chart(fund_rows, title=f.t("dashboard.fund"))) if fund_rows else Markup("")
    counts = {s: sum(e.counts[s] for e in context.employees) for s in STATUSES}
    totals = context.totals
    fund_tile = [Tile("fund", f.t("dashboard.tile_fund"), totals["bonus"].text,
                      f.t("dashboard.tile_fund_note", plan=totals["plan_bonus"].text,
                          share=totals["share"].text or "—"))]
    tiles = [
        *(fund_tile if context.money else []),  # a plan of coefficients only has no fund
        Tile("met", f.t("dashboard.tile_met"), str(counts["met"]), f.t("dashboard.kpis", count=counts["met"])),
        Tile("missed", f.t("dashboard.tile_missed"), str(counts["missed"]),
             f.t("dashboard.kpis", count=counts["missed"])),
        Tile("gated", f.t("dashboard.tile_gated"), str(counts["gated"]), f.t("dashboard.kpis", count=counts["gated"])),
        Tile("no_data", f.t("dashboard.tile_no_data"), str(counts["no_data"]),
             f.t("dashboard.kpis", count=counts["no_data"])),
        Tile("rules", f.t("dashboard.tile_findings"), str(len(context.findings)),
             f.t("dashboard.findings", count=len(context.findings))),
    ]
    return Dashboard(tiles, fund, employees)


def _ratio(fact: Val, target: Val) -> Decimal | None:
    if fact.value is None or target.value is None or target.value == 0:
        return None
    return (fact.value / target.value).quantize(Decimal("1e-6"))
