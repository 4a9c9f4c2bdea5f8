"""Do the benchmark's contenders agree?  Run in its own process by benchmarks.run.

    python -m benchmarks.agree duckdb_sql=sql.csv kpidsl=results.parquet kpidsl_json=results.json \
        [--facts duckdb_facts=facts.csv kpidsl_records=records.csv]

The first NAME=FILE is the reference.  Every other contender's total bonus per (period,
employee) must equal it to the kopeck; the two fact files (the records stage alone) must
agree value by value.  Prints one JSON line — how many totals and facts agree, their sum,
the first differences — and exits 1 on any difference.  It runs apart from the runner so
that reading a JSON output of most of a gigabyte never inflates the runner's memory, which
the next contender's peak would inherit (a child's ru_maxrss starts from its parent's).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from decimal import Decimal
from pathlib import Path

CENT = Decimal("0.01")


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


def compare(reference: dict[tuple[str, str], Decimal], other: dict[tuple[str, str], Decimal],
            name: str) -> list[str]:
    problems = []
    for key in sorted(set(reference) | set(other)):
        if reference.get(key) != other.get(key):
            problems.append(f"{name}: {key[0]} {key[1]}: SQL {reference.get(key)} ≠ {other.get(key)}")
    return problems


def totals(name: str, path: Path) -> dict[tuple[str, str], Decimal]:
    if name == "kpidsl" or path.suffix == ".parquet":
        return totals_from_kpidsl_parquet(path)
    if path.suffix == ".json":
        return totals_from_kpidsl_json(path)
    return totals_from_csv(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.agree")
    parser.add_argument("outputs", nargs="+", metavar="NAME=FILE", help="the reference first")
    parser.add_argument("--facts", nargs=2, metavar="NAME=FILE", default=None)
    args = parser.parse_args(argv)
    named = [tuple(item.split("=", 1)) for item in args.outputs]
    reference_name, reference_path = named[0]
    reference = totals(reference_name, Path(reference_path))
    problems: list[str] = []
    for name, path in named[1:]:
        problems += compare(reference, totals(name, Path(path)), name)
    report: dict[str, object] = {"totals": len(reference), "contenders": len(named),
                                 "sum": str(sum(reference.values(), Decimal(0)))}
    if args.facts:
        (_, hand_path), (ours_name, ours_path) = (item.split("=", 1) for item in args.facts)
        hand, ours = facts_from_csv(Path(hand_path)), facts_from_csv(Path(ours_path))
        problems += [f"{ours_name}: {k}: SQL {hand.get(k)} ≠ {ours.get(k)}"
                     for k in sorted(set(hand) | set(ours), key=str) if hand.get(k) != ours.get(k)]
        report["facts"] = len(hand)
    report["differences"] = len(problems)
    report["first_differences"] = problems[:20]
    print(json.dumps(report, ensure_ascii=False))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
