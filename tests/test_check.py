"""The static checker: golden diagnostics for every code, then each check's rules in detail.

Golden files: `tests/golden/diagnostics/<CODE>.kpi` is the smallest ruleset that
triggers CODE, `<CODE>.expected` the exact rendered output of `kpidsl check` on it
(`K010.kpi` deliberately does not exist).  Regenerate after an intended change
with `KPIDSL_UPDATE_GOLDEN=1 pytest tests/test_check.py` and review the diff.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpidsl.api import check_file
from kpidsl.base.diagnostics import Diagnostic, Severity, render_human
from kpidsl.language import ast

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "diagnostics"
CODES = sorted({p.stem for p in GOLDEN.glob("K*.kpi")} | {p.stem for p in GOLDEN.glob("K*.expected")})
UPDATE = os.environ.get("KPIDSL_UPDATE_GOLDEN") == "1"


def render_file(path: str) -> tuple[str, list[Diagnostic]]:
    checked = check_file(path)
    text = "".join(render_human(d, checked.sources) + "\n" for d in checked.diagnostics)
    return text, checked.diagnostics


@pytest.mark.parametrize("code", CODES)
def test_golden_diagnostic(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)  # spans read `K040.kpi:5:6`, whatever the checkout's path
    rendered, diagnostics = render_file(f"{code}.kpi")
    assert code in {d.code for d in diagnostics}, rendered
    expected = GOLDEN / f"{code}.expected"
    if UPDATE:
        expected.write_text(rendered, encoding="utf-8")
    assert rendered == expected.read_text(encoding="utf-8")


CHECK_STAGES = ("language/parse.py", "language/syntax.py", "language/build.py", "language/load.py", "check/checker.py",
                "check/expressions.py", "check/lints.py", "check/payouts.py", "check/levels.py",
                "check/assignments.py", "check/rollup.py", "check/versions.py")
DOCS = ROOT / "docs" / "language.md"


def codes_in(paths: list[Path]) -> set[str]:
    return {c for p in paths for c in re.findall(r'"(K\d{3})"', p.read_text(encoding="utf-8"))}


def test_every_code_has_a_golden_and_every_k_code_is_documented() -> None:
    """Codes `kpidsl check` raises == codes with a golden file; every K code anywhere is in the docs."""
    checker = codes_in([ROOT / "kpidsl" / name for name in CHECK_STAGES])
    everywhere = codes_in(list((ROOT / "kpidsl").rglob("*.py")))
    documented = set(re.findall(r"^#### (K\d{3})\b", DOCS.read_text(encoding="utf-8"), flags=re.MULTILINE))
    assert checker == set(CODES), "codes without a golden file, or goldens of unused codes"
    assert everywhere <= documented, f"undocumented: {sorted(everywhere - documented)}"


def docs_section() -> str:
    """The diagnostic-code entries of docs/language.md, made from the golden files."""
    out = []
    for code in CODES:
        expected = (GOLDEN / f"{code}.expected").read_text(encoding="utf-8")
        severity = re.search(r"(error|warning|hint)\[" + code, expected)
        source = GOLDEN / f"{code}.kpi"
        if source.exists():
            lines = source.read_bytes().decode("utf-8", errors="replace").splitlines()
            title = lines[0].removeprefix(f"# {code}:").strip() if lines[0].startswith("#") else ""
        else:
            title = "a ruleset file that cannot be read (here: it does not exist)."
        out.append(f"#### {code}\n\n{severity.group(1) if severity else '?'}: {title}\n")
        out.append(_docs_example(code, source))
        out.append(f"```text\n{expected}```\n")
    return "\n".join(out)


def _docs_example(code: str, source: Path) -> str:
    if code == "K010":
        return "```text\n$ kpidsl check K010.kpi\n```\n"
    if code == "K011":
        return ("The file was saved in Windows-1251; it reads, in that encoding:\n\n```kpi\n"
                + source.read_bytes().decode("cp1251") + "```\n")
    text = source.read_text(encoding="utf-8")
    if code == "K006":
        head = text.splitlines()[:6]
        text = "\n".join(head) + "\n  …             # six hundred terms in all\n  a\n"
    example = f"```kpi\n{text}```\n"
    if code == "K013":
        other = (GOLDEN / "_K013_other.kpi").read_text(encoding="utf-8")
        example = f"`K013.kpi`:\n\n{example}\n`_K013_other.kpi`:\n\n```kpi\n{other}```\n"
    return example


def test_docs_examples_check_without_errors() -> None:
    """Every `kpi` example of sections 1–5 checks clean against the standard library."""
    reference = DOCS.read_text(encoding="utf-8").split("## 6. Diagnostic codes")[0]
    blocks = re.findall(r"```kpi\n(.*?)```", reference, flags=re.DOTALL)
    assert len(blocks) >= 12
    for block in blocks:
        text = block if "import std/marketing" in block else "import std/marketing\n" + block
        errors = [(d.code, d.message) for d in check_text(text) if d.is_error]
        if '"common/base"' in block:  # the import example names illustrative files
            assert {code for code, _ in errors} == {"K012"}
        else:
            assert errors == [], block


def test_docs_show_each_golden() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    begin, end = "<!-- diagnostics:begin -->\n", "<!-- diagnostics:end -->"
    head, rest = docs.split(begin, 1)
    _, tail = rest.split(end, 1)
    wanted = head + begin + docs_section() + end + tail
    if UPDATE:
        DOCS.write_text(wanted, encoding="utf-8")
    assert docs == wanted, "regenerate with KPIDSL_UPDATE_GOLDEN=1"


# ---------------------------------------------------------------- helpers

HEADER = 'ruleset "Тест" { currency RUB period quarter locale ru }\n'


def check_text(text: str) -> list[Diagnostic]:
    """Check a ruleset given as text (its imports resolve against the bundled rulesets)."""
    return check_file(str(ROOT / "rulesets" / "test_input.kpi"), text=text).diagnostics


def codes(text: str) -> list[str]:
    return [d.code for d in check_text(text)]


def only(text: str, code: str) -> Diagnostic:
    found = [d for d in check_text(text) if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in check_text(text)]
    return found[0]


def role_with(*lines: str, settings: str = "") -> str:
    """Three facts and a role with the given KPI lines."""
    return (HEADER + 'fact customers "Клиенты" unit count\nfact revenue "Выручка" unit RUB\n'
            'fact reviews "Отзывы" unit count\n'
            f"role manager {{ {settings}\n" + "\n".join(lines) + "\n}\n")


THREE = ("kpi customers weight 0.4 target 300 bonus 5000",
         "kpi revenue weight 0.3 target 1000000 bonus 10000",
         "kpi reviews weight 0.3 target 80 bonus 5000")


# ---------------------------------------------------------------- the seed and the library


def test_seed_has_no_errors_and_exactly_the_expected_warnings() -> None:
    diagnostics = check_file(str(ROOT / "rulesets" / "seed_marketing.kpi")).diagnostics
    assert not [d for d in diagnostics if d.is_error]
    found = sorted((d.code, d.message) for d in diagnostics)
    assert found == [
        ("K101", "role `seo` has 6 KPIs; the method recommends 3–5 per person (more loses focus)"),
        ("K102", "`cpc` is a process metric used as a weighted KPI in role `seo`"),
        ("K102", "`cpc` is a process metric used as a weighted KPI in role `targetologist`"),
        ("K102", "`ctr` is a process metric used as a weighted KPI in role `targetologist`"),
    ]


def test_standard_library_alone_is_clean_except_the_ltv_cac_hint() -> None:
    diagnostics = check_file(str(ROOT / "rulesets" / "std" / "marketing.kpi")).diagnostics
    assert [(d.code, d.severity) for d in diagnostics] == [("K104", Severity.HINT)]


def test_a_clean_role_has_no_diagnostics() -> None:
    assert check_text(role_with(*THREE)) == []


# ---------------------------------------------------------------- names


def test_unknown_name_suggests_close_names_case_insensitively() -> None:
    d = only(HEADER + 'fact Revenue unit RUB\nmetric m = revenue * 2 unit RUB\n', "K021")
    assert d.message == "unknown name `revenue`"
    assert d.hint == "did you mean `Revenue`?"


def test_unknown_name_without_a_close_match_says_how_to_declare_it() -> None:
    d = only(HEADER + "metric m = zzz * 2\n", "K021")
    assert d.hint is not None and "fact zzz" in d.hint


def test_names_resolve_across_imports_and_a_local_definition_overrides() -> None:
    text = HEADER + "import std/marketing\nmetric roas \"ROAS\" = revenue / ad_spend unit ratio\n" \
        "metric my_share = roas * 2 unit ratio\n"
    assert codes(text) == ["K104"]  # std defines ltv and cac; nothing else to say


@pytest.mark.parametrize(("text", "context"), [
    ("metric m = attainment * 2", "a metric formula"),
    ("goal g = weight", "a goal"),
    ("rule r { when deviation > 0 }", "a rule's condition"),
])
def test_scoring_names_exist_only_in_schemes_and_kpi_conditions(text: str, context: str) -> None:
    d = only(HEADER + text + "\n", "K026")
    assert d.message.endswith(f"cannot be used in {context}")


def test_kpi_conditions_see_scoring_names_and_ruleset_values() -> None:
    lines = (THREE[0] + " require attainment >= 50% and revenue > 0 when deviation < 0 action \"x\"",
             *THREE[1:])
    assert check_text(role_with(*lines)) == []


def test_role_wide_require_sees_only_ruleset_values() -> None:
    d = only(role_with(*THREE, settings="require attainment > 1"), "K026")
    assert "role's `require`" in d.message


def test_scheme_formulas_see_scoring_inputs_and_index_once_defined() -> None:
    ok = HEADER + "scheme s { index = weight * attainment bonus = plan_bonus * (1 + index - weight) }\n"
    assert check_text(ok) == []
    before = only(HEADER + "scheme s { bonus = plan_bonus * index index = weight }\n", "K026")
    assert before.hint == "define `index` above the formula that uses it"
    assert check_text(HEADER + "fact revenue\nscheme s { index = revenue bonus = plan_bonus }\n") == []


def test_where_clause_names_are_columns_not_values() -> None:
    text = HEADER + 'records deals { file "d.csv" date closed_at }\n' \
        'fact won = count from deals where status = "won" and amount > 1000 and revenu = 1\n'
    assert check_text(text) == []


def test_kpi_indicator_must_be_a_metric_fact_or_card() -> None:
    text = role_with("kpi goal_x weight 1 target 1 bonus 1").replace("role manager", "goal goal_x = 5\nrole manager")
    d = only(text, "K022")
    assert d.message == "`goal_x` is a goal, not something to measure"


def test_unknown_kpi_suggests_indicators() -> None:
    d = only(role_with("kpi revenu weight 0.4 target 1 bonus 1", *THREE[1:]), "K021")
    assert d.message == "unknown KPI `revenu` in role `manager`"
    assert d.hint == "did you mean `revenue` or `reviews`?"


def test_a_role_or_scheme_name_in_an_expression_is_the_wrong_kind() -> None:
    d = only(HEADER + "role seo { }\nmetric m = seo * 2\n", "K022")
    assert d.message == "`seo` is a role, not a value a metric formula can use"


# ---------------------------------------------------------------- cycles


def test_cycle_through_goals_and_cards_is_found_once() -> None:
    text = HEADER + "goal a = b + 1\nparam b = a * 2\nmetric c = c\n"
    found = [d for d in check_text(text) if d.code == "K023"]
    assert [d.message for d in found] == ["`a` depends on itself: `a` → `b` → `a`",
                                          "`c` depends on itself: `c` → `c`"]


def test_long_metric_chain_is_not_a_cycle_and_does_not_exhaust_recursion() -> None:
    lines = ["fact f0 unit count"] + [f"metric m{i} = {'f0' if i == 0 else f'm{i - 1}'} + 1 unit count"
                                      for i in range(3000)]
    assert check_text(HEADER + "\n".join(lines) + "\n") == []


# ---------------------------------------------------------------- functions and types


@pytest.mark.parametrize(("formula", "code", "message"), [
    ("rnd(revenue)", "K030", "unknown function `rnd`"),
    ("round(revenue, 2, 3)", "K031", "`round` takes 1 or 2 argument(s), not 3"),
    ("max(revenue)", "K031", "`max` takes at least 2 argument(s), not 1"),
    ("abs()", "K031", "`abs` takes 1 argument(s), not 0"),
    ("growth(1 + 2)", "K032", "`growth` needs the name of a fact or metric"),
    ("prev(g)", "K032", "`prev` needs a fact or metric, but `g` is a goal"),
    ("round(revenue, 2.5)", "K032", "the digits of `round` must be a whole number written out (0–12)"),
    ("round(revenue, g)", "K032", "the digits of `round` must be a whole number written out (0–12)"),
    ("revenue + (revenue > 1)", "K033", "`+` needs a number, but this is a condition (true or false)"),
    ("revenue + \"x\"", "K034", "`+` cannot use a text"),
    ("-(revenue > 1)", "K033", "`-` needs a number, but this is a condition (true or false)"),
    ("if revenue then 1 else 2", "K033", "`if` needs a condition (true or false), but this is a number"),
    ("if revenue > 1 then 1 else revenue > 2", "K033", "one branch of `if` is a number and the other a condition"),
    ("revenue / 0", "K042", "divides by zero"),
])
def test_function_and_type_errors(formula: str, code: str, message: str) -> None:
    d = only(HEADER + f"fact revenue unit RUB\ngoal g = 2\nmetric m = {formula}\n", code)
    assert d.message == message


@pytest.mark.parametrize(("condition", "code", "message"), [
    ("1 + 2", "K033", "`require` needs a condition (true or false), but this is a number"),
    ("revenue = \"many\"", "K034", "compares a text with a number"),
    ("not revenue", "K033", "`not` needs a condition (true or false), but this is a number"),
    ("(revenue > 1) < (revenue > 2)", "K033", "`<` cannot order conditions (true/false)"),
    ("revenue > 1 and 2", "K033", "`and` needs a condition (true or false), but this is a number"),
])
def test_conditions_must_be_conditions(condition: str, code: str, message: str) -> None:
    lines = (THREE[0], THREE[1] + f" require {condition}", THREE[2])
    assert only(role_with(*lines), code).message == message


def test_good_functions_pass() -> None:
    text = HEADER + ("fact revenue unit RUB\nfact orders unit count\n"
                     "metric m = round(max(revenue, 1, 2) / min(orders, 3), 2) + abs(prev(revenue)) unit RUB\n"
                     "metric g = growth(m) unit percent\n")
    assert check_text(text) == []


def test_scale_bounds_must_be_ascending_literals() -> None:
    good = HEADER + "fact nps unit percent\nmetric s = scale nps { below -5 -> 0 below 50% -> 1 else -> 2 }\n"
    assert check_text(good) == []
    d = only(good.replace("below 50%", "below -10"), "K038")
    assert d.message == "scale bounds must go up row by row"
    assert "(-5)" in (d.hint or "")
    assert only(good.replace("below 50%", "below nps"), "K038").message == \
        "a scale bound must be a number written out"


# ---------------------------------------------------------------- units


@pytest.mark.parametrize(("formula", "message"), [
    ("revenue + orders", "adds `orders` (count) to `revenue` (RUB): different units"),
    ("revenue - usd", "subtracts `usd` (USD) from `revenue` (RUB): different units"),
    ("if share > revenue then 1 else 0", "compares `share` (percent/ratio) with `revenue` (RUB): different units"),
    ("max(orders, revenue)", "`max` mixes different units"),
])
def test_unit_mismatches_warn(formula: str, message: str) -> None:
    text = HEADER + ("fact revenue unit RUB\nfact usd unit USD\nfact orders unit count\n"
                     "metric share = orders / orders unit percent\n" f"metric m = {formula}\n")
    d = only(text, "K035")
    assert (d.severity, d.message) == (Severity.WARNING, message)


@pytest.mark.parametrize("formula", [
    "revenue + 5", "revenue * share + revenue", "revenue / orders + 1", "growth(revenue) + share",
    "revenue * (1 + share)", "orders - orders", "revenue / revenue + share", "unknown_unit + revenue",
])
def test_compatible_or_unknown_units_do_not_warn(formula: str) -> None:
    text = HEADER + ("fact revenue unit RUB\nfact orders unit count\nfact unknown_unit\n"
                     "metric share = orders / orders unit percent\n" f"metric m = {formula}\n")
    assert check_text(text) == []


def test_unknown_unit_and_declared_unit_contradiction() -> None:
    d = only(HEADER + "fact visits unit cnt\n", "K036")
    assert d.hint == "did you mean `count` or `percent`?"
    assert only(HEADER + "fact revenue unit rub\n", "K036").hint == "write currency codes in capitals: `RUB`"
    d = only(HEADER + "fact a unit count\nfact b unit count\nmetric m = a / b unit RUB\n", "K037")
    assert d.message == "metric `m` is declared in RUB, but its formula gives percent/ratio"


def test_target_in_another_unit_than_its_indicator_warns() -> None:
    text = role_with(THREE[0], THREE[1].replace("target 1000000", "target customers * 2"), THREE[2])
    d = only(text, "K035")
    assert d.message == "the target of `revenue` is in count, but `revenue` is in RUB"


# ---------------------------------------------------------------- roles


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=5))
def test_weights_error_exactly_when_they_do_not_sum_to_1(cents: list[int]) -> None:
    facts = "".join(f"fact f{i} unit count\n" for i in range(len(cents)))
    lines = "".join(f"kpi f{i} weight {Decimal(c) / 100} target 10 bonus 100\n" for i, c in enumerate(cents))
    diagnostics = check_text(HEADER + facts + f"role r {{\n{lines}}}\n")
    errors = [d for d in diagnostics if d.code == "K040"]
    total = sum(Decimal(c) / 100 for c in cents)
    if total == 1:
        assert errors == []
    else:
        assert [d.message for d in errors] == [f"weights of role `r` sum to {total.normalize():f}, not 1"]
        assert errors[0].location.line == len(cents) + 2  # type: ignore[union-attr]  # at the role's name


def test_weights_from_params_are_summed_with_the_language_arithmetic() -> None:
    text = role_with(*THREE).replace("weight 0.4", "weight 1 - w - w").replace("weight 0.3", "weight w") \
        .replace("role manager", "param w = 0.3\nrole manager")
    assert check_text(text) == []
    # constants are exact: three weights of 1 / 3 sum to 1, not to 3 × 0.333333333333
    thirds = role_with(*THREE).replace("weight 0.4", "weight 1 / 3").replace("weight 0.3", "weight 1 / 3")
    assert [d for d in check_text(thirds) if d.code == "K040"] == []
    third = role_with(*THREE).replace("weight 0.4", "weight w").replace("weight 0.3", "weight 1 - 2 * w", 1) \
        .replace("weight 0.3", "weight w").replace("role manager", "param w = 1 / 3\nrole manager")
    assert check_text(third) == []
    # a sum that is not 1 is shown rounded once, as the engine would use it
    short = role_with(*THREE).replace("weight 0.4", "weight 1 / 3").replace("weight 0.3", "weight 1 / 3", 1)
    d = only(short, "K040")
    assert d.message == "weights of role `manager` sum to 0.966666666667, not 1"  # 1/3 + 1/3 + 0.3 = 29/30
    assert d.hint == "weights are shares of the role's bonus; change them by 0.033333333333 in total"


def test_weights_from_min_max_abs_round_are_constants() -> None:
    text = (role_with(*THREE).replace("weight 0.4", "weight max(0.1, 0.4)")
            .replace("weight 0.3", "weight abs(-0.3)", 1).replace("weight 0.3", "weight round(0.29, 1)"))
    assert check_text(text) == []
    off = role_with(*THREE).replace("weight 0.4", "weight min(0.1, 0.4)")
    assert only(off, "K040").message == "weights of role `manager` sum to 0.7, not 1"


def test_constant_that_is_exactly_zero_is_a_zero_target_and_divisor() -> None:
    # 1 - 1 / 3 * 3 is exactly 0 (per-operation rounding would have left 0.000000000001)
    zero_target = role_with(*THREE).replace("target 300", "target 1 - 1 / 3 * 3")
    assert only(zero_target, "K042").message.startswith("the target of `customers` is 0")
    divides = role_with(*THREE).replace("target 300", "target 300 / (1 - 1 / 3 * 3)")
    assert only(divides, "K042").message == "divides by zero"


def test_weight_that_depends_on_data_is_an_error() -> None:
    d = only(role_with(THREE[0].replace("weight 0.4", "weight revenue / revenue"), *THREE[1:]), "K048")
    assert d.message == "the weight of `customers` depends on data"


def test_missing_settings_are_listed_together() -> None:
    d = only(role_with("kpi customers", *THREE[1:]), "K041")
    assert d.message == ("KPI `customers` in role `manager` has no `weight`, `target` or `bonus` "
                         "(the role's other KPIs pay one)")


def test_card_goal_serves_as_target_and_a_card_without_indicator_cannot_be_a_kpi() -> None:
    card = 'kpi loyalty "Лояльность" { indicator reviews goal 80 }\n'
    text = role_with("kpi loyalty weight 0.3 bonus 5000", *THREE[:2]).replace("role manager", card + "role manager")
    assert check_text(text) == []
    bare = text.replace("indicator reviews goal 80", "goal 80")
    d = only(bare, "K041")
    assert d.message == "KPI card `loyalty` has no `indicator`, so role `manager` cannot measure it"


@pytest.mark.parametrize(("target", "message"), [
    ("0", "the target of `revenue` is 0: attainment (fact / target) would divide by zero"),
    ("zero", "the target of `revenue` is 0: attainment (fact / target) would divide by zero"),
    ("zero * 5 + 0", "the target of `revenue` is 0: attainment (fact / target) would divide by zero"),
])
def test_zero_target_literal_or_through_goals(target: str, message: str) -> None:
    text = role_with(THREE[0], f"kpi revenue weight 0.3 target {target} bonus 10000", THREE[2]) \
        .replace("role manager", "goal zero = 1 - 1\nrole manager")
    assert only(text, "K042").message == message


def test_zero_target_of_a_lower_is_better_metric() -> None:
    text = role_with(THREE[0], "kpi cost weight 0.3 target 0 bonus 10000", THREE[2]) \
        .replace("role manager", "metric cost = revenue / customers unit RUB better lower\nrole manager")
    assert only(text, "K042").message == "the target of `cost` is 0: attainment (target / fact) would always be 0"


def test_negative_weight_and_bonus() -> None:
    lines = (THREE[0].replace("weight 0.4", "weight 0.8"), THREE[1].replace("weight 0.3", "weight -0.1"),
             THREE[2].replace("bonus 5000", "bonus -5000"))
    found = sorted(d.message for d in check_text(role_with(*lines)) if d.code == "K043")
    assert found == ["the bonus of `reviews` is negative (-5000)", "the weight of `revenue` is negative (-0.1)"]


def test_kpi_listed_twice() -> None:
    d = only(role_with(*THREE[:2], THREE[0].replace("weight 0.4", "weight 0.3")), "K044")
    assert d.message == "KPI `customers` is listed twice in role `manager` (first on line 6)"


def test_scheme_outputs() -> None:
    found = [d.message for d in check_text(HEADER + "scheme s { index = 1 index = 2 weight = 3 }\n")
             if d.code == "K045"]
    assert found == ["scheme `s` does not define `bonus`", "`index` is defined twice in scheme `s`",
                     "`weight` is a scoring value; a scheme cannot redefine it"]


def test_scheme_steps_and_ruleset_values_are_allowed() -> None:
    text = HEADER + ("param cap = 150%\n"
                     "scheme capped { capped = min(attainment, cap) index = weight * capped "
                     "bonus = plan_bonus * capped }\n")
    assert check_text(text) == []
    d = only(HEADER + "scheme s { index = weight * later later = 1 bonus = plan_bonus }\n", "K021")
    assert "later" in d.message


def test_role_scheme_must_exist_but_the_default_always_does() -> None:
    assert check_text(role_with(*THREE, settings="scheme weighted_index")) == []
    d = only(role_with(*THREE, settings="scheme weigted_index"), "K025")
    assert d.hint == "did you mean `weighted_index`?"


@pytest.mark.parametrize(("header", "message"), [
    ('ruleset "x" { period quartal }', "unknown period `quartal`"),
    ('ruleset "x" { locale de }', "unknown locale `de`"),
    ('ruleset "x" { currency rubles }', "`rubles` is not a currency code"),
    ('ruleset "x" { currency usd }', "`usd` is not a currency code"),
])
def test_header_settings(header: str, message: str) -> None:
    assert only(header + "\n", "K046").message == message


@pytest.mark.parametrize(("text", "message"), [
    ("fact a\nmetric m = a kind diagnostic", "unknown metric kind `diagnostic`"),
    ("rule r { when 1 > 0 level fatal }", "unknown level `fatal`"),
    ('kpi c "C" { frequency hourly }', "unknown frequency `hourly`"),
])
def test_other_setting_values(text: str, message: str) -> None:
    assert only(HEADER + text + "\n", "K047").message == message


def test_employees() -> None:
    text = HEADER + ('role designer { }\nemployee "А" role designr\n'
                     'employee "Б" role designer\nemployee "Б" role designer\n')
    found = {d.code: d for d in check_text(text)}
    assert found["K024"].hint == "did you mean `designer`?"
    assert found["K049"].message == 'employee "Б" is listed twice (first on line 4)'


def test_rule_needs_a_condition() -> None:
    assert only(HEADER + 'rule r { level critical action "x" }\n', "K041").message == \
        "rule `r` has no `when` condition"


# ---------------------------------------------------------------- records


def test_records_and_aggregations() -> None:
    ok = HEADER + ('records deals { file "deals.csv" date closed_at employee manager }\n'
                   'fact won = count from deals where status = "won"\n'
                   'fact revenue = sum amount from deals unit RUB\n'
                   'fact clients = count distinct client from deals\n')
    assert check_text(ok) == []
    assert only(ok.replace("from deals where", "from dels where"), "K050").hint == "did you mean `deals`?"
    assert only(ok.replace("date closed_at ", ""), "K051").message == "records `deals` have no `date` column"
    assert only(ok.replace("distinct client", "distinct"), "K052").message == "`count distinct` needs a column"
    assert check_text(ok.replace('status = "won"', "is_paid")) == []  # a column may hold true/false
    assert only(ok.replace('status = "won"', "1 + 2"), "K033").message == \
        "`where` needs a condition (true or false), but this is a number"


def test_aggregated_count_is_a_count_for_units() -> None:
    text = HEADER + ('records deals { file "deals.csv" date closed_at }\n'
                     'fact won = count from deals\nfact revenue unit RUB\nmetric m = won + revenue\n')
    assert only(text, "K035").message == "adds `revenue` (RUB) to `won` (count): different units"


# ---------------------------------------------------------------- robustness


def test_a_deeply_nested_formula_is_a_diagnostic() -> None:
    text = HEADER + "fact a\nmetric m = " + " + ".join(["a"] * 700) + "\n"
    assert codes(text) == ["K006"]


def test_check_model_returns_diagnostics_in_source_order() -> None:
    text = HEADER + "metric b = zz\nmetric a = yy\n"
    lines = [d.location.line for d in check_text(text)]  # type: ignore[union-attr]
    assert lines == sorted(lines) and len(lines) == 2


def test_ast_is_not_mutated_by_checking() -> None:
    checked = check_file(str(ROOT / "rulesets" / "seed_marketing.kpi"))
    assert checked.model is not None
    before = repr(checked.model.values)
    from kpidsl.check.checker import check_model

    check_model(checked.model)
    assert repr(checked.model.values) == before
    assert isinstance(checked.model.values["roas"], ast.Metric)


def test_every_evaluation_and_data_code_is_documented() -> None:
    """Every E code the engine raises is in docs/eval.md's table, every D code in docs/data.md."""
    sources = list((ROOT / "kpidsl").rglob("*.py"))
    for letter, doc in (("E", "eval.md"), ("D", "data.md")):
        raised = {c for p in sources for c in re.findall(rf'"({letter}\d{{3}})"', p.read_text(encoding="utf-8"))}
        text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
        documented = set(re.findall(rf"\b({letter}\d{{3}})\b", text))
        assert raised, f"no {letter} codes found in kpidsl/"
        assert raised <= documented, f"{doc} does not document {sorted(raised - documented)}"
