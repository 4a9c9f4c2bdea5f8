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
differences.  The outputs are compared at the end, in a process of their own
(benchmarks.agree), so the runner stays small: a child's peak memory (ru_maxrss) starts
from its parent's size, and a runner that had read a JSON output of a gigabyte would pass
that on to every later contender.  It then prints the median wall time, the ratio to hand-written SQL
and the peak memory, plus the small case: `kpidsl eval` on the seed example
against the bare import cost of its libraries.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
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
FACTS_ONLY = ("duckdb_facts", "kpidsl_records")  # the records stage alone, compared fact by fact


@dataclass
class Measured:
    name: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds of the process and its threads
    peak_mb: list[float] = field(default_factory=list)
    phases: list[dict[str, float]] = field(default_factory=list)
    skipped: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)


LAST_CPU: list[float] = []  # the CPU seconds of the last run_child (kept apart to leave its signature)


def run_child(argv: list[str], cwd: Path = ROOT) -> tuple[float, float, int, str, str]:
    """Run one process; its wall time, its own peak RSS in MB, exit code, stdout, stderr.
    Its CPU time (user + system, all threads) is left in LAST_CPU."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        LAST_CPU[:] = [usage.ru_utime + usage.ru_stime]
        out.seek(0)
        err.seek(0)
        return (wall, usage.ru_maxrss / 1024, child.returncode,
                out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


KPIDSL = ("kpidsl", "kpidsl_json")  # kpidsl eval end to end, writing Parquet / JSON


def kpidsl_command(data: Path, out: Path, memory_limit: str | None = None) -> list[str]:
    fmt = "json" if out.suffix == ".json" else "parquet"
    return [sys.executable, "-m", "kpidsl", "eval", str(SHOWCASE), "--roster", str(data / "roster.csv"),
            "--source", f"deals={data / 'deals.parquet'}", "--source", f"lead_log={data / 'leads.parquet'}",
            "--source", f"ad_costs={data / 'ad_spend.parquet'}", "--format", fmt, "-o", str(out), "--quiet",
            *(["--memory-limit", memory_limit] if memory_limit else [])]


def kpidsl_unavailable() -> str | None:
    """Why the kpidsl contenders cannot run, or None."""
    _, _, code, out, err = run_child([sys.executable, "-m", "kpidsl", "eval", "--help"])
    if code != 0:
        return f"`kpidsl eval --help` failed: {err.strip()[:200]}"
    for needed in ("--source", "parquet", "--memory-limit"):
        if needed not in out:
            return f"`kpidsl eval` has no {needed} yet"
    return None


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(row for row in Path("/proc/meminfo").read_text().splitlines() if row.startswith("MemTotal"))
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
    parser.add_argument("--only",
                        default="kpidsl,kpidsl_json,duckdb_sql,pandas,zen,rule_engine,duckdb_facts,kpidsl_records")
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
    kept: dict[str, Path] = {}  # each contender's first output, compared at the end (benchmarks.agree)
    for name, measured in results.items():
        if measured.skipped:
            print(f"{name}: skipped — {measured.skipped}", file=sys.stderr)
            continue
        repeat = args.engine_repeat if name in ("zen", "rule_engine") and args.engine_repeat else args.repeat
        for attempt in range(repeat):
            suffix = {"kpidsl": ".parquet", "kpidsl_json": ".json"}.get(name, ".csv")
            out = outputs / f"{name}-{attempt}{suffix}"
            argv_ = (kpidsl_command(data, out, args.memory_limit) if name in KPIDSL else
                     [sys.executable, "-m", "benchmarks.contenders", name, "--data", str(data), "--out", str(out)])
            wall, peak, code, stdout, stderr = run_child(argv_)
            if code != 0:
                print(f"{name} failed (exit {code}):\n{stderr[-2000:]}", file=sys.stderr)
                return 1
            measured.wall.append(wall)
            measured.cpu.append(LAST_CPU[0])
            measured.peak_mb.append(peak)
            if name not in KPIDSL and stdout.strip():
                measured.phases.append(json.loads(stdout.strip().splitlines()[-1]))
            print(f"{name} run {attempt + 1}/{repeat}: {wall:.2f} s, cpu {LAST_CPU[0]:.2f} s, peak {peak:.0f} MB",
                  file=sys.stderr)
            if attempt == 0:
                kept[name] = out
            else:
                out.unlink(missing_ok=True)  # a JSON output is most of a gigabyte

    facts_given = [n for n in FACTS_ONLY if n in kept]
    if "duckdb_sql" not in kept or len(facts_given) == 1:
        print("the hand-written SQL is the reference: include duckdb_sql (and both or neither of "
              "duckdb_facts, kpidsl_records)", file=sys.stderr)
        return 2
    scoring = ["duckdb_sql", *(n for n in kept if n not in FACTS_ONLY and n != "duckdb_sql")]
    agree_argv = [sys.executable, "-m", "benchmarks.agree", *(f"{n}={kept[n]}" for n in scoring)]
    if facts_given:
        agree_argv += ["--facts", *(f"{n}={kept[n]}" for n in FACTS_ONLY)]
    _, _, code, stdout, stderr = run_child(agree_argv)
    if code not in (0, 1) or not stdout.strip():
        shutil.rmtree(outputs, ignore_errors=True)
        print(f"comparing the outputs failed:\n{stderr[-2000:]}", file=sys.stderr)
        return 1
    verdict = json.loads(stdout.strip().splitlines()[-1])
    shutil.rmtree(outputs, ignore_errors=True)  # the outputs were only kept to be compared (JSON: most of a GB)
    if verdict["differences"]:
        print(f"results disagree ({verdict['differences']} differences); no times are reported:", file=sys.stderr)
        print("\n".join(verdict["first_differences"]), file=sys.stderr)
        return 1
    print(f"\nall {verdict['contenders']} contenders agree on {verdict['totals']:,} (period, employee) totals to "
          f"the kopeck (sum {Decimal(verdict['sum']):,.2f} RUB)")
    if "facts" in verdict:
        print(f"the records stage and hand-written SQL agree on all {verdict['facts']:,} fact values")
    print()

    base, base_cpu = results["duckdb_sql"].median, results["duckdb_sql"].median_cpu
    print(f"{'contender':<14} {'median s':>9} {'× SQL':>7} {'cpu s':>7} {'× SQL':>7} {'peak MB':>8}  runs  "
          "phases (median s)")
    for m in results.values():
        if m.name in FACTS_ONLY:
            continue
        if m.skipped:
            print(f"{m.name:<12} {'—':>9} {'—':>7} {'—':>8}  skipped: {m.skipped}")
            continue
        phases = {k: statistics.median(p[k] for p in m.phases) for k in (m.phases[0] if m.phases else {})}
        shown = ", ".join(f"{k} {v:.2f}" for k, v in phases.items())
        print(f"{m.name:<14} {m.median:9.2f} {m.median / base:7.2f} {m.median_cpu:7.2f} {m.median_cpu / base_cpu:7.2f} "
              f"{max(m.peak_mb):8.0f}  {len(m.wall):>4}  {shown}")
    if len(facts_given) == 2:
        facts_base = results["duckdb_facts"].median
        print("\nthe eight facts alone (records → facts)\n"
              f"{'contender':<14} {'median s':>9} {'× SQL':>7} {'peak MB':>8}")
        for name in FACTS_ONLY:
            m = results[name]
            phases = {k: statistics.median(p[k] for p in m.phases) for k in (m.phases[0] if m.phases else {})}
            shown = ", ".join(f"{k} {v:.2f}" for k, v in phases.items())
            print(f"{name:<14} {m.median:9.2f} {m.median / facts_base:7.2f} {max(m.peak_mb):8.0f}  "
                  f"{len(m.wall):>4}  {shown}")

    small = small_case(args.repeat)
    print("\nsmall case (seed example, end to end):")
    for label, value in small.items():
        print(f"  {label:<46} {value}")

    if args.json:
        args.json.write_text(json.dumps({
            "machine": machine(), "employees": args.employees, "rows": args.rows, "seed": args.seed,
            "command": " ".join(["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])]),
            "kpidsl_command": " ".join(kpidsl_command(data, Path("results.parquet"), args.memory_limit)[1:]),
            "agreeing_totals": verdict["totals"], "agreeing_facts": verdict.get("facts"),
            "contenders": {m.name: {"skipped": m.skipped} if m.skipped else {
                "median_s": m.median, "runs_s": m.wall, "peak_mb": max(m.peak_mb), "ratio_to_sql": m.median / base,
                "median_cpu_s": m.median_cpu, "cpu_s": m.cpu, "cpu_ratio_to_sql": m.median_cpu / base_cpu,
                "peaks_mb": m.peak_mb,
                "phases": m.phases} for m in results.values()},
            "small_case": small}, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


def small_case(repeat: int) -> dict[str, str]:
    """`kpidsl eval` on the seed example vs `python -c "import duckdb, sqlglot, lark, jinja2, click"`."""
    imports = [run_child([sys.executable, "-c", "import duckdb, sqlglot, lark, jinja2, click"])[0]
               for _ in range(max(repeat, 3))]
    folder = Path(tempfile.mkdtemp(prefix="kpidsl-small-"))
    out = folder / "seed.json"
    evals, failure = [], None
    for _ in range(max(repeat, 3)):
        wall, _, code, _, err = run_child([sys.executable, "-m", "kpidsl", "eval", str(SEED), "--facts",
                                           str(SEED_FACTS), "--format", "json", "-o", str(out)])
        if code != 0:
            failure = err.strip().splitlines()[-1] if err.strip() else f"exit {code}"
            break
        evals.append(wall)
    shutil.rmtree(folder, ignore_errors=True)
    result = {"bare imports (duckdb, sqlglot, lark, jinja2, click)": f"{statistics.median(imports):.3f} s"}
    if failure:
        result["kpidsl eval seed_marketing.kpi"] = f"not measured: {failure[:120]}"
    else:
        over_import = statistics.median(evals) - statistics.median(imports)
        result["kpidsl eval seed_marketing.kpi"] = f"{statistics.median(evals):.3f} s ({over_import:+.3f} s)"
    return result


if __name__ == "__main__":
    sys.exit(main())
