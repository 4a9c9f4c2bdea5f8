"""Every value `explain` shows is the value `eval` computes (issue 17, defect 8).

Random schemes (`if`, `scale`, arithmetic, comparisons) over a KPI whose fact may be
missing, and a quality condition over a second fact that may be missing too.  An
independent reference below evaluates each scheme with the language's rules (decimals
rounded half away from zero to 12 places at every operation; no data propagates; an
unknown condition or `scale` subject is no data), and both `eval` and `explain` must
agree with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kpidsl.api import evaluate_with_facts
from kpidsl.results.explain import explain

CTX = Context(prec=80, rounding=ROUND_HALF_UP)
STEP = Decimal("1e-12")
Ref = Decimal | bool | None


def q(x: Decimal) -> Decimal:
    return x.quantize(STEP, rounding=ROUND_HALF_UP, context=CTX)


# ------------------------------------------------------------------ random schemes


@dataclass(frozen=True)
class Node:
    kind: str  # num, name, op, cmp, if, scale
    text: str = ""
    parts: tuple[Node, ...] = ()


NAMES = ("attainment", "plan_bonus", "weight")
numbers = st.sampled_from(["0", "1", "2", "0.5", "0.9", "1.1", "1000", "3"]).map(lambda t: Node("num", t))
names = st.sampled_from(NAMES).map(lambda t: Node("name", t))


def expressions(depth: int) -> st.SearchStrategy[Node]:
    if depth == 0:
        return st.one_of(numbers, names)
    sub = expressions(depth - 1)
    condition = st.builds(lambda op, a, b: Node("cmp", op, (a, b)), st.sampled_from(["<", ">=", "="]), sub, sub)
    return st.one_of(
        numbers, names,
        st.builds(lambda op, a, b: Node("op", op, (a, b)), st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        st.builds(lambda c, a, b: Node("if", "", (c, a, b)), condition, sub, sub),
        st.builds(lambda x, lo, hi, a, b, c: Node("scale", "", (x, Node("num", lo), Node("num", hi), a, b, c)),
                  sub, st.sampled_from(["0.5", "0.8"]), st.sampled_from(["1", "1.2"]), sub, sub, sub),
    )


def text(n: Node) -> str:
    if n.kind in ("num", "name"):
        return n.text
    if n.kind in ("op", "cmp"):
        return f"({text(n.parts[0])} {n.text} {text(n.parts[1])})"
    if n.kind == "if":
        return f"(if {text(n.parts[0])} then {text(n.parts[1])} else {text(n.parts[2])})"
    x, lo, hi, a, b, c = n.parts
    return f"(scale {text(x)} {{ below {lo.text} -> {text(a)}  below {hi.text} -> {text(b)}  else -> {text(c)} }})"


def ref(n: Node, env: dict[str, Ref]) -> Ref:
    """The independent reference: three-valued, decimals rounded at every operation."""
    if n.kind == "num":
        return Decimal(n.text)
    if n.kind == "name":
        return env[n.text]
    if n.kind == "op":
        a, b = ref(n.parts[0], env), ref(n.parts[1], env)
        if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
            return None
        if n.text == "/":
            return None if q(b) == 0 else q(CTX.divide(q(a), q(b)))
        return q({"+": CTX.add, "-": CTX.subtract, "*": CTX.multiply}[n.text](a, b))
    if n.kind == "cmp":
        a, b = ref(n.parts[0], env), ref(n.parts[1], env)
        if a is None or b is None:
            return None
        return {"<": a < b, ">=": a >= b, "=": a == b}[n.text]  # type: ignore[operator]
    if n.kind == "if":
        c = ref(n.parts[0], env)
        if c is None:
            return None
        return ref(n.parts[1] if c else n.parts[2], env)
    x, lo, hi, a, b, c = n.parts
    subject = ref(x, env)
    if subject is None or isinstance(subject, bool):
        return None
    if subject < Decimal(lo.text):
        return ref(a, env)
    return ref(b, env) if subject < Decimal(hi.text) else ref(c, env)


def money(x: Ref) -> Decimal | None:
    return None if x is None or isinstance(x, bool) else x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------ the property


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(bonus=expressions(2), fact=st.one_of(st.none(), st.sampled_from(["0", "4", "7.5", "10", "12.345678901234"])),
       quality=st.one_of(st.none(), st.sampled_from(["1", "5"])))
def test_every_value_explain_shows_is_what_eval_computes(tmp_path: Path, bonus: Node, fact: str | None,
                                                         quality: str | None) -> None:
    ruleset = tmp_path / "r.kpi"
    ruleset.write_text(f'''fact a "A"
fact b "B"
fact c "C"
scheme s "S" {{
  index = weight * attainment
  bonus = {text(bonus)}
}}
role r "R" {{
  scheme s
  kpi a weight 1 target 10 bonus 1000
    require b > 3
}}
employee "Иванов" role r
''', encoding="utf-8")
    facts = tmp_path / "f.csv"
    rows = ["period,employee,fact,value", "2026Q3,Иванов,c,1"]  # the period is in the data either way
    # a missing value is marked н/д: the file names the fact (one it does not name at all is D042)
    rows.append(f"2026Q3,Иванов,a,{'н/д' if fact is None else fact}")
    rows.append(f"2026Q3,Иванов,b,{'н/д' if quality is None else quality}")
    facts.write_text("\n".join(rows) + "\n", encoding="utf-8")

    traced = evaluate_with_facts(ruleset, [facts])
    # a constant divided by a constant zero is the checker's K042, before any data
    assume(not any(d.code == "K042" for d in traced.evaluation.diagnostics))
    results = traced.evaluation.results
    assert results is not None, traced.evaluation.diagnostics
    (employee,) = results.results
    (kpi,) = employee.kpis

    attainment = None if fact is None else q(CTX.divide(q(Decimal(fact)), Decimal(10)))
    env: dict[str, Ref] = {"attainment": attainment, "plan_bonus": Decimal(1000), "weight": Decimal(1)}
    raw = ref(bonus, env)
    passed = quality is not None and Decimal(quality) > 3
    status = "no_data" if attainment is None or raw is None or isinstance(raw, bool) else \
        "gated" if not passed else "met" if attainment >= 1 else "missed"
    assert kpi.status == status
    assert kpi.attainment == attainment
    assert kpi.bonus == (money(raw) if status in ("met", "missed") else Decimal("0.00"))

    assert traced.model is not None and traced.facts is not None
    shown = explain(traced.model, results, traced.facts, "Иванов", "2026Q3", "en")
    steps = {s.name: s.value for s in shown.steps if s.name is not None}
    assert steps["index"] == kpi.index
    assert steps["bonus"] == (kpi.bonus if status in ("met", "missed") else money(raw))
    if steps["bonus"] is None:
        line = next(s for s in shown.steps if s.name == "bonus")
        assert line.text.endswith("= no data"), line.text
