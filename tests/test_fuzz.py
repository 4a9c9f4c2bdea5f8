"""Any text at all gives diagnostics, never an exception: random text, token soup, mutated seeds."""

from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpidsl.api import Checked, check_file
from kpidsl.base.diagnostics import Diagnostic, Severity, Span, render_human

ROOT = Path(__file__).resolve().parent.parent
SEED_PATH = ROOT / "rulesets" / "seed_marketing.kpi"
SEED = SEED_PATH.read_text(encoding="utf-8")
TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\d{4}-\d{2}-\d{2}|[\w.\-]+(?:/[\w.\-]+)+|\d[\d_.]*%?|[^\W\d]\w*'
                   r'|->|[<>=!]=|\S')
SEED_TOKENS = TOKEN.findall(SEED)

VOCABULARY = [
    "ruleset", "import", "fact", "records", "metric", "kpi", "scheme", "role", "employee", "goal", "param",
    "rule", "unit", "source", "area", "better", "higher", "lower", "kind", "weight", "target", "bonus",
    "baseline", "require", "when", "action", "controls", "level", "message", "indicator", "frequency",
    "count", "sum", "avg", "min", "max", "distinct", "from", "where", "file", "date", "scale", "below",
    "else", "if", "then", "and", "or", "not", "index", "attainment", "plan_bonus", "prev", "growth", "round",
    "{", "}", "(", ")", ",", "=", "==", "<", "<=", ">", ">=", "!=", "+", "-", "*", "/", "->", "%", "×", "≤",
    "0", "1", "0.2", "20%", "1_000", "1e3", "1e999999", "-5", '"текст"', '"x"', "revenue", "leads", "ltv",
    "cac", "выручка", "лиды", "RUB", "percent", "quarter", "ru", "std/marketing", "2026-12-31", "#c\n", "\n",
]

# KPIDSL_FUZZ_EXAMPLES=5000 for a long hunt; the default keeps the suite quick.
EXAMPLES = int(os.environ.get("KPIDSL_FUZZ_EXAMPLES", "120"))
settings_ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_only_diagnostics(checked: Checked) -> None:
    for d in checked.diagnostics:
        assert isinstance(d, Diagnostic)
        assert re.fullmatch(r"K\d{3}", d.code), d
        assert d.severity in Severity
        assert isinstance(d.location, Span), d
        assert d.location.line >= 1 and d.location.column >= 1
        assert render_human(d, checked.sources)  # rendering never fails either
    if checked.model is None:
        assert any(d.is_error for d in checked.diagnostics)


@settings_
@given(st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs", "Cc")), max_size=300))
def test_random_text(text: str) -> None:
    assert_only_diagnostics(check_file("fuzz.kpi", text=text))


@settings_
@given(st.lists(st.sampled_from(VOCABULARY), max_size=80), st.sampled_from([" ", "\n", "  "]))
def test_token_soup(tokens: list[str], sep: str) -> None:
    assert_only_diagnostics(check_file(str(SEED_PATH), text=sep.join(tokens)))


NAMES = sorted({t for t in SEED_TOKENS if re.fullmatch(r"[^\W\d]\w*", t)} | {"лиды", "ltv", "index", "weight"})
NUMBERS = ["0", "1", "0.5", "20%", "-3", "1e30", "100_000", "0.333333333333"]
MUTATION = st.one_of(
    # renaming and renumbering mostly keep the syntax, so they exercise the checker
    st.tuples(st.just("rename"), st.integers(0, len(SEED_TOKENS) - 1), st.sampled_from(NAMES)),
    st.tuples(st.just("renumber"), st.integers(0, len(SEED_TOKENS) - 1), st.sampled_from(NUMBERS)),
    st.tuples(st.just("delete"), st.integers(0, len(SEED_TOKENS) - 1)),
    st.tuples(st.just("duplicate"), st.integers(0, len(SEED_TOKENS) - 1)),
    st.tuples(st.just("swap"), st.integers(0, len(SEED_TOKENS) - 2)),
    st.tuples(st.just("replace"), st.integers(0, len(SEED_TOKENS) - 1), st.sampled_from(VOCABULARY + SEED_TOKENS)),
    st.tuples(st.just("insert"), st.integers(0, len(SEED_TOKENS) - 1),
              st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяЖЩ{}()#\"'%,.;:=<>+-*/\\ \n\t0123456789_eE",
                      min_size=1, max_size=6)),
)


def mutate(tokens: list[str], mutations: list[tuple]) -> str:  # type: ignore[type-arg]
    out = list(tokens)
    for m in mutations:
        i = min(m[1], len(out) - 1)
        if not out:
            break
        if m[0] == "delete":
            del out[i]
        elif m[0] == "duplicate":
            out.insert(i, out[i])
        elif m[0] == "swap" and i + 1 < len(out):
            out[i], out[i + 1] = out[i + 1], out[i]
        elif ((m[0] == "rename" and re.fullmatch(r"[^\W\d]\w*", out[i]))
              or (m[0] == "renumber" and re.fullmatch(r"\d[\d_.]*%?", out[i]))):
            out[i] = m[2]
        elif m[0] in ("replace", "insert"):
            out[i] = m[2] if m[0] == "replace" else out[i] + m[2]
    return " ".join(t if not t.startswith("#") else t + "\n" for t in out)


@settings_
@given(st.lists(MUTATION, min_size=1, max_size=5))
def test_mutated_seed(mutations: list[tuple]) -> None:  # type: ignore[type-arg]
    text = mutate(SEED_TOKENS, mutations)
    assert_only_diagnostics(check_file(str(SEED_PATH), text=text))


def test_unmutated_token_stream_is_still_the_seed() -> None:
    """The mutation harness itself: re-joining the seed's tokens gives a ruleset that checks the same."""
    checked = check_file(str(SEED_PATH), text=mutate(SEED_TOKENS, []))
    assert sorted(d.code for d in checked.diagnostics) == ["K101", "K102", "K102", "K102"]
