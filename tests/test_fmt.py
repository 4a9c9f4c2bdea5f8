"""`kpidsl fmt`: golden layouts, idempotence, round trip with every comment kept, CLI.

Golden pairs live in tests/golden/fmt as NAME.input.kpi / NAME.expected.kpi.  The
round-trip property builds random rulesets as text (random declarations, nested
expressions, Cyrillic names, random spacing and comments between any two tokens)
and checks that formatting changes neither the parse tree nor the comments.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import fields, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpidsl.base.diagnostics import Span
from kpidsl.base.resources import resource_dir
from kpidsl.cli.main import cli
from kpidsl.language import ast
from kpidsl.language.fmt import format_expr, format_ruleset, quote, same_ruleset
from kpidsl.language.parse import parse

GOLDEN = Path(__file__).parent / "golden" / "fmt"
RULESETS = resource_dir("rulesets")


def fmt(text: str) -> str:
    tree, diagnostics = parse(text, "t.kpi")
    assert tree is not None and not diagnostics, diagnostics
    return format_ruleset(tree, text)


def bare(node: Any) -> Any:
    """The test's own span-stripping view of an AST (independent of kpidsl.language.fmt)."""
    if is_dataclass(node) and not isinstance(node, type):
        return (type(node).__name__,
                *(bare(getattr(node, f.name)) for f in fields(node) if f.name not in ("span", "file", "comments")))
    if isinstance(node, tuple):
        return tuple(bare(x) for x in node)
    return node


def moved_header(items: tuple[ast.Item, ...]) -> list[Any]:
    """Items in the formatter's order: a single header first, the rest as written."""
    out = list(items)
    headers = [i for i, it in enumerate(out) if isinstance(it, ast.Header)]
    if len(headers) == 1:
        out.insert(0, out.pop(headers[0]))
    return [bare(it) for it in out]


def assert_round_trip(text: str) -> str:
    """Format `text`; the result parses to the same tree, keeps every comment, is stable."""
    before, diagnostics = parse(text, "t.kpi")
    assert before is not None and not diagnostics, diagnostics
    out = format_ruleset(before, text)
    after, diagnostics = parse(out, "t.kpi")
    assert after is not None and not diagnostics, (diagnostics, out)
    assert moved_header(after.items) == moved_header(before.items), out
    assert sorted(c.text for c in after.comments) == sorted(c.text for c in before.comments), out
    assert format_ruleset(after, out) == out, "formatting is not idempotent"
    assert same_ruleset(before, after)
    return out


# ------------------------------------------------------------------ golden files

CASES = sorted(p.name[: -len(".input.kpi")] for p in GOLDEN.glob("*.input.kpi"))


def test_golden_cases_exist() -> None:
    assert {"comments", "constructs", "precedence", "messy_spacing", "layout"} <= set(CASES)
    for case in CASES:
        assert (GOLDEN / f"{case}.expected.kpi").exists(), case


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    source = (GOLDEN / f"{case}.input.kpi").read_bytes().decode("utf-8")
    expected = (GOLDEN / f"{case}.expected.kpi").read_text(encoding="utf-8")
    assert fmt(source) == expected
    assert fmt(expected) == expected  # canonical text is a fixed point
    assert_round_trip(source)


@pytest.mark.parametrize("path", ["seed_marketing.kpi", "std/marketing.kpi"])
def test_shipped_rulesets_are_stable(path: str) -> None:
    text = (RULESETS / path).read_text(encoding="utf-8")
    once = assert_round_trip(text)
    assert fmt(once) == once


def test_seed_is_already_in_the_house_style_up_to_padding() -> None:
    text = (RULESETS / "seed_marketing.kpi").read_text(encoding="utf-8")
    squeeze = lambda s: [re.sub(r"\s+", " ", line).strip() for line in s.splitlines()]  # noqa: E731
    assert squeeze(fmt(text)) == squeeze(text)


@pytest.mark.parametrize(("opener", "closer"), [
    ("-", ""), ("f(", ")"), ("not ", ""), ("a + (", ")"), ("if a then b else ", ""),
    ("scale ", " { below 1 -> 2 else -> 3 }"),
])
def test_the_deepest_expression_the_parser_accepts_can_be_formatted(opener: str, closer: str) -> None:
    def text(depth: int) -> str:
        return f"metric m = {opener * depth}a{closer * depth}\n"

    low, high = 1, 2000  # the parser refuses (K006) somewhere in between (syntax.MAX_DEPTH)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if parse(text(middle))[0] is not None else (low, middle)
    assert low > 100
    before, _ = parse(text(low - 3))
    assert before is not None
    out = format_ruleset(before, text(low - 3))
    after, diagnostics = parse(out)
    assert after is not None and not diagnostics
    assert same_ruleset(before, after)  # (this test's own `bare` view is recursive: too deep here)
    assert format_ruleset(after, out) == out


def test_comments_inside_block_and_file_end_are_kept_in_place() -> None:
    out = fmt('role r {\n  kpi a weight 1\n  # closing words\n}\n\n# the very end\n')
    assert out == 'role r {\n  kpi a weight 1\n  # closing words\n}\n\n# the very end\n'


def test_several_trailing_comments_on_one_printed_line() -> None:
    out = fmt("metric m = a  # one\n  + b  # two\n")
    assert out == "# one\nmetric m = a + b  # two\n"


def test_whole_line_comment_inside_a_split_construct_goes_above_it() -> None:
    out = fmt("fact a\n# about the unit\n  unit count\nfact b\n")
    assert out == "# about the unit\nfact a unit count\nfact b\n"


def test_a_facts_direction_goes_after_its_unit_and_aligns_in_the_run() -> None:
    text = ('fact cps "CPS" area sales better lower unit RUB\n'
            'fact revenue "Выручка" source accounting unit RUB\n'
            "fact leads = count from deals better higher  # written, so kept\n")
    out = assert_round_trip(text)
    assert out == ('fact cps     "CPS"                        unit RUB better lower                    area sales\n'
                   'fact revenue "Выручка"                    unit RUB               source accounting\n'
                   "fact leads             = count from deals          better higher  # written, so kept\n")


def test_facts_without_a_direction_print_as_before() -> None:
    assert fmt('fact a "A" unit RUB source crm\nfact bb unit count area sales\n') == (
        'fact a  "A" unit RUB   source crm\nfact bb     unit count            area sales\n')


def test_a_facts_direction_on_its_own_line_keeps_its_comment() -> None:
    out = assert_round_trip('fact cps "CPS"\n  unit RUB\n  better lower  # a cost\n')
    assert out == 'fact cps "CPS" unit RUB better lower  # a cost\n'


def test_empty_and_comment_only_files() -> None:
    assert fmt("") == ""
    assert fmt("\n\n  \n") == ""
    assert fmt("# a\n\n\n\n# b   \n") == "# a\n\n# b\n"


# ------------------------------------------------------------------ expressions and texts


def _expr(text: str) -> ast.Expr:
    tree, diagnostics = parse(f"metric m = {text}")
    assert tree is not None and not diagnostics
    item = tree.items[0]
    assert isinstance(item, ast.Metric)
    return item.formula


@pytest.mark.parametrize(("written", "canonical"), [
    ("a - (b - c)", "a - (b - c)"),
    ("(a - b) - c", "a - b - c"),
    ("a / (b / c)", "a / (b / c)"),
    ("(a + b) * c", "(a + b) * c"),
    ("a + (b * c)", "a + b * c"),
    ("-(a + b)", "-(a + b)"),
    ("(-a) * b", "-a * b"),
    ("a == b", "a = b"),
    ("a ≤ b", "a <= b"),
    ("a ≥ b", "a >= b"),
    ("a ≠ b", "a != b"),
    ("a × b ÷ c", "a * b / c"),
    ("(a < b) = c", "(a < b) = c"),
    ("not (a < b)", "not a < b"),
    ("(not a) < b", "(not a) < b"),
    ("a or (b and c)", "a or b and c"),
    ("(a or b) and c", "(a or b) and c"),
    ("(if a then b else c) * 2", "(if a then b else c) * 2"),
    ("if a then b else (if c then d else e)", "if a then b else if c then d else e"),
    ("scale x { below 80% → 0 else → 1 }", "scale x { below 80% -> 0  else -> 1 }"),
    ("10_000_000 * 20% + 1.5e3", "10_000_000 * 20% + 1.5e3"),
])
def test_expression_canonical_form(written: str, canonical: str) -> None:
    assert format_expr(_expr(written)) == canonical
    assert bare(_expr(canonical)) == bare(_expr(written))


@pytest.mark.parametrize("value", ['say "hi"', "back\\slash", "line\nbreak", "tab\there", "Ромашка #1", ""])
def test_strings_are_requoted_to_the_same_value(value: str) -> None:
    tree, _ = parse(f"employee {quote(value)} role r")
    assert tree is not None
    employee = tree.items[0]
    assert isinstance(employee, ast.Employee) and employee.name == value


def test_same_ruleset_notices_a_changed_value_and_a_lost_comment() -> None:
    a, _ = parse("fact a unit count  # note\n")
    b, _ = parse("fact a unit RUB  # note\n")
    c, _ = parse("fact a unit count\n")
    d, _ = parse("\n\nfact  a  unit count # note")
    assert a and b and c and d
    assert not same_ruleset(a, b)
    assert not same_ruleset(a, c)
    assert same_ruleset(a, d)
    left, _ = parse("metric m = (a - b) - c")
    right, _ = parse("metric m = a - (b - c)")
    assert left and right and not same_ruleset(left, right)


# ------------------------------------------------------------------ round trip (hypothesis)


def _keywords() -> set[str]:
    grammar = (resource_dir("grammar") / "kpidsl.lark").read_text(encoding="utf-8")
    return set(re.findall(r'"([a-z]+)"', grammar))


KEYWORDS = _keywords()
LETTERS = "abcdefghxyz_абвгдежзиклмнопрстуфхцчшщэюяё"
names = st.text(alphabet=LETTERS + "0123456789", min_size=1, max_size=7).filter(
    lambda s: not s[0].isdigit() and s not in KEYWORDS)
numbers = st.sampled_from(["0", "7", "12", "1_000", "10_000_000", "0.5", "3.25", "20%", "1.5%", "100%", "1e3", "2E-2"])
comment_text = st.text(alphabet="abc xyz#\"'\\—ёжЯ()-=*", max_size=20)
string_chars = st.text(alphabet='ab Я#"\\\t\n—{}', max_size=12)


@st.composite
def strings(draw: st.DrawFn) -> str:
    """A string literal written the way a person might, escapes included."""
    body = []
    for ch in draw(string_chars):
        if ch == '"':
            body.append('\\"')
        elif ch == "\\":
            body.append(draw(st.sampled_from(["\\\\", "\\q"])))  # \q reads as q
        elif ch == "\n":
            body.append("\\n")
        elif ch == "\t":
            body.append(draw(st.sampled_from(["\\t", "\t"])))
        else:
            body.append(ch)
    return '"' + "".join(body) + '"'


BINARY = ["+", "-", "*", "/", "×", "÷", "<", "<=", "≤", ">", ">=", "≥", "=", "==", "!=", "≠", "and", "or"]


def expressions(names_: st.SearchStrategy[str] = names) -> st.SearchStrategy[str]:
    """Expression text; composite operands are parenthesised (the printer drops what it can)."""
    atom = st.one_of(names_, numbers, strings())

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        paren = inner.map(lambda e: f"({e})")
        operand = st.one_of(atom, paren)
        return st.one_of(
            st.tuples(operand, st.sampled_from(BINARY), operand).map(" ".join),
            operand.map(lambda e: f"-{e}"),
            operand.map(lambda e: f"not {e}"),
            st.tuples(inner, inner, inner).map(lambda t: f"if {t[0]} then {t[1]} else {t[2]}"),
            st.tuples(st.sampled_from(["min", "max", "growth", "round", "f"]),
                      st.lists(inner, min_size=1, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(inner, st.lists(st.tuples(inner, inner), min_size=1, max_size=3), inner).map(
                lambda t: "scale " + t[0] + " { " + " ".join(f"below {b} -> {v}" for b, v in t[1])
                + f" else → {t[2]} }}"),
            paren,
        )

    return st.recursive(atom, grow, max_leaves=8)


@st.composite
def operator_chains(draw: st.DrawFn, depth: int = 3) -> str:
    """Dense nests of binary operators, where a wrongly dropped parenthesis changes the tree."""
    if depth == 0 or draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["a", "b", "c", "1", "20%"]))
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return f"not ({draw(operator_chains(depth - 1))})"
    if shape == 1:
        return f"-({draw(operator_chains(depth - 1))})"
    op = draw(st.sampled_from(["-", "/", "+", "*", "<", "=", "and", "or"]))
    return f"({draw(operator_chains(depth - 1))}) {op} ({draw(operator_chains(depth - 1))})"


def title() -> st.SearchStrategy[list[str]]:
    return st.one_of(st.just([]), strings().map(lambda s: [s]))


def shuffled(draw: st.DrawFn, parts: list[list[str]]) -> list[str]:
    return [tok for part in draw(st.permutations(parts)) for tok in part]


def optional(draw: st.DrawFn, *options: list[str]) -> list[list[str]]:
    return [o for o in options if draw(st.booleans())]


@st.composite
def declaration(draw: st.DrawFn) -> list[str]:
    kind = draw(st.sampled_from(["import", "fact", "records", "metric", "card", "scheme", "role",
                                 "employee", "goal", "rule"]))
    n, e = draw(names), st.one_of(expressions(), operator_chains())
    if kind == "import":
        return ["import", draw(st.sampled_from(["std/marketing", '"std/marketing"', '"base"', "../общие/база.kpi"]))]
    if kind == "fact":
        head = ["fact", n, *draw(title())]
        if draw(st.booleans()):
            fn = draw(st.sampled_from(["count", "sum", "avg", "min", "max"]))
            agg = ["=", fn, *(["distinct"] if draw(st.booleans()) else [])]
            agg += [draw(names)] if fn != "count" or draw(st.booleans()) else []
            agg += ["from", draw(names)] + (["where", draw(e)] if draw(st.booleans()) else [])
            head += agg
        return head + shuffled(draw, optional(draw, ["unit", draw(names)],
                                              ["better", draw(st.sampled_from(["higher", "lower"]))],
                                              ["source", draw(names)], ["area", draw(names)]))
    if kind == "records":
        body = shuffled(draw, optional(draw, ["file", draw(strings())], ["date", draw(names)],
                                       ["employee", draw(names)]))
        return ["records", n, *draw(title()), "{", *body, "}"]
    if kind == "metric":
        attrs = optional(draw, ["unit", draw(names)], ["better", draw(st.sampled_from(["higher", "lower"]))],
                         ["kind", draw(names)])
        return ["metric", n, *draw(title()), "=", draw(e), *shuffled(draw, attrs)]
    if kind == "card":
        fields_ = optional(draw, *([kw, draw(strings())] for kw in ("measures", "audience", "access", "source",
                                                                   "owner")),
                           ["frequency", draw(names)], ["indicator", draw(names)],
                           ["goal", draw(e), *(["by", "2026-12-31"] if draw(st.booleans()) else [])])
        return ["kpi", n, *draw(title()), "{", *shuffled(draw, fields_), "}"]
    if kind == "scheme":
        scheme_names = st.one_of(names, st.sampled_from(["weight", "target", "bonus", "baseline", "index"]))
        body = [tok for a, x in draw(st.lists(st.tuples(scheme_names, expressions(scheme_names)), max_size=3))
                for tok in (a, "=", x)]
        return ["scheme", n, *draw(title()), "{", *body, "}"]
    if kind == "role":
        settings_ = optional(draw, ["scheme", draw(names)])
        settings_ += [["controls", *", ".join(draw(st.lists(names, min_size=1, max_size=3))).split(" ")]
                      for _ in range(draw(st.integers(0, 2)))]
        settings_ += [["require", draw(e)] for _ in range(draw(st.integers(0, 2)))]
        body = shuffled(draw, settings_)
        for _ in range(draw(st.integers(0, 3))):
            attrs = optional(draw, *([kw, draw(e)] for kw in ("weight", "baseline", "target", "bonus")))
            clauses = [["require", draw(e)] for _ in range(draw(st.integers(0, 2)))]
            clauses += [["when", draw(e), "action", draw(strings())] for _ in range(draw(st.integers(0, 2)))]
            body += ["kpi", draw(names), *shuffled(draw, attrs), *shuffled(draw, clauses)]
        return ["role", n, *draw(title()), "{", *body, "}"]
    if kind == "employee":
        return ["employee", draw(strings()), "role", n]
    if kind == "goal":
        return [draw(st.sampled_from(["goal", "param"])), n, *draw(title()), "=", draw(e)]
    fields_ = optional(draw, ["when", draw(e)], ["level", draw(names)], ["message", draw(strings())])
    fields_ += [["action", draw(strings())] for _ in range(draw(st.integers(0, 2)))]
    return ["rule", n, *draw(title()), "{", *shuffled(draw, fields_), "}"]


@st.composite
def header(draw: st.DrawFn) -> list[str]:
    parts = optional(draw, ["client", draw(strings())], ["currency", "RUB"], ["period", "quarter"], ["locale", "ru"])
    return ["ruleset", draw(strings()), "{", *shuffled(draw, parts), "}"]


@st.composite
def rulesets(draw: st.DrawFn) -> tuple[str, int]:
    """(ruleset text, number of comments written into it)."""
    items = draw(st.lists(declaration(), max_size=5))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), draw(header()))
    tokens = [tok for item in items for tok in item]
    out: list[str] = []
    comments = 0
    for tok in [*tokens, ""]:
        sep = draw(st.sampled_from([" ", " ", "\n", "  ", "\n\n", "\t", "#", "\n#", "\r\n"]))
        if sep.endswith("#"):
            sep = sep + draw(comment_text) + "\n"
            comments += 1
        out.append(sep)
        out.append(tok)
    return "".join(out), comments


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets())
def test_round_trip_keeps_tree_and_comments(case: tuple[str, int]) -> None:
    text, written = case
    tree, diagnostics = parse(text, "t.kpi")
    assert tree is not None and not diagnostics, (diagnostics, text)  # the generator writes valid rulesets
    assert len(tree.comments) == written
    out = assert_round_trip(text)
    after, _ = parse(out)
    assert after is not None and len(after.comments) == written


@settings(max_examples=150, deadline=None)
@given(st.one_of(expressions(), operator_chains()))
def test_expression_printing_keeps_meaning(text: str) -> None:
    expr = _expr(text)
    printed = format_expr(expr)
    assert bare(_expr(printed)) == bare(expr)
    assert format_expr(_expr(printed)) == printed


@settings(max_examples=100, deadline=None)
@given(operator_chains())
def test_every_printed_parenthesis_is_needed(text: str) -> None:
    printed = format_expr(_expr(text))
    meaning = bare(_expr(printed))
    stack: list[int] = []
    for i, ch in enumerate(printed):
        if ch == "(":
            stack.append(i)
        elif ch == ")":
            j = stack.pop()
            if printed[j - 1:j + 2] == "-(-":
                continue  # `-(-a)`, not `--a`: the one deliberate extra pair (see kpidsl.language.fmt)
            without = printed[:j] + printed[j + 1:i] + printed[i + 1:]
            tree, diagnostics = parse(f"metric m = {without}")
            changed = tree is None or bool(diagnostics) or bare(tree.items[0].formula) != meaning  # type: ignore[union-attr]
            assert changed, f"redundant parentheses in {printed!r}"


def test_bare_view_sees_values_not_positions() -> None:
    one = ast.Number(Decimal("0.2"), "20%", Span("a", 1, 1))
    assert bare(one) == bare(ast.Number(Decimal("0.2"), "20%", Span("b", 9, 9)))
    assert bare(one) != bare(ast.Number(Decimal("0.2"), "0.2", Span("a", 1, 1)))


# ------------------------------------------------------------------ command line

MESSY = 'fact  a   unit count # kept\nrole r{kpi a weight 1 target 10}\n'


def run(*args: str, stdin: str | bytes | None = None) -> Any:
    result = CliRunner().invoke(cli, ["fmt", *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_cli_prints_formatted_text_and_leaves_the_file_alone(tmp_path: Path) -> None:
    f = tmp_path / "a.kpi"
    f.write_text(MESSY, encoding="utf-8")
    before = f.stat().st_mtime_ns
    result = run(str(f))
    assert result.exit_code == 0
    assert result.stdout == fmt(MESSY)
    assert "# kept" in result.stdout
    assert f.read_text(encoding="utf-8") == MESSY and f.stat().st_mtime_ns == before


def test_cli_reads_standard_input() -> None:
    result = run("-", stdin=MESSY.encode("utf-8"))
    assert result.exit_code == 0 and result.stdout == fmt(MESSY)


def test_cli_check_lists_files_that_would_change(tmp_path: Path) -> None:
    messy, tidy = tmp_path / "messy.kpi", tmp_path / "tidy.kpi"
    messy.write_text(MESSY, encoding="utf-8")
    tidy.write_text(fmt(MESSY), encoding="utf-8")
    result = run("--check", str(messy), str(tidy))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [str(messy)]
    assert messy.read_text(encoding="utf-8") == MESSY
    assert run("--check", str(tidy)).exit_code == 0


def test_cli_check_counts_a_byte_order_mark_or_crlf_as_a_change(tmp_path: Path) -> None:
    tidy = fmt(MESSY)
    bom, crlf = tmp_path / "bom.kpi", tmp_path / "crlf.kpi"
    bom.write_bytes(b"\xef\xbb\xbf" + tidy.encode("utf-8"))
    crlf.write_bytes(tidy.replace("\n", "\r\n").encode("utf-8"))
    result = run("--check", str(bom), str(crlf))
    assert result.exit_code == 1 and result.stdout.splitlines() == [str(bom), str(crlf)]


def test_cli_write_rewrites_only_changed_files_atomically(tmp_path: Path) -> None:
    messy, tidy = tmp_path / "messy.kpi", tmp_path / "tidy.kpi"
    messy.write_text(MESSY, encoding="utf-8")
    tidy.write_text(fmt(MESSY), encoding="utf-8")
    os.chmod(messy, 0o644)
    tidy_inode = tidy.stat().st_ino
    result = run("-w", str(messy), str(tidy))
    assert result.exit_code == 0
    assert messy.read_text(encoding="utf-8") == fmt(MESSY)
    assert stat.S_IMODE(messy.stat().st_mode) == 0o644  # permissions survive the rename
    assert tidy.stat().st_ino == tidy_inode  # an unchanged file is not rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messy.kpi", "tidy.kpi"]  # no temp files left
    assert result.stdout == ""
    assert run("--check", str(messy)).exit_code == 0


def test_cli_write_goes_through_a_symlink(tmp_path: Path) -> None:
    real, link = tmp_path / "real.kpi", tmp_path / "link.kpi"
    real.write_text(MESSY, encoding="utf-8")
    link.symlink_to(real)
    assert run("--write", str(link)).exit_code == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8") == fmt(MESSY)


@pytest.mark.parametrize("option", [[], ["--write"], ["--check"]])
def test_cli_syntax_error_is_reported_and_the_file_untouched(tmp_path: Path, option: list[str]) -> None:
    bad = tmp_path / "bad.kpi"
    text = "fact a unit count\nrole r {\n  kpi a weight 0,5\n}\n"
    bad.write_text(text, encoding="utf-8")
    result = run(*option, str(bad))
    assert result.exit_code == 1
    assert f"{bad}:3:" in result.stderr and "error[K" in result.stderr
    assert "^" in result.stderr  # compiler style: source line and caret
    assert result.stdout == ""
    assert bad.read_text(encoding="utf-8") == text


def test_cli_duplicate_setting_is_not_formatted_away(tmp_path: Path) -> None:
    dup = tmp_path / "dup.kpi"
    dup.write_text("fact a unit count unit RUB\n", encoding="utf-8")
    result = run("-w", str(dup))
    assert result.exit_code == 1 and "K003" in result.stderr
    assert dup.read_text(encoding="utf-8") == "fact a unit count unit RUB\n"


def test_cli_unreadable_and_non_utf8_inputs(tmp_path: Path) -> None:
    latin = tmp_path / "latin.kpi"
    latin.write_bytes("fact a \"Выручка\"\n".encode("cp1251"))
    result = run(str(latin), str(tmp_path / "missing.kpi"))
    assert result.exit_code == 1
    assert "K011" in result.stderr and "K010" in result.stderr


def test_cli_good_files_are_still_formatted_next_to_a_bad_one(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.kpi", tmp_path / "bad.kpi"
    good.write_text(MESSY, encoding="utf-8")
    bad.write_text("fact\n", encoding="utf-8")
    result = run("-w", str(bad), str(good))
    assert result.exit_code == 1
    assert good.read_text(encoding="utf-8") == fmt(MESSY)


@pytest.mark.parametrize("args", [[], ["--write", "--check", "x.kpi"], ["--bogus", "x.kpi"], ["-", "-"]])
def test_cli_usage_errors_exit_2(args: list[str]) -> None:
    assert run(*args).exit_code == 2


def test_cli_help() -> None:
    result = run("--help")
    assert result.exit_code == 0 and "--check" in result.stdout and "--write" in result.stdout


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet='fact role kpi {}()"#\n=<-+*/%0123456789.,_ абвwhen', max_size=60))
def test_cli_never_crashes_on_any_input(text: str) -> None:
    result = run("-", stdin=text.encode("utf-8"))
    assert result.exit_code in (0, 1)
    if result.exit_code == 0:
        assert result.stdout == fmt(text)


def test_fmt_command_does_not_import_heavy_libraries() -> None:
    import subprocess
    import sys

    code = ("import sys; from kpidsl.cli.main import main\n"
            "try:\n    main(['fmt', '-'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('duckdb', 'sqlglot', 'openpyxl', 'jinja2') if m in sys.modules]\n"
            "print(heavy, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], input=MESSY, capture_output=True, text=True, timeout=60)
    assert done.stderr.strip().endswith("[]"), done.stderr
