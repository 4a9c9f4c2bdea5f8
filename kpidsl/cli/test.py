"""`kpidsl test PATH…`: run a client's Gherkin specs with the bundled step library.

PATH is a `.feature` file or a folder searched for them (a client folder with its
ruleset, data and features — no Python needed).  The report says, per scenario
and in the feature's language, whether it passed, and for a failure which step
and what was expected against what was calculated.  `--format junit -o FILE`
writes JUnit XML for CI systems.

Exit status: 0 every scenario passed, 1 a scenario failed or a spec cannot be
read, 2 usage error (a path that does not exist, no features found).
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["human", "junit"]), default="human", show_default=True,
              help="human: a readable report per scenario; junit: JUnit XML for CI systems.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file (the readable report is still printed).")
@click.option("--steps", "steps", type=click.Choice(["ru", "en"]), default=None,
              help="Print the step library in this language and exit.")
def command(paths: tuple[str, ...], fmt: str, output: Path | None, steps: str | None) -> None:
    """Run the Gherkin specs (.feature files) in PATHS against their rulesets.

    Exit status: 0 all scenarios passed, 1 failures, 2 usage error.
    """
    ctx = click.get_current_context()
    if steps is not None:
        from kpidsl.specs.docs import step_list

        click.echo(step_list(steps))
        ctx.exit(0)
    if not paths:
        raise click.UsageError("give a .feature file or a folder with features (e.g. `kpidsl test clients/acme`)")

    from kpidsl.specs.runner import InputError, UsageError, find_features, render_junit, render_text, run_features

    try:
        files = find_features(paths)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    except InputError as exc:
        click.echo(f"kpidsl test: {exc}", err=True)
        ctx.exit(1)
    try:
        run = run_features(files)
    except RuntimeError as exc:
        click.echo(f"kpidsl test: {exc}", err=True)
        ctx.exit(2)

    text = render_text(run)
    report = render_junit(run) if fmt == "junit" else text
    if output is not None:
        from kpidsl.output.atomic import OutputError, write_atomic

        try:
            write_atomic(output, report, protected=tuple(files))
        except OutputError as exc:
            click.echo(f"kpidsl test: {exc}", err=True)
            ctx.exit(2)
        click.echo(text, nl=False)
    else:
        click.echo(report, nl=False)
    ctx.exit(0 if run.ok else 1)
