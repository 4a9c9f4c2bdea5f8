"""Spark engine: the compiled plan's arithmetic runs on Apache Spark (PySpark).

    kpidsl eval RULESET --facts … --engine spark [--spark-master URL]
    run(model, facts, options) → (Results | None, diagnostics)     # options.engine = "spark"

Everything around the plan is the DuckDB engine's own (`engine.start` with
`EvalOptions.engine == "spark"` calls `score` here instead of scoring in DuckDB):
the roster and fact checks, the records stage (records files are aggregated by
DuckDB on the driver), the compiled plan, `assemble` with its explanations, and
the bulk writers.  Only the scoring moves, so every output is the DuckDB
engine's to the kopeck:

1. the plan's inputs — `kpidsl_facts` (facts files and aggregated records) and
   `kpidsl_roster`, as the session's DuckDB holds them — become Spark temporary
   views, sent to the JVM as JSON lines (values as exact decimal text) and parsed by
   Spark's JSON reader, so no Python runs on the executors;
2. `values`, `kpis`, `totals` and `rules` run as the Spark-dialect SQL `kpidsl sql
   --dialect spark` prints (`values`, and `kpis` which `totals` reads, are materialized
   with a local checkpoint and registered as views: a CREATE TABLE would write files
   into the warehouse directory);
3. their rows come back to the driver (decimals as exact `Decimal`s) into the
   session's DuckDB tables (`kpidsl_values`, `kpidsl_out_kpis`, `kpidsl_out_totals`,
   `kpidsl_out_rules`),
   where results and bulk output read them — the `metrics` statement only selects
   values, so it runs there.

The session.  `pyspark` is imported only in this module, and only when the Spark
engine runs.  One SparkSession per process, started on first use:

* master: the `master` argument (`--spark-master`), else the environment variable
  `KPIDSL_SPARK_MASTER`, else — in a process started by `spark-submit` — what
  spark-submit was given, else `local[2]`;
* anything else comes from Spark's own configuration (`spark-defaults.conf` in
  `SPARK_CONF_DIR`, `spark-submit --conf`), as for any PySpark program.

SQL settings the plan needs, set on the session before every run:

* `spark.sql.decimalOperations.allowPrecisionLoss=false`: a product whose exact
  type needs more than 38 digits keeps its scale (and fails if the value does not
  fit) instead of silently dropping fractional digits down to 6; kpidsl's
  fixed-point multiplication (`fixedpoint.mul`) relies on it;
* `spark.sql.ansi.enabled=true` (Spark 4's default): an overflowing sum, product
  or cast raises an error — reported as E040, like DuckDB's out-of-range error —
  instead of becoming NULL;
* `spark.sql.session.timeZone=UTC`, so nothing depends on the driver's zone.

For a local master the UI and the console progress bar are off and shuffles use a
few partitions (the default 200 is made for clusters).  What Spark computes
differently from DuckDB is rewritten in `fixedpoint.for_dialect` (`DIV`, which
returns a BIGINT; TRUNC; unary minus and ABS, which round to 34 digits), so the
printed Spark SQL and this engine compute the same numbers.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any

from kpidsl.base.diagnostics import Diagnostic, error, first_line
from kpidsl.engine import fixedpoint as fp

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from kpidsl.engine.options import EvalOptions
    from kpidsl.engine.session import Session

ENV_MASTER = "KPIDSL_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"
# SQL settings the plan's arithmetic depends on (see the module docstring).
PLAN_SETTINGS = {
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
}
# Settings for a session started here on a local master.
LOCAL_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    # a short-lived local JVM: the quick first-tier JIT starts faster and compiles Spark's
    # large generated code sooner (about a third less time for a small ruleset)
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
}
# Spark's error conditions for a value beyond a decimal type or an integer range.
_OVERFLOW = ("NUMERIC_VALUE_OUT_OF_RANGE", "ARITHMETIC_OVERFLOW", "CAST_OVERFLOW", "DECIMAL_PRECISION_EXCEEDS")

_session: SparkSession | None = None


class SparkUnavailable(Exception):
    """pyspark is not installed, or Spark could not start (no Java, an unreachable master)."""


def available() -> bool:
    """True if pyspark can be imported (Spark may still fail to start, e.g. without Java)."""
    from importlib.util import find_spec

    return find_spec("pyspark") is not None


def chosen_master(master: str | None = None) -> str | None:
    """The master to start a session with; None leaves it to spark-submit."""
    if master:
        return master
    if os.environ.get(ENV_MASTER):
        return os.environ[ENV_MASTER]
    if os.environ.get("PYSPARK_GATEWAY_PORT"):
        return None  # inside spark-submit: its --master applies
    return DEFAULT_MASTER


def session(master: str | None = None) -> SparkSession:
    """The process's SparkSession, started on first use; raises `SparkUnavailable`.

    A session that is already running (a notebook's, spark-submit's, an earlier
    run's) is reused as it is: `master` only applies to a session started here."""
    global _session
    if _session is not None and not _stopped(_session):
        return _session
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkUnavailable(f"pyspark is not installed ({exc})") from None
    url = chosen_master(master)
    builder = SparkSession.builder.appName("kpidsl")
    if url is not None:
        builder = builder.master(url)
    local = url is not None and url.startswith("local")
    for key, value in {**(LOCAL_SETTINGS if local else {}), **PLAN_SETTINGS}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # Java missing, a bad master URL, a cluster that does not answer
        raise SparkUnavailable(first_line(exc)) from None
    # failures become diagnostics carrying Spark's message; the logs would repeat them with stack traces
    spark.sparkContext.setLogLevel("FATAL")
    _quiet_python_loggers()
    _session = spark
    return spark


def _quiet_python_loggers() -> None:
    import logging

    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # an older pyspark logs no query context
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _stopped(spark: SparkSession) -> bool:
    try:
        return spark.sparkContext._jsc is None
    except Exception:
        return True


# ------------------------------------------------------------------ the engine


def score(session: Session, options: EvalOptions) -> bool:
    """Run the session's plan on Spark and leave its outputs in the session's DuckDB, as
    `engine._score` does.  False (with the diagnostic in `session.diagnostics`) on failure."""
    try:
        spark = session_for(options)
    except SparkUnavailable as exc:
        session.diagnostics.append(error(
            "E098", f"the Spark engine cannot start: {exc}", None,
            f"install pyspark (`pip install pyspark`) and a Java 17+ runtime, check --spark-master / {ENV_MASTER}, "
            "or evaluate with --engine duckdb"))
        return False
    failure = execute(session, spark)
    if failure is not None:
        session.diagnostics.append(failure)
        return False
    return True


def session_for(options: EvalOptions) -> SparkSession:
    spark = session(options.spark_master)
    for key, value in PLAN_SETTINGS.items():  # a reused session may have been set otherwise
        spark.conf.set(key, value)
    return spark


def execute(session: Session, spark: SparkSession) -> Diagnostic | None:
    """Inputs from the session's DuckDB to Spark, the plan on Spark, the outputs back."""
    import duckdb
    from pyspark.errors import PySparkException

    from kpidsl.engine.plan import (
        DAYS_TABLE,
        FACTS_TABLE,
        KPIS_TABLE,
        ROSTER_TABLE,
        RULES_TABLE,
        TOTALS_TABLE,
        VALUES_TABLE,
    )

    plan, con = session.plan, session.connection
    inputs = (FACTS_TABLE, ROSTER_TABLE, *((DAYS_TABLE,) if plan.dated else ()))
    try:
        kept = _persistent(spark)
    except Exception as exc:
        return error("E099", f"the evaluation failed inside Spark: {first_line(exc)}", None,
                     "check that the Spark master is reachable")
    try:
        for name in inputs:
            _to_spark(spark, con, name)
        values = fp.for_dialect(plan.statements["values"], "spark").expression  # CREATE TABLE … AS <query>
        # materialized once: kpis and rules read it, and it comes back for `metrics`
        frame = spark.sql(values.sql(dialect="spark", identify=True)).localCheckpoint(eager=True)
        frame.createOrReplaceTempView(VALUES_TABLE)
        if "metrics" in plan.statements:
            _to_duckdb(con, VALUES_TABLE, frame, temporary=False)
        for name, table in (("kpis", KPIS_TABLE), ("totals", TOTALS_TABLE), ("rules", RULES_TABLE)):
            if name in plan.statements:
                output = spark.sql(plan.sql(name, "spark"))
                if name == "kpis" and "totals" in plan.statements:  # totals reads the kpis rows
                    output = output.localCheckpoint(eager=True)
                    output.createOrReplaceTempView(KPIS_TABLE)
                _to_duckdb(con, table, output, temporary=True)
        return None
    except PySparkException as exc:
        return _failure(exc)
    except duckdb.Error:
        raise  # the session's own failure: engine.start reports it
    except Exception as exc:  # py4j: the JVM went away, a cluster lost
        return error("E099", f"the evaluation failed inside Spark: {first_line(exc)}", None,
                     "check that the Spark master is reachable; if it is, this is a bug in kpidsl")
    finally:
        _release(spark, kept, (*inputs, VALUES_TABLE, KPIS_TABLE))


def _release(spark: SparkSession, kept: dict[int, Any], views: tuple[str, ...]) -> None:
    """Drop the run's views and checkpoints (a session may live on, in tests or a notebook)."""
    try:
        for name in views:
            spark.catalog.dropTempView(name)
        persistent = _persistent(spark)
        for rdd in set(persistent) - set(kept):
            persistent[rdd].unpersist(False)
    except Exception:  # a session that died takes its views and blocks with it
        pass


def _persistent(spark: SparkSession) -> dict[int, Any]:
    """The session's persisted RDDs by id (local checkpoints are persisted RDDs)."""
    return {int(k): v for k, v in dict(spark.sparkContext._jsc.getPersistentRDDs()).items()}


def _to_spark(spark: SparkSession, con: Any, table: str) -> DataFrame:
    """A plan input as a Spark temporary view of the same name, read from DuckDB exactly.

    The rows travel to the JVM as JSON lines in one string (decimals as their exact text)
    and Spark's JSON reader parses them, so no Python runs on the executors (a DataFrame
    made from Python rows is unpickled by Python workers, which would need the driver's
    Python version on every executor).  Data never enters SQL text."""
    import json

    from pyspark.sql import DataFrame
    from sqlglot import exp

    from kpidsl.engine.plan import INPUT_COLUMNS

    columns = INPUT_COLUMNS[table]
    names = [c for c, _ in columns]
    decimal = {c for c, t in columns if t.upper().startswith("DECIMAL")}
    query = exp.select(*(exp.cast(exp.column(c, quoted=True), "VARCHAR") if c in decimal
                         else exp.column(c, quoted=True) for c in names)).from_(exp.to_table(table, quoted=True))
    rows = con.execute(query.sql(dialect="duckdb", identify=True)).fetchall()
    jvm = spark._jvm
    assert jvm is not None  # a live session has its gateway to the JVM
    lines = jvm.java.util.ArrayList()
    if rows:  # one JSON object per line: json.dumps escapes every line break inside a value
        text = "\n".join(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) for row in rows)
        lines = jvm.java.util.regex.Pattern.compile("\n").splitAsStream(text).collect(
            jvm.java.util.stream.Collectors.toList())
    schema = ", ".join(exp.ColumnDef(this=exp.to_identifier(c, quoted=True), kind=exp.DataType.build(t))
                       .sql(dialect="spark") for c, t in columns)
    dataset = spark._jsparkSession.createDataset(lines, jvm.org.apache.spark.sql.Encoders.STRING())
    parsed = spark._jsparkSession.read().schema(schema).option("mode", "FAILFAST").json(dataset)
    # checkpointed: the plan reads the facts three times
    frame = DataFrame(parsed, spark).localCheckpoint(eager=True)
    frame.createOrReplaceTempView(table)
    return frame


def _to_duckdb(con: Any, table: str, frame: DataFrame, temporary: bool) -> None:
    """`frame`'s rows into a new DuckDB table with the same columns and types.  Values travel
    in list parameters, decimals as their exact text, never in the SQL."""
    from sqlglot import exp

    fields = frame.schema.fields
    types = [exp.DataType.build(f.dataType.simpleString(), dialect="spark") for f in fields]
    rows = frame.collect()
    defs = [exp.ColumnDef(this=exp.to_identifier(f.name, quoted=True), kind=t)
            for f, t in zip(fields, types, strict=True)]
    create = exp.Create(this=exp.Schema(this=exp.to_table(table, quoted=True), expressions=defs), kind="TABLE",
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None)
    con.execute(create.sql(dialect="duckdb", identify=True))
    if not rows:
        return
    decimal = [t.this == exp.DataType.Type.DECIMAL for t in types]
    lists: list[list[Any]] = [[] for _ in fields]
    for row in rows:
        for i, value in enumerate(row):
            lists[i].append(format(value, "f") if decimal[i] and value is not None else value)
    items = [exp.cast(exp.Unnest(expressions=[exp.Placeholder(this=str(i))]), t.copy())
             for i, t in enumerate(types, start=1)]
    con.execute(exp.insert(exp.select(*items), exp.to_table(table, quoted=True)).sql(dialect="duckdb", identify=True),
                lists)


def _failure(exc: Exception) -> Diagnostic:
    condition = ""
    get_condition = getattr(exc, "getCondition", None)  # Spark's own errors name their error condition
    with contextlib.suppress(Exception):
        condition = (get_condition() if get_condition is not None else None) or ""
    text = first_line(exc)
    if any(condition.startswith(c) or c in text for c in _OVERFLOW):
        return error("E040", f"a value exceeds the exact range (magnitude below 10^26): {text}", None,
                     "check the data's units; products and sums must stay below 10^26")
    return error("E099", f"the evaluation failed inside Spark: {text}", None,
                 "this is a bug in kpidsl; please report it with the ruleset")


