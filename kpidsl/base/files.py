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
    """'dir', 'file' (a regular file), 'other' (a device, FIFO, socket), 'missing' or
    'error' (it cannot even be looked at: see `problem`)."""
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
    return "file" if stat.S_ISREG(mode) else "other"


def problem(path: str | Path) -> str:
    """Why `path` cannot be opened: `cannot open: reason` (the caller names the file)."""
    try:
        os.stat(path)
    except OSError as exc:
        return f"cannot open: {exc.strerror or exc}"
    except ValueError:
        return "cannot open: the name contains a NUL character"
    return "cannot open"


def named_problem(path: str | Path) -> str:
    """`problem` after the file's name (shortened when long)."""
    return f"{shorten(str(path))}: {problem(path)}"
