"""Standard output that says so when it cannot be written.

`guard_stdout` puts a thin layer under `sys.stdout` whose every write turns an OSError
into `StdoutError`, so the command line can tell "standard output is full or closed"
(the environment) from an error anywhere else (a bug), whichever library was writing.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class StdoutError(Exception):
    """Standard output could not be written; `closed` when the reader went away."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))
        self.closed = isinstance(error, BrokenPipeError) or error.errno in (errno.EPIPE, errno.ECONNRESET)
        self.reason = error.strerror or str(error)


class _Guarded(io.RawIOBase):
    """File descriptor 1, raising StdoutError instead of OSError."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: ReadableBuffer, /) -> int:
        try:
            return os.write(self._fd, data)
        except InterruptedError:
            return 0
        except OSError as exc:
            raise StdoutError(exc) from None


def guard_stdout() -> None:
    """Replace `sys.stdout` by a guarded stream on the same descriptor (a no-op when
    stdout is not a real file descriptor, as under a test runner)."""
    current = sys.stdout
    try:
        fd = current.fileno()
    except (AttributeError, OSError, ValueError):
        return
    if isinstance(getattr(current, "buffer", None), io.BufferedWriter) and \
            isinstance(getattr(current.buffer, "raw", None), _Guarded):
        return
    with contextlib.suppress(OSError):
        current.flush()
    raw = _Guarded(fd)
    buffered = io.BufferedWriter(raw, buffer_size=1 << 16)
    sys.stdout = io.TextIOWrapper(buffered, encoding=current.encoding or "utf-8",
                                  errors=getattr(current, "errors", None) or "strict",
                                  line_buffering=bool(getattr(current, "line_buffering", False)),
                                  write_through=False)


def release_stdout() -> None:
    """After a failure: point descriptor 1 at /dev/null so nothing more fails at exit."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass
    # What is still buffered can never be delivered; it drains into /dev/null at exit.
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives until exit
