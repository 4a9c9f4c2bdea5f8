"""A per-user cache folder that nobody else can plant files in.

The grammar's parse tables are cached between runs (Lark's `cache=`, a pickle): loading
a pickle runs code, so the cache lives only where the current user alone can write —
`$XDG_CACHE_HOME/kpidsl` or `~/.cache/kpidsl`, created 0700, and used only if it (and
its parent) belong to this user and no one else may write to them.  Never in the
package folder, never in a shared temporary folder.  `KPIDSL_NO_CACHE=1` turns it off;
any doubt means no cache (the parser is then built in memory, a little slower).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


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
