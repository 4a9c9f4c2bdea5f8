"""Bulk JSON and CSV text, laid out by DuckDB itself.

For 100 000 employees the JSON is most of a gigabyte; fetching 1.2 million KPI rows
into Python tuples and formatting them there takes longer than the whole
evaluation.  So DuckDB writes the text: one string per employee result (JSON) or
per KPI row (CSV), in output order, in chunks of employees, and Python only copies
the strings to the output.  The text is byte for byte what `export.render_json` /
`export.render_csv` write (the tests compare them):

* numbers as `kpidsl.output.cells` writes them (`json_number`, `csv_number`): the
  exact decimal text without trailing zeros, an integral value as an integer
  (DECIMAL(38,12) prints with no exponent), by the SQL twins below; money as the
  decimal text with the currency's minor digits;
* strings are encoded in Python by `cells.json_text` and `cells.csv_text` — the
  ruleset's texts once per KPI line, the people's names once per person — and only
  concatenated in SQL;
* the CSV's status, gates and actions cells, which depend on the row, are quoted and
  neutralised in SQL by the same rules (`cells.FORMULA_PATTERN`, `CSV_SPECIAL_PATTERN`).

`usable` says whether the kpis rows have the decimal types this relies on;
otherwise bulk_python.py formats in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import reduce
from typing import TYPE_CHECKING, BinaryIO

from sqlglot import exp

from kpidsl.engine.plan import BULK_PEOPLE_TEXT, BULK_PERIOD_TEXT, BULK_ROWS, BULK_TOTALS, KPIS_TABLE, table
from kpidsl.output.bulk_rows import of_lines
from kpidsl.output.cells import (
    CSV_BOM,
    CSV_LINE_END,
    CSV_SPECIAL_PATTERN,
    FORMULA_PATTERN,
    csv_line,
    csv_number,
    csv_text,
    json_number,
    json_text,
    json_value,
)
from kpidsl.output.export import CSV_COLUMNS, GATE_STATES

if TYPE_CHECKING:
    from kpidsl.engine.plan import LinePlan
    from kpidsl.engine.session import Session

CHUNK = 25_000  # employees per query: DuckDB holds one chunk's text at a time
_DECIMAL = "DECIMAL(38,12)"


def _lit(text: str) -> exp.Expr:
    return exp.Literal.string(text)


def _col(name: str, table: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=True), table=exp.to_identifier(table, quoted=True))


def _cat(*parts: exp.Expr | str) -> exp.Expr:
    """parts joined with ||; plain strings become literals (adjacent ones are merged)."""
    merged: list[exp.Expr | str] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    items = [_lit(p) if isinstance(p, str) else p for p in merged]
    if len(items) == 1:
        return items[0]
    # one concat(…) builds the string once; a || b || c … copies it at every step.  concat
    # reads NULL as empty, so every part here is a value that is never NULL.
    return exp.Anonymous(this="concat", expressions=items)


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _case(ifs: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in ifs], default=default) if ifs else default


def _by_line(plan_lines: list[LinePlan], build: Callable[[LinePlan], exp.Expr | None],
             default: exp.Expr) -> exp.Expr:
    """CASE over the KPI line: `build(line)` for each line it gives a value for, else `default`."""
    ifs: list[tuple[exp.Expr, exp.Expr]] = []
    for line in plan_lines:
        value = build(line)
        if value is not None:
            ifs.append((exp.EQ(this=_col("line", "k"), expression=exp.Literal.number(line.id)), value))
    return _case(ifs, default)


def usable(session: Session) -> bool:
    """Are the kpis outputs the DECIMAL columns this module formats?"""

    describe = exp.Describe(this=exp.Table(this=exp.to_identifier(KPIS_TABLE, quoted=True)))
    types = {r[0]: r[1] for r in session.connection.execute(describe.sql(dialect="duckdb")).fetchall()}
    numbers = ("weight", "baseline", "target", "fact", "attainment", "index", "deviation")
    money = f"DECIMAL(38,{session.plan.minor_digits})"
    return all(types.get(n) == _DECIMAL for n in numbers) and \
        all(types.get(n) == money for n in ("plan_bonus", "bonus"))


# ------------------------------------------------------------------ encoded names


def encode_names(session: Session) -> None:
    """The wanted periods' and people's names encoded for JSON and CSV, as temporary tables."""
    from kpidsl.output.bulk_tables import temp_table, wanted_grid

    periods, people = wanted_grid(session)
    titles = {name: role.title or name for name, role in session.model.roles.items()}
    roles = {r: (json_text(r), csv_text(r), csv_text(titles[r])) for _, r in people}
    temp_table(session, BULK_PERIOD_TEXT, {"pos": list(range(len(periods))), "pj": [json_text(p) for p in periods],
                                           "pc": [csv_text(p) for p in periods]})
    temp_table(session, BULK_PEOPLE_TEXT, {
        "pos": list(range(len(people))), "ej": [json_text(e) for e, _ in people],
        "rj": [roles[r][0] for _, r in people], "ec": [csv_text(e) for e, _ in people],
        "rc": [roles[r][1] for _, r in people], "tc": [roles[r][2] for _, r in people]})


# ------------------------------------------------------------------ SQL pieces


# The SQL twins of kpidsl.output.cells: the same rules, for the DECIMAL(38,12) text DuckDB
# writes (always with a point, never an exponent, never `-0`), their constants taken from
# the Python side.  tests/test_eval_cli.py checks them against it.


def plain_sql(x: exp.Expr) -> exp.Expr:
    """`base.numbers.plain` of a non-NULL DECIMAL(38,12) column: an integral value as the
    integer (cast through HUGEINT: faster than trimming its twelve zeros), any other with
    its trailing zeros dropped."""
    integral = exp.EQ(this=x.copy(), expression=exp.Trunc(this=x.copy()))
    return _case([(integral, exp.cast(exp.cast(x.copy(), "HUGEINT"), "VARCHAR"))],
                 _fn("rtrim", exp.cast(x.copy(), "VARCHAR"), _lit("0")))


def json_number_sql(x: exp.Expr) -> exp.Expr:
    """`cells.json_number`: `null`, or the decimal digit for digit."""
    return _case([(x.copy().is_(exp.null()), _lit(json_number(None)))], plain_sql(x))


def csv_number_sql(x: exp.Expr) -> exp.Expr:
    """`cells.csv_number`: empty, or the decimal digit for digit."""
    return _case([(x.copy().is_(exp.null()), _lit(csv_number(None)))], plain_sql(x))


def _json_bool(x: exp.Expr) -> exp.Expr:
    """`cells.json_value` of a boolean or NULL."""
    return _case([(x.copy().is_(exp.null()), _lit(json_value(None))), (x.copy(), _lit(json_value(True)))],
                 _lit(json_value(False)))


def _money_text(name: str, zero: str) -> exp.Expr:
    return exp.Coalesce(this=exp.cast(_col(name, "k"), "VARCHAR"), expressions=[_lit(zero)])


def csv_text_sql(text: exp.Column) -> exp.Expr:
    """`cells.csv_text`: neutralise, then quote (`text` is a column: it is read several times)."""
    dangerous = _fn("regexp_matches", text.copy(), _lit(FORMULA_PATTERN))
    neutral = _case([(dangerous, _cat("'", text.copy()))], text.copy())
    special = _fn("regexp_matches", text.copy(), _lit(CSV_SPECIAL_PATTERN))  # neutralising adds none of these
    quoted = _cat('"', _fn("replace", neutral.copy(), _lit('"'), _lit('""')), '"')
    return _case([(special, quoted)], neutral)


def _fired_actions(line: LinePlan) -> list[tuple[exp.Expr, str]]:
    return [(exp.EQ(this=_col(f"action_{j}", "k"), expression=exp.true()), text)
            for j, text in enumerate(line.actions, start=1)]


# ------------------------------------------------------------------ JSON


def _kpi_json(session: Session) -> exp.Expr:
    """One KPI object, as render_json lays it out inside an employee's `kpis` list."""
    plan = session.plan
    zero = f"{0:.{plan.minor_digits}f}"
    pad = " " * 10

    def head(line: LinePlan) -> exp.Expr:
        return _lit(f'        {{\n{pad}"kpi": {json_text(line.kpi)},\n'
                    f'{pad}"title": {json_text(line.title)},\n'
                    f'{pad}"better": {json_text(line.better)},\n')

    def gates(line: LinePlan) -> exp.Expr | None:
        if not line.gates:
            return None
        items: list[exp.Expr | str] = []
        for j, text in enumerate(line.gates, start=1):
            items += [",\n" if j > 1 else "", f'            {{\n              "condition": {json_text(text)},\n'
                      '              "passed": ', _json_bool(_col(f"gate_{j}", "k")), "\n            }"]
        return _cat("[\n", *items, f"\n{pad}]")

    def actions(line: LinePlan) -> exp.Expr | None:
        fired = _fired_actions(line)
        if not fired:
            return None
        listed = _fn("concat_ws", _lit(",\n"), *[
            _case([(cond, _lit(f"            {json_text(text)}"))], exp.null()) for cond, text in fired])
        return _case([(reduce(exp.or_, [c for c, _ in fired]), _cat("[\n", listed, f"\n{pad}]"))], _lit("[]"))

    weight = _case([(_col("weight", "k").is_(exp.null()), _lit("0"))], json_number_sql(_col("weight", "k")))
    return _cat(
        _by_line(plan.lines, head, _lit("")),
        f'{pad}"weight": ', weight, f',\n{pad}"baseline": ', json_number_sql(_col("baseline", "k")),
        f',\n{pad}"target": ', json_number_sql(_col("target", "k")),
        f',\n{pad}"fact": ', json_number_sql(_col("fact", "k")),
        f',\n{pad}"attainment": ', json_number_sql(_col("attainment", "k")),
        f',\n{pad}"index": ', json_number_sql(_col("index", "k")), f',\n{pad}"index_plan": ', weight.copy(),
        f',\n{pad}"deviation": ', json_number_sql(_col("deviation", "k")),
        f',\n{pad}"plan_bonus": "', _money_text("plan_bonus", zero), f'",\n{pad}"bonus": "', _money_text("bonus", zero),
        f'",\n{pad}"status": "', _col("status", "k"), f'",\n{pad}"gates": ', _by_line(plan.lines, gates, _lit("[]")),
        f',\n{pad}"actions": ', _by_line(plan.lines, actions, _lit("[]")), "\n        }")


def _role_gates_json(session: Session) -> exp.Expr:
    plan = session.plan
    ifs = []
    for role, ids in plan.variant_lines().items():
        texts = plan.role_gates[role]
        if not texts:
            continue
        items: list[exp.Expr | str] = []
        for j, text in enumerate(texts, start=1):
            items += [",\n" if j > 1 else "", f'        {{\n          "condition": {json_text(text)},\n'
                      '          "passed": ', _json_bool(_col(f"role_gate_{j}", "k")), "\n        }"]
        ifs.append((of_lines(ids), _cat("[\n", *items, "\n      ]")))
    return _case(ifs, _lit("[]"))


def _chunk_filter() -> exp.Expr:
    """One period ($1) and a range of roster positions ($2 … $3): the query is planned once."""
    def param(i: int) -> exp.Expr:
        return exp.cast(exp.Placeholder(this=str(i)), "INTEGER")

    return exp.and_(exp.EQ(this=_col("ppos", "k"), expression=param(1)),
                    exp.Between(this=_col("epos", "k"), low=param(2), high=param(3)))


def json_query(session: Session) -> exp.Select:
    """The employee results of one period and a range of roster positions (parameters), as
    JSON fragments in order: (starts an employee?, text).  An employee's KPI rows are
    consecutive and its role's lines are known, so the first line's fragment opens the
    employee object and the last one closes it (with the role's gates and the totals);
    an employee without KPI rows is one fragment.  Grouping in SQL instead costs more
    than the whole evaluation."""

    plan = session.plan
    zero = f"{0:.{plan.minor_digits}f}"
    lines_of: dict[str, list[int]] = {}
    for plan_line in plan.lines:
        lines_of.setdefault(plan_line.plan_role, []).append(plan_line.id)
    firsts = [ids[0] for ids in lines_of.values()]
    lasts = [ids[-1] for ids in lines_of.values()]
    line = _col("line", "k")
    head = _cat('    {\n      "period": ', _col("pj", "p"), ',\n      "employee": ', _col("ej", "e"),
                ',\n      "role": ', _col("rj", "e"), ',\n      "kpis": ')

    def total(name: str) -> exp.Expr:
        return exp.Coalesce(this=exp.cast(_col(name, "t"), "VARCHAR"), expressions=[_lit(zero)])

    tail = _cat(',\n      "gates": ', _role_gates_json(session),
                ',\n      "index": ', json_number_sql(_col("index", "t")),
                ',\n      "index_plan": ', json_number_sql(_col("index_plan", "t")),
                ',\n      "payout": ',
                exp.Coalesce(this=_fn("to_json", _col("payout", "t")), expressions=[_lit("null")]),
                ',\n      "plan_bonus": "', total("plan_bonus"), '",\n      "bonus": "', total("bonus"), '"\n    }')
    is_first = exp.In(this=line.copy(), expressions=[exp.Literal.number(i) for i in firsts]) if firsts else exp.false()
    is_last = exp.In(this=line.copy(), expressions=[exp.Literal.number(i) for i in lasts]) if lasts else exp.false()
    fragment = _cat(_case([(is_first, _cat(head, "[\n"))], _lit("")), _kpi_json(session),
                    _case([(is_last, _cat("\n      ]", tail))], _lit(",\n")))
    empty = _cat(head.copy(), '[],\n      "gates": [],\n      "index": null,\n      "index_plan": 0,'
                 '\n      "payout": null,\n      "plan_bonus": "', zero, '",\n      "bonus": "', zero, '"\n    }')
    no_kpis = line.copy().is_(exp.null())
    starts = exp.or_(no_kpis.copy(), is_first.copy())
    text = _case([(no_kpis, empty)], fragment)
    on = exp.and_(exp.EQ(this=_col("ppos", "t"), expression=_col("ppos", "k")),
                  exp.EQ(this=_col("epos", "t"), expression=_col("epos", "k")))
    return (_named(exp.select(starts, text)).join(table(BULK_TOTALS, "t"), on=on, join_type="left")
            .where(_chunk_filter()).order_by(_col("epos", "k"), _col("line", "k")))


def _named(select: exp.Select) -> exp.Select:
    """The sorted rows (as "k") with the encoded names of their period ("p") and person ("e")."""

    return (select.from_(table(BULK_ROWS, "k"))
            .join(table(BULK_PERIOD_TEXT, "p"), on=exp.EQ(this=_col("pos", "p"), expression=_col("ppos", "k")))
            .join(table(BULK_PEOPLE_TEXT, "e"), on=exp.EQ(this=_col("pos", "e"), expression=_col("epos", "k"))))


def _chunks(session: Session) -> Iterator[tuple[int, int, int]]:
    from kpidsl.output.bulk_tables import wanted_grid

    periods, people = wanted_grid(session)
    for p in range(len(periods)):
        for first in range(0, len(people), CHUNK):
            yield p, first, min(first + CHUNK, len(people)) - 1


def make_totals(session: Session) -> None:
    """Each (period, person)'s plan bonus, bonus, total index, planned total and payout, as the
    engine's totals gave them (BULK_TOTALS: one row per position pair)."""
    from kpidsl.output.bulk_rows import TOTALS

    totals = (exp.select(_col("ppos", "k"), _col("epos", "k"),
                         *(exp.alias_(exp.Max(this=_col(f"t_{n}", "k")), n, quoted=True) for n in TOTALS))
              .from_(table(BULK_ROWS, "k")).group_by(_col("ppos", "k"), _col("epos", "k")))
    session.connection.execute(exp.Create(this=table(BULK_TOTALS), kind="TABLE", replace=True, expression=totals,
                                          properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
                               .sql(dialect="duckdb"))


def json_employees(session: Session) -> Iterator[str]:
    """Each employee result's JSON text, in output order."""

    encode_names(session)
    make_totals(session)
    query = json_query(session).sql(dialect="duckdb", copy=False)
    pending: list[str] = []
    for chunk in _chunks(session):
        result = session.connection.execute(query, list(chunk))
        while True:
            rows = result.fetchmany(20_000)
            if not rows:
                break
            for starts, text in rows:
                if starts and pending:
                    yield "".join(pending)
                    pending = []
                pending.append(text)
    if pending:
        yield "".join(pending)


# ------------------------------------------------------------------ CSV


def csv_query(session: Session) -> exp.Select:
    """One CSV line (with its \\r\\n) per KPI row of one period and a range of roster positions
    (parameters)."""
    plan = session.plan
    zero = f"{0:.{plan.minor_digits}f}"

    def fixed(line: LinePlan) -> exp.Expr:
        return _lit(",".join(csv_text(c) for c in (line.kpi, line.title, line.better, line.unit or "", line.kind))
                    + ",")

    def gate_state(column: exp.Expr) -> exp.Expr:
        """`export.GATE_STATES` of a gate column."""
        return _case([(column.copy().is_(exp.null()), _lit(GATE_STATES[None]))] +
                     [(exp.EQ(this=column.copy(), expression=exp.true() if passed else exp.false()),
                       _lit(GATE_STATES[passed])) for passed in (True, False)], _lit(GATE_STATES[None]))

    def gates(line: LinePlan) -> exp.Expr:
        parts: list[exp.Expr | str] = []
        for j, text in enumerate(plan.role_gates.get(line.plan_role, ()), start=1):
            parts += ["\n" if parts else "", f"role: {text}: ", gate_state(_col(f"role_gate_{j}", "k"))]
        for j, text in enumerate(line.gates, start=1):
            parts += ["\n" if parts else "", f"{text}: ", gate_state(_col(f"gate_{j}", "k"))]
        return _cat(*parts) if parts else _lit("")

    def actions(line: LinePlan) -> exp.Expr | None:
        fired = _fired_actions(line)
        if not fired:
            return None
        return exp.Coalesce(this=_fn("concat_ws", _lit("\n"), *[_case([(c, _lit(t))], exp.null()) for c, t in fired]),
                            expressions=[_lit("")])

    weight = _case([(_col("weight", "k").is_(exp.null()), _lit("0"))], csv_number_sql(_col("weight", "k")))
    numbers: list[exp.Expr | str] = [weight]
    for name in ("baseline", "target", "fact", "attainment", "index"):
        numbers += [",", csv_number_sql(_col(name, "k"))]
    numbers += [",", weight.copy(), ",", csv_number_sql(_col("deviation", "k")), ",", _money_text("plan_bonus", zero),
                ",", _money_text("bonus", zero), ","]
    head = _cat(_col("pc", "p"), ",", _col("ec", "e"), ",", _col("rc", "e"), ",", _col("tc", "e"), ",",
                _by_line(plan.lines, fixed, _lit(",,,,,")), *numbers)
    cells = (_named(exp.select(
        exp.alias_(head, "head", quoted=True), exp.alias_(_col("status", "k"), "status", quoted=True),
        exp.alias_(_by_line(plan.lines, gates, _lit("")), "gates", quoted=True),
        exp.alias_(_by_line(plan.lines, actions, _lit("")), "actions", quoted=True),
        exp.alias_(_col("epos", "k"), "pos", quoted=True), exp.alias_(_col("line", "k"), "line", quoted=True),
        exp.alias_(csv_number_sql(_col("index", "t")), "total_index", quoted=True),
        exp.alias_(csv_number_sql(_col("index_plan", "t")), "total_index_plan", quoted=True),
        exp.alias_(exp.Coalesce(this=exp.cast(_col("plan_bonus", "t"), "VARCHAR"), expressions=[_lit(zero)]),
                   "total_plan_bonus", quoted=True),
        exp.alias_(exp.Coalesce(this=exp.cast(_col("bonus", "t"), "VARCHAR"), expressions=[_lit(zero)]),
                   "total_bonus", quoted=True),
        # a payout's status is a plain word (paid, gated, no_data): nothing to neutralise or quote
        exp.alias_(exp.Coalesce(this=_col("payout", "t"), expressions=[_lit("")]), "payout", quoted=True)))
        .join(table(BULK_TOTALS, "t"), on=exp.and_(exp.EQ(this=_col("ppos", "t"), expression=_col("ppos", "k")),
                                                   exp.EQ(this=_col("epos", "t"), expression=_col("epos", "k"))),
              join_type="left")
        .where(exp.and_(_chunk_filter(), exp.not_(_col("line", "k").is_(exp.null())))))
    text = _cat(_col("head", "c"), csv_text_sql(_col("status", "c")), ",", csv_text_sql(_col("gates", "c")), ",",
                csv_text_sql(_col("actions", "c")), ",", _col("total_index", "c"), ",", _col("total_index_plan", "c"),
                ",", _col("total_plan_bonus", "c"), ",", _col("total_bonus", "c"), ",", _col("payout", "c"),
                CSV_LINE_END)
    return (exp.select(text).from_(exp.alias_(exp.Subquery(this=cells), "c", quoted=True))
            .order_by(_col("pos", "c"), _col("line", "c")))


def write_csv(session: Session, out: BinaryIO) -> None:
    """`render_csv(results)`, laid out by DuckDB."""
    encode_names(session)
    make_totals(session)
    out.write(CSV_BOM + csv_line(CSV_COLUMNS).encode("utf-8"))
    query = csv_query(session).sql(dialect="duckdb", copy=False)
    for chunk in _chunks(session):
        result = session.connection.execute(query, list(chunk))
        while True:
            rows = result.fetchmany(20_000)
            if not rows:
                break
            out.write("".join(r[0] for r in rows).encode("utf-8"))
