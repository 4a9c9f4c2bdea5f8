"""The benchmark's contenders: one computation, several implementations, one per process.

    python -m benchmarks.contenders NAME --data DIR --out FILE.csv

Each reads the generated records in DIR (deals.parquet, leads.parquet,
ad_spend.parquet, roster.csv), computes every employee's total bonus per quarter
as rulesets/crm_showcase.kpi defines it (see benchmarks/scoring.py), writes
`period,employee,bonus` to FILE.csv and prints its phase timings as one JSON line.

* duckdb_sql  — the whole computation hand-written in DuckDB SQL;
* pandas      — aggregation in pandas, scoring with Python Decimal per row;
* zen         — aggregation in DuckDB SQL, scoring per employee by a GoRules JDM decision;
* rule_engine — aggregation in DuckDB SQL, scoring per employee by `rule-engine` rules;
* duckdb_facts / kpidsl_records — only the aggregation of the ruleset's eight facts,
  hand-written and by kpidsl's records stage (kpidsl.engine.records_sql), written as
  `period,employee,fact,value`.

kpidsl itself is run by benchmarks.run through its command line, as a user runs it.
The SQL here is fixed text with file paths passed as parameters.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

from kpidsl.engine import scoring

# Exact arithmetic as kpidsl defines it: DuckDB divides decimals as doubles, so divide
# the values scaled to integers (×10^12, HUGEINT), rounding half away from zero.
MACROS = """
CREATE OR REPLACE MACRO units(x) AS
  CAST(TRUNC(CAST(x AS DECIMAL(38,12))) AS HUGEINT) * 1000000000000
  + CAST((CAST(x AS DECIMAL(38,12)) - TRUNC(CAST(x AS DECIMAL(38,12)))) * 1000000000000 AS HUGEINT);
CREATE OR REPLACE MACRO from_units(u) AS
  CAST(u // 1000000000000 AS DECIMAL(38,12))
  + CAST(u % 1000000000000 AS DECIMAL(38,0)) * CAST(0.000000000001 AS DECIMAL(13,12));
-- every operand here is non-negative (amounts, counts, ratios of them), so no sign handling
CREATE OR REPLACE MACRO div12(a, b) AS CASE WHEN a IS NULL OR b IS NULL OR b = 0 THEN NULL ELSE
  from_units((units(a) * 2000000000000 + units(b)) // (2 * units(b))) END;
CREATE OR REPLACE MACRO d12(x) AS CAST(x AS DECIMAL(38,12));
CREATE OR REPLACE MACRO mul12(a, b) AS CAST(CAST(a AS DECIMAL(38,12)) * CAST(b AS DECIMAL(38,12)) AS DECIMAL(38,12));
CREATE OR REPLACE MACRO kpi(att, w, plan) AS CASE WHEN att IS NULL THEN 0 ELSE
  CAST(mul12(plan, 1 + mul12(w, least(att, 1.5)) - w) AS DECIMAL(18,2)) END;
"""

# Facts per quarter and manager (and, with employee NULL, for the whole department).
FACTS = """
WITH d AS (
  SELECT date_trunc('quarter', created_at) AS p, manager AS e, GROUPING(manager) AS dept,
         count(*) FILTER (WHERE status = 'won') AS won,
         COALESCE(sum(amount) FILTER (WHERE status = 'won'), 0) AS revenue
  FROM read_parquet($deals)
  GROUP BY GROUPING SETS ((date_trunc('quarter', created_at), manager), (date_trunc('quarter', created_at)))
), l AS (
  SELECT date_trunc('quarter', created_at) AS p, manager AS e, GROUPING(manager) AS dept, count(*) AS leads
  FROM read_parquet($leads)
  GROUP BY GROUPING SETS ((date_trunc('quarter', created_at), manager), (date_trunc('quarter', created_at)))
), a AS (
  SELECT date_trunc('quarter', spent_on) AS p, sum(amount) AS ad_spend FROM read_parquet($ads) GROUP BY 1
), periods AS (SELECT p FROM d WHERE dept = 1 UNION SELECT p FROM l WHERE dept = 1),
staff AS (SELECT employee FROM read_csv($roster) WHERE role = 'sales_manager'),
facts AS (
  SELECT periods.p, staff.employee, COALESCE(d.revenue, 0) AS revenue, COALESCE(d.won, 0) AS won,
         COALESCE(l.leads, 0) AS leads, NULL AS ad_spend
  FROM periods CROSS JOIN staff
  LEFT JOIN d ON d.p = periods.p AND d.dept = 0 AND d.e = staff.employee
  LEFT JOIN l ON l.p = periods.p AND l.dept = 0 AND l.e = staff.employee
  UNION ALL
  SELECT periods.p, NULL, COALESCE(d.revenue, 0), COALESCE(d.won, 0), COALESCE(l.leads, 0), a.ad_spend
  FROM periods
  LEFT JOIN d ON d.p = periods.p AND d.dept = 1
  LEFT JOIN l ON l.p = periods.p AND l.dept = 1
  LEFT JOIN a ON a.p = periods.p
)
"""

SCORE = FACTS + """
, ratios AS (  -- one division per step: macros repeat their arguments, so nesting them grows the plan
  SELECT *, div12(revenue, 450000) AS att_revenue, div12(won, 7) AS att_won, div12(leads, 30) AS att_leads,
         div12(won, leads) AS close_rate, div12(revenue, ad_spend) AS roas, div12(ad_spend, leads) AS cpl
  FROM facts
), head AS (
  SELECT *, div12(roas, 6) AS att_roas, div12(close_rate, 0.25) AS att_rate, div12(2200, cpl) AS att_cpl FROM ratios
)
SELECT year(p) || 'Q' || quarter(p) AS period, COALESCE(employee, $head) AS employee,
  CASE WHEN employee IS NOT NULL THEN
      kpi(att_revenue, 0.5, 20000) + kpi(att_won, 0.3, 10000)
    + CASE WHEN COALESCE(close_rate >= 0.2, false) THEN kpi(att_leads, 0.2, 5000) ELSE 0 END
  ELSE kpi(att_roas, 0.4, 40000) + kpi(att_rate, 0.3, 30000) + kpi(att_cpl, 0.3, 30000)
  END AS bonus
FROM head
"""


def _files(data: Path) -> dict[str, str]:
    return {"deals": str(data / "deals.parquet"), "leads": str(data / "leads.parquet"),
            "ads": str(data / "ad_spend.parquet"), "roster": str(data / "roster.csv")}


def duckdb_sql(data: Path, out: Path, timings: dict[str, float]) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(MACROS)
    start = time.perf_counter()
    rows = con.execute(SCORE, {**_files(data), "head": scoring.HEAD}).fetchall()
    timings["aggregate+score"] = time.perf_counter() - start
    write(out, ((p, e, str(b)) for p, e, b in rows), timings)


def facts_by_duckdb(data: Path) -> list[tuple[str, str | None, Decimal, Decimal, Decimal, Decimal | None]]:
    """Aggregated facts for the per-employee rules engines: (period, employee|None, revenue, won, leads, ad_spend)."""
    import duckdb

    con = duckdb.connect()
    query = FACTS + "SELECT year(p) || 'Q' || quarter(p), employee, revenue, won, leads, ad_spend FROM facts"
    return [(p, e, Decimal(r), Decimal(w), Decimal(n), None if a is None else Decimal(a))
            for p, e, r, w, n, a in con.execute(query, _files(data)).fetchall()]


def pandas(data: Path, out: Path, timings: dict[str, float]) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    start = time.perf_counter()

    def load(name: str, date: str, columns: list[str]) -> pd.DataFrame:
        frame = pq.read_table(data / f"{name}.parquet", columns=[date, *columns]).to_pandas(date_as_object=False)
        frame["year"] = frame[date].dt.year
        frame["quarter"] = frame[date].dt.quarter
        if "amount" in frame:  # exact: decimal → integer kopecks
            frame["kopecks"] = (frame["amount"].astype("float64") * 100).round().astype("int64")
        return frame

    deals = load("deals", "created_at", ["manager", "amount", "status"])
    leads = load("leads", "created_at", ["manager"])
    ads = load("ad_spend", "spent_on", ["amount"])
    won = deals[deals["status"] == "won"]
    keys = ["year", "quarter"]
    per_manager = pd.concat({
        "revenue": won.groupby([*keys, "manager"])["kopecks"].sum(),
        "won": won.groupby([*keys, "manager"]).size(),
        "leads": leads.groupby([*keys, "manager"]).size(),
    }, axis=1)
    department = pd.concat({
        "revenue": won.groupby(keys)["kopecks"].sum(),
        "won": won.groupby(keys).size(),
        "leads": leads.groupby(keys).size(),
        "ad_spend": ads.groupby(keys)["kopecks"].sum(),
    }, axis=1).fillna(0)
    staff = pd.read_csv(data / "roster.csv")
    staff = staff.loc[staff["role"] == "sales_manager", "employee"]
    periods = pd.concat([deals[keys], leads[keys]]).drop_duplicates()
    grid = pd.MultiIndex.from_frame(periods.merge(staff.rename("manager").to_frame(), how="cross")[[*keys, "manager"]])
    per_manager = per_manager.reindex(grid).fillna(0).astype("int64")
    timings["aggregate"] = time.perf_counter() - start

    start = time.perf_counter()
    cents = Decimal("0.01")
    rows: list[tuple[str, str, str]] = []
    for (year, quarter, manager), revenue, won_n, leads_n in zip(
            per_manager.index, per_manager["revenue"], per_manager["won"], per_manager["leads"], strict=True):
        bonus = scoring.manager_bonus(Decimal(int(revenue)) * cents, Decimal(int(won_n)), Decimal(int(leads_n)))
        rows.append((f"{year}Q{quarter}", manager, str(bonus)))
    for (year, quarter), r in department.iterrows():
        bonus = scoring.head_bonus(Decimal(int(r["revenue"])) * cents, Decimal(int(r["won"])),
                                   Decimal(int(r["leads"])), Decimal(int(r["ad_spend"])) * cents)
        rows.append((f"{year}Q{quarter}", scoring.HEAD, str(bonus)))
    timings["score"] = time.perf_counter() - start
    write(out, rows, timings)


def _jdm(expressions: list[tuple[str, str]]) -> str:
    """A JDM graph: input → one expression node → output."""
    node = {"id": "score", "type": "expressionNode", "name": "score", "position": {"x": 0, "y": 0},
            "content": {"expressions": [{"id": k, "key": k, "value": v} for k, v in expressions]}}
    return json.dumps({
        "nodes": [{"id": "in", "type": "inputNode", "name": "in", "position": {"x": 0, "y": 0}}, node,
                  {"id": "out", "type": "outputNode", "name": "out", "position": {"x": 0, "y": 0}}],
        "edges": [{"id": "e1", "sourceId": "in", "targetId": "score", "type": "edge"},
                  {"id": "e2", "sourceId": "score", "targetId": "out", "type": "edge"}]})


def _zen_kpi(key: str, attainment: str, weight: str, plan: str) -> list[tuple[str, str]]:
    return [(f"{key}_att", attainment),
            (f"{key}_bonus", f"$.{key}_att == null ? 0 : "
                             f"round(round({plan} * (1 + round({weight} * min([$.{key}_att, 1.5]), 12) - {weight}), "
                             "12), 2)")]


def zen(data: Path, out: Path, timings: dict[str, float]) -> None:
    import zen as zen_engine

    start = time.perf_counter()
    facts = facts_by_duckdb(data)
    timings["aggregate"] = time.perf_counter() - start

    start = time.perf_counter()
    engine = zen_engine.ZenEngine()
    manager = engine.create_decision(_jdm([
        ("revenue", "number(revenue_text)"), ("won", "number(won_text)"), ("leads", "number(leads_text)"),
        *_zen_kpi("r", "round($.revenue / 450000, 12)", "0.5", "20000"),
        *_zen_kpi("d", "round($.won / 7, 12)", "0.3", "10000"),
        *_zen_kpi("l", "round($.leads / 30, 12)", "0.2", "5000"),
        ("close_rate", "$.leads == 0 ? null : round($.won / $.leads, 12)"),
        ("total", "string($.r_bonus + $.d_bonus + ($.close_rate != null and $.close_rate >= 0.2 ? $.l_bonus : 0))"),
    ]))
    head = engine.create_decision(_jdm([
        ("revenue", "number(revenue_text)"), ("won", "number(won_text)"), ("leads", "number(leads_text)"),
        ("ads", "number(ads_text)"),
        ("roas", "$.ads == 0 ? null : round($.revenue / $.ads, 12)"),
        ("rate", "$.leads == 0 ? null : round($.won / $.leads, 12)"),
        ("cpl", "$.leads == 0 ? null : round($.ads / $.leads, 12)"),
        *_zen_kpi("a", "$.roas == null ? null : round($.roas / 6, 12)", "0.4", "40000"),
        *_zen_kpi("b", "$.rate == null ? null : round($.rate / 0.25, 12)", "0.3", "30000"),
        *_zen_kpi("c", "$.cpl == null or $.cpl == 0 ? null : round(2200 / $.cpl, 12)", "0.3", "30000"),
        ("total", "string($.a_bonus + $.b_bonus + $.c_bonus)"),
    ]))
    rows = []
    for period, employee, revenue, won, leads, ads in facts:
        context = {"revenue_text": str(revenue), "won_text": str(won), "leads_text": str(leads)}
        if employee is None:
            context["ads_text"] = str(ads)
            result = head.evaluate(context)["result"]
            rows.append((period, scoring.HEAD, result["total"]))
        else:
            rows.append((period, employee, manager.evaluate(context)["result"]["total"]))
    timings["score"] = time.perf_counter() - start
    write(out, rows, timings)


def rule_engine(data: Path, out: Path, timings: dict[str, float]) -> None:
    import rule_engine as re_

    start = time.perf_counter()
    facts = facts_by_duckdb(data)
    timings["aggregate"] = time.perf_counter() - start

    start = time.perf_counter()

    def kpi(att: str, weight: str, plan: str) -> str:
        return f"q2(q12({plan} * (1 + q12({weight} * $min([{att}, 1.5])) - {weight})))"

    manager = re_.Rule(
        f"{kpi('q12(revenue / 450000)', '0.5', '20000')} + {kpi('q12(won / 7)', '0.3', '10000')}"
        f" + (leads > 0 and q12(won / leads) >= 0.2 ? {kpi('q12(leads / 30)', '0.2', '5000')} : 0)")
    head = re_.Rule(
        f"{kpi('q12(q12(revenue / ads) / 6)', '0.4', '40000')}"
        f" + {kpi('q12(q12(won / leads) / 0.25)', '0.3', '30000')}"
        f" + {kpi('q12(2200 / q12(ads / leads))', '0.3', '30000')}")
    functions = {"q12": scoring.q12, "q2": lambda x: x.quantize(scoring.KOPECK, rounding="ROUND_HALF_UP")}
    rows = []
    for period, employee, revenue, won, leads, ads in facts:
        thing = {"revenue": revenue, "won": won, "leads": leads, **functions}
        if employee is None:  # the sample data never has zero leads or ad spend in a quarter
            rows.append((period, scoring.HEAD, str(head.evaluate({**thing, "ads": ads}))))
        else:
            rows.append((period, employee, str(manager.evaluate(thing))))
    timings["score"] = time.perf_counter() - start
    write(out, rows, timings)


# All eight facts of crm_showcase.kpi, hand-written: the same work the records stage does.
ALL_FACTS = """
WITH d AS (
  SELECT date_trunc('quarter', created_at) AS p, manager AS e, GROUPING(manager) AS dept,
         count(*) AS deals_total, count(*) FILTER (WHERE status = 'won') AS deals_won,
         sum(amount) FILTER (WHERE status = 'won') AS revenue,
         count(DISTINCT client) FILTER (WHERE status = 'won') AS clients,
         count(*) FILTER (WHERE status = 'won' AND amount >= 100000) AS big_deals,
         count(amount) FILTER (WHERE status = 'won') AS won_amounts
  FROM read_parquet($deals)
  GROUP BY GROUPING SETS ((date_trunc('quarter', created_at), manager), (date_trunc('quarter', created_at)))
), l AS (
  SELECT date_trunc('quarter', created_at) AS p, manager AS e, GROUPING(manager) AS dept, count(*) AS leads
  FROM read_parquet($leads)
  GROUP BY GROUPING SETS ((date_trunc('quarter', created_at), manager), (date_trunc('quarter', created_at)))
), a AS (
  SELECT date_trunc('quarter', spent_on) AS p, sum(amount) AS ad_spend FROM read_parquet($ads) GROUP BY 1
), joined AS (
  SELECT COALESCE(d.p, l.p) AS p, CASE WHEN COALESCE(d.dept, l.dept) = 1 THEN NULL ELSE COALESCE(d.e, l.e) END AS e,
         d.*, l.leads
  FROM d FULL JOIN l ON d.p = l.p AND d.dept = l.dept AND d.e IS NOT DISTINCT FROM l.e
)
SELECT year(j.p) || 'Q' || quarter(j.p) AS period, j.e AS employee, f.fact, CASE f.fact
    WHEN 'deals_total' THEN d12(COALESCE(deals_total, 0)) WHEN 'deals_won' THEN d12(COALESCE(deals_won, 0))
    WHEN 'revenue' THEN d12(COALESCE(revenue, 0)) WHEN 'clients' THEN d12(COALESCE(clients, 0))
    WHEN 'big_deals' THEN d12(COALESCE(big_deals, 0)) WHEN 'leads' THEN d12(COALESCE(leads, 0))
    WHEN 'avg_deal' THEN div12(revenue, NULLIF(won_amounts, 0))
    WHEN 'ad_spend' THEN d12((SELECT ad_spend FROM a WHERE a.p = j.p)) END AS value
FROM joined j CROSS JOIN (VALUES ('deals_total'), ('deals_won'), ('revenue'), ('clients'), ('big_deals'),
                                 ('leads'), ('avg_deal'), ('ad_spend')) f(fact)
WHERE f.fact <> 'ad_spend' OR j.e IS NULL
"""


def duckdb_facts(data: Path, out: Path, timings: dict[str, float]) -> None:
    """The facts alone, hand-written (compared with the kpidsl records stage)."""
    import duckdb

    con = duckdb.connect()
    con.execute(MACROS)
    start = time.perf_counter()
    rows = con.execute(ALL_FACTS, {k: v for k, v in _files(data).items() if k != "roster"}).fetchall()
    timings["aggregate"] = time.perf_counter() - start
    write_facts(out, rows, timings)


def kpidsl_records(data: Path, out: Path, timings: dict[str, float]) -> None:
    """kpidsl's records stage alone on crm_showcase.kpi, with the generated files as --source."""
    import duckdb

    from kpidsl.api import check_file
    from kpidsl.engine.records_sql import aggregate_records

    start = time.perf_counter()
    checked = check_file(Path(__file__).resolve().parent.parent / "rulesets" / "crm_showcase.kpi")
    assert checked.model is not None and checked.ok, checked.diagnostics
    timings["check"] = time.perf_counter() - start
    start = time.perf_counter()
    con = duckdb.connect()
    files = _files(data)
    table, diagnostics = aggregate_records(
        checked.model, {"deals": files["deals"], "lead_log": files["leads"], "ad_costs": files["ads"]}, con)
    assert table is not None, diagnostics
    rows = con.execute(f'SELECT period, employee, fact, value FROM "{table}"').fetchall()
    timings["aggregate"] = time.perf_counter() - start
    write_facts(out, rows, timings)


def write_facts(out: Path, rows: Iterable[tuple], timings: dict[str, float]) -> None:
    start = time.perf_counter()
    with out.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["period", "employee", "fact", "value"])
        w.writerows((p, e if e is not None else "", f, "" if v is None else str(v)) for p, e, f, v in rows)
    timings["write"] = time.perf_counter() - start


def write(out: Path, rows: Iterable[tuple[str, str, str]], timings: dict[str, float]) -> None:
    start = time.perf_counter()
    with out.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["period", "employee", "bonus"])
        w.writerows(rows)
    timings["write"] = time.perf_counter() - start


CONTENDERS: dict[str, Callable[[Path, Path, dict[str, float]], None]] = {
    "duckdb_sql": duckdb_sql, "pandas": pandas, "zen": zen, "rule_engine": rule_engine,
    "duckdb_facts": duckdb_facts, "kpidsl_records": kpidsl_records}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.contenders")
    parser.add_argument("name", choices=sorted(CONTENDERS))
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    timings: dict[str, float] = {}
    CONTENDERS[args.name](args.data, args.out, timings)
    print(json.dumps(timings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
