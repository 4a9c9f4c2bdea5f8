"""Records → facts: aggregated values against a plain-Python computation over the same rows,
bucketing into quarters/months/years, department totals, exactness, errors and injection."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpidsl.base.diagnostics import Span
from kpidsl.data.periods import key_for_date
from kpidsl.engine.records import resolve_files
from kpidsl.engine.records_sql import aggregate_records, records_sql
from kpidsl.language import ast
from kpidsl.language.load import Model, load

Q12 = Decimal("1e-12")

FACTS = '''
records deals "Сделки" {{ file "{file}" date created_at employee manager }}
fact n       = count from deals
fact won     = count from deals where status = "won"
fact revenue = sum amount from deals where status = "won"
fact big     = count from deals where amount >= 100 and not (status = "lost")
fact clients = count distinct client from deals
fact avg_won = avg amount from deals where status = "won"
fact lo      = min amount from deals
fact hi      = max amount from deals where status != "open" or client = "c1"
'''


@dataclass(frozen=True)
class Row:
    created_at: dt.date | None
    manager: str | None
    client: str
    amount: Decimal | None
    status: str


def reference(rows: list[Row], kind: str,
              extra: tuple[str, ...] = ()) -> dict[tuple[str, str | None, str], Decimal | None]:
    """What the facts must be, computed the obvious way in Python."""
    dated = [r for r in rows if r.created_at is not None]
    periods = {key_for_date(r.created_at, kind) for r in dated}  # type: ignore[arg-type]
    people = {r.manager for r in dated if r.manager} | set(extra)
    facts = {
        "n": lambda rs: Decimal(len(rs)),
        "won": lambda rs: Decimal(sum(1 for r in rs if r.status == "won")),
        "revenue": lambda rs: sum((r.amount for r in rs if r.status == "won" and r.amount is not None), Decimal(0)),
        "big": lambda rs: Decimal(sum(1 for r in rs
                                      if r.amount is not None and r.amount >= 100 and r.status != "lost")),
        "clients": lambda rs: Decimal(len({r.client for r in rs})),
        "avg_won": lambda rs: _avg([r.amount for r in rs if r.status == "won" and r.amount is not None]),
        "lo": lambda rs: min((r.amount for r in rs if r.amount is not None), default=None),
        "hi": lambda rs: max((r.amount for r in rs
                              if r.amount is not None and (r.status != "open" or r.client == "c1")), default=None),
    }
    out: dict[tuple[str, str | None, str], Decimal | None] = {}
    for period in periods:
        in_period = [r for r in dated if key_for_date(r.created_at, kind) == period]  # type: ignore[arg-type]
        for person in [None, *people]:
            mine = in_period if person is None else [r for r in in_period if r.manager == person]
            for name, compute in facts.items():
                out[(period, person, name)] = compute(mine)
    return out


def _avg(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    exact = Fraction(sum(values, Decimal(0))) / len(values)
    sign = -1 if exact < 0 else 1
    units = abs(exact) * 10**12
    rounded = int(units) + (1 if units - int(units) >= Fraction(1, 2) else 0)  # half away from zero
    return (Decimal(sign * rounded) * Q12).quantize(Q12)


def computed(con: duckdb.DuckDBPyConnection, table: str) -> dict[tuple[str, str | None, str], Decimal | None]:
    rows = con.execute(f'SELECT period, employee, fact, value FROM "{table}"').fetchall()
    keys = [(p, e, f) for p, e, f, _ in rows]
    assert len(keys) == len(set(keys)), "one row per (period, employee, fact)"
    return {(p, e, f): v for p, e, f, v in rows}


def write_csv(path: Path, rows: list[Row]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["created_at", "manager", "client", "amount", "status"])
        for r in rows:
            w.writerow([r.created_at.isoformat() if r.created_at else "", r.manager or "", r.client,
                        "" if r.amount is None else str(r.amount), r.status])


def write_parquet(path: Path, rows: list[Row]) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (created_at DATE, manager VARCHAR, client VARCHAR, amount DECIMAL(18,2), "
                "status VARCHAR)")
    if rows:
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                        [(r.created_at, r.manager, r.client, r.amount, r.status) for r in rows])
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")


def model_for(tmp: Path, text: str) -> Model:
    ruleset = tmp / "r.kpi"
    ruleset.write_text(text, encoding="utf-8")
    model, diags = load(ruleset)
    assert model is not None and not [d for d in diags if d.is_error], diags
    return model


_examples = itertools.count()
rows_strategy = st.lists(st.builds(
    Row,
    created_at=st.one_of(st.dates(dt.date(2025, 11, 1), dt.date(2027, 2, 28)), st.none()),
    manager=st.sampled_from(["Иванов", "Петрова", "O'Brien", None, "Smith"]),
    client=st.sampled_from(["c1", "c2", "c3", "c4"]),
    amount=st.one_of(st.none(), st.decimals(min_value=-500, max_value=10**7, places=2, allow_nan=False)),
    status=st.sampled_from(["won", "lost", "open"]),
), max_size=40)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, kind=st.sampled_from(["quarter", "month", "year"]), fmt=st.sampled_from(["csv", "parquet"]))
def test_aggregation_matches_python(tmp_path: Path, rows: list[Row], kind: str, fmt: str) -> None:
    folder = tmp_path / f"example-{next(_examples)}"
    folder.mkdir()
    data = folder / f"deals.{fmt}"
    (write_csv if fmt == "csv" else write_parquet)(data, rows)
    model = model_for(folder, f'ruleset "T" {{ period {kind} }}\n' + FACTS.format(file=data.name))
    con = duckdb.connect()
    table, diags = aggregate_records(model, {}, con, employees=["Новиков"])
    assert not [d for d in diags if d.is_error], diags
    expected = reference(rows, kind, extra=("Новиков",))
    if not expected:  # no dated record: nothing to aggregate
        assert table is None or computed(con, table) == {}
        return
    assert table is not None
    assert computed(con, table) == expected


def test_department_totals_and_missing_employees(tmp_path: Path) -> None:
    rows = [Row(dt.date(2026, 7, 1), "A", "c1", Decimal("10.10"), "won"),
            Row(dt.date(2026, 8, 1), "B", "c1", Decimal("20.20"), "won"),
            Row(dt.date(2026, 9, 30), None, "c2", Decimal("5"), "won"),  # no employee: department only
            Row(dt.date(2026, 4, 1), "B", "c3", Decimal("1"), "lost")]
    write_csv(tmp_path / "deals.csv", rows)
    model = model_for(tmp_path, FACTS.format(file="deals.csv"))
    con = duckdb.connect()
    table, _ = aggregate_records(model, {}, con)
    got = computed(con, table)  # type: ignore[arg-type]
    assert got[("2026Q3", None, "revenue")] == Decimal("35.30")
    assert got[("2026Q3", None, "clients")] == 2  # distinct over all records, not 1 + 1 + 1
    assert got[("2026Q3", "A", "revenue")] == Decimal("10.10")
    assert got[("2026Q2", "A", "revenue")] == 0  # A has no deal in Q2: zero, not the department's value
    assert got[("2026Q2", "A", "avg_won")] is None  # … and no average
    assert ("2026Q3", "", "n") not in got


def test_records_without_employee_are_department_only(tmp_path: Path) -> None:
    write_csv(tmp_path / "deals.csv", [Row(dt.date(2026, 1, 5), "A", "c1", Decimal("1"), "won")])
    (tmp_path / "ads.csv").write_text("day,amount\n2026-01-02,100.5\n2026-02-02,0.25\n", encoding="utf-8")
    model = model_for(tmp_path, FACTS.format(file="deals.csv") +
                      'records ads { file "ads.csv" date day }\nfact spend = sum amount from ads\n')
    con = duckdb.connect()
    table, _ = aggregate_records(model, {}, con)
    got = computed(con, table)  # type: ignore[arg-type]
    assert got[("2026Q1", None, "spend")] == Decimal("100.75")
    assert ("2026Q1", "A", "spend") not in got  # no per-employee zero that would hide the department value
    assert got[("2026Q1", "A", "revenue")] == 1


def test_russian_csv_numbers_and_dates(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text(
        "created_at;manager;client;amount;status\n"
        "30.09.2026;A;c1;1\u00a0234,50;won\n"
        "2026-09-01T10:30:00;A;c1;\"2 000,25\";won\n", encoding="utf-8")
    model = model_for(tmp_path, FACTS.format(file="deals.csv"))
    con = duckdb.connect()
    table, diags = aggregate_records(model, {}, con)
    assert not diags
    assert computed(con, table)[("2026Q3", "A", "revenue")] == Decimal("3234.75")  # type: ignore[arg-type]


def test_source_override_wins(tmp_path: Path) -> None:
    write_csv(tmp_path / "deals.csv", [Row(dt.date(2026, 1, 5), "A", "c1", Decimal("1"), "won")])
    other = tmp_path / "other"
    other.mkdir()
    write_parquet(other / "big.parquet", [Row(dt.date(2026, 1, 5), "A", "c1", Decimal("7"), "won")])
    model = model_for(tmp_path, FACTS.format(file="deals.csv"))
    files, diags = resolve_files(model, {"deals": str(other / "big.parquet")})
    assert files == {"deals": str(other / "big.parquet")} and not diags
    con = duckdb.connect()
    table, _ = aggregate_records(model, {"deals": str(other / "big.parquet")}, con)
    assert computed(con, table)[("2026Q1", "A", "revenue")] == 7  # type: ignore[arg-type]


def test_records_sql_runs_and_transpiles(tmp_path: Path) -> None:
    rows = [Row(dt.date(2026, 2, 1), "A", "c1", Decimal("3"), "won"),
            Row(dt.date(2026, 5, 1), "B", "c2", Decimal("4.5"), "won")]
    write_csv(tmp_path / "deals.csv", rows)
    model = model_for(tmp_path, FACTS.format(file="deals.csv"))
    sql, diags = records_sql(model)
    assert sql is not None and not diags
    con = duckdb.connect()
    con.execute(f"CREATE TABLE direct AS {sql}")
    assert computed(con, "direct") == reference(rows, "quarter")
    spark, _ = records_sql(model, {"deals": "crm.sales.deals"}, dialect="spark")
    assert spark is not None and "`crm`.`sales`.`deals`" in spark and "`manager`" in spark
    postgres, _ = records_sql(model, dialect="postgres")
    assert postgres is not None and 'FROM "deals"' in postgres



def test_roster_members_of_roles_seen_in_the_records_get_own_rows(tmp_path: Path) -> None:
    """With a roster table, a member of a role someone in the records has gets zeros (no data for
    an average) even without a single record; a role nobody of whom appears reads the department."""
    rows = [Row(dt.date(2026, 2, 1), "A", "c1", Decimal("3"), "won"),
            Row(dt.date(2026, 5, 1), "X", "c2", Decimal("4.5"), "won")]
    write_csv(tmp_path / "deals.csv", rows)
    model = model_for(tmp_path, FACTS.format(file="deals.csv"))
    con = duckdb.connect()
    con.execute("CREATE TABLE staff (employee VARCHAR, role VARCHAR)")
    con.execute("INSERT INTO staff VALUES ('A', 'rep'), ('N', 'rep'), ('H', 'head')")
    table, diags = aggregate_records(model, {}, con, roster="staff")
    assert not diags
    got = computed(con, table)  # type: ignore[arg-type]
    assert got[("2026Q1", "N", "revenue")] == 0 and got[("2026Q2", "N", "n")] == 0
    assert got[("2026Q1", "N", "avg_won")] is None
    assert not [k for k in got if k[1] == "H"]  # the head reads department values
    assert got[("2026Q2", "X", "revenue")] == Decimal("4.5")  # in the records, not on the roster
    sql, _ = records_sql(model, roster="staff")
    con.execute(f"CREATE TABLE direct AS {sql}")
    assert computed(con, "direct") == got  # kpidsl sql computes the same rows


def test_padded_employee_names_are_trimmed_and_merged(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text("created_at,manager,client,amount,status\n"
                                        "2026-01-05, A ,c1,1,won\n2026-01-06,A,c2,2,won\n2026-01-07,  ,c3,4,won\n",
                                        encoding="utf-8")
    model = model_for(tmp_path, FACTS.format(file="deals.csv"))
    con = duckdb.connect()
    table, _ = aggregate_records(model, {}, con)
    got = computed(con, table)  # type: ignore[arg-type]
    assert got[("2026Q1", "A", "revenue")] == 3 and got[("2026Q1", None, "revenue")] == 7
    assert {k[1] for k in got} == {"A", None}  # the blank manager counts for the department only

# ---------------------------------------------------------------- errors


def run(tmp_path: Path, text: str, overrides: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    model = model_for(tmp_path, text)
    return aggregate_records(model, overrides or {}, duckdb.connect())


def test_missing_file(tmp_path: Path) -> None:
    table, diags = run(tmp_path, FACTS.format(file="nope.csv"))
    assert table is None
    assert [d.code for d in diags] == ["K054"]
    assert "nope.csv" in diags[0].message and isinstance(diags[0].location, Span)
    assert diags[0].location.line == 2  # the records declaration
    table, diags = run(tmp_path, FACTS.format(file="nope.csv"), {"deals": str(tmp_path / "gone.parquet")})
    assert [d.code for d in diags] == ["K054"] and "gone.parquet" in diags[0].message


def test_no_file_and_unknown_source(tmp_path: Path) -> None:
    text = 'records deals { date created_at }\nfact n = count from deals\n'
    _, diags = run(tmp_path, text)
    assert [d.code for d in diags] == ["K053"] and "--source deals=" in (diags[0].hint or "")
    _, diags = run(tmp_path, text, {"deal": "x.csv"})
    assert diags[0].code == "K057" and "did you mean `deals`" in (diags[0].hint or "")


def test_unknown_columns_with_did_you_mean(tmp_path: Path) -> None:
    write_csv(tmp_path / "deals.csv", [Row(dt.date(2026, 1, 5), "A", "c1", Decimal("1"), "won")])
    text = ('records deals { file "deals.csv" date created employee managr }\n'
            'fact r = sum amont from deals where stat = "won"\n')
    _, diags = run(tmp_path, text)
    found = {(d.code, d.message.split("`")[3], d.hint) for d in diags}
    assert found == {("K055", "created", "did you mean `created_at`?"),
                     ("K055", "managr", "did you mean `manager`?"),
                     ("K055", "amont", "did you mean `amount`?"),
                     ("K055", "stat", "did you mean `status`?")}
    spans = sorted((d.location.line, d.location.column) for d in diags)  # type: ignore[union-attr]
    lines = text.splitlines()
    assert spans == [(1, lines[0].index("created ") + 1), (1, lines[0].index("managr") + 1),
                     (2, lines[1].index("amont") + 1), (2, lines[1].index("stat ") + 1)]


def test_bad_dates_and_numbers_name_the_first_bad_row(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text(
        "created_at,manager,client,amount,status\n"
        "2026-01-15,A,c1,10,won\n"
        "2026-02-31,A,c1,x1,won\n"
        ",B,c1,5,won\n"
        "soon,B,c1,12abc,won\n", encoding="utf-8")
    _, diags = run(tmp_path, FACTS.format(file="deals.csv"))
    by_code = {d.code: d for d in diags}
    assert set(by_code) == {"D100", "D102", "D103"}
    assert by_code["D100"].is_error and "2 records" in by_code["D100"].message
    assert (by_code["D100"].location.row, by_code["D100"].location.column) == (3, "created_at")  # type: ignore[union-attr]
    assert "'2026-02-31'" in by_code["D100"].message
    assert (by_code["D102"].location.row, by_code["D102"].location.column) == (3, "amount")  # type: ignore[union-attr]
    assert not by_code["D103"].is_error and by_code["D103"].location.row == 4  # type: ignore[union-attr]


def test_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "deals.parquet").write_bytes(b"this is not parquet")
    _, diags = run(tmp_path, FACTS.format(file="deals.parquet"))
    assert [d.code for d in diags] == ["D101"] and "deals.parquet" in diags[0].message
    (tmp_path / "deals.xlsx").write_bytes(b"PK")
    _, diags = run(tmp_path, FACTS.format(file="deals.xlsx"))
    assert [d.code for d in diags] == ["D101"] and "CSV, Parquet or JSON" in diags[0].message


def test_unsupported_where_and_wrong_types(tmp_path: Path) -> None:
    write_parquet(tmp_path / "deals.parquet", [Row(dt.date(2026, 1, 5), "A", "c1", Decimal("1"), "won")])
    text = ('records deals { file "deals.parquet" date created_at employee manager }\n'
            'fact a = count from deals where max(amount, 1) > 3\n'
            'fact b = count from deals where amount > 1 + 2\n'
            'fact c = sum created_at from deals\n'
            'fact d = count from deals where status\n')
    _, diags = run(tmp_path, text)
    assert [(d.code, d.location.line) for d in diags] == [  # type: ignore[union-attr]
        ("K056", 2), ("K056", 3), ("K056", 4), ("K056", 5)]
    assert "DATE" in diags[2].message


# ---------------------------------------------------------------- injection


def test_where_strings_and_paths_do_not_inject(tmp_path: Path) -> None:
    folder = tmp_path / "o'brien; drop"
    folder.mkdir()
    evil = "won'; DROP TABLE victim; --"
    write_csv(folder / "deals.csv", [Row(dt.date(2026, 1, 5), "A", "c1", Decimal("2"), evil),
                                     Row(dt.date(2026, 1, 6), "A", "c1", Decimal("3"), "won")])
    model = model_for(folder, 'records deals { file "deals.csv" date created_at employee manager }\n'
                              'fact r = sum amount from deals where status = "won\'; DROP TABLE victim; --"\n')
    con = duckdb.connect()
    con.execute("CREATE TABLE victim (x INTEGER)")
    table, diags = aggregate_records(model, {}, con)
    assert not diags
    assert computed(con, table)[("2026Q1", "A", "r")] == 2  # type: ignore[arg-type]
    assert con.execute("SELECT count(*) FROM victim").fetchall() == [(0,)]


def test_column_names_with_quotes_do_not_inject(tmp_path: Path) -> None:
    evil = 'amt"; DROP TABLE victim; --'
    (tmp_path / "deals.csv").write_text(
        f'day,"who","{evil.replace(chr(34), chr(34) * 2)}"\n2026-03-01,A,4\n2026-03-02,A,5\n', encoding="utf-8")
    here = Span(str(tmp_path / "r.kpi"), 1, 1)
    records = ast.Records("deals", None, "deals.csv", ast.Ident("day", here), ast.Ident("who", here), here)
    agg = ast.Aggregation("sum", False, ast.Ident(evil, here), ast.Ident("deals", here), None, here)
    model = Model(file=str(tmp_path / "r.kpi"), records={"deals": records},
                  values={"total": ast.Fact("total", None, None, None, None, agg, here)})
    con = duckdb.connect()
    con.execute("CREATE TABLE victim (x INTEGER)")
    table, diags = aggregate_records(model, {}, con)
    assert not diags
    assert computed(con, table)[("2026Q1", "A", "total")] == 9  # type: ignore[arg-type]
    assert con.execute("SELECT count(*) FROM victim").fetchall() == [(0,)]
    sql, _ = records_sql(model)
    assert '"amt""; DROP TABLE victim; --"' in sql  # type: ignore[operator]
