"""One regression test per defect of the safety and correctness review (issue 17), named
after it: each feeds the reported input and checks the message, the exit status and
that nothing else changed."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kpidsl.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "rulesets" / "seed_marketing.kpi"
SEED_FACTS = ROOT / "rulesets" / "data" / "seed_marketing.csv"
CRM = ROOT / "rulesets" / "crm_showcase.kpi"
CRM_ROSTER = ROOT / "rulesets" / "data" / "crm_roster.csv"
SEED_ARGS = [str(SEED), "--facts", str(SEED_FACTS)]
LONG = "a" * 300  # over the 255 bytes a file name may have


def kpidsl(*args: str, stdout: int | None = subprocess.PIPE, cwd: Path | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command line, in a process of its own (what `main` does matters here)."""
    return subprocess.run([sys.executable, "-m", "kpidsl", *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, cwd=cwd, timeout=timeout)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def no_internal_error(text: str) -> None:
    assert "internal error" not in text and "Traceback" not in text, text


# ------------------------------------------------------------------ 1. -o onto a device


def _device(tmp_path: Path) -> Path:
    """A character device like /dev/full (major 1, minor 7), made in a temp folder."""
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    node = tmp_path / "full"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    return node


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "html"])
def test_1_output_onto_a_device_writes_into_it_and_keeps_the_device(tmp_path: Path, fmt: str) -> None:
    node = _device(tmp_path)
    done = kpidsl("eval", *SEED_ARGS, "--format", fmt, "-o", str(node))
    assert stat.S_ISCHR(os.stat(node).st_mode), "the device was replaced by a file"
    assert done.returncode == 1  # /dev/full: every write fails
    assert "No space left on device" in done.stderr
    no_internal_error(done.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]  # no temporary file beside it


def test_1_output_onto_a_fifo_streams_into_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    done = kpidsl("eval", *SEED_ARGS, "--format", "json", "-o", str(fifo))
    received, _ = reader.communicate(timeout=60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(received)["results"]


def test_1_output_to_dev_stdout_and_dev_null(tmp_path: Path) -> None:
    done = kpidsl("eval", *SEED_ARGS, "--format", "csv", "-o", "/dev/stdout")
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip("\ufeff").startswith("period,employee")
    assert kpidsl("eval", *SEED_ARGS, "--format", "csv", "-o", os.devnull).returncode == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_1_fmt_write_onto_a_fifo_keeps_the_fifo(tmp_path: Path) -> None:
    from kpidsl.output.atomic import write_atomic

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    write_atomic(fifo, "ruleset text\n")
    received, _ = reader.communicate(timeout=30)
    assert received == b"ruleset text\n"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_1_output_onto_a_folder_is_refused(tmp_path: Path) -> None:
    from kpidsl.output.atomic import OutputError, write_atomic

    with pytest.raises(OutputError, match="it is a folder"):
        write_atomic(tmp_path, "x")
    assert tmp_path.is_dir()


# ------------------------------------------------------------------ 2. imports that leak a file


SECRET = "s3cr3t-line-that-must-never-be-printed"


@pytest.mark.parametrize("how", ["relative escape", "absolute", "symlink", "not a ruleset"])
def test_2_import_reads_no_file_outside_the_project(tmp_path: Path, how: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    (outside / "secret.kpi").write_text(SECRET + "\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text(SECRET + "\n", encoding="utf-8")
    if how == "symlink":
        (project / "link.kpi").symlink_to(outside / "secret.kpi")
    target = {"relative escape": "../outside/secret", "absolute": str(secret), "symlink": "link",
              "not a ruleset": "notes.txt"}[how]
    (project / "client.kpi").write_text(f'import "{target}"\nfact revenue "Выручка"\n', encoding="utf-8")
    result = invoke("check", str(project / "client.kpi"))
    assert result.exit_code == 1
    assert "error[K014]" in result.output
    assert SECRET not in result.output


def test_2_imports_inside_the_project_and_under_import_path_still_work(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "base.kpi").write_text('fact revenue "Выручка" unit RUB\n', encoding="utf-8")
    project = tmp_path / "project"
    (project / "lib").mkdir(parents=True)
    (project / "lib" / "costs.kpi").write_text('fact cost "Затраты" unit RUB\n', encoding="utf-8")
    (project / "client.kpi").write_text('import "lib/costs"\nimport "../shared/base"\nimport std/marketing\n',
                                        encoding="utf-8")
    assert "K014" in invoke("check", str(project / "client.kpi")).output
    result = invoke("check", "--import-path", str(shared), str(project / "client.kpi"))
    assert result.exit_code == 0, result.output


def test_2_etc_shadow_and_proc_environ(tmp_path: Path) -> None:
    (tmp_path / "a.kpi").write_text('import "../../../../../../../../etc/shadow"\n', encoding="utf-8")
    (tmp_path / "b.kpi").write_text('import "/proc/self/environ"\n', encoding="utf-8")
    for name in ("a.kpi", "b.kpi"):
        result = invoke("check", str(tmp_path / name))
        assert result.exit_code == 1 and "error[K014]" in result.output
        assert "root:" not in result.output and "PATH=" not in result.output


# ------------------------------------------------------------------ 3. a ruleset without KPI lines


RULES_ONLY = '''fact revenue "Выручка" unit RUB
fact cost "Затраты" unit RUB
role mgr "Менеджер" {
}
employee "Иванов" role mgr
rule margin "Маржа" {
  when revenue < cost
  action "Снизить затраты"
}
'''


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet", "text", "md", "xlsx"])
def test_3_rules_only_ruleset_evaluates_in_every_format(tmp_path: Path, fmt: str) -> None:
    ruleset = tmp_path / "rules.kpi"
    ruleset.write_text(RULES_ONLY, encoding="utf-8")
    facts = tmp_path / "facts.csv"
    facts.write_text("period,fact,value\n2026Q3,revenue,100\n2026Q3,cost,200\n", encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    result = invoke("eval", str(ruleset), "--facts", str(facts), "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    if fmt == "json":
        data = json.loads(out.read_text(encoding="utf-8"))
        assert data["results"][0]["kpis"] == [] and data["results"][0]["bonus"] == "0.00"
        assert data["findings"][0]["rule"] == "margin"


# ------------------------------------------------------------------ 4, 5. JSON facts


def test_4_deeply_nested_json_is_a_data_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000, encoding="utf-8")
    result = invoke("eval", str(SEED), "--facts", str(deep))
    assert result.exit_code == 1
    assert "deep.json: error[D005]: " in result.output and "nested too deeply" in result.output
    no_internal_error(result.output)


def test_5_lone_surrogate_in_json_is_a_data_error(tmp_path: Path) -> None:
    bad = tmp_path / "sur.json"
    bad.write_text('[{"period":"2026Q3","employee":"Смирнова Анна","fact":"revenue\\ud800","value":1}]',
                   encoding="utf-8")
    result = invoke("eval", str(SEED), "--facts", str(bad), "--format", "json")
    assert result.exit_code == 1
    assert "sur.json:1:fact: error[D005]: the value is not valid text" in result.output
    no_internal_error(result.output)


# ------------------------------------------------------------------ 6. a file name too long


@pytest.mark.parametrize("args", [
    ["check", LONG], ["fmt", LONG], ["test", LONG], ["eval", LONG, "--facts", str(SEED_FACTS)],
    ["eval", *SEED_ARGS, "--facts", LONG], ["eval", *SEED_ARGS, "--roster", LONG],
    ["eval", *SEED_ARGS, "--format", "html", "--template", LONG, "-o", "REPORT"],
    ["eval", *SEED_ARGS, "--format", "csv", "-o", LONG],
    ["eval", str(CRM), "--source", f"deals={LONG}"],
])
def test_6_a_file_name_over_255_bytes(tmp_path: Path, args: list[str]) -> None:
    args = [str(tmp_path / "r.html") if a == "REPORT" else a for a in args]
    done = kpidsl(*args, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    no_internal_error(done.stderr)
    assert LONG not in done.stderr + done.stdout  # shortened in the message
    assert "File name too long" in done.stderr + done.stdout or "not found" in done.stderr + done.stdout


@pytest.mark.parametrize("line", [f'import "{LONG}"', f"import std/{LONG}"])
def test_6_an_import_name_over_255_bytes(tmp_path: Path, line: str) -> None:
    (tmp_path / "c.kpi").write_text(line + "\n", encoding="utf-8")
    result = invoke("check", str(tmp_path / "c.kpi"))
    assert result.exit_code == 1 and "error[K012]" in result.output
    assert LONG not in result.output


# ------------------------------------------------------------------ 7. stdout full or closed


COMMANDS = [["check", str(SEED)], ["fmt", str(SEED)], ["sql", str(SEED)],
            ["eval", *SEED_ARGS, "--format", "text"], ["eval", *SEED_ARGS, "--format", "json"],
            ["eval", *SEED_ARGS, "--format", "csv"],
            ["explain", *SEED_ARGS, "--employee", "Смирнова Анна"], ["--help"],
            ["test", str(ROOT / "features" / "bonus_en.feature")], ["init", "TMP/client"]]


def _in(tmp_path: Path, args: list[str]) -> list[str]:
    return [a.replace("TMP", str(tmp_path)) for a in args]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:1] + a[-2:]))
def test_7_every_command_on_a_full_stdout(tmp_path: Path, args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = kpidsl(*_in(tmp_path, args), stdout=full.fileno())
    assert done.returncode == 1
    assert "cannot write to standard output: No space left on device" in done.stderr
    no_internal_error(done.stderr)


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:1] + a[-2:]))
def test_7_every_command_on_a_closed_pipe_ends_quietly(tmp_path: Path, args: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte
    try:
        done = kpidsl(*_in(tmp_path, args), stdout=write)
    finally:
        os.close(write)
    assert done.returncode == 141, done.stderr
    no_internal_error(done.stderr)
    assert "Broken pipe" not in done.stderr and "cannot write" not in done.stderr


# ------------------------------------------------------------------ 8. explain equals eval


def test_8_explain_shows_no_data_where_eval_does(tmp_path: Path) -> None:
    ruleset = tmp_path / "r.kpi"
    ruleset.write_text('''fact a "A"
fact b "B"
scheme s "S" {
  index = weight * attainment
  bonus = if attainment >= 1 then plan_bonus else plan_bonus / 2
}
role r "R" {
  scheme s
  kpi a weight 1 target 10 bonus 1000
}
employee "Иванов" role r
''', encoding="utf-8")
    facts = tmp_path / "f.csv"
    facts.write_text("period,employee,fact,value\n2026Q2,Иванов,a,12\n2026Q3,Иванов,b,1\n", encoding="utf-8")
    evaluated = json.loads(invoke("eval", str(ruleset), "--facts", str(facts), "--format", "json",
                                  "--period", "2026Q3").stdout)
    assert evaluated["results"][0]["kpis"][0]["status"] == "no_data"
    result = invoke("explain", str(ruleset), "--facts", str(facts), "--employee", "Иванов", "--locale", "en",
                    "--period", "2026Q3")
    bonus_line = next(line for line in result.output.splitlines() if line.strip().startswith("bonus = if"))
    assert bonus_line.endswith("= no data"), bonus_line
    assert "500" not in result.output


# ------------------------------------------------------------------ 9. exact JSON numbers


def test_9_json_numbers_are_exact_decimals(tmp_path: Path) -> None:
    ruleset = tmp_path / "r.kpi"
    ruleset.write_text('fact a "A"\nrole r "R" {\n  kpi a weight 1 target 1 bonus 1\n}\nemployee "Иванов" role r\n',
                       encoding="utf-8")
    facts = tmp_path / "f.csv"
    facts.write_text("period,employee,fact,value\n2026Q3,Иванов,a,1234567.123456789012\n", encoding="utf-8")
    for layout in ("stream", "objects"):
        args = ["eval", str(ruleset), "--facts", str(facts), "--format", "json"]
        body = invoke(*args).stdout if layout == "stream" else _render_json(ruleset, facts)
        assert '"fact": 1234567.123456789012,' in body
        kpi = json.loads(body, parse_float=Decimal)["results"][0]["kpis"][0]
        assert kpi["fact"] == Decimal("1234567.123456789012") == kpi["attainment"]


def _render_json(ruleset: Path, facts: Path) -> str:
    from kpidsl.api import evaluate
    from kpidsl.output.export import render_json

    evaluation = evaluate(ruleset, [facts])
    assert evaluation.results is not None
    return render_json(evaluation.results)


# ------------------------------------------------------------------ 10. a divisor that rounds to zero


@pytest.mark.parametrize("divisor", ["1e-13", "0.0000000000001", "0.00000000000049"])
def test_10_divisor_below_half_a_unit_of_the_12th_place_is_zero(tmp_path: Path, divisor: str) -> None:
    ruleset = tmp_path / "d.kpi"
    ruleset.write_text('fact a "A"\nfact b "B"\nmetric m "M" = a / b\n'
                       'role r "R" {\n  kpi m weight 1 target 1 bonus 1000\n}\n'
                       'employee "Иванов" role r\n', encoding="utf-8")
    facts = tmp_path / "d.csv"
    facts.write_text(f"period,employee,fact,value\n2026Q3,Иванов,a,1\n2026Q3,Иванов,b,{divisor}\n", encoding="utf-8")
    for args in (["eval", "--format", "json"], ["eval", "--format", "csv"], ["explain", "--employee", "Иванов"]):
        result = invoke(args[0], str(ruleset), "--facts", str(facts), *args[1:])
        assert result.exit_code == 0, result.output
        assert "warning[E021]" in result.output
        no_internal_error(result.output)


# ------------------------------------------------------------------ 11. CSV formula with leading spaces


def test_11_csv_neutralises_a_formula_after_leading_spaces(tmp_path: Path) -> None:
    ruleset = tmp_path / "r.kpi"
    ruleset.write_text('fact a "  =1+1"\nrole r "  =HYPERLINK(1)" {\n  kpi a weight 1 target 1 bonus 1\n}\n'
                       'employee "  +cmd" role r\n', encoding="utf-8")
    facts = tmp_path / "f.csv"
    facts.write_text("period,employee,fact,value\n2026Q3,  +cmd,a,1\n", encoding="utf-8")
    for layout in ("stream", "objects"):
        if layout == "stream":
            text = invoke("eval", str(ruleset), "--facts", str(facts), "--format", "csv").stdout
        else:
            from kpidsl.api import evaluate
            from kpidsl.output.export import render_csv

            results = evaluate(ruleset, [facts]).results
            assert results is not None
            rendered = render_csv(results)
            text = rendered.decode("utf-8-sig") if isinstance(rendered, bytes) else rendered
        row = text.splitlines()[-1]
        assert "'  +cmd" in row and "'  =HYPERLINK(1)" in row and "'  =1+1" in row, row


# ------------------------------------------------------------------ 12. template limits


@pytest.mark.parametrize("body, message", [
    ("{{ 'a' * 10000000000 }}", "repeated text or list"),
    ("{{ [1] * 10000000000 }}", "repeated text or list"),
    ("{{ 7 ** 100000000 }}", "integer power"),
    ("{{ 'a'.ljust(10000000000) }}", "`ljust`"),
    ("{{ 'a'|center(10000000000) }}", "`center`"),
    ("{{ '%10000000000s' % 'a' }}", "formatted field"),
    ("{{ results.results.clear() }}", "unsafe"),
])
def test_12_template_cannot_exhaust_memory_or_change_the_results(tmp_path: Path, body: str, message: str) -> None:
    template = tmp_path / "t.html.j2"
    template.write_text("ok\n" + body + "\n", encoding="utf-8")
    result = invoke("eval", *SEED_ARGS, "--format", "html", "--template", str(template), "-o", str(tmp_path / "o.html"))
    assert result.exit_code == 1
    assert f"{template}:2: template error: SecurityError" in result.output and message in result.output
    assert not (tmp_path / "o.html").exists()


def test_12_template_include_does_not_follow_a_link_out_of_its_folder(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "pw.html").symlink_to(secret)
    (folder / "inside.html").write_text("fine", encoding="utf-8")
    template = folder / "t.html.j2"
    template.write_text('{% include "inside.html" %}\n{% include "pw.html" %}\n', encoding="utf-8")
    out = tmp_path / "o.html"
    result = invoke("eval", *SEED_ARGS, "--format", "html", "--template", str(template), "-o", str(out))
    assert result.exit_code == 1 and "template 'pw.html' not found" in result.output
    assert SECRET not in result.output and not out.exists()


# ------------------------------------------------------------------ 13. a syntax error with records


def test_13_syntax_error_in_a_records_ruleset_is_shown_before_missing_facts(tmp_path: Path) -> None:
    broken = tmp_path / "crm.kpi"
    broken.write_text(CRM.read_text(encoding="utf-8") + "\nrole {\n", encoding="utf-8")
    result = invoke("eval", str(broken))
    assert result.exit_code == 1
    assert "error[K002]" in result.output and "Missing option" not in result.output


def test_13_a_check_error_is_shown_before_missing_facts(tmp_path: Path) -> None:
    ruleset = tmp_path / "r.kpi"
    ruleset.write_text('fact a "A"\nrole r { kpi zz weight 1 target 1 bonus 1 }\n', encoding="utf-8")
    result = invoke("eval", str(ruleset))
    assert result.exit_code == 1 and "error[K021]" in result.output


# ------------------------------------------------------------------ 14. explain names the records file read


def test_14_explain_names_the_records_file_actually_read_and_its_count(tmp_path: Path) -> None:
    import csv

    deals = tmp_path / "utf8.csv"
    deals.write_bytes((ROOT / "rulesets" / "data" / "crm_deals.csv").read_bytes())
    employee = "Семёнова Анна (01)"
    result = invoke("explain", str(CRM), "--roster", str(CRM_ROSTER), "--source", f"deals={deals}",
                    "--employee", employee, "--period", "2026Q4", "--locale", "en")
    assert result.exit_code == 0, result.output
    line = next(out for out in result.output.splitlines() if "deals_won (2026Q4) = count from deals" in out)
    with open(deals, encoding="utf-8-sig", newline="") as handle:
        won = sum(1 for r in csv.DictReader(handle) if r["manager"] == employee and r["status"] == "won"
                  and r["created_at"][:7] in ("2026-10", "2026-11", "2026-12"))
    assert line.endswith(f"from records {deals}: {won} record(s) counted (filter: status = \"won\")"), line
    assert "crm_deals.csv" not in line


# ------------------------------------------------------------------ 15. stale temp files after a kill


def test_15_a_killed_run_leaves_a_temp_file_the_next_run_removes(tmp_path: Path) -> None:
    from kpidsl.output.atomic import write_atomic

    code = ("import sys, time; from kpidsl.output.atomic import atomic\n"
            "with atomic(sys.argv[1]) as tmp:\n    print(tmp, flush=True); time.sleep(60)\n")
    target = tmp_path / "out.json"
    child = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    leftover = Path(child.stdout.readline().strip())
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert leftover.exists() and leftover.name.startswith(".out.json.kpidsl-")
    someone_else = tmp_path / f".out.json.kpidsl-{os.getpid()}-abc.tmp"  # a live process's: kept
    someone_else.write_text("", encoding="utf-8")
    write_atomic(tmp_path / "other.csv", "x")
    assert not leftover.exists()
    assert someone_else.exists()
    assert (tmp_path / "other.csv").read_text(encoding="utf-8") == "x"


# ------------------------------------------------------------------ K005 for constants


@pytest.mark.parametrize("literal", ["1e999999999", "9" * 5000, "100000000000000000000000000"])
def test_k005_constants_beyond_10_to_the_26(tmp_path: Path, literal: str) -> None:
    ruleset = tmp_path / "k.kpi"
    ruleset.write_text(f'goal g "G" = {literal}\n', encoding="utf-8")
    result = invoke("check", str(ruleset))
    assert result.exit_code == 1 and "error[K005]" in result.output and "below 10^26" in result.output
    assert literal not in result.output or len(literal) < 40


def test_k005_the_largest_constant_still_passes(tmp_path: Path) -> None:
    ruleset = tmp_path / "k.kpi"
    ruleset.write_text('goal g "G" = 99999999999999999999999999\n', encoding="utf-8")
    assert invoke("check", str(ruleset)).exit_code == 0
