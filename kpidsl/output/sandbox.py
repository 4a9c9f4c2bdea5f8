"""The sandbox a report template runs in: it reads the results and cannot do harm.

A consultant's `--template` is untrusted text.  Jinja's `ImmutableSandboxedEnvironment`
already forbids unsafe attributes and every method that changes a list, dict or set
(the context is read-only: `results.results.clear()` fails).  On top of it:

* sizes are capped: `'a' * N`, `[x] * N`, `n ** m`, `'%Ns' % x`, `center`, `indent`,
  `ljust`/`rjust`/`zfill` with widths, and the whole output (`MAX_OUTPUT` characters);
  `range` is Jinja's own (at most 100 000 items);
* templates are loaded only from inside the template folders: an `include` of a
  symbolic link that leads elsewhere (`/etc/passwd`) is "template not found".

A breach raises `jinja2.exceptions.SecurityError`; the renderer reports it with the
template's file and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

from jinja2 import FileSystemLoader, TemplateNotFound
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SIZE = 1_000_000  # characters or items one operation may build
MAX_OUTPUT = 200_000_000  # characters of a whole rendered report
MAX_EXPONENT_BITS = 4_096  # bits of an integer power's result
_WIDTH = re.compile(r"%[-+ #0]*(\d+)|\{[^{}]*:[^{}]*?(\d+)[^{}]*\}")
_WIDTH_METHODS = {"ljust", "rjust", "center", "zfill", "expandtabs"}


def _too_big(what: str) -> SecurityError:
    return SecurityError(f"{what} would be larger than the template sandbox allows ({MAX_SIZE:,} characters or items)")


def _check_widths(fmt: str) -> None:
    for match in _WIDTH.finditer(fmt):
        width = match.group(1) or match.group(2)
        if width is not None and int(width) > MAX_SIZE:
            raise _too_big("a formatted field")


class ReportSandbox(ImmutableSandboxedEnvironment):
    """The sandbox with size caps on the operators and calls that can build huge values."""

    intercepted_binops = frozenset(["*", "**", "%"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple, bytes)) and isinstance(count, int) \
                        and len(seq) * count > MAX_SIZE:
                    raise _too_big("a repeated text or list")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
            if abs(left) > 1 and right * max(abs(left).bit_length(), 1) > MAX_EXPONENT_BITS:
                raise SecurityError("an integer power this large is not allowed in a template")
        elif operator == "%" and isinstance(left, str):
            _check_widths(left)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(__obj, "__name__", "")
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            if name in _WIDTH_METHODS and any(isinstance(a, int) and a > MAX_SIZE for a in (*args, *kwargs.values())):
                raise _too_big(f"`{name}`")
            if name in ("format", "format_map"):
                _check_widths(owner)
        return super().call(__context, __obj, *args, **kwargs)


class ContainedLoader(FileSystemLoader):
    """A FileSystemLoader that never leaves its folders, through `..` or a symbolic link."""

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # refuses `..` already
        for folder in self.searchpath:
            root = os.path.realpath(folder)
            candidate = os.path.join(folder, *pieces)
            real = os.path.realpath(candidate)
            if os.path.commonpath([root, real]) != root or not os.path.isfile(real):
                continue
            with open(real, encoding=self.encoding) as handle:
                contents = handle.read()
            return contents, os.path.normpath(candidate), _unchanged(real, os.path.getmtime(real))
        raise TemplateNotFound(template)


def _unchanged(path: str, mtime: float) -> Callable[[], bool]:
    """Jinja's `uptodate` for a template read from `path`: true while the file keeps `mtime`."""

    def uptodate() -> bool:
        try:
            return os.path.getmtime(path) == mtime
        except OSError:
            return False

    return uptodate


def _capped(filter_: Callable[..., Any], *width_args: str) -> Callable[..., Any]:
    """`filter_` refusing a width argument over MAX_SIZE (positional or by name)."""

    def wrapped(value: Any, *args: Any, **kwargs: Any) -> Any:
        for index, name in enumerate(width_args):
            width = kwargs.get(name, args[index] if index < len(args) else None)
            if isinstance(width, int) and width > MAX_SIZE:
                raise _too_big(f"the `{filter_.__name__.removeprefix('do_')}` filter's result")
        return filter_(value, *args, **kwargs)

    return wrapped


def sandbox(folders: list[str], **options: Any) -> ReportSandbox:
    """The environment for report templates found in `folders` (first match wins)."""
    from jinja2 import filters

    env = ReportSandbox(loader=ContainedLoader(folders), **options)
    env.filters["center"] = _capped(filters.do_center, "width")
    env.filters["indent"] = _capped(filters.do_indent, "width")
    env.filters["wordwrap"] = _capped(filters.do_wordwrap, "width")
    original_format = env.filters["format"]

    def format_filter(value: Any, *args: Any, **kwargs: Any) -> Any:
        _check_widths(str(value))
        return original_format(value, *args, **kwargs)

    env.filters["format"] = format_filter
    return env


def render_capped(chunks: Iterator[str]) -> str:
    """Join a template's output, refusing more than MAX_OUTPUT characters."""
    out: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise SecurityError(f"the report would be longer than the template sandbox allows "
                                f"({MAX_OUTPUT:,} characters)")
        out.append(chunk)
    return "".join(out)
