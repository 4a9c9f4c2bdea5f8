"""The one list of KPI statuses and their words (kpidsl.base.statuses), and everything
derived from it: the results model's words, the reports' labels, the report's legend, the
spec library's words and aliases, the XLSX fills and chart colours."""

from __future__ import annotations

from typing import get_args

import pytest

from kpidsl.base.statuses import LANGUAGES, STATUSES, WORDS, Status, status_words
from kpidsl.specs import words as spec_words


def test_every_status_has_words_in_every_language_for_every_place() -> None:
    assert STATUSES == get_args(Status) == ("met", "missed", "gated", "no_data")
    assert set(WORDS) == set(LANGUAGES) == {"ru", "en"}
    for lang in LANGUAGES:
        assert set(WORDS[lang]) == set(STATUSES)
        for status in STATUSES:
            assert all(word.strip() == word and word for word in status_words(status, lang).all())
    for status in STATUSES:  # each language has its own words
        ru, en = status_words(status, "ru"), status_words(status, "en")
        assert all(a != b for a, b in zip(ru.all(), en.all(), strict=True))


def test_no_word_names_two_statuses() -> None:
    named: dict[str, str] = {}
    for lang in LANGUAGES:
        for status in STATUSES:
            for word in status_words(status, lang).all():
                assert named.setdefault(word.casefold(), status) == status, word


def test_an_unknown_status_or_language() -> None:
    assert status_words("later", "ru").short == "later"
    assert status_words("gated", "de") == status_words("gated", "en")


def test_the_results_model_and_the_terminal_read_the_short_words() -> None:
    from kpidsl.results.model import STATUS_TEXT

    derived = {lang: {s: status_words(s, lang).short for s in STATUSES} for lang in LANGUAGES}
    assert derived == STATUS_TEXT
    assert STATUS_TEXT["ru"]["gated"] == "условие не выполнено"


def test_the_reports_read_the_labels() -> None:
    from kpidsl.output.analysis import STATUSES as LISTED
    from kpidsl.output.i18n import Formatter

    assert LISTED == STATUSES
    for lang in LANGUAGES:
        f = Formatter(lang, "RUB")
        assert [f.t(f"status.{s}") for s in STATUSES] == [status_words(s, lang).label for s in STATUSES]
    assert Formatter("ru", "RUB").t("status.gated") == "не выполнено условие"


def test_the_spec_library_reads_the_spec_words_and_every_other_word() -> None:
    assert set(spec_words.STATUS_WORDS) == set(STATUSES)
    for status in STATUSES:
        assert spec_words.STATUS_WORDS[status] == {lang: status_words(status, lang).spec for lang in spec_words.LANGS}
    assert set(spec_words.LANGS) <= set(LANGUAGES)
    assert set(spec_words.STATUS_ALIASES.values()) <= set(STATUSES)
    for lang in LANGUAGES:
        for status in STATUSES:
            for word in status_words(status, lang).all():
                assert spec_words.status_from_words(word.upper()) == status
    assert spec_words.status_from_words("blocked") == "gated"
    assert spec_words.status_words("gated", "ru") == "заблокирован условием качества"


@pytest.mark.parametrize("colours", ["xlsx", "charts"])
def test_every_status_has_a_colour(colours: str) -> None:
    if colours == "xlsx":
        from kpidsl.output.xlsx import STATUS_FILL as table
    else:
        from kpidsl.output.charts import COLOURS as table
    assert set(STATUSES) <= set(table)
    assert set(table) - set(STATUSES) <= {"none"}
