"""The parser: golden AST dumps for every construct, and its syntax errors.

`tests/golden/parse/NAME.kpi` is parsed and dumped (`dump_ruleset` below: one
field per line, spans as `@line:col-end_line:end_col`) and compared with `NAME.ast`.  Regenerate
after an intended change with `KPIDSL_UPDATE_GOLDEN=1 pytest tests/test_parse.py`
and review the diff.  A coverage test makes sure the goldens use every grammar rule.
"""

from __future__ import annotations

import dataclasses
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from lark import Tree

from kpidsl.base.diagnostics import SourceCache, Span, render_human
from kpidsl.language import ast
from kpidsl.language.parse import parse
from kpidsl.language.syntax import _keyword_as_name, _parser

GOLDEN = Path(__file__).resolve().parent / "golden" / "parse"
NAMES = sorted(p.stem for p in GOLDEN.glob("*.kpi"))
UPDATE = os.environ.get("KPIDSL_UPDATE_GOLDEN") == "1"


def _span(span: Span) -> str:
    return f"@{span.line}:{span.column}-{span.end_line}:{span.end_column}"


def _field(name: str, value: object, indent: str) -> list[str]:
    if isinstance(value, tuple):
        out = [f"{indent}{name}:"]
        for i, item in enumerate(value):
            out.extend(_node(f"[{i}]", item, indent + "  "))
        return out
    return _node(name, value, indent)


def _node(label: str, value: object, indent: str) -> list[str]:
    if dataclasses.is_dataclass(value):
        span = getattr(value, "span", None)
        head = f"{indent}{label}: {type(value).__name__}" + (f" {_span(span)}" if isinstance(span, Span) else "")
        out = [head]
        for field in dataclasses.fields(value):
            if field.name in ("span", "file"):
                continue
            inner = getattr(value, field.name)
            if inner is None or inner == ():
                continue
            out.extend(_field(field.name, inner, indent + "  "))
        return out
    if isinstance(value, Decimal):
        return [f"{indent}{label}: {value}"]
    if isinstance(value, str):
        return [f"{indent}{label}: {json.dumps(value, ensure_ascii=False)}"]
    return [f"{indent}{label}: {value!r}"]


def dump_ruleset(tree: ast.Ruleset) -> str:
    lines = ["Ruleset"]
    lines.extend(_field("items", tree.items, "  "))
    if tree.comments:
        lines.extend(_field("comments", tree.comments, "  "))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", NAMES)
def test_golden_ast(name: str) -> None:
    source = GOLDEN / f"{name}.kpi"
    tree, diagnostics = parse(source.read_text(encoding="utf-8"), f"{name}.kpi")
    assert diagnostics == [] and tree is not None, diagnostics
    dumped = dump_ruleset(tree)
    expected = GOLDEN / f"{name}.ast"
    if UPDATE:
        expected.write_text(dumped, encoding="utf-8")
    assert dumped == expected.read_text(encoding="utf-8")


def test_goldens_use_every_grammar_rule() -> None:
    parser = _parser()
    rules = {(r.alias or r.origin.name) for r in parser.rules
             if not str(r.origin.name).startswith("_") and not (r.options.expand1 and not r.alias)}
    used: set[str] = set()
    for name in NAMES:
        text = (GOLDEN / f"{name}.kpi").read_text(encoding="utf-8")
        tree = parser.parse(text, on_error=_keyword_as_name)
        used.update(str(t.data) for t in tree.iter_subtrees() if isinstance(t, Tree))
    assert rules - used == set()


def test_dump_shows_spans_and_values() -> None:
    tree, _ = parse('metric m "М" = a * 20%\n', "x.kpi")
    assert tree is not None
    assert dump_ruleset(tree).splitlines() == [
        "Ruleset",
        "  items:",
        "    [0]: Metric @1:8-1:9",
        '      name: "m"',
        '      title: "М"',
        "      formula: Binary @1:16-1:23",
        '        op: "*"',
        "        left: Name @1:16-1:17",
        '          name: "a"',
        "        right: Number @1:20-1:23",
        "          value: 0.2",
        '          text: "20%"',
    ]


# ---------------------------------------------------------------- numbers and names


@pytest.mark.parametrize(("text", "value"), [
    ("20%", Decimal("0.20")), ("12.5%", Decimal("0.125")), ("10_000_000", Decimal(10000000)),
    ("1e3", Decimal("1E+3")), ("0.25", Decimal("0.25")), ("100%", Decimal(1)),
])
def test_numbers_are_exact_decimals(text: str, value: Decimal) -> None:
    tree, diagnostics = parse(f"goal g = {text}\n")
    assert diagnostics == [] and tree is not None
    goal = tree.items[0]
    assert isinstance(goal, ast.Goal) and isinstance(goal.expr, ast.Number)
    assert goal.expr.value == value and goal.expr.text == text


def test_operators_are_normalised() -> None:
    tree, _ = parse("metric m = if a ≤ b and c == d and e ≠ f then g × h ÷ i else 0\n")
    assert tree is not None
    ops = [e.op for e in ast.walk(tree.items[0].formula) if isinstance(e, ast.Binary)]  # type: ignore[union-attr]
    assert ops == ["and", "and", "<=", "=", "!=", "/", "*"]


def test_subtraction_groups_to_the_left() -> None:
    tree, _ = parse("metric m = a - b - c\n")
    assert tree is not None
    formula = tree.items[0].formula  # type: ignore[union-attr]
    assert isinstance(formula, ast.Binary) and isinstance(formula.left, ast.Binary)
    assert (formula.left.left.name, formula.right.name) == ("a", "c")  # type: ignore[union-attr]


# ---------------------------------------------------------------- syntax errors


def rendered(text: str) -> str:
    tree, diagnostics = parse(text, "r.kpi")
    assert tree is None or diagnostics
    sources = SourceCache()
    sources.add("r.kpi", text)
    return "\n".join(render_human(d, sources) for d in diagnostics)


def test_syntax_error_says_what_was_expected_and_where() -> None:
    text = 'fact a\nfact b\nfact c\nfact d\nfact e\nfact f\nmetric m = a +\nrole r { }\n'
    out = rendered(text)
    assert out.startswith("r.kpi:8:1: error[K002]: unexpected `role`; expected ")
    assert "a name" in out and "a number" in out


def test_unclosed_block_names_where_it_was_opened() -> None:
    out = rendered('role r "Роль" {\n  kpi a weight 1 target 1 bonus 1\n')
    assert "error[K002]: the file ends inside `role` opened on line 1" in out
    assert "looking for `}` to close `role` opened at 1:15" in out


@pytest.mark.parametrize(("text", "code", "hint"), [
    ("fact a 'A'\n", "K001", 'texts are written in double quotes: "…"'),
    ("goal g = 0,5\n", "K002", "numbers use a decimal point (0.2, not 0,2)"),
    ("metric m = a < b < c\n", "K002", "comparisons do not chain: write `a < b and b < c`"),
    ("fact a unit RUB unit USD\n", "K003", "keep one `unit`; the second would silently win"),
    ("fact a better lower unit RUB better lower\n", "K003", "keep one `better`; the second would silently win"),
    ("records d { date x }\nfact a = sum from d\n", "K004", None),
    ("goal g = 1e99999999999999999999\n", "K005", None),
])
def test_syntax_diagnostics(text: str, code: str, hint: str | None) -> None:
    _, diagnostics = parse(text, "r.kpi")
    assert [d.code for d in diagnostics] == [code]
    if hint:
        assert hint in (diagnostics[0].hint or "")


def test_a_setting_given_twice_keeps_parsing_and_reports_each() -> None:
    tree, diagnostics = parse("fact a unit RUB unit USD\nmetric m = a kind process kind result\n")
    assert tree is not None
    assert [(d.code, d.location.line) for d in diagnostics] == [("K003", 1), ("K003", 2)]  # type: ignore[union-attr]


def test_the_nesting_limit_does_not_depend_on_the_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text's fate is the same on any stack — or the AST cache would hand a deep tree
    parsed under a raised recursion limit to a run that would have refused it."""
    import sys

    from kpidsl.language.syntax import MAX_DEPTH, parse_text

    monkeypatch.setenv("KPIDSL_NO_CACHE", "1")
    deep = "metric m = " + "-" * (MAX_DEPTH + 5) + "a\n"
    fine = "metric m = " + "-" * (MAX_DEPTH - 10) + "a\n"
    outcomes = []
    for limit in (sys.getrecursionlimit(), 20_000):
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(limit)
        try:
            outcomes.append(([d.code for d in parse_text(deep, "d.kpi")[1]], parse_text(fine, "f.kpi")[0] is not None))
        finally:
            sys.setrecursionlimit(old)
    assert outcomes == [(["K006"], True), (["K006"], True)]


def test_a_facts_direction_is_read_and_given_once() -> None:
    tree, diagnostics = parse('fact cps "CPS" unit RUB better lower\nfact reach\n'
                              'fact cost better higher better lower\n', "r.kpi")
    assert tree is not None
    cps, reach, cost = tree.items
    assert isinstance(cps, ast.Fact) and cps.better == "lower" and cps.unit is not None
    assert isinstance(reach, ast.Fact) and reach.better is None and ast.direction(reach) == "higher"
    assert isinstance(cost, ast.Fact) and cost.better == "higher"  # the first one stands
    second = "fact cost better higher better lower".rindex("lower") + 1  # the span is the repeated word
    assert [(d.code, d.location.line, d.location.column) for d in diagnostics] \
        == [("K003", 3, second)]  # type: ignore[union-attr]
    assert "`better` is given twice in fact `cost`" in diagnostics[0].message


@pytest.mark.parametrize("text", ['fact cps "CPS" unit RUB better sideways\n',
                                  "metric m = a unit RUB better sideways\n"])
def test_an_unknown_direction_is_a_syntax_error_at_the_word(text: str) -> None:
    column = text.index("sideways") + 1
    out = rendered(text)
    assert out.startswith(f"r.kpi:1:{column}: error[K002]: unexpected `sideways`; expected `higher`, `lower`"), out


def test_deep_nesting_is_a_diagnostic_not_a_crash() -> None:
    tree, diagnostics = parse("metric m =\n" + " +\n".join(["a"] * 800) + "\n")
    assert tree is None
    assert [d.code for d in diagnostics] == ["K006"]
    assert diagnostics[0].location.line == 2  # type: ignore[union-attr]
