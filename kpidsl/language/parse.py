"""Parse: ruleset text → typed AST (`kpidsl.language.ast`), or syntax diagnostics.

The parsing itself is `syntax.py` (Lark, LALR).  A text that parsed without errors
before is not parsed again: its AST is kept in the per-user cache (`base.cache`),
keyed by the text, the file name (spans carry it) and the code that builds the AST —
like Python's .pyc files.  Loading it is ten times faster than parsing, and a cached
run never imports Lark or loads the parse tables.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from kpidsl.base import cache
from kpidsl.base.diagnostics import Diagnostic, Span, error
from kpidsl.base.resources import resource_dir
from kpidsl.language import ast

__all__ = ["parse", "parse_file"]

_BUILT_BY = ("ast.py", "build.py", "syntax.py")  # the code an AST depends on, besides the grammar


_RECENT: dict[str, tuple[ast.Ruleset, tuple[Diagnostic, ...]]] = {}  # the last few unkept texts' ASTs
_RECENT_SIZE = 4


def parse(text: str, file: str = "<input>", *, keep: bool = True) -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    """Parse one ruleset.  Returns the AST (None on a syntax error) and diagnostics.

    `keep=False`: do not write this text's AST to the per-user cache — an editor's text,
    new at every keystroke, would only push out the entries of the files on disk.  The
    last few such ASTs are kept in memory instead (the language server asks twice)."""
    key = cache.fingerprint(_code_fingerprint(), file, text)
    recent = _RECENT.get(key)
    if recent is not None:
        return recent[0], list(recent[1])
    cached = cache.load("ast", key)
    if isinstance(cached, tuple) and len(cached) == 2 and isinstance(cached[0], ast.Ruleset):
        return cached[0], list(cached[1])
    from kpidsl.language.syntax import parse_text

    tree, diagnostics = parse_text(text, file)
    if tree is not None and not any(d.is_error for d in diagnostics):
        if keep:
            cache.store("ast", key, (tree, diagnostics))
        else:
            while len(_RECENT) >= _RECENT_SIZE:
                del _RECENT[next(iter(_RECENT))]
            _RECENT[key] = (tree, tuple(diagnostics))
    return tree, diagnostics


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """What the AST of a text depends on besides the text: the grammar, the code, Python."""
    here = Path(__file__).parent
    grammar = (resource_dir("grammar") / "kpidsl.lark").read_bytes()
    return cache.fingerprint(grammar, *((here / name).read_bytes() for name in _BUILT_BY), sys.version)


def parse_file(path: str | Path) -> tuple[ast.Ruleset | None, list[Diagnostic], str]:
    """Read and parse a file.  Returns (ast, diagnostics, text); unreadable files are diagnostics."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        return None, [error("K010", f"cannot read ruleset: {exc.strerror or exc}", Span(str(path), 1, 1),
                            "check the path")], ""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [error("K011", "the ruleset is not UTF-8 text", Span(str(path), line, 1),
                            "save the file as UTF-8")], ""
    tree, diags = parse(text, str(path))
    return tree, diags, text
