"""The step library, its documentation and the features agree with each other.

docs/specs.md lists every step (generated from kpidsl/specs/steps.py); these tests
fail when the list drifts from the library, when a documented step does not
exist or a library step is undocumented, when two steps could match the same
sentence, or when a step leaks programming words into the business language.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kpidsl.specs import (
    docs,
    steps,  # noqa: F401  (importing steps declares them)
)
from kpidsl.specs.templates import PLACEHOLDERS, STEPS, compile_template, display

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "specs.md"
KEYWORD_KIND = {word: (lang, kind) for lang, words in docs.KEYWORDS.items() for kind, word in words.items()}

# A value for every placeholder, as a spec would write it.
SAMPLES = {
    "ru": {"employee": "«Смирнова Анна»", "kpi": "«ROAS»", "rule": "«unit_economics»", "action": "«Пересмотреть»",
           "text": "«не хватает данных»", "path": "«../data/facts.csv»", "status": "«не выполнен»",
           "amount": "31 360,00 ₽", "value": "−0,008", "period": "2026Q3", "code": "K101",
           "source": "«Сделки из CRM»"},
    "en": {"employee": '"Anna Smirnova"', "kpi": '"ROAS"', "rule": '"unit_economics"', "action": '"Review"',
           "text": '"missing data"', "path": '"../data/facts.csv"', "status": '"missed"',
           "amount": "31,360.00", "value": "-0.008", "period": "2026Q3", "code": "K101",
           "source": '"deals"'},
}


def sample(template: str, lang: str) -> str:
    text = re.sub(r"[«\"]?\{(\w+)\}[»\"]?", lambda m: SAMPLES[lang][m.group(1)], template)
    return text.rstrip(":")  # the colon before a table or text is optional


def documented_steps() -> list[tuple[str, str, str]]:
    """(language, kind, text without keyword) of every step line in the docs' list."""
    section = docs.current_section(DOCS.read_text(encoding="utf-8"))
    assert section is not None, "docs/specs.md lost the markers of the step list"
    found = []
    for line in section.splitlines():
        m = re.match(r"^[*\s]*`(\S+) ([^`]+)`", line)
        if m and m.group(1) in KEYWORD_KIND:
            lang, kind = KEYWORD_KIND[m.group(1)]
            found.append((lang, kind, m.group(2)))
    return found


def test_docs_step_list_is_generated_from_the_library() -> None:
    section = docs.current_section(DOCS.read_text(encoding="utf-8"))
    assert section == docs.steps_section(), "docs/specs.md is out of date: run `python -m kpidsl.specs.docs`"


def test_every_documented_step_exists_and_every_step_is_documented() -> None:
    documented = documented_steps()
    library = {(lang, s.kind, display(s.template(lang), lang)) for s in STEPS for lang in ("ru", "en")}
    assert set(documented) == library
    assert len(documented) == len(library) == 2 * len(STEPS)
    # And each documented line, filled in, is understood by exactly the step it documents.
    labels = {lang: {label[lang]: name for name, (_, label) in PLACEHOLDERS.items()} for lang in ("ru", "en")}
    for lang, kind, text in documented:
        template = re.sub(r"<([^>]+)>", lambda m, names=labels[lang]: "{" + names[m.group(1)] + "}", text)
        matching = [s for s in STEPS if s.kind == kind and compile_template(s.template(lang)).fullmatch(
            sample(template, lang))]
        assert len(matching) == 1, (lang, kind, text, [s.key for s in matching])


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_no_sentence_matches_two_steps(lang: str) -> None:
    for step in STEPS:
        sentence = sample(step.template(lang), lang)
        matching = [s.key for s in STEPS if s.kind == step.kind
                    and compile_template(s.template(lang)).fullmatch(sentence)]
        assert matching == [step.key], sentence


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_steps_speak_business_words(lang: str) -> None:
    programming = re.compile(r"\b(None|True|False|Decimal|dict|list|str|int|float|null|json|sql|api)\b|[_()\[\]=<>]",
                             re.IGNORECASE)
    for step in STEPS:
        words = re.sub(r"\{\w+\}", "", step.template(lang))
        assert not programming.search(words), step.template(lang)
        if lang == "ru":  # Russian steps are Russian apart from KPI
            assert not re.search(r"\b(?!KPI\b)[A-Za-z]{2,}\b", words), step.template(lang)


def test_templates_keep_their_placeholders_in_both_languages() -> None:
    for step in STEPS:
        assert sorted(step.params("ru")) == sorted(step.params("en")), step.key
        assert step.doc_ru and step.doc_en


def test_quotes_may_be_angled_or_straight() -> None:
    pattern = compile_template("премия сотрудника «{employee}» составляет {amount}")
    for text in ("премия сотрудника «Смирнова Анна» составляет 31 360",
                 'премия сотрудника "Смирнова Анна" составляет 31 360,00 ₽',
                 "премия  сотрудника “Смирнова Анна” составляет 31360"):
        m = pattern.fullmatch(text)
        assert m is not None and m.group("employee") == "Смирнова Анна", text


def test_feature_steps_all_exist_in_the_library() -> None:
    """A spec in features/ that uses an unknown step fails here with its line, not only at run time."""
    from pytest_bdd.feature import get_features

    patterns = {(lang, s.kind): [] for s in STEPS for lang in ("ru", "en")}
    for s in STEPS:
        for lang in ("ru", "en"):
            patterns[(lang, s.kind)].append(compile_template(s.template(lang)))
    features = get_features([str(ROOT / "features")])
    assert features, "features/ has no feature files"
    for feature in features:
        lang = "ru" if feature.language == "ru" else "en"
        for scenario in feature.scenarios.values():
            scenario_steps = list(scenario.steps) + (list(feature.background.steps) if feature.background else [])
            for step in scenario_steps:
                if "<" in step.name:  # an outline step: checked when its examples are filled in
                    continue
                assert any(p.fullmatch(step.name) for p in patterns[(lang, step.type)]), \
                    f"{feature.filename}:{step.line_number}: {step.keyword} {step.name}"


def test_steps_command_prints_the_library() -> None:
    from click.testing import CliRunner

    from kpidsl.cli.main import cli

    result = CliRunner().invoke(cli, ["test", "--steps", "ru"])
    assert result.exit_code == 0
    for step in STEPS:
        assert display(step.ru, "ru") in result.output


def test_every_step_is_exercised_by_the_features() -> None:
    """Each step of the library runs in kpidsl's own specs, in at least one language."""
    from pytest_bdd.feature import get_features

    used: set[str] = set()
    for feature in get_features([str(ROOT / "features")]):
        lang = "ru" if feature.language == "ru" else "en"
        for template in feature.scenarios.values():
            examples = [row for ex in template.examples for row in ex.as_contexts()] or [{}]
            for context in examples:
                for step in template.render(context).steps:
                    used.update(s.key for s in STEPS if s.kind == step.type
                                and compile_template(s.template(lang)).fullmatch(step.name))
    assert {s.key for s in STEPS} - used == set()
