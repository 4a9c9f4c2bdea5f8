"""`kpidsl doc`: the bonus regulation from a ruleset, as Markdown, HTML and Word.

Golden files live in tests/golden/doc/regulation.<lang>.<fmt> (the seed ruleset with its
facts); regenerate them with KPIDSL_UPDATE_GOLDEN=1 and review the diff.  The git
revision (it changes with every commit) and the inline stylesheet are left out of the
comparison.  The Word file is read back with python-docx.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from eval_fixtures import ROOT

from kpidsl.cli.main import cli

NBSP = "\u00a0"
SEED = str(ROOT / "rulesets" / "seed_marketing.kpi")
SEED_DATA = str(ROOT / "rulesets" / "data" / "seed_marketing.csv")
GOLDEN = Path(__file__).parent / "golden" / "doc"
SEED_ROLES = {  # role title → (weights, planned bonuses) as the seed writes them
    "Руководитель отдела маркетинга": (["0,25", "0,2", "0,25", "0,1", "0,2"], [15000, 10000, 15000, 5000, 10000]),
    "SEO-специалист": (["0,15", "0,2", "0,15", "0,2", "0,15", "0,15"], [3000, 4000, 3000, 4000, 3000, 3000]),
    "Таргетолог": (["0,2"] * 5, [4000] * 5),
    "PR-менеджер": (["0,4", "0,3", "0,3"], [6000, 4500, 4500]),
    "Менеджер по маркетингу и рекламе": (["0,2", "0,3", "0,2", "0,3"], [5000, 10000, 5000, 10000]),
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["doc", *args])


def rub(amount: int) -> str:
    return f"{amount:,}".replace(",", NBSP) + f",00{NBSP}₽"


def normalise(text: str, fmt: str) -> str:
    if fmt == "html":
        text = re.sub(r"<style>.*?</style>", "<style>…</style>", text, flags=re.S)
    text = re.sub(r"^.*\bgit\b.*$", "<the git revision>", text, flags=re.M | re.I)
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_golden(lang: str, fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"regulation.{fmt}"
    result = run(SEED, "--facts", SEED_DATA, "--format", fmt, "--locale", lang, "-o", str(out))
    assert result.exit_code == 0, result.output
    got = normalise(out.read_text("utf-8"), fmt)
    path = GOLDEN / f"regulation.{lang}.{fmt}"
    if os.environ.get("KPIDSL_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with KPIDSL_UPDATE_GOLDEN=1"
    assert got == path.read_text(encoding="utf-8"), f"{path.name} differs (KPIDSL_UPDATE_GOLDEN=1 to accept)"


def test_markdown_to_stdout_has_every_chapter_and_the_seed_example() -> None:
    result = run(SEED, "--facts", SEED_DATA)
    assert result.exit_code == 0, result.output
    text = result.stdout
    for chapter in ("Общие положения", "Показатели и премии по должностям", "Порядок расчёта премии",
                    "Условия качества и корректирующие меры", "Правила", "Карточки КПЭ", "Пример расчёта",
                    "Термины", "Версия правил"):
        assert re.search(rf"^## \d\. {chapter}$", text, flags=re.M), chapter
    assert f"31{NBSP}360,00{NBSP}₽" in text
    assert f"5{NBSP}500,00 + 11{NBSP}200,00 + 4{NBSP}960,00 + 9{NBSP}700,00 = 31{NBSP}360,00{NBSP}₽" in text
    digest = hashlib.sha256(Path(SEED).read_bytes()).hexdigest()
    assert f"| seed_marketing.kpi | `{digest}` |" in text
    assert "std/marketing.kpi" in text  # the import, named without the installation's path


def test_without_facts_the_example_says_how_to_get_one() -> None:
    result = run(SEED, "--locale", "en")
    assert result.exit_code == 0, result.output
    assert "The worked example is built from actual data" in result.stdout
    assert "31,360.00" not in result.stdout


def test_kpi_rows_say_how_each_indicator_is_computed() -> None:
    text = run(SEED).stdout
    cps = next(line for line in text.splitlines() if line.startswith("| CPS — стоимость продажи |"))
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", cps)[1:-1]]
    assert len(cells) == 11
    assert cells[2] == ("«Расходы на маркетинг» / «Продажи (выигранные сделки)»<br>"
                        "`cps = marketing_spend / deals_won`<br>Выполнение = цель / факт.")
    assert cells[3] == "crm, accounting" and cells[6] == "чем меньше, тем лучше"
    pipeline = next(line for line in text.splitlines() if line.startswith("| Потенциальная сумма сделок"))
    assert f"30{NBSP}000{NBSP}000{NBSP}₽" in pipeline  # revenue_goal / win_rate, exactly
    loyalty = next(line for line in text.splitlines() if line.startswith("| Оценка лояльности клиентов |"))
    assert "Онлайн-опросы существующих клиентов" in loyalty and "ежегодно" in loyalty  # from the KPI card


SCALED = """ruleset "Шкала" { currency RUB period quarter locale ru }
fact sales "Продажи" unit RUB
scheme stepped "Ступенчатая" {
  index = weight * attainment
  bonus = plan_bonus * scale attainment { below 70% -> 0  below 100% -> 0.5  else -> 1 }
}
role rep "Менеджер" {
  scheme stepped
  kpi sales weight 1 target 100000 bonus 20000
}
employee "Иванов" role rep
"""


def test_a_scale_is_a_table_of_its_rows(tmp_path: Path) -> None:
    ruleset = tmp_path / "scaled.kpi"
    ruleset.write_text(SCALED, encoding="utf-8")
    result = run(str(ruleset))
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert "| выполнение | bonus |" in rows
    at = rows.index("| выполнение | bonus |")
    assert rows[at + 1:at + 4] == ["| меньше 70% | 0 |", "| от 70% до 100% (не включая) | 0.5 |",
                                   "| 100% и больше | 1 |"]
    assert "Как считается (схема «Ступенчатая»)" in result.stdout


# ------------------------------------------------------------------ Word


@pytest.fixture(scope="module")
def word(tmp_path_factory: pytest.TempPathFactory):
    docx = pytest.importorskip("docx")
    out = tmp_path_factory.mktemp("doc") / "положение.docx"
    result = run(SEED, "--facts", SEED_DATA, "--format", "docx", "-o", str(out))
    assert result.exit_code == 0, result.output
    return docx.Document(str(out))


def test_docx_has_word_headings_and_a_table_per_role(word) -> None:
    headings = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    assert headings[:3] == ["1. Общие положения", "2. Показатели и премии по должностям",
                            "3. Порядок расчёта премии"]
    roles = [p.text for p in word.paragraphs if p.style.name == "Heading 2"]
    for role in SEED_ROLES:
        assert role in roles
    kpi_tables = [t for t in word.tables if len(t.columns) == 11]
    assert len(kpi_tables) == len(SEED_ROLES)  # the designer has no KPIs and no table
    for table, (weights, bonuses) in zip(kpi_tables, SEED_ROLES.values(), strict=True):
        assert table.style.name == "Table Grid"
        header = [c.text for c in table.rows[0].cells]
        assert header[7] == "Вес" and header[10] == "Плановая премия"
        body = table.rows[1:-1]
        assert [r.cells[7].text for r in body] == weights
        assert [r.cells[10].text for r in body] == [rub(b) for b in bonuses]
        assert table.rows[-1].cells[7].text == "1" and table.rows[-1].cells[10].text == rub(sum(bonuses))


def test_docx_worked_example_is_the_engines(word) -> None:
    example = [t for t in word.tables if t.rows[0].cells[0].text == "Показатель" and len(t.columns) == 8]
    manager = example[-1]
    assert [c.text for c in manager.rows[-1].cells][-1] == rub(31360)
    assert [r.cells[-1].text for r in manager.rows[1:-1]] == [rub(5500), rub(11200), "4\u00a0960,00\u00a0₽",
                                                               "9\u00a0700,00\u00a0₽"]
    assert any(f"= 31{NBSP}360,00{NBSP}₽" in p.text for p in word.paragraphs)


def test_docx_pages_are_a4_with_page_numbers_and_contents(word) -> None:
    from docx.shared import Mm

    sizes = {(round(s.page_width / Mm(1)), round(s.page_height / Mm(1))) for s in word.sections}
    assert sizes == {(210, 297), (297, 210)}  # portrait, and landscape for the KPI tables
    assert round(word.sections[0].left_margin / Mm(1)) == 25
    footer = word.sections[0].footer._element.xml
    assert "PAGE" in "".join(re.findall(r"<w:instrText[^>]*>([^<]*)<", footer))
    body = word.element.body.xml
    assert re.search(r"<w:instrText[^>]*> TOC ", body)
    fonts = word.styles["Normal"].element.rPr.rFonts
    from docx.oxml.ns import qn

    assert {fonts.get(qn(a)) for a in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")} == {"Times New Roman"}


def test_docx_needs_an_output_file_and_never_goes_to_a_terminal() -> None:
    result = run(SEED, "--format", "docx")
    assert result.exit_code == 2 and "give an output path with -o" in result.output


def test_docx_without_python_docx_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "docx" else real(name, *a))
    out = tmp_path / "p.docx"
    result = run(SEED, "--format", "docx", "-o", str(out))
    assert result.exit_code == 2
    assert "pip install 'kpidsl[docx]'" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_to_docx_raises_a_clear_error_when_the_import_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from kpidsl.output.document import Document
    from kpidsl.output.wordfile import WordUnavailable, to_docx

    monkeypatch.setitem(sys.modules, "docx", None)  # `import docx` raises ImportError
    with pytest.raises(WordUnavailable, match=r"pip install 'kpidsl\[docx\]'"):
        to_docx(Document("t", "s", "ru"))


# ------------------------------------------------------------------ bad input and escaping


def test_a_ruleset_with_errors_exits_1_with_its_findings_and_no_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.kpi"
    bad.write_text('ruleset "x" { currency RUB }\nrole r "R" { kpi nowhere weight 1 target 1 bonus 1 }\n',
                   encoding="utf-8")
    for fmt in ("md", "html", "docx"):
        out = tmp_path / f"out.{fmt}"
        result = run(str(bad), "--format", fmt, "-o", str(out))
        assert result.exit_code == 1, result.output
        assert re.search(r"bad\.kpi:2:\d+: error\[K\d+\]", result.output), result.output
        assert "nowhere" in result.output and "Traceback" not in result.output
        assert not out.exists() and not list(tmp_path.glob(".out.*"))
    assert bad.read_text(encoding="utf-8").startswith('ruleset "x"')  # the input untouched


def test_the_output_never_replaces_an_input(tmp_path: Path) -> None:
    ruleset = tmp_path / "s.kpi"
    ruleset.write_text(SCALED, encoding="utf-8")
    result = run(str(ruleset), "-o", str(ruleset))
    assert result.exit_code == 1 and "refusing to overwrite an input" in result.output
    assert ruleset.read_text(encoding="utf-8") == SCALED


HOSTILE = """ruleset "Правила <b>жирно</b>" { currency RUB period quarter locale ru }
fact sales "<script>alert(1)</script> | *звёзды* _x_ [ссылка](http://x)" unit RUB
role r "Роль | <i>курсив</i>" {
  kpi sales weight 1 target 100 bonus 1000
    when attainment < 100% action "Меры | <img src=x onerror=alert(2)> **жирно**"
}
employee "А" role r
"""


def test_every_string_is_escaped(tmp_path: Path) -> None:
    ruleset = tmp_path / "hostile.kpi"
    ruleset.write_text(HOSTILE, encoding="utf-8")
    html = run(str(ruleset), "--format", "html")
    assert html.exit_code == 0, html.output
    page = html.stdout
    assert "<script>" not in page and "<img" not in page and "<i>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    md = run(str(ruleset), "--format", "md").stdout
    row = next(line for line in md.splitlines() if line.startswith("| \\<script>"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 12  # 11 cells: no `|` of the title split the row
    assert "\\*звёзды\\*" in row and "\\[ссылка\\]" in row
    action = next(line for line in md.splitlines() if "onerror" in line)
    assert "\\<img" in action and "\\*\\*жирно\\*\\*" in action and len(re.findall(r"(?<!\\)\|", action)) == 6


# ------------------------------------------------------------------ version


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_version_names_the_git_revision_and_a_change_since(tmp_path: Path) -> None:
    ruleset = tmp_path / "plan.kpi"
    ruleset.write_text(SCALED, encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for argv in (["git", "init", "-q"], ["git", "add", "plan.kpi"], ["git", "commit", "-qm", "plan"]):
        subprocess.run(argv, cwd=tmp_path, check=True, env=env, capture_output=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True,
                          check=True).stdout.strip()
    text = run(str(ruleset), "--locale", "en").stdout
    assert f"Git revision: {head}." in text and "has changed since" not in text
    ruleset.write_text(SCALED + "\n# edited\n", encoding="utf-8")
    text = run(str(ruleset), "--locale", "en").stdout
    assert f"Git revision: {head}; the ruleset file has changed since" in text
    assert hashlib.sha256(ruleset.read_bytes()).hexdigest() in text


def test_outside_a_repository_there_is_no_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpidsl.output.provenance import git_revision

    lonely = tmp_path / "x.kpi"
    lonely.write_text(SCALED, encoding="utf-8")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    revision, _ = git_revision(str(lonely))
    assert revision is None
