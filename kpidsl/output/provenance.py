"""Which ruleset a document was made from: each file's SHA-256 and the git revision.

A signed regulation must name exactly the rules it describes, so it carries the hash
of every ruleset file read (the main one and its imports) and, when the ruleset lies
in a git working tree, the commit and whether the file differs from it.  `git` runs
as a subprocess with a list of arguments (never through a shell), with a timeout;
no git, no repository or any failure simply means no revision.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kpidsl import __version__
from kpidsl.base.resources import resource_dir

GIT_TIMEOUT = 10  # seconds


@dataclass(frozen=True)
class Version:
    files: tuple[tuple[str, str], ...]  # (the file as shown, its SHA-256), the main file first
    revision: str | None = None  # the git commit the main file's working tree is at
    changed: bool = False  # the main file differs from that commit (or is not committed)
    tool: str = __version__


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def shown_name(path: str, main: str) -> str:
    """A file as the document names it: relative to the main ruleset's folder, the
    standard library as `std/…`, else its name alone (no absolute paths in a document)."""
    real, folder = Path(os.path.realpath(path)), Path(os.path.realpath(main)).parent
    library = Path(os.path.realpath(resource_dir("rulesets")))
    for root in (folder, library):
        if real.is_relative_to(root):
            return real.relative_to(root).as_posix()
    return real.name


def ruleset_version(files: list[str]) -> Version:
    """The version of the ruleset made of `files` (the main file first)."""
    main = files[0]
    hashes = tuple((shown_name(f, main), sha256(f)) for f in dict.fromkeys(files))
    revision, changed = git_revision(main)
    return Version(hashes, revision, changed)


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_revision(path: str) -> tuple[str | None, bool]:
    """(the commit of the work tree holding `path`, whether `path` differs from it)."""
    file = Path(os.path.realpath(path))
    revision = _git(file.parent, "rev-parse", "--verify", "HEAD")
    if not revision:
        return None, False
    status = _git(file.parent, "status", "--porcelain", "--", file.name)
    return revision, status is None or status != ""
