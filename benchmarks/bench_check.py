"""Time `kpidsl check` on a generated 10 000-line ruleset (a benchmark, not a unit test).

Prints the median of several runs of the whole check (read → parse → load →
check → lints) and, measured in the same run for scale, the median of a bare
parse of the same text.  Both wall-clock and CPU time are shown: the machine is
shared, and CPU time is the steadier figure.  Target: under 2 s.

    python benchmarks/bench_check.py [LINES] [RUNS]
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_ruleset import generate

from kpidsl.api import check_file
from kpidsl.language.parse import parse

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\d[\d_.]*%?|[^\W\d]\w*|->|[<>=!]=|\S')


def medians(step: Callable[[], object], runs: int) -> tuple[float, float]:
    """(wall, cpu) medians in seconds."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        step()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus)


def main(lines: int = 10_000, runs: int = 5) -> None:
    text = generate(lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.kpi"
        path.write_text(text, encoding="utf-8")
        checked = check_file(path)  # warm-up: builds the parser once
        if checked.diagnostics:
            raise SystemExit(f"the generated ruleset is not clean: {checked.diagnostics[0].message}")
        parse_wall, parse_cpu = medians(lambda: parse(text, str(path)), runs)
        check_wall, check_cpu = medians(lambda: check_file(path), runs)
    n_lines, n_tokens = text.count("\n"), len(_TOKEN.findall(text))
    values = len(checked.model.values) if checked.model else 0
    print(f"ruleset: {n_lines} lines, {n_tokens} tokens ({n_tokens / n_lines:.1f} per line), {values} values")
    print(f"bare parse    median of {runs}: wall {parse_wall:.3f} s, cpu {parse_cpu:.3f} s")
    print(f"kpidsl check  median of {runs}: wall {check_wall:.3f} s, cpu {check_cpu:.3f} s "
          f"({check_cpu / parse_cpu:.2f} × bare parse)")
    print(f"target: under 2 s — {'met' if check_cpu < 2 else 'NOT met'} (cpu)")


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:3]])
