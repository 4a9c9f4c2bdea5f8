"""The scale benchmark: kpidsl against hand-written DuckDB SQL, pandas and two rules engines.

    python -m benchmarks.run --employees 100000 --rows 10000000 --repeat 3
    python -m benchmarks.run --employees 2000 --rows 200000          # a quick run

One process runs everything: it generates the dataset once (benchmarks.generate,
Parquet, cached in --data), then runs each contender in its own subprocess — so
each has a clean peak memory (ru_maxrss from wait4) — `--repeat` times:

* kpidsl      — `kpidsl eval rulesets/crm_showcase.kpi --roster … --source … -o results.parquet`,
                exactly what a user runs, end to end: parse, load, aggregate the records,
                score, write the results table (Parquet);
* kpidsl_json — the same writing JSON (the machine contract, most of a gigabyte at
                100 000 employees);
* duckdb_sql, pandas, zen, rule_engine — see benchmarks.contenders;
* duckdb_facts, kpidsl_records — the records → facts stage alone, hand-written and
  kpidsl's, compared value by value.

Before any time is printed, every contender's total bonus per (period, employee) must
equal the hand-written SQL's to the kopeck; otherwise the run stops with the
differences.  It then prints the median wall time, the ratio to hand-written SQL
and the peak memory, plus the small case: `kpidsl eval` on the seed example
against the bare import cost of its libraries.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOWCASE = ROOT / "rulesets" / "crm_showcase.kpi"
SEED = ROOT / "rulesets" / "seed_marketing.kpi"
SEED_FACTS = ROOT / "rulesets" / "data" / "seed_marketing.csv"
CENT = Decimal("0.01")
FACTS_ONLY = ("duckdb_facts", "kpidsl_records")  # the records stage alone, compared fact by fact


@dataclass
class Measured:
    name: str
    wall: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    phases: list[dict[str, float]] = field(default_factory=list)
    skipped: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.wall)


def run_child(argv: list[str], cwd: Path = ROOT) -> tuple[float, float, int, str, str]:
    """Run one process; its wall time, its own peak RSS in MB, exit code, stdout, stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (wall, usage.ru_maxrss / 1024, child.returncode,
                out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


KPIDSL = ("kpidsl", "kpidsl_json")  # kpidsl eval end to end, writing Parquet / JSON


def kpidsl_command(data: Path, out: Path, memory_limit: str | None = None) -> list[str]:
    fmt = "json" if out.suffix == ".json" else "parquet"
    return [sys.executable, "-m", "kpidsl.cli", "eval", str(SHOWCASE), "--roster", str(data / "roster.csv"),
            "--source", f"deals={data / 'deals.parquet'}", "--source", f"lead_log={data / 'leads.parquet'}",
            "--source", f"ad_costs={data / 'ad_spend.parquet'}", "--format", fmt, "-o", str(out), "--quiet",
            *(["--memory-limit", memory_limit] if memory_limit else [])]


def kpidsl_unavailable() -> str | None:
    """Why the kpidsl contenders cannot run, or None."""
    wall, _, code, out, err = run_child([sys.executable, "-m", "kpidsl.cli", "eval", "--help"])
    if code != 0:
        return f"`kpidsl eval --help` failed: {err.strip()[:200]}"
    for needed in ("--source", "parquet", "--memory-limit"):
        if needed not in out:
            return f"`kpidsl eval` has no {needed} yet"
    return None


def totals_from_kpidsl_parquet(path: Path) -> dict[tuple[str, str], Decimal]:
    """An employee's bonus is the sum of their KPI rows' (rounded) bonuses."""
    import duckdb

    rows = duckdb.connect().execute("SELECT period, employee, CAST(sum(bonus) AS VARCHAR) FROM read_parquet($p) "
                                    "GROUP BY period, employee", {"p": str(path)}).fetchall()
    return {(p, e): Decimal(b).quantize(CENT) for p, e, b in rows}


def totals_from_csv(path: Path) -> dict[tuple[str, str], Decimal]:
    with path.open(encoding="utf-8") as handle:
        return {(r["period"], r["employee"]): Decimal(r["bonus"]).quantize(CENT) for r in csv.DictReader(handle)}


def totals_from_kpidsl_json(path: Path) -> dict[tuple[str, str], Decimal]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {(r["period"], r["employee"]): Decimal(r["bonus"]).quantize(CENT) for r in data["results"]}


def facts_from_csv(path: Path) -> dict[tuple[str, str, str], Decimal | None]:
    with path.open(encoding="utf-8") as handle:
        return {(r["period"], r["employee"], r["fact"]): Decimal(r["value"]).normalize() if r["value"] else None
                for r in csv.DictReader(handle)}


def compare(reference: dict[tuple[str, str], Decimal], other: dict[tuple[str, str], Decimal], name: str) -> list[str]:
    problems = []
    for key in sorted(set(reference) | set(other)):
        if reference.get(key) != other.get(key):
            problems.append(f"{name}: {key[0]} {key[1]}: SQL {reference.get(key)} ≠ {other.get(key)}")
    return problems


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
        mem_gb = f"{int(memory.split()[1]) / 1024 / 1024:.1f} GB"
    except (OSError, StopIteration):
        mem_gb = "unknown"
    import duckdb

    return {"cpus": str(os.cpu_count()), "cpu": cpu, "memory": mem_gb, "python": platform.python_version(),
            "duckdb": duckdb.__version__}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engine-repeat", type=int, default=None,
                        help="runs of the slow per-employee rules engines (default: --repeat)")
    parser.add_argument("--data", type=Path, default=None, help="dataset folder (default: a cache in the temp dir)")
    parser.add_argument("--only", default="kpidsl,kpidsl_json,duckdb_sql,pandas,zen,rule_engine,duckdb_facts,kpidsl_records")
    parser.add_argument("--memory-limit", default=None, help="passed to kpidsl eval --memory-limit")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    data = args.data or Path(tempfile.gettempdir()) / f"kpidsl-bench-{args.employees}-{args.rows}-{args.seed}"
    if not (data / "deals.parquet").exists():
        print(f"generating {args.rows:,} deals for {args.employees:,} employees in {data} …", file=sys.stderr)
        wall, peak, code, _, err = run_child([sys.executable, "-m", "benchmarks.generate", "--employees",
                                              str(args.employees), "--rows", str(args.rows), "--seed", str(args.seed),
                                              "--out", str(data)])
        if code != 0:
            print(err, file=sys.stderr)
            return 1
        print(f"generated in {wall:.1f} s", file=sys.stderr)

    names = [n.strip() for n in args.only.split(",") if n.strip()]
    results: dict[str, Measured] = {n: Measured(n) for n in names}
    if any(n in results for n in KPIDSL):
        why = kpidsl_unavailable()
        for n in KPIDSL:
            if n in results:
                results[n].skipped = why
    outputs = Path(tempfile.mkdtemp(prefix="kpidsl-bench-out-"))
    totals: dict[str, dict[tuple[str, str], Decimal]] = {}
    facts: dict[str, dict[tuple[str, str, str], Decimal | None]] = {}
    for name, measured in results.items():
        if measured.skipped:
            print(f"{name}: skipped — {measured.skipped}", file=sys.stderr)
            continue
        repeat = args.engine_repeat if name in ("zen", "rule_engine") and args.engine_repeat else args.repeat
        for attempt in range(repeat):
            out = outputs / {"kpidsl": "kpidsl.parquet", "kpidsl_json": "kpidsl.json"}.get(name, f"{name}.csv")
            argv_ = (kpidsl_command(data, out, args.memory_limit) if name in KPIDSL else
                     [sys.executable, "-m", "benchmarks.contenders", name, "--data", str(data), "--out", str(out)])
            wall, peak, code, stdout, stderr = run_child(argv_)
            if code != 0:
                print(f"{name} failed (exit {code}):\n{stderr[-2000:]}", file=sys.stderr)
                return 1
            measured.wall.append(wall)
            measured.peak_mb.append(peak)
            if name not in KPIDSL and stdout.strip():
                measured.phases.append(json.loads(stdout.strip().splitlines()[-1]))
            print(f"{name} run {attempt + 1}/{repeat}: {wall:.2f} s, peak {peak:.0f} MB", file=sys.stderr)
            if attempt == 0 and name in FACTS_ONLY:
                facts[name] = facts_from_csv(out)
            elif attempt == 0:
                totals[name] = (totals_from_kpidsl_parquet(out) if name == "kpidsl" else
                                totals_from_kpidsl_json(out) if name == "kpidsl_json" else totals_from_csv(out))
            out.unlink(missing_ok=True)  # a JSON output is most of a gigabyte

    if "duckdb_sql" not in totals or (facts and len(facts) != 2):
        print("the hand-written SQL is the reference: include duckdb_sql (and both or neither of "
              "duckdb_facts, kpidsl_records)", file=sys.stderr)
        return 2
    reference = totals["duckdb_sql"]
    problems = [p for name, t in totals.items() if name != "duckdb_sql" for p in compare(reference, t, name)]
    if len(facts) == 2:  # the records stage alone: every fact value, exactly
        hand, ours = facts["duckdb_facts"], facts["kpidsl_records"]
        problems += [f"kpidsl_records: {k}: SQL {hand.get(k)} ≠ {ours.get(k)}"
                     for k in sorted(set(hand) | set(ours), key=str) if hand.get(k) != ours.get(k)]
    if problems:
        print(f"results disagree ({len(problems)} differences); no times are reported:", file=sys.stderr)
        print("\n".join(problems[:20]), file=sys.stderr)
        return 1
    paid = sum(reference.values(), Decimal(0))
    print(f"\nall {len(totals)} contenders agree on {len(reference):,} (period, employee) totals to the kopeck "
          f"(sum {paid:,.2f} RUB)")
    if len(facts) == 2:
        print(f"the records stage and hand-written SQL agree on all {len(facts['duckdb_facts']):,} fact values")
    print()

    base = results["duckdb_sql"].median
    print(f"{'contender':<14} {'median s':>9} {'× SQL':>7} {'peak MB':>8}  runs  phases (median s)")
    for m in results.values():
        if m.name in FACTS_ONLY:
            continue
        if m.skipped:
            print(f"{m.name:<12} {'—':>9} {'—':>7} {'—':>8}  skipped: {m.skipped}")
            continue
        phases = {k: statistics.median(p[k] for p in m.phases) for k in (m.phases[0] if m.phases else {})}
        shown = ", ".join(f"{k} {v:.2f}" for k, v in phases.items())
        print(f"{m.name:<14} {m.median:9.2f} {m.median / base:7.2f} {max(m.peak_mb):8.0f}  {len(m.wall):>4}  {shown}")
    if len(facts) == 2:
        facts_base = results["duckdb_facts"].median
        print(f"\nthe eight facts alone (records → facts)\n{'contender':<14} {'median s':>9} {'× SQL':>7} {'peak MB':>8}")
        for name in FACTS_ONLY:
            m = results[name]
            phases = {k: statistics.median(p[k] for p in m.phases) for k in (m.phases[0] if m.phases else {})}
            shown = ", ".join(f"{k} {v:.2f}" for k, v in phases.items())
            print(f"{name:<14} {m.median:9.2f} {m.median / facts_base:7.2f} {max(m.peak_mb):8.0f}  {len(m.wall):>4}  {shown}")

    small = small_case(args.repeat)
    print("\nsmall case (seed example, end to end):")
    for label, value in small.items():
        print(f"  {label:<46} {value}")

    if args.json:
        args.json.write_text(json.dumps({
            "machine": machine(), "employees": args.employees, "rows": args.rows, "seed": args.seed,
            "command": " ".join(["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])]),
            "kpidsl_command": " ".join(kpidsl_command(data, Path("results.parquet"), args.memory_limit)[1:]),
            "agreeing_totals": len(reference),
            "contenders": {m.name: {"skipped": m.skipped} if m.skipped else {
                "median_s": m.median, "runs_s": m.wall, "peak_mb": max(m.peak_mb), "ratio_to_sql": m.median / base,
                "phases": m.phases} for m in results.values()},
            "small_case": small}, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


def small_case(repeat: int) -> dict[str, str]:
    """`kpidsl eval` on the seed example vs `python -c "import duckdb, sqlglot, lark, jinja2, click"`."""
    imports = [run_child([sys.executable, "-c", "import duckdb, sqlglot, lark, jinja2, click"])[0]
               for _ in range(max(repeat, 3))]
    out = Path(tempfile.mkdtemp(prefix="kpidsl-small-")) / "seed.json"
    evals, failure = [], None
    for _ in range(max(repeat, 3)):
        wall, _, code, _, err = run_child([sys.executable, "-m", "kpidsl.cli", "eval", str(SEED), "--facts",
                                           str(SEED_FACTS), "--format", "json", "-o", str(out)])
        if code != 0:
            failure = err.strip().splitlines()[-1] if err.strip() else f"exit {code}"
            break
        evals.append(wall)
    result = {"bare imports (duckdb, sqlglot, lark, jinja2, click)": f"{statistics.median(imports):.3f} s"}
    if failure:
        result["kpidsl eval seed_marketing.kpi"] = f"not measured: {failure[:120]}"
    else:
        result["kpidsl eval seed_marketing.kpi"] = (f"{statistics.median(evals):.3f} s "
                                                     f"({statistics.median(evals) - statistics.median(imports):+.3f} s)")
    return result


if __name__ == "__main__":
    sys.exit(main())
