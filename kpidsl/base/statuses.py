"""The statuses of a KPI result, and their words in each language the outputs speak.

A KPI line ends `met`, `missed`, `gated` or `no_data` (engine/scoring.py decides which).
The codes are the machine contract (JSON, CSV, Parquet, the reports' CSS classes);
people read words, and the words differ with where they stand:

* `short` — the terminal table and `kpidsl explain` (`условие не выполнено` / `gated`);
* `label` — the reports' label (`не выполнено условие` / `condition failed`);
* `spec` — what a spec writes and a failing step says (`заблокирован условием
  качества` / `gated by a quality condition`).

This is the one list: `results.model.Status` and `STATUS_TEXT`, the reports' `status.*`
messages (output/i18n.py), `output.analysis.STATUSES` and the spec library's
`STATUS_WORDS` (specs/words.py) are derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Status = Literal["met", "missed", "gated", "no_data"]
STATUSES: tuple[str, ...] = get_args(Status)  # in the order outputs list them
LANGUAGES = ("ru", "en")


@dataclass(frozen=True)
class StatusWords:
    """One status's words in one language, for each place that shows it."""

    short: str  # the terminal table, explain
    label: str  # the reports
    spec: str  # the spec library

    @classmethod
    def same(cls, words: str) -> StatusWords:
        return cls(words, words, words)

    def all(self) -> tuple[str, str, str]:
        return self.short, self.label, self.spec


WORDS: dict[str, dict[Status, StatusWords]] = {
    "ru": {
        "met": StatusWords.same("выполнен"),
        "missed": StatusWords.same("не выполнен"),
        "gated": StatusWords("условие не выполнено", "не выполнено условие", "заблокирован условием качества"),
        "no_data": StatusWords.same("нет данных"),
    },
    "en": {
        "met": StatusWords.same("met"),
        "missed": StatusWords.same("missed"),
        "gated": StatusWords("gated", "condition failed", "gated by a quality condition"),
        "no_data": StatusWords.same("no data"),
    },
}


def status_words(status: str, lang: str) -> StatusWords:
    """The words of `status` in `lang` (English for a language without words, as
    `base.numbers.language_of` falls back); an unknown status is its own code."""
    words = WORDS.get(lang, WORDS["en"])
    return next((w for code, w in words.items() if code == status), StatusWords.same(status))
