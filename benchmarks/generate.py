"""A deterministic enterprise CRM dataset for benchmarks and the showcase's sample data.

    python -m benchmarks.generate --employees 100000 --rows 10000000 --seed 1 --out /tmp/crm
    python -m benchmarks.generate --employees 20 --rows 2000 --seed 1 --format csv \
        --prefix crm_ --out rulesets/data

Writes, for the year 2026 (four quarters):

* deals     — deal_id, created_at, manager, client, channel, amount (DECIMAL(18,2)), status
              (won / lost / open); each manager has a win probability of 15–45 %;
* leads     — lead_id, created_at, manager, channel (1.3 leads per deal, spread evenly, so
              managers who win less close fewer of their leads: about a third fall
              under the 20 % lead-quality bar);
* ad_spend  — spent_on, channel, amount: one row per day and channel, sized so that
              revenue / ad spend (ROAS) is about 6;
* roster.csv — employee, role (every manager is a `sales_manager`).

Everything is generated inside DuckDB from range() — no Python loops — and written
with COPY … TO (FORMAT parquet|csv).  Randomness is a hash of (row, seed, purpose)
rather than random()/setseed(): DuckDB's random() runs per thread, so with several
threads the same seed need not give the same rows; a hash does, on any machine
with the same DuckDB version.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from sqlglot import exp

SURNAMES_M = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
              "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров"]
NAMES_M = ["Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл", "Михаил"]
NAMES_F = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Ирина", "Татьяна", "Светлана", "Екатерина", "Юлия"]
CHANNELS = ["seo", "context", "social", "referral", "events"]
DAYS = 365  # 2026


def _list(values: list[str]) -> exp.Expression:
    return exp.Array(expressions=[exp.Literal.string(v) for v in values])


def build_sql(employees: int, rows: int, seed: int) -> dict[str, str]:
    """The SELECT for each table.

    Only integers (checked by argparse) and this file's constant name lists go into
    the text — the lists rendered as literals by SQLGlot; no outside text does."""
    width = len(str(employees))

    # u(key, 'purpose') ∈ [0, 1): deterministic noise for one row and one purpose
    def u(key: str, purpose: str) -> str:
        return f"((hash({key}, {seed}, '{purpose}') % 1000000007)::DOUBLE / 1000000007)"

    def pick(values: list[str], key: str, purpose: str) -> str:
        return (f"{_list(values).sql('duckdb')}[1 + (hash({key}, {seed}, '{purpose}') % {len(values)})::INTEGER]")

    female = f"({u('e', 'sex')} < 0.5)"
    surname_f = f"{pick(SURNAMES_M, 'e', 'surname')} || 'а'"
    name = (f"CASE WHEN {female} THEN {surname_f} || ' ' || {pick(NAMES_F, 'e', 'name')} "
            f"ELSE {pick(SURNAMES_M, 'e', 'surname')} || ' ' || {pick(NAMES_M, 'e', 'name')} END"
            f" || ' (' || lpad(CAST(e + 1 AS VARCHAR), {width}, '0') || ')'")
    staff = f"SELECT e, {name} AS employee, 0.15 + 0.30 * {u('e', 'skill')} AS p_win FROM range({employees}) t(e)"
    def day(table: str) -> str:
        return f"DATE '2026-01-01' + CAST(hash(i, {seed}, '{table} day') % {DAYS} AS INTEGER)"

    def manager(table: str) -> str:
        return f"CAST(hash(i, {seed}, '{table} manager') % {employees} AS BIGINT)"

    # log-normal amounts: median 40 000, Box–Muller from two hashed uniforms
    normal = f"sqrt(-2 * ln(1 - {u('i', 'a1')})) * cos(2 * pi() * {u('i', 'a2')})"
    amount = f"CAST(greatest(1000, round(40000 * exp(0.8 * {normal}), 2)) AS DECIMAL(18,2))"
    status = (f"CASE WHEN {u('i', 'status')} < s.p_win THEN 'won' "
              f"WHEN {u('i', 'status')} < s.p_win + 0.45 THEN 'lost' ELSE 'open' END")
    deals = (f"SELECT i + 1 AS deal_id, {day('deal')} AS created_at, s.employee AS manager, "
             f"'Клиент ' || lpad(CAST(hash(i, {seed}, 'client') % {max(employees * 20, 1)} AS VARCHAR), 7, '0') "
             "AS client, "
             f"{pick(CHANNELS, 'i', 'channel')} AS channel, {amount} AS amount, {status} AS status "
             f"FROM range({rows}) t(i) JOIN ({staff}) s ON s.e = {manager('deal')} ORDER BY i")
    leads = (f"SELECT i + 1 AS lead_id, {day('lead')} AS created_at, s.employee AS manager, "
             f"{pick(CHANNELS, 'i', 'lead channel')} AS channel "
             f"FROM range({round(rows * 1.3)}) t(i) JOIN ({staff}) s ON s.e = {manager('lead')} ORDER BY i")
    # expected revenue ≈ rows × 30 % won × 53 000 mean amount; ROAS ≈ 6
    per_row = rows * 0.30 * 53000 / 6 / (DAYS * len(CHANNELS))
    ads = (f"SELECT DATE '2026-01-01' + CAST(d AS INTEGER) AS spent_on, "
           f"{_list(CHANNELS).sql('duckdb')}[c + 1] AS channel, "
           f"CAST(round({per_row} * (0.5 + {u('d * 10 + c', 'ads')}), 2) AS DECIMAL(18,2)) AS amount "
           f"FROM range({DAYS}) a(d), range({len(CHANNELS)}) b(c) ORDER BY d, c")
    roster = f"SELECT employee, 'sales_manager' AS role FROM ({staff}) ORDER BY e"
    return {"deals": deals, "leads": leads, "ad_spend": ads, "roster": roster}


def generate(out: Path, employees: int, rows: int, seed: int, fmt: str = "parquet", prefix: str = "",
             threads: int | None = None, memory_limit: str | None = None) -> dict[str, Path]:
    """Write the tables into `out`.  With `memory_limit` DuckDB spills (into a folder inside
    `out`, removed afterwards): ordering 100 M generated rows otherwise takes most of the RAM."""
    out.mkdir(parents=True, exist_ok=True)
    spill = Path(tempfile.mkdtemp(prefix=".spill-", dir=out))
    config: dict[str, object] = {"temp_directory": str(spill)}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = int(threads)
    try:
        return _generate(duckdb.connect(config=config), out, employees, rows, seed, fmt, prefix)
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _generate(con: duckdb.DuckDBPyConnection, out: Path, employees: int, rows: int, seed: int, fmt: str,
              prefix: str) -> dict[str, Path]:
    written: dict[str, Path] = {}
    for table, select in build_sql(employees, rows, seed).items():
        kind = "csv" if table == "roster" else fmt
        path = out / f"{prefix}{table}.{kind}"
        options = "FORMAT csv, HEADER true" if kind == "csv" else "FORMAT parquet, COMPRESSION zstd"
        tmp = path.with_name(f".{path.name}.tmp")
        con.execute(f"COPY ({select}) TO {exp.Literal.string(str(tmp)).sql('duckdb')} ({options})")
        tmp.replace(path)  # never leave a half-written file under the real name
        written[table] = path
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000_000, help="deal rows (leads: 1.3×)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--prefix", default="", help="file name prefix, e.g. crm_")
    parser.add_argument("--memory-limit", default=None, help="DuckDB's memory_limit, e.g. 4GB (it spills beyond)")
    args = parser.parse_args(argv)
    if args.employees < 1 or args.rows < 1:
        parser.error("--employees and --rows must be positive")
    start = time.perf_counter()
    written = generate(args.out, args.employees, args.rows, args.seed, args.format, args.prefix,
                       memory_limit=args.memory_limit)
    for path in written.values():
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB", file=sys.stderr)
    print(f"generated in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
