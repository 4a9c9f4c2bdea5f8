"""The HTML bonus regulation (`kpidsl doc --format html`) in a real browser.

As tests/test_browser.py does for the reports (and with its helpers): headless Chromium
opens the page from file://; the rendered DOM holds the chapters, every role's KPI table
and the seed's 31 360,00 ₽, a KPI titled `<script>` shows as text and runs nothing, and a
full-page screenshot is not blank.  Skipped when Chromium is absent, except under CI=true.
"""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from eval_fixtures import ROOT
from report_fixtures import Elements
from test_browser import chromium, decode_png, run

from kpidsl.cli.main import cli

__all__ = ["chromium"]  # the fixture, shared with the reports' browser tests

NBSP = "\u00a0"
SEED = str(ROOT / "rulesets" / "seed_marketing.kpi")
SEED_DATA = str(ROOT / "rulesets" / "data" / "seed_marketing.csv")


def regulation(folder: Path, ruleset: str, *args: str) -> Path:
    out = folder / "regulation.html"
    result = CliRunner().invoke(cli, ["doc", ruleset, *args, "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return regulation(tmp_path_factory.mktemp("regulation"), SEED, "--facts", SEED_DATA)


def test_rendered_regulation_shows_the_tables_and_the_example(chromium: str, page: Path, tmp_path: Path) -> None:
    dom = run(chromium, tmp_path, "--dump-dom", page.as_uri()).stdout.decode("utf-8")
    seen = Elements(dom)
    text = unescape(" ".join(seen.text))
    for words in ("Положение о премировании", "Показатели и премии по должностям", "Карточки КПЭ",
                  "Руководитель отдела маркетинга", "Взвешенный индекс", "LTV должен быть минимум в 3 раза выше CAC"):
        assert words in text, words
    assert f"31{NBSP}360,00{NBSP}₽" in text
    kpi_tables = [a for tag, a in seen.found if tag == "table" and a.get("data-kind") == "kpi"]
    assert [a["data-key"] for a in kpi_tables] == ["head", "seo", "targetologist", "pr_manager", "marketing_manager"]


def test_a_hostile_title_is_text_in_the_browser(chromium: str, tmp_path: Path) -> None:
    ruleset = tmp_path / "hostile.kpi"
    ruleset.write_text('ruleset "x" { currency RUB period quarter locale ru }\n'
                       'fact sales "<script>document.title=\'pwned\'</script>" unit RUB\n'
                       'role r "R" { kpi sales weight 1 target 100 bonus 1000 }\n', encoding="utf-8")
    dom = run(chromium, tmp_path, "--dump-dom", regulation(tmp_path, str(ruleset)).as_uri()).stdout.decode("utf-8")
    assert "pwned</title>" not in dom and "<script>" not in dom
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom


def test_full_page_screenshot_is_not_blank(chromium: str, page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "regulation.png"
    run(chromium, tmp_path, "--force-device-scale-factor=0.5", "--window-size=1240,16000",
        f"--screenshot={shot}", page.as_uri())
    width, height, bpp, rows = decode_png(shot.read_bytes())
    white = b"\xff" * (width * bpp)
    painted = [y for y, row in enumerate(rows) if row != white]
    assert painted, "the screenshot is blank"
    assert painted[-1] - painted[0] > height // 4
    pixels = [row[x:x + 3] for row in rows[::3] for x in range(0, width * bpp, bpp * 3)]
    dark = sum(1 for p in pixels if max(p) < 90)  # text
    accent = sum(1 for p in pixels if p[2] > 100 and p[0] < 80)  # the headings' blue rules
    assert dark > 800 and accent > 50, (dark, accent)
