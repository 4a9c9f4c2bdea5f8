"""A per-user cache folder that nobody else can plant files in.

The grammar's parse tables are cached between runs (Lark's `cache=`, a pickle), and so are
values that cost more to compute than to load (`load`/`store`: the AST of a ruleset text,
keyed by a fingerprint of the text and of the code that builds it).  Loading a pickle
runs code, so the cache lives only where the current user alone can write —
`$XDG_CACHE_HOME/kpidsl` or `~/.cache/kpidsl`, created 0700, and used only if it (and
its parent) belong to this user and no one else may write to them.  Never in the
package folder, never in a shared temporary folder.  `KPIDSL_NO_CACHE=1` turns it off;
any doubt means no cache (the parser is then built in memory, a little slower).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
from pathlib import Path
from typing import Any


def private_cache_dir() -> Path | None:
    """The cache folder, created if needed, or None when it cannot be trusted."""
    if os.environ.get("KPIDSL_NO_CACHE") or not hasattr(os, "geteuid"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None
    folder = Path(base) / "kpidsl"
    try:
        Path(base).mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(Path(base)):
            return None
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    return folder if _trusted(folder) else None


def trusted_file(path: Path) -> bool:
    """True if `path` is missing, or a regular file of this user's that others cannot write."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def _trusted(folder: Path) -> bool:
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


# ------------------------------------------------------------------ cached values

_KEEP = 512  # entries kept per kind; the oldest go first


def fingerprint(*parts: str | bytes) -> str:
    """A cache key: the SHA-256 of `parts` (texts, code), so a changed input is a miss."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def load(kind: str, key: str) -> Any | None:
    """The value stored under `key`, or None (a miss, no cache, or any doubt about the file)."""
    folder = private_cache_dir()
    if folder is None:
        return None
    path = folder / kind / f"{key}.pickle"
    if not path.exists() or not trusted_file(path) or not _trusted(path.parent):
        return None
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)  # trusted: only this user can have written it
    except Exception:  # a truncated or stale entry is a miss, never an error
        return None


def store(kind: str, key: str, value: object) -> None:
    """Keep `value` under `key`, written to a private temporary file and renamed into place
    (a reader never sees half a file); at most `_KEEP` entries per kind.  Silent on failure."""
    import contextlib
    import tempfile  # only here: writing is rare, and the import costs more than a cached read

    folder = private_cache_dir()
    if folder is None:
        return
    target = folder / kind
    try:
        target.mkdir(mode=0o700, exist_ok=True)
        if not _trusted(target):
            return
        descriptor, temporary = tempfile.mkstemp(dir=target, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, target / f"{key}.pickle")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        entries = sorted(target.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-_KEEP]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, RecursionError):
        return
