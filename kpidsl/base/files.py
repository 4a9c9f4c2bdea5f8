"""Looking at a path a user named without tripping over it.

`pathlib`'s `exists()`/`is_dir()` raise on some errors (a name over 255 bytes raises
`File name too long` in Python 3.11); every command asks here instead, and turns the
answer into its own clear message.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from kpidsl.base.diagnostics import shorten


def kind(path: str | Path) -> str:
    """'dir', 'file' (a regular file), 'stream' (a character device or FIFO: written
    straight into), 'other' (a block device, a socket), 'missing' or 'error' (it cannot
    even be looked at: see `problem`)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return "missing" if exc.errno == errno.ENOTDIR else "error"
    except ValueError:  # a NUL byte in the name
        return "error"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream"
    return "file" if stat.S_ISREG(mode) else "other"


def reason(path: str | Path) -> str:
    """Why `path` cannot be looked at (`File name too long` …), or "" if it can."""
    try:
        os.stat(path)
    except OSError as exc:
        return str(exc.strerror or exc)
    except ValueError:
        return "the name contains a NUL character"
    return ""


def problem(path: str | Path) -> str:
    """Why `path` cannot be opened: `cannot open: reason` (the caller names the file)."""
    why = reason(path)
    return f"cannot open: {why}" if why else "cannot open"


def named_problem(path: str | Path) -> str:
    """`problem` after the file's name (shortened when long)."""
    return f"{shorten(str(path))}: {problem(path)}"
