"""Property: the engine's numbers equal an independent reference, to the kopeck.

Hypothesis generates a ruleset (metrics with random formulas, a random scheme, KPI
lines with random weights, targets, planned bonuses and quality conditions) and
fact values (department level, per-employee overrides, zeros, gaps), runs it
through the engine, and recomputes everything here under the language's rules:
arithmetic on data rounds every + − × ÷ half away from zero to 12 decimals (plain
`decimal`); arithmetic whose operands are all constants (numbers written in the
ruleset, the line's weight, target and planned bonus, and expressions over them)
is exact (`fractions.Fraction`) and rounded to 12 decimals once, where the constant
meets data or is reported; NULL for missing data and zero divisors; bonuses rounded
half away from zero to kopecks; totals as sums of rounded bonuses.  Index,
attainment, status and every bonus must be exactly equal.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction
from typing import Any

from helpers_engine import evaluate, facts, model_from
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

D = Decimal
Q12 = D("1e-12")
LIMIT = D(10) ** 20  # keep examples far from the documented 10^26 range
FACTS = ("a", "b", "c")
PERIODS = ("2026Q1", "2026Q2")
EMPLOYEES = ("E1", "E2")
SPECIAL = [D("0.5"), D("1000.01"), D("0.005"), D("0.0000005"), D("0.000000000005"), D("1.0000005"), D("-0.5"), D(0)]


# ------------------------------------------------------------------ the reference


class Overflow(Exception):
    pass


def q(x: Decimal) -> Decimal:
    with localcontext(Context(prec=100)):
        r = x.quantize(Q12, rounding=ROUND_HALF_UP)
    if abs(r) >= LIMIT:
        raise Overflow
    return r


# A value is a Fraction while it is a constant (exact), a Decimal once it depends on data
# (12 decimals), a bool for a condition, None for no value.


def round_fraction(x: Fraction, digits: int) -> Fraction:
    """Half away from zero to `digits` decimals, exactly: floor(|x|·10^d + ½) · 10^-d, signed."""
    shifted = abs(x) * Fraction(10) ** digits
    whole = (2 * shifted.numerator + shifted.denominator) // (2 * shifted.denominator)
    return (-1 if x < 0 else 1) * Fraction(whole) / Fraction(10) ** digits


def meets_data(v: Any) -> Any:
    """A constant where it meets data (a SQL literal): rounded to 12 decimals, once."""
    if isinstance(v, Fraction):
        r = round_fraction(v, 12)
        with localcontext(Context(prec=100)):
            return q(Decimal(r.numerator) / Decimal(r.denominator))  # a terminating decimal: exact
    return v


def arith(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, Fraction) and isinstance(b, Fraction):  # constants: exact
        if op == "/":
            return None if b == 0 else a / b
        return a + b if op == "+" else a - b if op == "-" else a * b
    a, b = meets_data(a), meets_data(b)
    with localcontext(Context(prec=100)):
        if op == "+":
            return q(a + b)
        if op == "-":
            return q(a - b)
        if op == "*":
            return q(a * b)
        if b != 0 and abs(b) >= D(10) ** 13:  # beyond the documented exact range: not tested here
            raise Overflow
        return None if b == 0 else q(a / b)


def compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    a, b = meets_data(a), meets_data(b)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "=": a == b, "!=": a != b}[op]


def call(fn: str, args: list[Any], digits: int) -> Any:
    if any(a is None for a in args):
        return None
    if all(isinstance(a, Fraction) for a in args):  # constants: exact
        if fn == "round":
            return round_fraction(args[0], digits)
        return min(args) if fn == "min" else max(args) if fn == "max" else abs(args[0])
    args = [meets_data(a) for a in args]
    if fn == "min":
        return min(args)
    if fn == "max":
        return max(args)
    if fn == "abs":
        return abs(args[0])
    return q(args[0].quantize(D(1).scaleb(-digits), rounding=ROUND_HALF_UP))  # round


class Reference:
    def __init__(self, metrics: dict[str, Any], data: dict[tuple[str, str | None, str], Decimal]) -> None:
        self.metrics, self.data = metrics, data

    def value(self, name: str, period: str, employee: str, local: dict[str, Any]) -> Any:
        if name in local:
            return local[name]
        if name in self.metrics:  # a metric is a column: data, even if its formula is constant
            return meets_data(self.eval(self.metrics[name][0], period, employee, {}))
        if period not in PERIODS:
            return None
        own = self.data.get((period, employee, name))
        return own if own is not None else self.data.get((period, None, name))

    def eval(self, e: tuple, period: str, employee: str, local: dict[str, Any]) -> Any:  # type: ignore[type-arg]
        kind = e[0]
        if kind == "num":
            return Fraction(e[1])
        if kind == "name":
            return self.value(e[1], period, employee, local)
        if kind == "prev":
            earlier = {"2026Q2": "2026Q1"}.get(period, "2025Q4")
            return self.value(e[1], earlier, employee, {})
        if kind == "op":
            return arith(e[1], self.eval(e[2], period, employee, local), self.eval(e[3], period, employee, local))
        if kind == "cmp":
            return compare(e[1], self.eval(e[2], period, employee, local), self.eval(e[3], period, employee, local))
        if kind == "and":
            a, b = self.eval(e[1], period, employee, local), self.eval(e[2], period, employee, local)
            return False if a is False or b is False else None if a is None or b is None else True
        if kind == "call":
            return call(e[1], [self.eval(a, period, employee, local) for a in e[2]], e[3])
        if kind == "if":  # a choice made per row: the result is data
            c = self.eval(e[1], period, employee, local)
            return None if c is None else meets_data(self.eval(e[2] if c else e[3], period, employee, local))
        if kind == "scale":
            x = meets_data(self.eval(e[1], period, employee, local))
            if x is None:
                return None
            for bound, v in e[2]:
                if x < q(bound):
                    return meets_data(self.eval(v, period, employee, local))
            return meets_data(self.eval(e[3], period, employee, local))
        raise AssertionError(e)


# ------------------------------------------------------------------ printing the ruleset


def text(e: tuple) -> str:  # type: ignore[type-arg]
    kind = e[0]
    if kind == "num":
        return f"({format(e[1], 'f')})" if e[1] < 0 else format(e[1], "f")
    if kind == "name":
        return e[1]
    if kind == "prev":
        return f"prev({e[1]})"
    if kind in ("op", "cmp"):
        return f"({text(e[2])} {e[1]} {text(e[3])})"
    if kind == "and":
        return f"({text(e[1])} and {text(e[2])})"
    if kind == "call":
        args = ", ".join(text(a) for a in e[2])
        return f"round({args}, {e[3]})" if e[1] == "round" else f"{e[1]}({args})"
    if kind == "if":
        return f"(if {text(e[1])} then {text(e[2])} else {text(e[3])})"
    if kind == "scale":
        rows = " ".join(f"below {format(b, 'f')} -> {text(v)}" for b, v in e[2])
        return f"scale {text(e[1])} {{ {rows} else -> {text(e[3])} }}"
    raise AssertionError(e)


# ------------------------------------------------------------------ strategies

numbers = st.one_of(st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
                    st.sampled_from(SPECIAL))
positive = st.decimals(min_value=D("0.01"), max_value=1000, places=2)


@st.composite
def expressions(draw, names: tuple[str, ...], depth: int = 3, series: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    leaf = st.one_of(st.tuples(st.just("num"), numbers), st.tuples(st.just("name"), st.sampled_from(names)))
    if series:
        leaf = st.one_of(leaf, st.tuples(st.just("prev"), st.sampled_from(series)))
    if depth == 0:
        return draw(leaf)
    sub = expressions(names, depth - 1, series)
    choice = draw(st.integers(0, 9))
    if choice <= 2:
        return draw(leaf)
    if choice <= 6:
        return ("op", draw(st.sampled_from("+-*/")), draw(sub), draw(sub))
    if choice == 7:
        fn = draw(st.sampled_from(["min", "max", "abs", "round"]))
        if fn in ("min", "max"):
            return ("call", fn, (draw(sub), draw(sub)), 0)
        return ("call", fn, (draw(sub),), draw(st.integers(0, 3)))
    if choice == 8:
        return ("if", ("cmp", draw(st.sampled_from(["<", ">=", "="])), draw(sub), draw(sub)), draw(sub), draw(sub))
    bounds = sorted(draw(st.lists(st.decimals(min_value=-2, max_value=2, places=2),
                                  min_size=1, max_size=3, unique=True)))
    return ("scale", draw(sub), tuple((b, draw(sub)) for b in bounds), draw(sub))


@st.composite
def scenarios(draw):  # type: ignore[no-untyped-def]
    metrics = {
        "m1": (draw(expressions(FACTS, 2, FACTS)), draw(st.booleans())),
        "m2": (draw(expressions((*FACTS, "m1"), 2)), draw(st.booleans())),
    }
    scoring = ("weight", "attainment", "fact", "target", "plan_bonus")
    index = draw(st.one_of(st.just(("op", "*", ("name", "weight"), ("name", "attainment"))),
                           expressions(scoring, 2)))
    default_bonus = ("op", "*", ("name", "plan_bonus"),
                     ("op", "-", ("op", "+", ("num", D(1)), ("name", "index")), ("name", "weight")))
    bonus = draw(st.one_of(st.just(default_bonus), st.just(("op", "*", ("name", "plan_bonus"), ("num", D("0.5")))),
                           expressions((*scoring, "index"), 2)))
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        gate = None
        if draw(st.booleans()):
            gate = ("cmp", draw(st.sampled_from(["<", ">=", "!="])),
                    ("name", draw(st.sampled_from(["m1", "a", "attainment"]))), ("num", draw(numbers)))
        lines.append({
            "indicator": draw(st.sampled_from(["a", "b", "m1", "m2"])),
            "weight": draw(st.decimals(min_value=D("0.05"), max_value=1, places=2)),
            "target": draw(st.one_of(positive, st.sampled_from([D(0), D("0.333"), D(-5)]))),
            "bonus": draw(st.one_of(positive.map(lambda x: x * 10),
                                    st.sampled_from([D("1000.01"), D("0.01"), D("333.33")]))),
            "gate": gate,
        })
    data: dict[tuple[str, str | None, str], Decimal] = {}
    for period in PERIODS:
        for fact in FACTS:
            value = draw(st.one_of(numbers, st.none()))
            if value is not None:
                data[(period, None, fact)] = value
            if draw(st.integers(0, 3)) == 0:
                data[(period, "E1", fact)] = draw(numbers)
    return metrics, index, bonus, lines, data


def ruleset(metrics: dict[str, Any], index: tuple, bonus: tuple, lines: list[dict[str, Any]]) -> str:  # type: ignore[type-arg]
    out = ['ruleset "property" { currency RUB period quarter }']
    out += [f"fact {f}" for f in FACTS]
    for name, (formula, lower) in metrics.items():
        out.append(f"metric {name} = {text(formula)}" + (" better lower" if lower else ""))
    out.append(f"scheme s {{ index = {text(index)}  bonus = {text(bonus)} }}")
    out.append('role r "R" { scheme s')
    for line in lines:
        out.append(f"  kpi {line['indicator']} weight {line['weight']} target {format(line['target'], 'f')} "
                   f"bonus {line['bonus']}" + (f" require {text(line['gate'])}" if line["gate"] else ""))
    out.append("}")
    out += [f'employee "{e}" role r' for e in EMPLOYEES]
    return "\n".join(out) + "\n"


def money(x: Decimal) -> Decimal:
    return x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def expected(ref: Reference, metrics: dict[str, Any], index: tuple, bonus: tuple, line: dict[str, Any],  # type: ignore[type-arg]
             period: str, employee: str) -> dict[str, Any]:
    name = line["indicator"]
    lower = name in metrics and metrics[name][1]
    fact = ref.value(name, period, employee, {})
    # the line's settings are constants: exact inside the scheme, rounded where they meet data
    target, weight, plan = Fraction(line["target"]), Fraction(line["weight"]), Fraction(line["bonus"])
    attainment = arith("/", target, fact) if lower else arith("/", fact, target)
    local = {"weight": weight, "fact": fact, "target": target, "attainment": attainment, "plan_bonus": plan}
    local["index"] = ref.eval(index, period, employee, local)
    raw = ref.eval(bonus, period, employee, local)
    gate = ref.eval(line["gate"], period, employee, local) if line["gate"] else True
    if any(v is None for v in (fact, attainment, local["index"], raw)):
        status = "no_data"
    elif gate is not True:
        status = "gated"
    else:
        status = "met" if attainment >= 1 else "missed"
    paid = money(meets_data(raw)) if status in ("met", "missed") else D("0.00")
    return {"status": status, "bonus": paid, "index": meets_data(local["index"]), "attainment": attainment,
            "fact": fact}


HALF_KOPECK = ({"m1": (("name", "a"), False), "m2": (("name", "b"), False)},
               ("op", "*", ("name", "weight"), ("name", "attainment")),
               ("op", "*", ("name", "plan_bonus"), ("num", D("0.5"))),
               [{"indicator": "a", "weight": D("1"), "target": D("1"), "bonus": D("1000.01"), "gate": None},
                {"indicator": "b", "weight": D("0.5"), "target": D("3"), "bonus": D("0.01"), "gate": None}],
               {("2026Q1", None, "a"): D(2), ("2026Q1", None, "b"): D(1), ("2026Q2", None, "a"): D("0.0000005"),
                ("2026Q2", "E1", "b"): D(-3)})


def _third() -> tuple:  # type: ignore[type-arg]
    return ("op", "/", ("num", D(1)), ("num", D(3)))


# Constant subtrees whose exact value differs from step-by-step rounding: 1/3 + 1/3 meets
# data as 0.666666666667 (not 0.666666666666), (weight / 3) × 3 is the weight itself, and
# plan_bonus × (2/3) × 1.5 is exactly the planned bonus.
THIRDS = ({"m1": (("op", "*", ("name", "a"), ("op", "+", _third(), _third())), False),
           "m2": (("op", "-", ("name", "m1"), ("op", "*", _third(), ("num", D(3)))), True)},
          ("op", "*", ("op", "*", ("op", "/", ("name", "weight"), ("num", D(3))), ("num", D(3))),
           ("name", "attainment")),
          ("op", "*", ("name", "plan_bonus"),
           ("op", "*", ("op", "/", ("num", D(2)), ("num", D(3))), ("num", D("1.5")))),
          [{"indicator": "m1", "weight": D("0.7"), "target": D("0.333"), "bonus": D("1000.01"), "gate": None},
           {"indicator": "m2", "weight": D("0.3"), "target": D(2), "bonus": D("333.33"),
            "gate": ("cmp", ">=", ("name", "m1"), ("num", D("0.5")))}],
          {("2026Q1", None, "a"): D(3), ("2026Q2", None, "a"): D("1.5"), ("2026Q2", "E1", "a"): D("0.001")})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
@example(HALF_KOPECK)
@example(THIRDS)
def test_engine_matches_decimal_reference(scenario) -> None:  # type: ignore[no-untyped-def]
    metrics, index, bonus, lines, data = scenario
    ref = Reference(metrics, data)
    try:
        want = {(p, e, i): expected(ref, metrics, index, bonus, line, p, e)
                for p in PERIODS for e in EMPLOYEES for i, line in enumerate(lines)}
    except Overflow:
        assume(False)
    present = {p for (p, _, _) in data}
    model = model_from(ruleset(metrics, index, bonus, lines), "property.kpi")
    results, _ = evaluate(model, facts(*[(p, e, f, v) for (p, e, f), v in data.items()]))
    assert results.periods == sorted(present)
    for r in results.results:
        total = D("0.00")
        for i, got in enumerate(r.kpis):
            w = want[(r.period, r.employee, i)]
            assert (got.status, got.bonus) == (w["status"], w["bonus"]), (r.period, r.employee, i, got, w)
            assert got.index == w["index"] and got.attainment == w["attainment"] and got.fact == w["fact"]
            assert got.bonus.as_tuple().exponent == -2
            total += w["bonus"]
        assert r.bonus == total
    assert len(results.results) == len(present) * len(EMPLOYEES)


# ------------------------------------------------------------------ the SQL arithmetic alone, over the whole range

def _magnitudes(max_exp: int):  # type: ignore[no-untyped-def]
    """Decimals with up to 12 fractional digits, spread over many orders of magnitude."""
    return st.builds(lambda digits, shift, sign: sign * D(digits).scaleb(-shift),
                     st.integers(0, 10 ** 26), st.integers(0, 26), st.sampled_from([1, -1])) \
        .map(lambda x: x.quantize(Q12, rounding=ROUND_HALF_UP, context=Context(prec=100))) \
        .filter(lambda x: abs(x) < D(10) ** max_exp)


def _ref_div(a: Decimal, b: Decimal) -> Decimal | None:
    if b == 0 or abs(b) >= D(10) ** 13:
        return None
    with localcontext(Context(prec=100)):
        r = (a / b).quantize(Q12, rounding=ROUND_HALF_UP)
    return None if abs(r) >= D(10) ** 26 - 1 else r


def _ref_mul(a: Decimal, b: Decimal) -> Decimal:
    with localcontext(Context(prec=100)):
        return (a * b).quantize(Q12, rounding=ROUND_HALF_UP)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(_magnitudes(26), _magnitudes(26)), min_size=1, max_size=150))
def test_sql_division_and_multiplication_are_exact(pairs) -> None:  # type: ignore[no-untyped-def]
    import duckdb
    from sqlglot import exp

    from kpidsl.engine import fixedpoint as fp

    pairs = [(a, b) for a, b in pairs] + [(D("1000.01"), D("0.5")), (D("-0.000000000001"), D(2)), (D(1), D(3))]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, a DECIMAL(38, 12), b DECIMAL(38, 12))")
    con.execute("INSERT INTO t SELECT unnest($1), unnest($2)::DECIMAL(38, 12), unnest($3)::DECIMAL(38, 12)",
                [list(range(len(pairs))), [str(a) for a, _ in pairs], [str(b) for _, b in pairs]])
    a, b = exp.column("a"), exp.column("b")
    small = [i for i, (x, y) in enumerate(pairs) if abs(_ref_mul(x, y)) < D(10) ** 26]
    query = exp.select("i", fp.div(a, b).as_("q"),
                       exp.Case(ifs=[exp.If(this=exp.column("i").isin(*small), true=fp.mul(a, b))]).as_("p")
                       if small else exp.Null().as_("p")).from_("t").order_by("i")
    for i, q, p in con.execute(query.sql(dialect="duckdb")).fetchall():
        x, y = pairs[i]
        assert q == _ref_div(x, y), (x, y, q)
        if i in small:
            assert p == _ref_mul(x, y), (x, y, p)
    for x, y in pairs[:20]:  # a known constant takes another path through the SQL
        row = con.execute(
            "SELECT " + ", ".join(e.sql(dialect="duckdb") for e in (
                fp.mul(a, fp.literal(y), None, y) if abs(_ref_mul(x, y)) < D(10) ** 26 else exp.Null(),
                fp.div(a, fp.literal(y), b_const=y), fp.div(fp.literal(x), b, a_const=x)))
            + " FROM t WHERE a = CAST($1 AS DECIMAL(38, 12)) AND b = CAST($2 AS DECIMAL(38, 12)) LIMIT 1",
            [str(x), str(y)]).fetchall()[0]
        if abs(_ref_mul(x, y)) < D(10) ** 26:
            assert row[0] == _ref_mul(x, y), (x, y, row[0])
        assert row[1] == _ref_div(x, y) and row[2] == _ref_div(x, y), (x, y, row)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-D(10) ** 25, max_value=D(10) ** 25, places=30, allow_nan=False, allow_infinity=False),
       st.integers(-3, 12))
def test_constants_round_half_away_from_zero_like_decimal(x: Decimal, digits: int) -> None:
    from kpidsl.language import constants

    with localcontext(Context(prec=100)):
        want = x.quantize(D(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    assert constants.rounded(Fraction(x), digits) == want
    assert constants.round_exact(Fraction(x), digits) == Fraction(want)
