"""Writing outputs safely: all or nothing, never over an input, never over a device.

A regular file is written to a temporary file in the target's folder and renamed over
the target only when complete, so an error midway leaves no partial file.  A character
device or a FIFO (`-o /dev/stdout`, `-o /dev/null`, a named pipe) is written straight
into: renaming over it would replace the device with a file.  Any other kind of target
(a folder, a block device, a socket) is refused.

Temporary files are named `.<target>.kpidsl-<pid>-<random>.tmp`; a run killed before its
rename leaves one behind, and the next run that writes into the same folder removes those
whose process is gone (only the current user's own).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from kpidsl.base.diagnostics import shorten
from kpidsl.base.files import kind, reason

_STALE = re.compile(r"^\..+\.kpidsl-(\d+)-[A-Za-z0-9_]+\.tmp$")


class OutputError(Exception):
    """The output could not be written; the message says why and where."""


def write_atomic(path: str | Path, data: bytes | str, protected: Sequence[str | Path] = ()) -> None:
    """Write `data` to `path` atomically.  Refuses to overwrite any of `protected` (the inputs)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic(path, protected) as tmp, open(tmp, "wb") as handle:
        handle.write(payload)


@contextmanager
def atomic(path: str | Path, protected: Sequence[str | Path] = ()) -> Iterator[str]:
    """A path to write the output to; when the block completes it becomes `path`.

    For a regular (or new) file that is a temporary file beside it, renamed into place
    (removed if the block fails).  For a character device or FIFO it is a private
    temporary file whose bytes are copied into the device at the end.  Refuses to replace
    any of `protected` (the inputs) and every other kind of target."""
    target = Path(path)
    kind = _kind(target)
    _refuse_inputs(target, protected)
    if kind == "stream":
        with _private_temp(target) as tmp:
            yield tmp
            _copy_into(tmp, target)
        return
    real = Path(os.path.realpath(target))  # a symlink stays a link to the updated file
    folder = real.parent
    _remove_stale(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.kpidsl-{os.getpid()}-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{_name(target)}: cannot write here: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, _mode_for(real))
        os.replace(tmp, real)
    except OSError as exc:
        _remove(tmp)
        raise OutputError(f"{_name(target)}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise


def _kind(target: Path) -> str:
    """'file' for a regular file or a new one, 'stream' for a character device or FIFO;
    anything else is refused."""
    found = kind(target)
    if found in ("file", "missing", "stream"):
        return "stream" if found == "stream" else "file"
    if found == "error":
        raise OutputError(f"{_name(target)}: cannot write: {reason(target)}")
    what = "a folder" if found == "dir" else "not a regular file, a character device or a pipe"
    raise OutputError(f"{_name(target)}: cannot write the output there: it is {what}; choose a file path")


def _refuse_inputs(target: Path, protected: Sequence[str | Path]) -> None:
    for p in protected:
        try:
            same = target.exists() and os.path.samefile(target, p)
        except OSError:
            continue
        if same:
            raise OutputError(f"{_name(target)}: refusing to overwrite an input file; choose another output path")


@contextmanager
def _private_temp(target: Path) -> Iterator[str]:
    """A temporary file in a folder only this user can enter (never beside a device)."""
    folder = tempfile.mkdtemp(prefix="kpidsl-")
    try:
        tmp = os.path.join(folder, "output")
        open(tmp, "wb").close()
        yield tmp
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _copy_into(tmp: str, target: Path) -> None:
    """Copy the finished output into a device or FIFO, opened without creating anything."""
    try:
        fd = os.open(target, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise OutputError(f"{_name(target)}: cannot write: {exc.strerror or exc}") from None
    try:
        with open(tmp, "rb") as source, os.fdopen(fd, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
    except OSError as exc:
        raise OutputError(f"{_name(target)}: cannot write: {exc.strerror or exc}") from None


def _remove_stale(folder: Path) -> None:
    """Remove this user's temporary files left by killed kpidsl runs in `folder`."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    me = os.geteuid() if hasattr(os, "geteuid") else None
    for name in names:
        match = _STALE.match(name)
        if match is None or _alive(int(match.group(1))):
            continue
        path = folder / name
        try:
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) and (me is None or info.st_uid == me):
                os.unlink(path)
        except OSError:
            continue


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _name(path: str | Path) -> str:
    return shorten(str(path))


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 less the umask
    (a temporary file starts as 0600, which would hide a report from its readers)."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
