"""Exact decimal fixed-point arithmetic, in Python and as SQL expressions.

The language's numbers are decimals with 12 fractional digits: the result of
every `+ - * /` is rounded half away from zero to 12 decimals, and money is then
rounded half away from zero to the currency's minor unit.  This module is the one
place that knows how; the compiler builds every arithmetic node through it.

Values are `DECIMAL(38, 12)` in SQL, so every value must stay below 10^26 in
magnitude.  DuckDB's decimal arithmetic is exact for `+` and `-`, but `×` widens
the scale to 24 (overflowing above 10^14) and `÷` returns a binary DOUBLE — so:

* multiplication splits each factor into its integer and fractional parts,
  `x·y = xi·y + xf·yi + round12(xf·yf)`: the first two products are exact at
  scale 12, the last is below 1 in magnitude.  Every term has the sign of the
  product, so rounding only the last term rounds the whole product correctly.
  Exact for every product below 10^26.  (A known constant is split in Python.)
* division works on scaled integers (value × 10^12; HUGEINT in DuckDB,
  DECIMAL(38, 0) elsewhere): with A = |a|·10^12 and B = |b|·10^12,
  `|a ÷ b| = A div B + ((2·(A mod B)·10^12 + B) div 2B) · 10^-12` — the integer
  part plus twelve fractional digits rounded half up — and the sign last.  All
  integer operations see non-negative operands, so floor and truncating division
  agree on every engine.  The intermediate `2·(A mod B)·10^12 + B` stays below
  10^38 because the divisor is below 10^13.  A zero, NULL or too large divisor,
  or a quotient of 10^26 or more, gives NULL (the engine reports why).

Magnitude limits, in short: every value < 10^26 (facts beyond are rejected with
E005); every divisor < 10^13 (else NULL, E022); every quotient < 10^26 (else NULL,
E022); every sum and product < 10^26 (else the evaluation stops with E040).

`for_dialect` rewrites the few constructs whose meaning differs between engines
(HUGEINT, integer division, TRUNC, BigQuery's decimal types) before SQLGlot
generates SQL for another engine.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Context, Decimal

from sqlglot import exp

SCALE = 12
QUANTUM = Decimal(1).scaleb(-SCALE)
MAX_VALUE = Decimal(10) ** 26  # exclusive bound of DECIMAL(38, 12)
MAX_DIVISOR = Decimal(10) ** 13  # exclusive bound of a divisor's magnitude
_K = 10**SCALE
_MAX_QUOTIENT_INT = 10**26 - 1  # integer part of a quotient must stay below this
_CTX = Context(prec=120, rounding=ROUND_HALF_UP)

# ------------------------------------------------------------------ Python side


def quantize(value: Decimal, digits: int = SCALE) -> Decimal:
    """Round half away from zero to `digits` decimals (negative: tens, hundreds …)."""
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=_CTX)


def money(value: Decimal, minor_digits: int) -> Decimal:
    return quantize(value, minor_digits)


def py_add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else quantize(_CTX.add(a, b))


def py_sub(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else quantize(_CTX.subtract(a, b))


def py_mul(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else quantize(_CTX.multiply(a, b))


def py_div(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    """The quotient exactly as the SQL computes it: None for a zero, NULL or too large divisor.
    Operands are values of the engine, rounded to SCALE digits first: a divisor below
    0.5·10⁻¹² is zero there, so it is zero here."""
    if a is None or b is None:
        return None
    a, b = quantize(a), quantize(b)
    if b == 0 or b.copy_abs() >= MAX_DIVISOR:
        return None
    big_a, big_b = int(a.copy_abs().scaleb(SCALE, _CTX)), int(b.copy_abs().scaleb(SCALE, _CTX))
    q, r = divmod(big_a, big_b)
    if q >= _MAX_QUOTIENT_INT:
        return None
    f, r1 = divmod(r * _K, big_b)
    scaled = q * _K + f + (1 if 2 * r1 >= big_b else 0)
    sign = -1 if (a < 0) != (b < 0) else 1
    return Decimal(sign * scaled).scaleb(-SCALE, _CTX)


def division_problem(a: Decimal | None, b: Decimal | None) -> str | None:
    """Why `a / b` is NULL although both operands have values (None: it is not)."""
    if a is None or b is None:
        return None
    if quantize(b) == 0:
        return "zero"
    if b.copy_abs() >= MAX_DIVISOR:
        return "divisor_range"
    if py_div(a, b) is None:
        return "quotient_range"
    return None


# ------------------------------------------------------------------ SQL side

VALUE_TYPE = "DECIMAL(38, 12)"
SMALL_QUOTIENT = "kpidsl_small_quotient"  # meta flag of an integer division known to stay below 2^63
Bind = Callable[[exp.Expression], exp.Expression]


def _identity(e: exp.Expression) -> exp.Expression:
    return e


def decimal_type(scale: int, precision: int = 38) -> exp.DataType:
    params = [exp.DataTypeParam(this=exp.Literal.number(precision)), exp.DataTypeParam(this=exp.Literal.number(scale))]
    return exp.DataType(this=exp.DataType.Type.DECIMAL, expressions=params, nested=False)


def value_type() -> exp.DataType:
    return decimal_type(SCALE)


def int_type() -> exp.DataType:
    """The scaled-integer type: DuckDB's HUGEINT (`for_dialect` maps it elsewhere)."""
    return exp.DataType(this=exp.DataType.Type.INT128, nested=False)


def as_value(e: exp.Expression) -> exp.Expression:
    return exp.Cast(this=e, to=value_type())


def literal(value: Decimal) -> exp.Expression:
    """A constant as an exact decimal: `CAST('0.2' AS DECIMAL(38, 12))` (a string, never a float)."""
    text = format(quantize(value).normalize(_CTX), "f")  # not the thread's context: 38 digits must survive
    return as_value(exp.Literal.string(text))


def int_literal(value: int) -> exp.Expression:
    return exp.Cast(this=exp.Literal.string(str(value)), to=int_type())


def null_value() -> exp.Expression:
    return exp.Cast(this=exp.Null(), to=value_type())


def is_atom(e: exp.Expression) -> bool:
    """True if `e` needs no parentheses as an operand (SQLGlot does not add them)."""
    if isinstance(e, (exp.Binary, exp.Unary, exp.Connector)):
        return False
    return isinstance(e, (exp.Column, exp.Literal, exp.Cast, exp.Paren, exp.Case, exp.Boolean, exp.Null, exp.Func))


def _p(e: exp.Expression) -> exp.Expression:
    """Parenthesize compound operands so the generated text keeps the tree's meaning."""
    return e if is_atom(e) else exp.Paren(this=e)


def add(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return as_value(exp.Add(this=_p(a), expression=_p(b)))


def sub(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return as_value(exp.Sub(this=_p(a), expression=_p(b)))


def neg(a: exp.Expression) -> exp.Expression:
    return as_value(exp.Neg(this=_p(a)))


def _trunc(e: exp.Expression) -> exp.Expression:
    """Toward zero, as DECIMAL(38, 0)."""
    return exp.Cast(this=exp.Trunc(this=e), to=decimal_type(0))


def mul(a: exp.Expression, b: exp.Expression, a_const: Decimal | None = None,
        b_const: Decimal | None = None) -> exp.Expression:
    """`a × b` rounded half away from zero to 12 decimals; operands must be cheap to repeat."""
    for const, other in ((a_const, b), (b_const, a)):
        if const is not None:  # c = ci + cf, split here: x·c = x·ci + xi·cf + round12(xf·cf)
            c = quantize(const)
            ci = int(c)  # toward zero
            cf = c - ci
            terms: list[exp.Expression] = []
            if ci:
                terms.append(exp.Mul(this=_p(other.copy()),
                                     expression=exp.Cast(this=exp.Literal.string(str(ci)), to=decimal_type(0))))
            if cf:
                frac = exp.Cast(this=exp.Literal.string(format(cf, "f")), to=decimal_type(SCALE, 13))
                terms.append(exp.Mul(this=_trunc(other.copy()), expression=frac))
                terms.append(as_value(exp.Mul(this=sub(other.copy(), _trunc(other.copy())), expression=frac.copy())))
            if not terms:  # × 0 is 0, but an unknown times 0 stays unknown
                terms.append(exp.Mul(this=_p(other.copy()), expression=exp.Cast(this=exp.Literal.string("0"),
                                                                                to=decimal_type(0))))
            total = terms[0]
            for term in terms[1:]:
                total = exp.Add(this=total, expression=term)
            return as_value(total)
    def ai() -> exp.Expression:
        return _trunc(a.copy())

    def bi() -> exp.Expression:
        return _trunc(b.copy())

    small = as_value(exp.Mul(this=sub(a.copy(), ai()), expression=sub(b.copy(), bi())))  # |·| < 1: CAST rounds
    return as_value(exp.Add(this=exp.Add(this=exp.Mul(this=ai(), expression=_p(b.copy())),
                                         expression=exp.Mul(this=sub(a.copy(), ai()), expression=bi())),
                            expression=small))


def scaled_abs(x: exp.Expression) -> exp.Expression:
    """|x| × 10^12 as an integer, without overflowing the decimal type on the way."""
    def absolute() -> exp.Expression:
        return exp.Abs(this=x.copy())

    whole = exp.Cast(this=exp.Trunc(this=absolute()), to=int_type())
    fraction = exp.Mul(this=exp.Paren(this=exp.Sub(this=absolute(), expression=exp.Trunc(this=absolute()))),
                       expression=exp.Cast(this=exp.Literal.string(str(_K)), to=decimal_type(0)))
    return exp.Paren(this=exp.Add(this=exp.Mul(this=whole, expression=int_literal(_K)),
                                  expression=exp.Cast(this=fraction, to=int_type())))


def div(a: exp.Expression, b: exp.Expression, bind: Bind = _identity,
        a_const: Decimal | None = None, b_const: Decimal | None = None) -> exp.Expression:
    """`a ÷ b` rounded half away from zero to 12 decimals; NULL for a zero/NULL/too large divisor.

    With A = |a|·10^12 and B = |b|·10^12 (integers):
        |a ÷ b| = A div B  +  ((2·(A mod B)·10^12 + B) div (2·B)) · 10^-12
    — the integer part, plus the twelve fractional digits rounded half up
    (floor(x + ½) = floor((2n + B) / 2B) for x = n / B ≥ 0); the sign comes last.

    Operands must be cheap to repeat (columns or literals).  `bind` may
    materialize an intermediate as a column and return a reference to it (the
    compiler stages A and B); the identity inlines everything.  Known constants
    (`a_const`, `b_const`) become integer literals.
    """
    if a_const is not None:
        big_a: exp.Expression = int_literal(int(quantize(a_const).copy_abs().scaleb(SCALE, _CTX)))
    else:
        big_a = bind(scaled_abs(a))
    if b_const is not None:
        if b_const == 0 or b_const.copy_abs() >= MAX_DIVISOR:
            return null_value()
        big_b: exp.Expression = int_literal(int(quantize(b_const).copy_abs().scaleb(SCALE, _CTX)))
    else:  # the guard compares the decimal itself, so the scaled integer is computed once
        limit = as_value(exp.Literal.string(str(MAX_DIVISOR)))
        in_range = exp.and_(exp.GT(this=exp.Abs(this=b.copy()), expression=literal(Decimal(0))),
                            exp.LT(this=exp.Abs(this=b.copy()), expression=limit))
        big_b = bind(exp.Case(ifs=[exp.If(this=in_range, true=scaled_abs(b))]))

    def A() -> exp.Expression:
        return _p(big_a.copy())

    def B() -> exp.Expression:
        return _p(big_b.copy())

    def two() -> exp.Expression:
        return int_literal(2)

    def quotient() -> exp.Expression:
        return exp.Paren(this=exp.IntDiv(this=A(), expression=B()))

    whole = as_value(exp.Case(ifs=[exp.If(this=exp.LT(this=quotient(), expression=int_literal(_MAX_QUOTIENT_INT)),
                                          true=quotient())]))
    twice_rest = exp.Mul(this=two(), expression=exp.Paren(this=exp.Mod(this=A(), expression=B())))
    numerator = exp.Add(this=exp.Mul(this=twice_rest, expression=int_literal(_K)), expression=B())
    digits = exp.IntDiv(this=exp.Paren(this=numerator), expression=exp.Paren(this=exp.Mul(this=two(), expression=B())))
    digits.meta[SMALL_QUOTIENT] = True  # at most 10^12: Spark's BIGINT `DIV` computes it exactly
    fraction = as_value(exp.Mul(this=exp.Cast(this=digits, to=decimal_type(0)),
                                expression=exp.Cast(this=exp.Literal.string(str(QUANTUM)), to=decimal_type(SCALE, 13))))
    magnitude = exp.Add(this=whole, expression=fraction)
    zero = literal(Decimal(0))
    if a_const is not None and b_const is not None:
        negative: exp.Expr | None = exp.true() if (a_const < 0) != (b_const < 0) and a_const != 0 else None
    elif b_const is not None:
        negative = (exp.GT if b_const < 0 else exp.LT)(this=a.copy(), expression=zero)
    elif a_const is not None:
        negative = None if a_const == 0 else (exp.GT if a_const < 0 else exp.LT)(this=b.copy(), expression=zero)
    else:
        a_neg = exp.and_(exp.LT(this=a.copy(), expression=zero.copy()), exp.GT(this=b.copy(), expression=zero.copy()))
        b_neg = exp.and_(exp.GT(this=a.copy(), expression=zero.copy()), exp.LT(this=b.copy(), expression=zero.copy()))
        negative = exp.or_(a_neg, b_neg)
    if negative is None:
        return as_value(magnitude)
    return as_value(exp.Case(ifs=[exp.If(this=negative, true=exp.Neg(this=exp.Paren(this=magnitude.copy())))],
                             default=magnitude))


def round_to(x: exp.Expression, digits: int) -> exp.Expression:
    """`round(x, digits)`: half away from zero (DECIMAL casts round that way)."""
    if digits >= SCALE:
        return x
    if digits >= 0:
        return as_value(exp.Cast(this=x, to=decimal_type(digits)))
    shift = -digits  # round to tens, hundreds …: scale down exactly, round, scale up
    down = exp.Mul(this=_p(x), expression=exp.Cast(this=exp.Literal.string(str(Decimal(1).scaleb(digits))),
                                                    to=decimal_type(shift, shift + 1)))
    rounded = exp.Cast(this=down, to=decimal_type(0))
    return as_value(exp.Mul(this=rounded, expression=exp.Cast(this=exp.Literal.string(str(10**shift)),
                                                              to=decimal_type(0))))


def to_money(x: exp.Expression, minor_digits: int) -> exp.Expression:
    return exp.Cast(this=x, to=decimal_type(minor_digits))


# ------------------------------------------------------------------ other engines

DIALECTS = ("duckdb", "spark", "postgres", "bigquery", "snowflake", "trino")


def for_dialect(tree: exp.Expr, dialect: str) -> exp.Expr:
    """Rewrite engine-specific constructs so `dialect` computes the same numbers.

    * HUGEINT exists only in DuckDB: elsewhere the scaled integers are
      DECIMAL(38, 0) (BigQuery: BIGNUMERIC); they never reach 10^38.
    * Integer division: SQLGlot renders it as `DIV` for Postgres, Spark and
      BigQuery, but through a float (Trino) or a BIGINT cast (Snowflake) for the
      others; there it becomes `FLOOR(n / d)` on decimals, corrected by one where
      the engine's decimal division rounded up (operands are never negative).
    * Spark's `DIV` returns a BIGINT and wraps around silently (even in ANSI
      mode) when the quotient reaches 2^63: a division whose quotient may be that
      large (every one not flagged SMALL_QUOTIENT) becomes exact long division in
      two BIGINT-sized steps (`_spark_int_div`).
    * TRUNC: Spark's is a BIGINT cast; it becomes FLOOR/CEIL by sign.
    * Spark's unary minus and ABS round a decimal to 34 significant digits
      (they go through Scala's BigDecimal with its default MathContext): `-x`
      becomes `0 - x` and `ABS(x)` a CASE over `0 - x`, which are exact.
    * BigQuery allows no precision or scale in a cast: a cast to DECIMAL(p, s)
      becomes ROUND(CAST(x AS BIGNUMERIC), s), which rounds half away from zero.
    """
    if dialect == "duckdb":
        return tree
    tree = tree.copy()

    def rewrite(node: exp.Expression) -> exp.Expression:
        if dialect == "bigquery" and isinstance(node, exp.Cast) and isinstance(node.to, exp.DataType) \
                and node.to.this in (exp.DataType.Type.DECIMAL, exp.DataType.Type.INT128):
            # BigQuery allows no DECIMAL(p, s) in a cast: exact BIGNUMERIC, then ROUND (half away from zero)
            scale = int(node.to.expressions[1].this.this) if len(node.to.expressions) > 1 else 0
            big = exp.Cast(this=node.this, to=exp.DataType(this=exp.DataType.Type.BIGDECIMAL))
            return exp.Round(this=big, decimals=exp.Literal.number(scale))
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
            return decimal_type(0)
        if isinstance(node, exp.IntDiv) and dialect in ("snowflake", "trino"):
            n, d = node.this, node.expression
            # typed: the engine's own decimal division (SQLGlot would otherwise go through DOUBLE)
            approx = exp.Floor(this=exp.Div(this=_p(n.copy()), expression=_p(d.copy()), typed=True))
            too_far = exp.GT(this=exp.Mul(this=exp.Paren(this=approx.copy()), expression=_p(d.copy())),
                             expression=_p(n.copy()))
            over = exp.Case(ifs=[exp.If(this=too_far, true=exp.Literal.number(1))], default=exp.Literal.number(0))
            return exp.Paren(this=exp.Sub(this=approx, expression=over))
        if isinstance(node, exp.IntDiv) and dialect == "spark" and not node.meta.get(SMALL_QUOTIENT):
            return _spark_int_div(node.this, node.expression)
        if isinstance(node, exp.Neg) and dialect == "spark":
            return exp.Paren(this=exp.Sub(this=exp.Literal.number(0), expression=_p(node.this)))
        if isinstance(node, exp.Abs) and dialect == "spark":
            x = node.this
            return exp.Case(ifs=[exp.If(this=exp.LT(this=_p(x.copy()), expression=exp.Literal.number(0)),
                                        true=exp.Sub(this=exp.Literal.number(0), expression=_p(x.copy())))],
                            default=x.copy())
        if isinstance(node, exp.Trunc) and dialect == "spark":
            x = node.this
            return exp.Case(ifs=[exp.If(this=exp.LT(this=_p(x.copy()), expression=exp.Literal.number(0)),
                                        true=exp.Ceil(this=x.copy()))], default=exp.Floor(this=x.copy()))
        return node

    # children before parents, so a rewritten node's parts are already rewritten
    kinds = (exp.Cast, exp.DataType, exp.IntDiv, exp.Trunc, exp.Neg, exp.Abs)
    for node in reversed(list(tree.find_all(*kinds, bfs=False))):
        new = rewrite(node)
        if new is not node:
            if node is tree:
                return new
            node.replace(new)
    return tree


def _spark_int_div(n: exp.Expression, d: exp.Expression) -> exp.Expression:
    """`n DIV d` for Spark, exact as DECIMAL(38, 0), for integers 0 ≤ n < 10^38 and 0 < d < 10^26;
    NULL when the quotient reaches 10^26 (the callers treat such quotients as out of range).

    Spark's `DIV` gives a BIGINT.  A quotient below 10^18 — the usual case, tested
    as floor(n·10^-18) < d — is Spark's own `DIV`.  A larger one is built from two
    quotients below 10^14 and 10^12: with nh = floor(n·10^-12) and nl = n mod 10^12,
        n div d = (nh div d)·10^12 + ((nh mod d)·10^12 + nl) div d,
    and nh div d < 10^14 exactly when the quotient is below 10^26, i.e. when
    floor(nh·10^-14) < d.  Every intermediate fits DECIMAL(38, 0): (nh mod d)·10^12
    < d·10^12 < 10^38.  Scaling by a power of ten multiplies by an exact decimal
    constant (Spark keeps the scale with allowPrecisionLoss=false)."""
    def dec(text: str, scale: int, precision: int) -> exp.Expression:
        return exp.Cast(this=exp.Literal.string(text), to=decimal_type(scale, precision))

    def k() -> exp.Expression:
        return dec(str(_K), 0, 38)

    def below(x: exp.Expression, digits: int) -> exp.Expression:  # x div d < 10^digits
        return exp.LT(this=exp.Floor(this=exp.Mul(this=x, expression=dec(f"1E-{digits}", digits, digits + 1))),
                      expression=_p(d.copy()))

    def small(x: exp.Expression, y: exp.Expression) -> exp.Expression:
        node = exp.IntDiv(this=x, expression=y)
        node.meta[SMALL_QUOTIENT] = True
        return node

    def low() -> exp.Expression:  # nl = n mod 10^12
        return exp.Paren(this=exp.Mod(this=_p(n.copy()), expression=k()))

    def high() -> exp.Expression:  # nh = floor(n·10^-12)
        return exp.Floor(this=exp.Mul(this=_p(n.copy()), expression=dec("1E-12", 12, 13)))

    top = exp.Mul(this=exp.Cast(this=exp.Paren(this=small(high(), _p(d.copy()))), to=decimal_type(0)), expression=k())
    rest = exp.Add(this=exp.Mul(this=exp.Paren(this=exp.Mod(this=high(), expression=_p(d.copy()))), expression=k()),
                   expression=low())
    wide = exp.Add(this=top, expression=small(exp.Paren(this=rest), _p(d.copy())))
    usual = exp.Cast(this=small(_p(n.copy()), _p(d.copy())), to=decimal_type(0))
    return exp.Paren(this=exp.Case(ifs=[exp.If(this=below(_p(n.copy()), 18), true=usual),
                                        exp.If(this=below(high(), 14), true=wide)]))
