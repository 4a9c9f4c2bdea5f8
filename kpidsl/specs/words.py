"""The words of the step library in Russian and English: statuses, table headers, messages.

Specs are read by business owners, so everything a failing step says comes from
here, in the language of the feature.  Keys are the results model's own terms.
"""

from __future__ import annotations

from typing import Literal

from kpidsl.base import statuses

Lang = Literal["ru", "en"]
LANGS: tuple[Lang, ...] = ("ru", "en")

# KPI status (base.statuses) ↔ the words a spec writes: the one list's `spec` words.
STATUS_WORDS: dict[str, dict[Lang, str]] = {
    status: {lang: statuses.status_words(status, lang).spec for lang in LANGS} for status in statuses.STATUSES}
# Other spellings a spec may use for the same statuses: shorter ones people write, and
# the words the terminal table and the reports show (a spec author copies them from
# there), in either language.
STATUS_ALIASES: dict[str, str] = {
    "заблокирован": "gated",
    "blocked": "gated",
    "blocked by a quality condition": "gated",
    **{word: status for lang in LANGS for status in statuses.STATUSES
       for word in statuses.status_words(status, lang).all()},
}


def status_from_words(text: str) -> str | None:
    """The status a spec names (`не выполнен`, `gated by a quality condition`, `blocked`),
    in either language, letter case and spacing aside; None if it names none."""
    key = " ".join(text.split()).casefold()
    for status, words in STATUS_WORDS.items():
        if key in (words["ru"], words["en"]):
            return status
    return STATUS_ALIASES.get(key)


def status_words(status: str, lang: Lang) -> str:
    """The words a failing step uses for `status`."""
    return STATUS_WORDS.get(status, {}).get(lang, status)


# The values a KPI result has, with their names in each language.  `gender` picks
# the Russian form of "expected" (Ожидался / Ожидалась / Ожидалось).
FIELDS: dict[str, dict[str, str]] = {
    "target": {"ru": "цель", "gender": "f", "en": "target"},
    "fact": {"ru": "факт", "gender": "m", "en": "fact"},
    "baseline": {"ru": "базовое значение", "gender": "n", "en": "baseline"},
    "weight": {"ru": "вес", "gender": "m", "en": "weight"},
    "attainment": {"ru": "выполнение", "gender": "n", "en": "attainment"},
    "index": {"ru": "индекс", "gender": "m", "en": "index"},
    "index_plan": {"ru": "плановый индекс", "gender": "m", "en": "planned index"},
    "deviation": {"ru": "отклонение", "gender": "n", "en": "deviation"},
    "plan_bonus": {"ru": "плановая премия", "gender": "f", "en": "planned bonus"},
    "bonus": {"ru": "премия", "gender": "f", "en": "bonus"},
    "status": {"ru": "статус", "gender": "m", "en": "status"},
    "total_index": {"ru": "итоговый коэффициент", "gender": "m", "en": "total index"},
    "total_index_plan": {"ru": "плановый итоговый коэффициент", "gender": "m", "en": "planned total index"},
}
MONEY_FIELDS = frozenset({"plan_bonus", "bonus"})

# Column headers of the KPI results table (casefolded) → field.
TABLE_HEADERS: dict[str, str] = {
    "kpi": "kpi", "показатель": "kpi",
    "цель": "target", "план": "target", "target": "target", "plan": "target",
    "факт": "fact", "fact": "fact",
    "базовое значение": "baseline", "база": "baseline", "baseline": "baseline",
    "вес": "weight", "weight": "weight",
    "выполнение": "attainment", "attainment": "attainment",
    "индекс": "index", "индекс (факт)": "index", "index": "index",
    "индекс (план)": "index_plan", "плановый индекс": "index_plan",
    "planned index": "index_plan", "index (plan)": "index_plan",
    "отклонение": "deviation", "deviation": "deviation",
    "плановая премия": "plan_bonus", "премия (план)": "plan_bonus",
    "planned bonus": "plan_bonus", "bonus (plan)": "plan_bonus",
    "премия": "bonus", "премия (факт)": "bonus", "bonus": "bonus",
    "статус": "status", "status": "status",
}

# Column headers of a facts table (casefolded) → the facts file's column.
FACT_COLUMNS: dict[str, str] = {
    "период": "period", "period": "period",
    "сотрудник": "employee", "employee": "employee",
    "показатель": "fact", "факт": "fact", "fact": "fact",
    "значение": "value", "value": "value",
}

_EXPECTED_RU = {"m": "Ожидался", "f": "Ожидалась", "n": "Ожидалось"}


def expected_phrase(field: str, lang: Lang) -> str:
    """"Ожидалась премия" / "Expected the bonus"."""
    info = FIELDS[field]
    if lang == "ru":
        return f"{_EXPECTED_RU[info['gender']]} {info['ru']}"
    return f"Expected the {info['en']}"


MESSAGES: dict[str, dict[Lang, str]] = {
    "mismatch": {
        "ru": "{expected_phrase} {subject} {expected}, получено {actual}",
        "en": "{expected_phrase} {subject} to be {expected}, got {actual}",
    },
    "exact": {"ru": " (точно: {value})", "en": " (exactly {value})"},
    "why_missing": {"ru": "; причина: {why}", "en": "; why: {why}"},
    "of_employee": {"ru": "сотрудника «{employee}»", "en": "of \"{employee}\""},
    "of_kpi": {"ru": "KPI «{kpi}» у сотрудника «{employee}»", "en": "of KPI \"{kpi}\" for \"{employee}\""},
    "of_kpi_bonus": {"ru": "по KPI «{kpi}» у сотрудника «{employee}»",
                     "en": "for KPI \"{kpi}\" of \"{employee}\""},
    "table_failed": {"ru": "Результаты по KPI у сотрудника «{employee}» не совпали:\n{lines}",
                     "en": "The KPI results of \"{employee}\" differ:\n{lines}"},
    "table_no_kpi_column": {"ru": "В таблице результатов нужен столбец «KPI»",
                            "en": "The results table needs a \"KPI\" column"},
    "table_unknown_column": {"ru": "Неизвестный столбец «{column}» в таблице результатов; можно: {known}",
                             "en": "Unknown column \"{column}\" in the results table; known: {known}"},
    "no_ruleset": {"ru": "Правила не заданы: добавьте шаг «Дано правила из файла «…»» или «Дано правила:» с текстом",
                   "en": "No ruleset: add the step 'Given the ruleset in file \"…\"' or 'Given the ruleset:' "
                         "with its text"},
    "ruleset_missing_file": {"ru": "Файл правил не найден: {path}", "en": "Ruleset file not found: {path}"},
    "facts_missing_file": {"ru": "Файл фактов не найден: {path}", "en": "Facts file not found: {path}"},
    "roster_missing_file": {"ru": "Файл со списком сотрудников не найден: {path}",
                            "en": "Staff file not found: {path}"},
    "records_missing_file": {"ru": "Файл записей не найден: {path}", "en": "Records file not found: {path}"},
    "records_no_header": {"ru": "Таблица записей (строка {line}): первая строка должна называть столбцы выгрузки",
                          "en": "Records table (line {line}): the first row must name the export's columns"},
    "unknown_records": {"ru": "Записи «{source}» (строка {line}) в правилах не объявлены; объявлены: {known}",
                        "en": "Records \"{source}\" (line {line}) are not declared in the ruleset; declared: {known}"},
    "not_evaluated": {"ru": "Расчёт ещё не выполнен: добавьте шаг «Когда рассчитываются KPI и премии»",
                      "en": "Nothing was calculated yet: add the step 'When the KPIs and bonuses are calculated'"},
    "not_checked": {"ru": "Правила ещё не проверялись и не рассчитывались: добавьте шаг «Когда правила проверяются»",
                    "en": "Nothing was checked yet: add the step 'When the ruleset is checked'"},
    "eval_failed": {"ru": "Расчёт не выполнен — ошибки в правилах или данных:\n{diagnostics}",
                    "en": "The calculation did not run — errors in the ruleset or the data:\n{diagnostics}"},
    "data_notes": {"ru": "Замечания к данным:", "en": "What the data check said:"},
    "no_period": {"ru": "В данных нет ни одного периода", "en": "The data has no periods"},
    "period_not_in_data": {"ru": "Периода {period} нет в данных; есть: {known}",
                           "en": "Period {period} is not in the data; there are: {known}"},
    "unknown_employee": {"ru": "Сотрудник «{employee}» не найден в расчёте за {period}; есть: {known}",
                         "en": "Employee \"{employee}\" is not in the results for {period}; there are: {known}"},
    "unknown_kpi": {"ru": "У сотрудника «{employee}» нет KPI «{kpi}»; есть: {known}",
                    "en": "\"{employee}\" has no KPI \"{kpi}\"; there are: {known}"},
    "ambiguous_kpi": {"ru": "Название «{kpi}» подходит к нескольким KPI: {known}; уточните",
                      "en": "\"{kpi}\" matches several KPIs: {known}; be more specific"},
    "unknown_rule": {"ru": "В правилах нет правила «{rule}»; есть: {known}",
                     "en": "The ruleset has no rule \"{rule}\"; there are: {known}"},
    "rule_not_fired": {"ru": "Ожидалось, что сработает правило «{rule}» за {period}, но оно не сработало",
                       "en": "Expected the rule \"{rule}\" to fire in {period}, but it did not"},
    "rule_fired": {"ru": "Ожидалось, что правило «{rule}» за {period} не сработает, но оно сработало: {message}",
                   "en": "Expected the rule \"{rule}\" not to fire in {period}, but it fired: {message}"},
    "no_gate": {"ru": "У KPI «{kpi}» сотрудника «{employee}» нет условия качества",
                "en": "KPI \"{kpi}\" of \"{employee}\" has no quality condition"},
    "gate_held": {"ru": "Ожидалось, что условие качества KPI «{kpi}» у сотрудника «{employee}» не выполнено, "
                        "но оно выполнено: {conditions}",
                  "en": "Expected the quality condition of KPI \"{kpi}\" for \"{employee}\" to fail, "
                        "but it holds: {conditions}"},
    "gate_failed": {"ru": "Ожидалось, что условие качества KPI «{kpi}» у сотрудника «{employee}» выполнено, "
                          "но оно не выполнено: {conditions}",
                    "en": "Expected the quality condition of KPI \"{kpi}\" for \"{employee}\" to hold, "
                          "but it fails: {conditions}"},
    "no_role_gate": {"ru": "У роли сотрудника «{employee}» нет условия качества на всю премию",
                     "en": "The role of \"{employee}\" has no quality condition on the whole bonus"},
    "role_gate_held": {"ru": "Ожидалось, что условие качества на всю премию сотрудника «{employee}» не выполнено, "
                             "но оно выполнено: {conditions}",
                       "en": "Expected the quality condition on the whole bonus of \"{employee}\" to fail, "
                             "but it holds: {conditions}"},
    "gate_unknown": {"ru": "нет данных", "en": "no data"},
    "action_missing": {"ru": "Ожидалась корректирующая мера «{action}» по KPI «{kpi}» у сотрудника «{employee}»; "
                             "предложено: {actions}",
                       "en": "Expected the corrective action \"{action}\" for KPI \"{kpi}\" of \"{employee}\"; "
                             "proposed: {actions}"},
    "action_present": {"ru": "Ожидалось, что по KPI «{kpi}» у сотрудника «{employee}» мер не будет; "
                             "предложено: {actions}",
                       "en": "Expected no corrective action for KPI \"{kpi}\" of \"{employee}\"; proposed: {actions}"},
    "nothing": {"ru": "ничего", "en": "nothing"},
    "diag_missing_code": {"ru": "Ожидалось замечание {code}; сообщено: {found}",
                          "en": "Expected the diagnostic {code}; reported: {found}"},
    "diag_missing_text": {"ru": "Ожидалось замечание со словами «{text}»; сообщено: {found}",
                          "en": "Expected a diagnostic saying \"{text}\"; reported: {found}"},
    "diag_present_code": {"ru": "Ожидалось, что замечания {code} не будет, но оно есть:\n{found}",
                          "en": "Expected no diagnostic {code}, but it is reported:\n{found}"},
    "diag_present_any": {"ru": "Ожидалось, что ошибок и предупреждений не будет, но есть:\n{found}",
                         "en": "Expected no errors or warnings, but there are:\n{found}"},
    "no_diagnostics": {"ru": "замечаний нет", "en": "no diagnostics"},
    "bad_number": {"ru": "«{text}» — не число (пишите 31 360, 31 360,00 ₽, 0,192 или 15%)",
                   "en": "\"{text}\" is not a number (write 31360, 31,360.00, 0.192 or 15%)"},
    "money_percent": {"ru": "Сумма денег не может быть в процентах: «{text}»",
                      "en": "An amount of money cannot be a percentage: \"{text}\""},
    "bad_status": {"ru": "Неизвестный статус «{text}»; можно: {known}",
                   "en": "Unknown status \"{text}\"; known: {known}"},
    "facts_no_value": {"ru": "Таблица фактов (строка {line}): нужны столбцы «показатель» и «значение» "
                             "или столбцы с названиями фактов",
                       "en": "Facts table (line {line}): it needs \"fact\" and \"value\" columns, "
                             "or one column per fact"},
    "facts_no_period": {"ru": "Таблица фактов (строка {line}): нет столбца «период», и период не задан "
                              "шагом «Дано период …»",
                        "en": "Facts table (line {line}): no \"period\" column and no 'Given the period …' step"},
    "facts_bad_value": {"ru": "Таблица фактов (строка {line}), «{fact}»: {problem}",
                        "en": "Facts table (line {line}), \"{fact}\": {problem}"},
    "facts_table_name": {"ru": "таблица фактов (строка {line})", "en": "facts table (line {line})"},
    # ---- kpidsl test
    "step_not_found": {"ru": "Такого шага нет в библиотеке kpidsl (список шагов: docs/specs.md, "
                             "`kpidsl test --steps`)",
                       "en": "kpidsl's step library has no such step (the list: docs/specs.md, "
                             "`kpidsl test --steps`)"},
    "step_error": {"ru": "Ошибка при выполнении шага: {message}", "en": "The step broke: {message}"},
    "at_line": {"ru": "строка {line}", "en": "line {line}"},
    "feature_syntax": {"ru": "Ошибка в тексте спецификации: {message}", "en": "The spec cannot be read: {message}"},
    "no_scenarios": {"ru": "В спецификации нет сценариев", "en": "The spec has no scenarios"},
    "summary": {"ru": "Сценариев: {total}; прошли: {passed}; не прошли: {failed}",
                "en": "Scenarios: {total}; passed: {passed}; failed: {failed}"},
    "summary_skipped": {"ru": "; пропущены: {skipped}", "en": "; skipped: {skipped}"},
    "summary_broken": {"ru": "; спецификаций с ошибками: {broken}", "en": "; specs that cannot be read: {broken}"},
    "inline_ruleset_name": {"ru": "правила из сценария (строка {line})", "en": "ruleset of the scenario (line {line})"},
}


def msg(key: str, lang: Lang, **values: object) -> str:
    return MESSAGES[key][lang].format(**values)


def listing(items: list[str], lang: Lang) -> str:
    """«a», «b», «c» — or "nothing"."""
    if not items:
        return msg("nothing", lang)
    if lang == "ru":
        return ", ".join(f"«{i}»" for i in items)
    return ", ".join(f'"{i}"' for i in items)
