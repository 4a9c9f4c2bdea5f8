"""Writing outputs safely: all or nothing, never over an input.

An output is written to a temporary file in the target's folder and renamed over
the target only when complete, so an error midway leaves no partial file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputError(Exception):
    """The output could not be written; the message says why and where."""


def write_atomic(path: str | Path, data: bytes | str, protected: tuple[str | Path, ...] = ()) -> None:
    """Write `data` to `path` atomically.  Refuses to overwrite any of `protected` (the inputs)."""
    target = Path(path)
    for p in protected:
        try:
            if target.exists() and target.resolve() == Path(p).resolve():
                raise OutputError(f"{target}: refusing to overwrite an input file; choose another output path")
        except OSError:
            continue
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write here: {exc.strerror or exc}") from None
    try:
        os.chmod(tmp, _mode_for(target))
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 less the umask
    (a temporary file starts as 0600, which would hide a report from its readers)."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
