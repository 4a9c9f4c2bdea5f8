"""The words the language server shows, in Russian and English: hover cards, completion details.

The scoring names' explanations are the employee statement's (`statement.term.*` in
reports/locales), so a consultant reads the same words in the editor and in a statement.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["ru", "en"]

WORDS: dict[str, dict[Lang, str]] = {
    "fact": {"ru": "факт", "en": "fact"},
    "metric": {"ru": "метрика", "en": "metric"},
    "goal": {"ru": "цель", "en": "goal"},
    "param": {"ru": "параметр", "en": "param"},
    "card": {"ru": "карточка KPI", "en": "KPI card"},
    "role": {"ru": "роль", "en": "role"},
    "scheme": {"ru": "схема премирования", "en": "scoring scheme"},
    "records": {"ru": "записи", "en": "records"},
    "rule": {"ru": "правило", "en": "rule"},
    "column": {"ru": "столбец записей `{records}`", "en": "a column of the records `{records}`"},
    "builtin": {"ru": "значение расчёта KPI", "en": "a scoring value"},
    "unit": {"ru": "единица", "en": "unit"},
    "better.higher": {"ru": "лучше больше", "en": "higher is better"},
    "better.lower": {"ru": "лучше меньше", "en": "lower is better"},
    "kind.result": {"ru": "показатель результата", "en": "a result indicator"},
    "kind.process": {"ru": "показатель процесса (для диагностики, не для оценки)",
                     "en": "a process indicator (for diagnosis, not for evaluation)"},
    "source": {"ru": "источник", "en": "source"},
    "area": {"ru": "зона", "en": "area"},
    "aggregated": {"ru": "из записей", "en": "from records"},
    "defined": {"ru": "определено в", "en": "defined in"},
    "versions": {"ru": "версии (период — по версии, действующей в его первый день)",
                 "en": "versions (a period uses the one in force on its first day)"},
    "version.since": {"ru": "с {day}", "en": "from {day}"},
    "version.start": {"ru": "с начала", "en": "from the start"},
    "version.until": {"ru": "по {day}", "en": "to {day}"},
    "unknown": {"ru": "не объявлено", "en": "not declared"},
    "card.measures": {"ru": "что измеряет", "en": "measures"},
    "card.audience": {"ru": "для кого", "en": "audience"},
    "card.access": {"ru": "доступ", "en": "access"},
    "card.source": {"ru": "источник", "en": "source"},
    "card.frequency": {"ru": "периодичность", "en": "frequency"},
    "card.owner": {"ru": "ответственный", "en": "owner"},
    "card.indicator": {"ru": "показатель", "en": "indicator"},
    "card.goal": {"ru": "цель", "en": "goal"},
    "card.by": {"ru": "к", "en": "by"},
    "line.title": {"ru": "KPI роли `{role}`", "en": "KPI of the role `{role}`"},
    "line.weight": {"ru": "вес {weight} — {share} индекса роли", "en": "weight {weight}: {share} of the role's index"},
    "line.baseline": {"ru": "база {value}", "en": "baseline {value}"},
    "line.target": {"ru": "цель {value}", "en": "target {value}"},
    "line.no_target": {"ru": "цель не задана", "en": "no target"},
    "line.bonus": {"ru": "плановая премия {value}", "en": "planned bonus {value}"},
    "line.requires": {"ru": "условие качества: {value}", "en": "quality condition: {value}"},
    "line.action": {"ru": "если {condition}: «{text}»", "en": "when {condition}: “{text}”"},
    "line.scheme": {"ru": "схема `{scheme}`", "en": "scheme `{scheme}`"},
    "line.default_scheme": {"ru": "схема по умолчанию `{scheme}`", "en": "the default scheme `{scheme}`"},
    "role.kpis": {"ru": "KPI: {count}", "en": "KPIs: {count}"},
    "records.file": {"ru": "файл", "en": "file"},
    "records.date": {"ru": "дата", "en": "date"},
    "records.employee": {"ru": "сотрудник", "en": "employee"},
    "rule.level": {"ru": "уровень", "en": "level"},
    "import": {"ru": "импорт: {target}", "en": "import: {target}"},
    "import.missing": {"ru": "импорт не найден", "en": "the import is not found"},
    "function": {"ru": "функция", "en": "function"},
    "fix.replace": {"ru": "Заменить на `{name}`", "en": "Replace with `{name}`"},
}


def word(key: str, lang: Lang, **values: object) -> str:
    text = WORDS[key][lang]
    return text.format(**values) if values else text


def language(requested: str | None, ruleset_locale: str | None = None) -> Lang:
    """The editor's language when it is Russian or English, else the ruleset's, else Russian."""
    for candidate in (requested, ruleset_locale):
        if candidate:
            head = candidate.replace("_", "-").split("-")[0].lower()
            if head in ("ru", "en"):
                return "ru" if head == "ru" else "en"
    return "ru"
