"""Start-up: `kpidsl eval` and `kpidsl check` on the seed example against the bare import of
the libraries each one loads, measured in the same run, pair by pair.

    python -m benchmarks.startup            # 7 pairs each
    python -m benchmarks.startup --pairs 15

The baseline is `python -c "import <libraries>"`: the libraries each command's work needs,
as the targets define them (check: lark and click; eval: DuckDB, SQLGlot, lark, click and
Babel), together with any other third-party package a probe finds the command importing
in-process.  A command that skips a library on a warm run (a cached AST needs no lark) is
still measured against the libraries its work needs, so a cache cannot move the target.  Each pair
runs the baseline and the command back to back, so a machine that slows down slows
both; the ratio quoted is the median of the pairs' ratios.  Targets (docs/performance.md):
eval ≤ 1.5 × its libraries, check ≤ 1.5 × its libraries.  Exit status 0 whatever the
figures (a measurement, not a test); `--strict` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "rulesets" / "seed_marketing.kpi"
SEED_FACTS = ROOT / "rulesets" / "data" / "seed_marketing.csv"
TARGET = 1.5
KNOWN = ("duckdb", "sqlglot", "lark", "click", "babel", "jinja2", "markupsafe", "openpyxl", "pyspark")
PROBE = """
import sys
from kpidsl.cli.main import cli
try:
    cli.main(args=sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print("\\n" + ",".join(sorted(m for m in {known!r} if m in sys.modules)), file=sys.stderr)
"""


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}")
    return elapsed


def libraries(args: list[str]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(known=KNOWN), *args], cwd=ROOT,
                          capture_output=True, text=True)
    return [m for m in done.stderr.strip().splitlines()[-1].split(",") if m]


NEEDS = {"eval": ("duckdb", "sqlglot", "lark", "click", "babel"), "check": ("lark", "click")}


def measure(name: str, args: list[str], pairs: int) -> dict[str, object]:
    libs = sorted({*NEEDS[name], *libraries(args)})
    baseline = [sys.executable, "-c", "import " + ", ".join(libs)]
    command = [sys.executable, "-m", "kpidsl", *args]
    wall(baseline), wall(command)  # warm the file cache (and the per-user parser cache)
    times = [(wall(baseline), wall(command)) for _ in range(pairs)]
    ratio = statistics.median(c / b for b, c in times)
    return {"command": f"kpidsl {' '.join(args)}", "libraries": libs,
            "baseline_s": round(statistics.median(b for b, _ in times), 3),
            "command_s": round(statistics.median(c for _, c in times), 3),
            "ratio": round(ratio, 2), "target": TARGET, "met": ratio <= TARGET, "name": name}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="kpidsl-startup-")) / "seed.json"
    cases = [measure("eval", ["eval", str(SEED), "--facts", str(SEED_FACTS), "--format", "json", "-o", str(out)],
                     options.pairs),
             measure("check", ["check", str(SEED)], options.pairs)]
    for c in cases:
        print(f"{c['name']:5}  {c['command_s']:.3f} s vs import {', '.join(c['libraries'])} {c['baseline_s']:.3f} s: "
              f"{c['ratio']:.2f}x (target {TARGET}x: {'met' if c['met'] else 'not met'})")
    if options.json:
        options.json.write_text(json.dumps(cases, indent=2) + "\n", encoding="utf-8")
    return 1 if options.strict and not all(c["met"] for c in cases) else 0


if __name__ == "__main__":
    sys.exit(main())
