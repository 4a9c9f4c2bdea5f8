"""A ruleset named on the command line: a file, or a file at a git revision (`acme.kpi@HEAD~1`).

`kpidsl compare` puts two versions of one plan side by side, and rulesets live under
version control, so either side may be `PATH@REV`: the text of PATH in revision REV
(`HEAD~1`, `main`, `v2026.1`, a commit id) of the git repository the file is in,
read with `git rev-parse` and `git cat-file` (a list argv, never a shell).  An argument
that names an existing file is that file, even if its name holds an `@`.

Only the ruleset itself is read from the revision: its imports are read from the work
tree (the folder the file is in now), as docs/compare.md says.  Every problem — git
not installed, the file outside a repository, an unknown revision, a file the revision
does not have — is a `RevisionError` whose message says what and how to fix it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kpidsl.base.diagnostics import shorten

_TIMEOUT = 60  # seconds for one git call; a repository on a dead network share must not hang a run


class RevisionError(Exception):
    """A ruleset could not be read at the revision asked for; the message says why."""


@dataclass(frozen=True)
class RulesetSource:
    """One side of a comparison: the name it is shown by, the file, and the text if not read from it."""

    name: str  # as given: `rulesets/acme.kpi` or `rulesets/acme.kpi@HEAD~1`
    path: str  # the file (in the work tree); imports resolve from its folder
    revision: str | None = None  # the revision asked for, None for the file itself
    commit: str | None = None  # the commit it resolved to
    text: str | None = None  # the revision's text; None: read the file


def split_spec(spec: str) -> tuple[str, str | None]:
    """`PATH@REV` → (PATH, REV); an existing file, or a name without `@`, → (spec, None)."""
    if "@" not in spec or os.path.lexists(spec):
        return spec, None
    path, _, rev = spec.rpartition("@")
    return path, rev


def ruleset_source(spec: str) -> RulesetSource:
    """The ruleset `spec` names, its revision's text read from git when it has one."""
    path, rev = split_spec(spec)
    if rev is None:
        return RulesetSource(spec, spec)
    if not rev.strip():
        raise RevisionError(f"`{shorten(spec)}` names no revision after `@`; write PATH@REV, e.g. {path}@HEAD~1")
    if not path:
        raise RevisionError(f"`{shorten(spec)}` names no file before `@`; write PATH@REV, e.g. rulesets/acme.kpi@{rev}")
    folder = Path(path).parent
    if not folder.is_dir():
        raise RevisionError(f"{shorten(path)}: no such folder `{shorten(str(folder))}`, so no repository to read "
                            f"revision `{rev}` from")
    root = _git(folder, ["rev-parse", "--show-toplevel"],
                lambda err: f"{shorten(path)} is not in a git repository, so `@{rev}` cannot be read "
                            f"(git says: {err}); compare two files, or run inside the repository").strip()
    commit = _git(folder, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                  lambda err: f"revision `{rev}` does not exist in the repository {shorten(root)}; "
                              "give a commit, a branch or a tag (git log --oneline shows the commits)").strip()
    relative = _inside(path, root)
    text = _git(Path(root), ["cat-file", "blob", f"{commit}:{relative}"],
                lambda err: f"{relative} does not exist in revision `{rev}` ({commit[:12]}); "
                            f"`git log --oneline -- {relative}` shows the revisions that have it")
    return RulesetSource(spec, path, rev, commit, text.removeprefix("\ufeff"))


def _inside(path: str, root: str) -> str:
    """`path` relative to the repository's root, with forward slashes, as git names it."""
    real = Path(os.path.realpath(path)) if os.path.lexists(path) else \
        Path(os.path.realpath(Path(path).parent)) / Path(path).name
    try:
        return real.relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        raise RevisionError(f"{shorten(path)} is not inside the repository {shorten(root)}") from None


def _git(folder: Path, args: list[str], problem: Callable[[str], str]) -> str:
    """git's standard output for `args` run in `folder`, or a RevisionError with `problem(git's error)`."""
    git = shutil.which("git")
    if git is None:
        raise RevisionError("git is not installed, so a revision (`PATH@REV`) cannot be read; install git, "
                            "or compare two files")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run([git, *args], cwd=folder, capture_output=True, timeout=_TIMEOUT, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RevisionError(f"git could not be run in {shorten(str(folder))}: {exc}") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RevisionError(problem(err[-1] if err else f"exit status {done.returncode}"))
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise RevisionError(f"the file read from git in {shorten(str(folder))} is not UTF-8 text; "
                            "a ruleset is saved as UTF-8") from None
