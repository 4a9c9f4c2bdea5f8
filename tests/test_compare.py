"""`kpidsl compare OLD NEW`: the seed against a copy with the marketing manager's weights
changed (the deltas checked against the methodology's formula computed here in Decimal),
`compare A A` all zeros, a git revision in a temporary repository, and bad input (each: a
message, exit 1 or 2, no output file)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kpidsl.cli.main import cli
from kpidsl.language.revision import RevisionError, ruleset_source, split_spec

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "rulesets" / "seed_marketing.kpi"
SEED_DATA = str(ROOT / "rulesets" / "data" / "seed_marketing.csv")
MANAGER = "Смирнова Анна"

# The methodology's worked example (docs: methodology §4): the marketing manager in 2026Q3.
# KPI → (fact, target, planned bonus); every KPI there is higher-is-better.
EXAMPLE = {"customer_growth": (Decimal("0.15"), Decimal("0.10"), Decimal(5000)),
           "avg_check_growth": (Decimal("0.07"), Decimal("0.05"), Decimal(10000)),
           "positive_share": (Decimal("0.72"), Decimal("0.75"), Decimal(5000)),
           "roas": (Decimal(18), Decimal(20), Decimal(10000))}
OLD_WEIGHTS = {"customer_growth": "0.2", "avg_check_growth": "0.3", "positive_share": "0.2", "roas": "0.3"}


def methodology_bonus(kpi: str, weight: Decimal) -> Decimal:
    """actual bonus = planned bonus × (1 + weight × fact / target − weight), to the kopeck, half up."""
    fact, target, plan = EXAMPLE[kpi]
    return (plan * (1 + weight * fact / target - weight)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def with_weights(text: str, weights: dict[str, str]) -> str:
    """The seed's text with the marketing manager's KPI weights replaced."""
    head, sep, role = text.partition('role marketing_manager "')
    assert sep, "the seed has no marketing manager"
    body, end, tail = role.partition("}")
    for kpi, weight in weights.items():
        line = next(x for x in body.splitlines() if x.strip().startswith(f"kpi {kpi} "))
        old = line.split("weight ")[1].split()[0]
        body = body.replace(line, line.replace(f"weight {old} ", f"weight {weight} "))
    return head + sep + body + end + tail


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def compare_json(old: str, new: str, *more: str) -> dict:
    result = run("compare", old, new, "--facts", SEED_DATA, "--format", "json", *more)
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)
    return data


def manager(data: dict, period: str = "2026Q3") -> dict:
    found: dict = next(e for e in data["employees"] if e["employee"] == MANAGER and e["period"] == period)
    return found


NEW_WEIGHTS = {"customer_growth": "0.25", "avg_check_growth": "0.25", "positive_share": "0.15", "roas": "0.35"}


@pytest.fixture
def changed(tmp_path: Path) -> Path:
    path = tmp_path / "new.kpi"
    path.write_text(with_weights(SEED.read_text("utf-8"), NEW_WEIGHTS), encoding="utf-8")
    return path


def test_the_same_plan_changes_nothing() -> None:
    data = compare_json(str(SEED), str(SEED))
    assert data["definitions"] == [] and data["winners"] == [] and data["losers"] == []
    assert data["employees"], "nobody was compared"
    for e in data["employees"]:
        assert e["delta"] == "0.00" and e["old_bonus"] == e["new_bonus"] and e["change"] == "same"
        assert e["index_delta"] in (0, None)
        assert all(k["delta"] == "0.00" and k["change"] == "same" and k["fields"] == [] for k in e["kpis"])
    assert all(t["delta"] == "0.00" for t in [*data["roles"], *data["payroll"], data["total"]])
    assert Decimal(data["total"]["old"]) > 0


def test_changed_weights_cost_exactly_the_methodology_delta(changed: Path) -> None:
    data = compare_json(str(SEED), str(changed), "--period", "2026Q3")
    assert data["periods"] == ["2026Q3"]
    row = manager(data)
    total = Decimal(0)
    for k in row["kpis"]:
        old = methodology_bonus(k["kpi"], Decimal(OLD_WEIGHTS[k["kpi"]]))
        new = methodology_bonus(k["kpi"], Decimal(NEW_WEIGHTS[k["kpi"]]))
        assert (Decimal(k["old_bonus"]), Decimal(k["new_bonus"]), Decimal(k["delta"])) == (old, new, new - old)
        assert k["change"] == "changed"
        assert k["fields"] == [{"field": "weight", "old": float(OLD_WEIGHTS[k["kpi"]]),
                                "new": float(NEW_WEIGHTS[k["kpi"]])}]
        total += new - old
    assert Decimal(row["old_bonus"]) == Decimal("31360.00")  # the methodology's total
    assert Decimal(row["delta"]) == total == Decimal("-115.00")
    assert Decimal(data["total"]["delta"]) == total  # nobody else's pay changed
    assert data["losers"] == [{"employee": MANAGER, "role": "marketing_manager", "old": "31360.00",
                               "new": "31245.00", "delta": "-115.00", "ratio": -0.003667091837, "employees": 1}]
    assert {(d["role"], d["kpi"]) for d in data["definitions"]} == {("marketing_manager", k) for k in NEW_WEIGHTS}


def test_text_report_names_the_money_in_both_languages(changed: Path) -> None:
    result = run("compare", str(SEED), str(changed), "--facts", SEED_DATA, "--period", "2026Q3", "--format", "text")
    assert result.exit_code == 0, result.output
    assert "Сравнение планов" in result.stdout and "вес 0,2 → 0,25" in result.stdout
    assert "Смирнова Анна · customer_growth: 5\u00a0500,00 → 5\u00a0625,00 (+125,00)" in result.stdout
    assert "−115,00" in result.stdout
    english = run("compare", str(SEED), str(changed), "--facts", SEED_DATA, "--period", "2026Q3", "--format",
                  "text", "--locale", "en")
    assert "Plan comparison" in english.stdout and "weight 0.2 → 0.25" in english.stdout
    assert "Biggest losers: Смирнова Анна −115.00" in english.stdout


def test_a_warning_both_plans_share_is_printed_once(changed: Path, tmp_path: Path) -> None:
    """The data is read for each plan; its warnings are the same and are said once, while
    each ruleset's own warnings (they name its file) are said for each."""
    data = tmp_path / "facts.csv"
    data.write_text(Path(SEED_DATA).read_text("utf-8") + "2026Q3,,bogus,5\n", encoding="utf-8")
    result = run("compare", str(SEED), str(changed), "--facts", str(data), "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("warning[D040]: `bogus` is not a fact") == 1
    assert f"{SEED}:53:6: warning[K101]" in result.stderr and f"{changed}:53:6: warning[K101]" in result.stderr
    same = run("compare", str(SEED), str(SEED), "--facts", str(data), "--format", "json")
    assert same.stderr.count("warning[K101]") == 1 and same.stderr.count("warning[D040]") == 1


@pytest.mark.parametrize("fmt", ["html", "md", "xlsx", "json", "text"])
def test_every_format_is_written_to_a_file(changed: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"compare.{'txt' if fmt == 'text' else fmt}"
    result = run("compare", str(SEED), str(changed), "--facts", SEED_DATA, "-o", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if fmt == "xlsx":
        from io import BytesIO

        from openpyxl import load_workbook

        sheet = load_workbook(BytesIO(data)).worksheets[0]
        row = next(r for r in sheet.iter_rows(values_only=True) if r[1] == MANAGER and r[0] == "3 кв. 2026")
        assert row[5:8] == (31360, 31245, -115)
    else:
        text = data.decode("utf-8")
        assert MANAGER in text and ("-115" in text or "−115" in text)


# ------------------------------------------------------------------ git revisions


def git(folder: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, env=env)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A repository whose plan.kpi is the seed at HEAD~1 and the changed weights at HEAD."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "plans").mkdir(parents=True)
    plan = repo / "plans" / "plan.kpi"
    plan.write_text(SEED.read_text("utf-8"), encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "the seed")
    git(repo, "tag", "v2026.1")
    plan.write_text(with_weights(SEED.read_text("utf-8"), NEW_WEIGHTS), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "new weights")
    return plan


def test_a_revision_is_compared_with_the_work_tree(repository: Path) -> None:
    for old in (f"{repository}@HEAD~1", f"{repository}@v2026.1"):
        data = compare_json(old, str(repository), "--period", "2026Q3")
        assert data["old"]["ruleset"] == old
        assert Decimal(manager(data)["delta"]) == Decimal("-115.00") == Decimal(data["total"]["delta"])
    same = compare_json(f"{repository}@HEAD", str(repository))
    assert all(e["delta"] == "0.00" for e in same["employees"])
    assert ruleset_source(f"{repository}@HEAD~1").text == SEED.read_text("utf-8")


def test_a_revision_from_inside_the_repository_by_relative_path(repository: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repository.parent)
    data = compare_json("plan.kpi@main~1", "plan.kpi@main", "--period", "2026Q3")
    assert Decimal(data["total"]["delta"]) == Decimal("-115.00")


def test_an_unknown_revision_is_an_error_without_output(repository: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = run("compare", f"{repository}@no-such-branch", str(repository), "--facts", SEED_DATA, "-o", str(out))
    assert result.exit_code == 1
    assert "revision `no-such-branch` does not exist" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_a_file_the_revision_does_not_have(repository: Path) -> None:
    (repository.parent / "late.kpi").write_text(SEED.read_text("utf-8"), encoding="utf-8")
    git(repository.parents[1], "add", ".")
    git(repository.parents[1], "commit", "-q", "-m", "late")
    with pytest.raises(RevisionError, match=r"plans/late.kpi does not exist in revision `HEAD~2`"):
        ruleset_source(f"{repository.parent / 'late.kpi'}@HEAD~2")


def test_a_revision_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    plan = tmp_path / "plain" / "plan.kpi"
    plan.parent.mkdir()
    shutil.copy(SEED, plan)
    out = tmp_path / "out.json"
    result = run("compare", f"{plan}@HEAD~1", str(plan), "--facts", SEED_DATA, "-o", str(out))
    assert result.exit_code == 1
    assert "is not in a git repository, so `@HEAD~1` cannot be read" in result.output
    assert not out.exists()


def test_a_file_named_with_an_at_sign_is_a_file(tmp_path: Path) -> None:
    named = tmp_path / "plan@2026.kpi"
    named.write_text("x", encoding="utf-8")
    assert split_spec(str(named)) == (str(named), None)
    assert split_spec("plans/a.kpi@HEAD~1") == ("plans/a.kpi", "HEAD~1")
    with pytest.raises(RevisionError, match="names no revision after `@`"):
        ruleset_source(f"{tmp_path}/missing.kpi@")


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(("change", "words"), [
    (("currency RUB", "currency USD"), "pays in RUB and"),
    (("period   quarter", "period   month"), "is evaluated per quarter and"),
])
def test_plans_that_cannot_be_compared(tmp_path: Path, change: tuple[str, str], words: str) -> None:
    other = tmp_path / "other.kpi"
    text = SEED.read_text("utf-8")
    assert change[0] in text
    other.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    out = tmp_path / "out.json"
    result = run("compare", str(SEED), str(other), "--facts", SEED_DATA, "-o", str(out))
    assert result.exit_code == 1, result.output
    assert words in result.output and str(SEED) in result.output and str(other) in result.output
    assert not out.exists()


def test_a_ruleset_with_errors_stops_the_comparison(tmp_path: Path) -> None:
    broken = tmp_path / "broken.kpi"
    broken.write_text(with_weights(SEED.read_text("utf-8"), {"roas": "0.9"}), encoding="utf-8")
    out = tmp_path / "out.json"
    result = run("compare", str(SEED), str(broken), "--facts", SEED_DATA, "-o", str(out))
    assert result.exit_code == 1 and "broken.kpi:" in result.output and "error[" in result.output
    assert not out.exists()


def test_usage_errors(tmp_path: Path) -> None:
    result = run("compare", str(SEED), str(SEED), "--facts", SEED_DATA, "--format", "xlsx")
    assert result.exit_code == 2 and "give an output path with -o" in result.output
    assert run("compare", str(SEED)).exit_code == 2
    assert run("compare", str(SEED), str(SEED), "--facts", SEED_DATA, "--period", "2026Q9").exit_code == 2


def test_an_output_over_an_input_is_refused(changed: Path) -> None:
    before = changed.read_bytes()
    result = run("compare", str(SEED), str(changed), "--facts", SEED_DATA, "--format", "json", "-o", str(changed))
    assert result.exit_code == 1 and changed.read_bytes() == before
