"""`kpidsl test` and `kpidsl init` on client folders, as a consultant uses them.

Each `kpidsl test` run starts a child pytest process, so the runs are few and
each is checked for several things.
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kpidsl.cli.main import cli

RULESET = """\
ruleset "Премия менеджера" { client "Тест" currency RUB period quarter locale ru }

import std/marketing

role marketing_manager "Менеджер по маркетингу и рекламе" {
  kpi customer_growth  weight 0.2 baseline 3%  target 10% bonus 5000
  kpi avg_check_growth weight 0.3 baseline 2%  target 5%  bonus 10000
  kpi positive_share   weight 0.2 baseline 70% target 75% bonus 5000
  kpi roas             weight 0.3 baseline 15  target 20  bonus 10000
}

employee "Смирнова Анна" role marketing_manager
"""

FACTS = """\
period,employee,fact,value
2026Q2,,customers,200
2026Q2,,revenue,1500000
2026Q2,,orders,150
2026Q2,,ad_spend,100000
2026Q2,,reviews_positive,70
2026Q2,,reviews_total,100
2026Q3,,customers,230
2026Q3,,revenue,1926000
2026Q3,,orders,180
2026Q3,,ad_spend,107000
2026Q3,,reviews_positive,72
2026Q3,,reviews_total,100
"""

FEATURE = """\
# language: ru
Функция: Премия менеджера по маркетингу

  Предыстория:
    Дано правила из файла «../ruleset.kpi»
    И факты из файла «../data/facts.csv»
    И период 2026Q3

  Сценарий: Верная премия по методике
    Когда рассчитываются KPI и премии
    Тогда премия сотрудника «Смирнова Анна» составляет 31 360,00 ₽
    И индекс KPI «Доля положительных отзывов» у сотрудника «Смирнова Анна» равен 0,192

  Сценарий: Намеренно неверная премия
    Когда рассчитываются KPI и премии
    Тогда премия сотрудника «Смирнова Анна» составляет 31 000 ₽
"""


def run(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "acme"
    (folder / "data").mkdir(parents=True)
    (folder / "features").mkdir()
    (folder / "ruleset.kpi").write_text(RULESET, encoding="utf-8")
    (folder / "data" / "facts.csv").write_text(FACTS, encoding="utf-8")
    (folder / "features" / "bonus.feature").write_text(FEATURE, encoding="utf-8")
    return folder


def test_pass_and_fail_in_russian_with_junit(client: Path, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in client.rglob("*") if p.is_file()}
    report = tmp_path / "out" / "specs.xml"
    report.parent.mkdir()
    result = run(["test", "acme", "--format", "junit", "-o", str(report)])
    out = result.output
    assert result.exit_code == 1, out
    assert "acme/features/bonus.feature: Функция: Премия менеджера по маркетингу" in out
    assert "✓ Сценарий: Верная премия по методике" in out
    assert "✗ Сценарий: Намеренно неверная премия" in out
    assert "строка 16: Тогда премия сотрудника «Смирнова Анна» составляет 31 000 ₽" in out
    assert "Ожидалась премия сотрудника «Смирнова Анна» 31 000,00, получено 31 360,00" in out
    assert "Сценариев: 2; прошли: 1; не прошли: 1" in out
    assert "Traceback" not in out and "pytest" not in out

    root = ET.parse(report).getroot()  # valid XML
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("2", "1", "0", "0")
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "Премия менеджера по маркетингу"
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(cases) == {"Верная премия по методике", "Намеренно неверная премия"}
    assert cases["Верная премия по методике"].find("failure") is None
    failure = cases["Намеренно неверная премия"].find("failure")
    assert failure is not None
    assert "31 000,00" in failure.get("message", "") and "31 360,00" in (failure.text or "")
    # Nothing in the client's folder changed or appeared.
    assert {p: p.read_bytes() for p in client.rglob("*") if p.is_file()} == before


def test_init_creates_a_folder_that_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    created = run(["init", "demo"])
    assert created.exit_code == 0, created.output
    assert (tmp_path / "demo" / "ruleset.kpi").read_text(encoding="utf-8").count('client   "demo"') == 1
    checked = run(["check", "demo/ruleset.kpi"])
    assert checked.exit_code == 0, checked.output
    assert "0 error(s), 0 warning(s)" in checked.output
    result = run(["test", "demo"])
    assert result.exit_code == 0, result.output
    assert "Сценариев: 2; прошли: 2; не прошли: 0" in result.output
    assert "✗" not in result.output


def test_init_refuses_a_folder_with_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "notes.txt").write_text("keep me", encoding="utf-8")
    result = run(["init", "acme"])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert [p.name for p in (tmp_path / "acme").iterdir()] == ["notes.txt"]
    assert (tmp_path / "acme" / "notes.txt").read_text(encoding="utf-8") == "keep me"
    # An empty folder is fine, and a client name with quotes stays a valid ruleset string.
    (tmp_path / "empty").mkdir()
    assert run(["init", "empty", "--client", 'ООО "Ромашка"']).exit_code == 0
    # A name with a backslash, a tab and a line break: one line, every file still reads.
    assert run(["init", "odd", "--client", 'ООО "Рога\\Копыта"\tи\nко']).exit_code == 0
    ruleset = (tmp_path / "odd" / "ruleset.kpi").read_text(encoding="utf-8")
    assert 'client   "ООО \\"Рога\\\\Копыта\\" и ко"' in ruleset
    assert run(["check", "odd/ruleset.kpi"]).exit_code == 0
    assert run(["check", "empty/ruleset.kpi"]).exit_code == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def test_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    for args, words in ((["test", "missing"], "no such file or folder"),
                        (["test", "empty"], "no .feature files found"),
                        (["test", "notes.txt"], "not a .feature file"),
                        (["test"], "give a .feature file")):
        result = run(args)
        assert result.exit_code == 2, args
        assert words in result.output, result.output


def test_unreadable_spec_unknown_step_and_english_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "broken.feature").write_text(textwrap.dedent("""\
        # language: ru
        Функция: Сломанная спецификация
          Сценарий: Без шагов
            Дано правила из файла «x.kpi»
          это не Gherkin
        """), encoding="utf-8")
    (folder / "unknown.feature").write_text(textwrap.dedent("""\
        # language: ru
        Функция: Неизвестный шаг
          Сценарий: Опечатка в шаге
            Дано правила:
              \"\"\"
              role designer "Дизайнер" { }
              \"\"\"
            Когда правила проверяются
            Тогда всё хорошо
        """), encoding="utf-8")
    (folder / "english.feature").write_text(textwrap.dedent("""\
        # language: en
        Feature: KPI count
          Scenario: Four KPIs are within the method
            Given the ruleset:
              \"\"\"
              import std/marketing
              role manager "Manager" {
                kpi customer_growth  weight 0.2 target 10% bonus 5000
                kpi avg_check_growth weight 0.3 target 5%  bonus 10000
                kpi positive_share   weight 0.2 target 75% bonus 5000
                kpi roas             weight 0.3 target 20  bonus 10000
              }
              \"\"\"
            When the ruleset is checked
            Then the diagnostic K101 is reported
        """), encoding="utf-8")
    (folder / "data_error.feature").write_text(textwrap.dedent("""\
        # language: ru
        Функция: Ошибка в таблице фактов
          Сценарий: Опечатка в названии факта
            Дано правила:
              \"\"\"
              fact deals "Сделки" unit count
              role m "Менеджер" { kpi deals weight 1 target 10 bonus 1000 }
              employee "Иванов" role m
              \"\"\"
            И факты:
              | период | показатель | значение |
              | 2026Q3 | Сделкии    | 12       |
            Когда рассчитываются KPI и премии
            Тогда премия сотрудника «Иванов» составляет 1 200
        """), encoding="utf-8")
    result = run(["test", "specs"])
    out = result.output
    assert result.exit_code == 1, out
    assert "specs/broken.feature" in out and "Ошибка в тексте спецификации: строка 5" in out
    assert "✗ Сценарий: Опечатка в шаге" in out
    assert "строка 9: Тогда всё хорошо" in out and "Такого шага нет в библиотеке kpidsl" in out
    assert "✗ Scenario: Four KPIs are within the method" in out
    assert "Expected the diagnostic K101; reported:" in out
    # A data problem in a table points at the table's row in the feature file.
    assert "✗ Сценарий: Опечатка в названии факта" in out
    assert "Замечания к данным:" in out
    assert "specs/data_error.feature:12:fact: warning[D040]: `Сделкии` is not a fact of this ruleset" in out
    assert "Scenarios: 3; passed: 0; failed: 3; specs that cannot be read: 1" in out



RECORDS_FEATURE = """\
# language: ru
Функция: Сырые записи в спецификации
  Сценарий: Записи из таблицы
    Дано правила:
      RULESET
    И сотрудники:
      | сотрудник | роль |
      | Иванов    | m    |
    И записи «Сделки из CRM»:
      | created_at | manager | amount  | status |
      | 2026-07-01 | Иванов  | 100     | won    |
      | 30.09.2026 | Иванов  | 1 000,5 | won    |
      | 2026-10-01 | Иванов  | 5       | won    |
    И период 2026Q3
    Когда рассчитываются KPI и премии
    Тогда премия сотрудника «Иванов» составляет 1 000
    И результаты сотрудника «Иванов» по KPI:
      | KPI | факт |
      | won | 2    |

  Сценарий: Неизвестные записи
    Дано правила:
      RULESET
    И записи «Лиды»:
      | created_at | manager |
      | 2026-07-01 | Иванов  |
    Когда рассчитываются KPI и премии

  Сценарий: Ошибка в числе
    Дано правила:
      RULESET
    И записи «deals»:
      | created_at | manager | amount | status |
      | 2026-07-01 | Иванов  | 100    | won    |
      | 2026-07-02 | Иванов  | 1O0    | won    |
    Когда рассчитываются KPI и премии
    Тогда премия сотрудника «Иванов» составляет 0

  Сценарий: Сотрудник без роли
    Дано правила:
      RULESET
    И сотрудники:
      | сотрудник | роль |
      | Иванов    |      |
    Когда рассчитываются KPI и премии
    Тогда премия сотрудника «Иванов» составляет 0

  Сценарий: Нет файла
    Дано правила:
      RULESET
    И сотрудники из файла «staff.csv»
    Когда рассчитываются KPI и премии

  Сценарий: Нет файла записей
    Дано правила:
      RULESET
    И записи «deals» из файла «deals.csv»
    Когда рассчитываются KPI и премии

  Сценарий: Таблица записей без заголовка
    Дано правила:
      RULESET
    И записи «deals»:
      |            |         |
      | 2026-07-01 | Иванов  |
    Когда рассчитываются KPI и премии
"""
RECORDS_RULESET = '''\
"""
      records deals "Сделки из CRM" { file "none.csv" date created_at employee manager }
      fact won "Выигранные сделки" = count from deals where status = "won" unit count
      fact revenue "Выручка" = sum amount from deals where status = "won" unit RUB
      role m "Менеджер" { kpi won weight 1 target 2 bonus 1000 require revenue > 1000 }
      """'''


def test_staff_and_records_in_a_spec_and_their_mistakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "specs"
    folder.mkdir()
    text = RECORDS_FEATURE.replace("RULESET", RECORDS_RULESET)
    (folder / "records.feature").write_text(text, encoding="utf-8")
    lines = text.splitlines()

    def line_of(fragment: str, after: str = "") -> int:
        """The first line holding `fragment` (below the first line holding `after`, if given)."""
        start = next(n for n, line in enumerate(lines, 1) if after in line) if after else 0
        return next(n for n, line in enumerate(lines, 1) if n > start and fragment in line)

    result = run(["test", "specs"])
    out = result.output
    assert result.exit_code == 1, out
    # Two won deals in Q3 (the October one is Q4), revenue 1 100,50 > 1 000: the full bonus.
    assert "✓ Сценарий: Записи из таблицы" in out
    assert (f"Записи «Лиды» (строка {line_of('записи «Лиды»')}) в правилах не объявлены; "
            "объявлены: «deals (Сделки из CRM)»") in out
    assert (f"specs/records.feature:{line_of('1O0')}:amount: error[D102]: records `deals`: "
            "`amount` is not a number in 1 record") in out
    assert (f"specs/records.feature:{line_of('| Иванов    |      |')}:роль: error[D060]: "
            "the roster row has no role") in out
    assert "Файл со списком сотрудников не найден: " in out and "staff.csv" in out
    assert "Файл записей не найден: " in out and "deals.csv" in out
    assert (f"Таблица записей (строка {line_of('записи «deals»:', after='без заголовка')}): первая строка "
            "должна называть столбцы выгрузки") in out
    assert "Сценариев: 7; прошли: 1; не прошли: 6" in out
