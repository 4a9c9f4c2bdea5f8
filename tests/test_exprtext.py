"""The one expression printer (kpidsl.language.exprtext): every style parses back to the same tree.

Random trees are built directly as AST nodes, so shapes that a text generator seldom
writes come up often: `a or (b or c)`, `-(-5)`, an `if` in another `if`'s condition, a
`scale` under `not`, texts with tabs, quotes and backslashes.  Each is printed by the
results' `expr_text`, by `kpidsl fmt`'s `format_expr` and by explain's as-written
printer, parsed again, and compared with the original without positions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from eval_fixtures import ROOT, SEED_RULESET, manager_q3, seed_fact_table, seed_results
from hypothesis import given, settings
from hypothesis import strategies as st

from kpidsl.base.diagnostics import Span
from kpidsl.base.numbers import MINUS, Numbers
from kpidsl.language import ast
from kpidsl.language.exprtext import ExprPrinter, Level, expr_text, level, quote
from kpidsl.language.fmt import format_expr
from kpidsl.language.load import load
from kpidsl.language.parse import parse
from kpidsl.results.explain_values import Printer, Values

SPAN = Span("t", 1, 1)


def parsed(text: str) -> ast.Expr:
    tree, diagnostics = parse(f"metric m = {text}", "t.kpi")
    assert tree is not None and not diagnostics, (text, diagnostics)
    decl = tree.declarations[0]
    assert isinstance(decl, ast.Metric)
    return decl.formula


def bare(node: Any) -> Any:
    """The test's own position-free view of an AST."""
    if is_dataclass(node) and not isinstance(node, type):
        return (type(node).__name__, *(bare(getattr(node, f.name)) for f in fields(node) if f.name != "span"))
    if isinstance(node, tuple):
        return tuple(bare(x) for x in node)
    return node


# ------------------------------------------------------------------ random trees

NUMBERS = ["0", "7", "2.5", "20%", "12.5%", "1e3", "2E-2", "10_000"]
NAMES = ["a", "b", "rate", "выручка", "x_1", "Ёж"]
FUNCTIONS = ["min", "max", "round", "prev", "growth", "f"]
BINARY = ["+", "-", "*", "/", "<", "<=", ">", ">=", "=", "!=", "and", "or"]


def trees(numbers: list[str], text_chars: str) -> st.SearchStrategy[ast.Expr]:
    """Expression trees over every node kind; numbers as the parser builds them."""
    leaf = st.one_of(
        st.sampled_from([parsed(n) for n in numbers]),
        st.sampled_from(NAMES).map(lambda n: ast.Name(n, SPAN)),
        st.text(text_chars, max_size=6).map(lambda v: ast.String(v, SPAN)),
    )

    def grow(inner: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
        rows = st.lists(st.builds(lambda b, v: ast.ScaleRow(b, v, SPAN), inner, inner), min_size=1, max_size=2)
        return st.one_of(
            st.builds(lambda op, a, b: ast.Binary(op, a, b, SPAN), st.sampled_from(BINARY), inner, inner),
            st.builds(lambda op, a: ast.Unary(op, a, SPAN), st.sampled_from(["-", "not"]), inner),
            st.builds(lambda c, t, o: ast.IfThen(c, t, o, SPAN), inner, inner, inner),
            st.builds(lambda f, args: ast.Call(f, tuple(args), SPAN), st.sampled_from(FUNCTIONS),
                      st.lists(inner, max_size=3)),
            st.builds(lambda s, r, o: ast.Scale(s, tuple(r), o, SPAN), inner, rows, inner),
        )

    return st.recursive(leaf, grow, max_leaves=10)


def chains() -> st.SearchStrategy[ast.Expr]:
    """Dense nests of operators over names, where a wrongly dropped parenthesis changes the tree."""
    names = st.sampled_from(NAMES[:3]).map(lambda n: ast.Name(n, SPAN))
    return st.recursive(names, lambda inner: st.one_of(
        st.builds(lambda op, a, b: ast.Binary(op, a, b, SPAN), st.sampled_from(["-", "/", "<", "and", "or"]),
                  inner, inner),
        st.builds(lambda op, a: ast.Unary(op, a, SPAN), st.sampled_from(["-", "not"]), inner),
    ), max_leaves=6)


EXPRESSIONS = st.one_of(trees(NUMBERS, 'ab Я#"\\\t\n—{}'), chains())


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS)
def test_expr_text_parses_back_to_the_same_tree(e: ast.Expr) -> None:
    printed = expr_text(e)
    assert bare(parsed(printed)) == bare(e), printed


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS)
def test_format_expr_parses_back_to_the_same_tree(e: ast.Expr) -> None:
    printed = format_expr(e)
    assert bare(parsed(printed)) == bare(e), printed
    assert format_expr(parsed(printed)) == printed


@pytest.fixture(scope="module")
def printer() -> Printer:
    model, diagnostics = load(str(SEED_RULESET.relative_to(ROOT)))
    assert model is not None, diagnostics
    values = Values(model, seed_results(manager_q3()), seed_fact_table(), "Смирнова Анна")
    return Printer(values, Numbers("en"), "en")


# Explain writes `10 000` for `10_000` and a real minus sign: both for people, not the
# parser.  Without those, its text is ruleset text too.
@settings(max_examples=200, deadline=None)
@given(st.one_of(trees([n for n in NUMBERS if "_" not in n], 'ab Я#"\\\t\n{}'), chains()))
def test_explain_as_written_parses_back_to_the_same_tree(printer: Printer, e: ast.Expr) -> None:
    printed = printer.expr(e)
    assert bare(parsed(printed.replace(MINUS, "-"))) == bare(e), printed


# ------------------------------------------------------------------ the unified rules


def test_one_quoter_with_the_parsers_escapes() -> None:
    value = 'tab\there "quoted" back\\slash\nnext line'
    assert quote(value) == '"tab\\there \\"quoted\\" back\\\\slash\\nnext line"'
    assert bare(parsed(quote(value))) == bare(ast.String(value, SPAN))
    # every printer quotes with it: a tab is shown as `\t`, not as a raw tab
    e = ast.Binary("=", ast.Name("status", SPAN), ast.String("a\tb", SPAN), SPAN)
    assert expr_text(e) == format_expr(e) == 'status = "a\\tb"'


def test_a_right_operand_of_the_same_level_keeps_its_parentheses() -> None:
    for text in ("a or (b or c)", "a and (b and c)", "a - (b - c)", "a / (b * c)", "a = (b < c)"):
        assert expr_text(parsed(text)) == text
        assert format_expr(parsed(text)) == text
    assert expr_text(parsed("(a or b) or c")) == "a or b or c"


@pytest.mark.parametrize(("text", "as_written", "canonical"), [
    ("if (if a then b else c) then d else e", "if if a then b else c then d else e",
     "if (if a then b else c) then d else e"),
    ("if a then (if b then c else d) else e", "if a then if b then c else d else e",
     "if a then (if b then c else d) else e"),
    ("if a then b else if c then d else e", "if a then b else if c then d else e",
     "if a then b else if c then d else e"),
    ("-(-a)", "--a", "-(-a)"),
    ("not (not a)", "not not a", "not not a"),
    ("scale x { below 1 -> 2 below 3 -> 4 else -> 5 }", "scale x { below 1 -> 2  below 3 -> 4  else -> 5 }",
     "scale x { below 1 -> 2  below 3 -> 4  else -> 5 }"),
])
def test_the_styles_differ_only_in_readability_parentheses(text: str, as_written: str, canonical: str) -> None:
    e = parsed(text)
    assert expr_text(e) == as_written
    assert format_expr(e) == canonical


def test_the_ladder_is_the_grammars() -> None:
    ladder = ["if a then b else c", "a or b", "a and b", "not a", "a < b", "a + b", "a * b", "-a", "a"]
    assert [level(parsed(t)) for t in ladder] == list(Level)


def test_a_subclass_changes_spelling_and_leaves_not_precedence() -> None:
    class Shouting(ExprPrinter):
        ops: ClassVar[Mapping[str, str]] = {"and": "AND", "*": "×"}

        def name(self, e: ast.Name) -> str:
            return e.name.upper()

    e = parsed("(a + b) * c and d")
    assert Shouting().expr(e) == "(A + B) × C AND D"
    assert expr_text(e) == "(a + b) * c and d"
    assert Shouting().expr(ast.Number(Decimal("0.2"), "20%", SPAN), Level.ATOM) == "20%"
