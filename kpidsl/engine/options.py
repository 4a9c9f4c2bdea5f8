"""How one evaluation runs: the options every stage from the data loader to the writers reads.

They live here, below the facade and the engine, so that the engine and the Spark
adapter read them without importing the facade (`kpidsl.api` re-exports them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpidsl.base.progress import Progress


@dataclass
class EvalOptions:
    period: str | None = None  # evaluate only this period (results); all periods still load
    employee: str | None = None  # only this employee
    roster: str | None = None  # a file of (employee, role) rows, adding to the ruleset's
    encoding: str | None = None  # facts files' text encoding (default: detect)
    delimiter: str | None = None  # facts files' CSV delimiter (default: detect)
    locale: str | None = None  # overrides the ruleset's locale
    records: dict[str, str] = field(default_factory=dict)  # records name → file, replacing the ruleset's `file`
    memory_limit: str | None = None  # DuckDB's memory_limit ("2GB"); beyond it DuckDB spills to disk
    threads: int | None = None  # DuckDB's threads (default: every core)
    progress: Progress | None = field(default=None, repr=False, compare=False)  # stages on stderr
    metrics: bool = True  # every fact and metric per period (reports); False: only what the results read
    stream: bool = False  # evaluate_with_facts leaves the outputs in DuckDB (Traced.started) for kpidsl.output.bulk
    # "spark": the plan is scored on Spark (kpidsl.engine.spark), its outputs come back to DuckDB
    engine: str = "duckdb"
    spark_master: str | None = None  # for engine "spark" (default: $KPIDSL_SPARK_MASTER, else local[2])
    import_paths: tuple[str, ...] = ()  # more folders the ruleset's imports may reach (--import-path)
