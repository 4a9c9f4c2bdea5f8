"""Defect 8b of the issue "Real compensation plans": the employee statement's "how it is
computed" paragraph described `weighted_index` whatever the role's scheme.  It now
describes the scheme that scores the role's lines: the weighted index in the
methodology's words (tests/golden/reports/statement.* keep them byte for byte), any other
scheme by its own formulas as written, with the scoring values explained in words."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from report_fixtures import engine_results, seed_results

from kpidsl.output.render import render_report
from kpidsl.results.model import Formula, Results, SchemeText

RULESET = '''ruleset "Схемы оплаты" {
  currency RUB
  period   quarter
  locale   ru
}
fact sales   "Продажи"
fact calls   "Звонки"
fact quality "Качество"
param cap "Потолок <выполнения>" = 150%

scheme linear "Линейная <схема>" {
  index = weight * attainment
  bonus = plan_bonus * attainment
}
scheme tiered "Ступени" {
  capped = min(attainment, cap)
  index  = weight * capped
  bonus  = plan_bonus * scale capped { below 80% -> 0  below 100% -> 0.5  else -> 1 }
}
scheme all_or_nothing "Всё или ничего" {
  index = weight * attainment
  bonus = if attainment >= 1 then plan_bonus else 0
}

role seller "Продавец" {
  scheme linear
  kpi sales weight 0.5 target 100 bonus 1000
  kpi calls weight 0.5 target 50  bonus 1000
    require quality >= 90%
}
role tiered_seller "Продавец по ступеням" {
  scheme tiered
  kpi sales weight 1 target 100 bonus 2000
}
role caller "Оператор" {
  scheme all_or_nothing
  kpi calls weight 1 target 50 bonus 3000
}
role plain "Обычный" {
  kpi sales weight 1 target 100 bonus 2000
}
employee "Иванов"  role seller
employee "Козлов"  role tiered_seller
employee "Петров"  role caller
employee "Сидоров" role plain
'''
# Attainment exactly 100 %: the numbers the weighted index would give are the linear
# scheme's too, which is how the wrong paragraph used to slip in.
FACTS = '''period,employee,fact,value
2026Q3,,quality,50%
2026Q3,Иванов,sales,100
2026Q3,Иванов,calls,50
2026Q3,Козлов,sales,120
2026Q3,Петров,calls,50
2026Q3,Сидоров,sales,110
'''
WEIGHTED = {"ru": "премия = плановая премия × (1 + индекс − вес)",
            "en": "bonus = planned bonus × (1 + index − weight)"}
WEIGHTED_ARITHMETIC = {"ru": "× (1 + 0,500 − 0,5)", "en": "× (1 + 0.500 − 0.5)"}
TERMS = {"ru": ("`attainment` — выполнение: факт / цель (если лучше меньше — цель / факт)",
                "`weight` — вес показателя в роли", "`plan_bonus` — плановая премия по показателю",
                "Итоговая премия — сумма премий по показателям."),
         "en": ("`attainment` is how far the target is met: actual / target (target / actual where lower is better)",
                "`weight` is the KPI's weight in the role", "`plan_bonus` is the KPI's planned bonus",
                "The total bonus is the sum of the KPI bonuses.")}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    from kpidsl.api import evaluate

    folder = tmp_path_factory.mktemp("schemes")
    (folder / "plans.kpi").write_text(RULESET, encoding="utf-8")
    (folder / "facts.csv").write_text(FACTS, encoding="utf-8")
    evaluation = evaluate(folder / "plans.kpi", [folder / "facts.csv"])
    assert evaluation.results is not None and evaluation.ok, [d.message for d in evaluation.diagnostics]
    return evaluation.results


def statement(results: Results, fmt: str, lang: str) -> dict[str, str]:
    """Each employee's part of the statement, by name."""
    page = render_report(results, fmt, report="statement", locale=lang).decode("utf-8")
    if fmt == "html":
        parts = page.split('<article class="statement" data-employee="')[1:]
        return {part[:part.index('"')]: part[:part.index("</article>")] for part in parts}
    parts = page.split("\n### ")[1:]
    return {part[:part.index("\n")]: part for part in parts}


def code(text: str, fmt: str) -> str:
    """Backticked names as the format shows them, escaped as the page escapes it."""
    if fmt == "md":
        return text
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_8b_statement_describes_the_roles_own_scheme(results: Results, lang: str, fmt: str) -> None:
    people = statement(results, fmt, lang)
    linear = people["Иванов"]
    assert code("`index = weight * attainment`; `bonus = plan_bonus * attainment`", fmt) in linear
    assert WEIGHTED[lang] not in linear
    assert WEIGHTED_ARITHMETIC[lang] not in linear  # nor the weighted index's arithmetic per KPI, gated or not
    for term in TERMS[lang]:
        assert code(term, fmt) in linear
    title = {"ru": "схема «Линейная <схема>»", "en": "scheme “Линейная <схема>”"}[lang]
    # ruleset text is escaped
    assert (title.replace("<", "\\<") if fmt == "md" else title.replace("<", "&lt;").replace(">", "&gt;")) in linear
    assert not re.search(r"(?<!\\)<(схема|выполнения)>", "".join(people.values()))


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_8b_each_role_gets_its_own_scheme_with_if_and_scale(results: Results, lang: str, fmt: str) -> None:
    people = statement(results, fmt, lang)
    tiered, caller, plain = people["Козлов"], people["Петров"], people["Сидоров"]
    assert code("`capped = min(attainment, cap)`; `index = weight * capped`", fmt) in tiered
    scale = "`bonus = plan_bonus * scale capped { below 80% -> 0  below 100% -> 0.5  else -> 1 }`"
    assert code(scale, fmt) in tiered
    cap = {"ru": "`cap` — «Потолок <выполнения>»", "en": "`cap` is “Потолок <выполнения>”"}[lang]
    assert (code(cap, fmt) if fmt == "html" else cap.replace("<", "\\<")) in tiered  # a ruleset value by its title
    assert code("`bonus = if attainment >= 1 then plan_bonus else 0`", fmt) in caller
    assert WEIGHTED[lang] not in tiered and WEIGHTED[lang] not in caller
    # the role without a scheme is scored by the built-in weighted index: today's words
    assert WEIGHTED[lang] in plain and "plan_bonus" not in plain and "<code>" not in plain


def test_8b_the_weighted_index_is_recognised_by_its_formulas() -> None:
    """The statement knows the weighted index by `DEFAULT_SCHEME_FORMULAS`, which must be
    the built-in scheme as the one printer prints it."""
    from kpidsl.language.builtins import DEFAULT_SCHEME_FORMULAS, default_scheme
    from kpidsl.language.exprtext import expr_text

    assert tuple((a.name, expr_text(a.expr)) for a in default_scheme().assignments) == DEFAULT_SCHEME_FORMULAS


def _scheme(name: str, bonus: str) -> SchemeText:
    return SchemeText(name, None, (Formula("index", "weight * attainment", ("weight", "attainment")),
                                   Formula("bonus", bonus, ("plan_bonus", "attainment"))))


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_8b_lines_of_one_role_under_different_schemes_are_each_described(lang: str) -> None:
    """The language gives a role one scheme, but the results hold one per line: should two
    lines differ, the paragraph describes each scheme with the KPIs it scores."""
    base = seed_results()
    manager = next(r for r in base.for_period("2026Q3") if r.employee == "Смирнова Анна")
    half, full = _scheme("half", "plan_bonus * attainment / 2"), _scheme("full", "plan_bonus * attainment")
    schemes = {(manager.role, k.kpi): (half if i == 0 else full) for i, k in enumerate(manager.kpis)}
    text = statement(replace(base, schemes=schemes), "md", lang)["Смирнова Анна"]
    first, others = manager.kpis[0].title, ", ".join(k.title for k in manager.kpis[1:])
    if lang == "ru":
        assert "Как считается: показатели роли считаются по разным схемам." in text
        assert f"По схеме «half» ({first}): `index = weight * attainment`; `bonus = plan_bonus * attainment / 2`." \
            in text
        assert f"По схеме «full» ({others}): `index = weight * attainment`; `bonus = plan_bonus * attainment`." in text
    else:
        assert "How it is calculated: the role's KPIs are scored by different schemes." in text
        assert f"By the scheme “half” ({first}): `index = weight * attainment`" in text
    assert WEIGHTED[lang] not in text


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_8b_the_weighted_index_reads_as_before_named_or_not(fmt: str) -> None:
    """The seed's own `weighted_index` (the golden files' case) is described exactly as
    results that do not name their schemes are, by their numbers."""
    real = engine_results()
    assert {s.name for s in real.schemes.values()} == {"weighted_index"}
    for lang in ("ru", "en"):
        assert statement(real, fmt, lang) == statement(replace(real, schemes={}), fmt, lang)
