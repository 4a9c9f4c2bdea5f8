"""Syntax: ruleset text → typed AST with Lark, or syntax diagnostics (`parse.py` calls it
when the text's AST is not in the cache, so a cached run never loads Lark).

The grammar lives in `grammar/kpidsl.lark` (shipped as `kpidsl.grammar`).  The
parser is LALR with Lark's contextual lexer; one extra rule makes keywords
reserved only where a keyword can stand: when a keyword token is unexpected but a
name would fit (`bonus = …` inside a scheme), it is read as a name.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from kpidsl.base.cache import private_cache_dir, trusted_file
from kpidsl.base.diagnostics import Diagnostic, Span, error
from kpidsl.base.resources import resource_dir
from kpidsl.language import ast
from kpidsl.language.build import Builder, BuildError

_NAME = re.compile(r"[^\W\d]\w*")

# Terminal names → how a person would write them, for "expected …" messages.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": 'a "quoted text"',
    "NUMBER": "a number",
    "PERCENT": "a percentage",
    "DATE": "a date (YYYY-MM-DD)",
    "PATH": "a path",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "COMMA": "`,`",
    "EQUAL": "`=`",
    "MINUS": "`-`",
    "COMPARE": "a comparison",
    "ADD": "`+` or `-`",
    "MUL": "`*` or `/`",
    "ARROW": "`->`",
    "$END": "the end of the file",
}


def _grammar_text() -> str:
    return (resource_dir("grammar") / "kpidsl.lark").read_text(encoding="utf-8")


# Words that start a declaration.  At the very start of a line (column 1) they are
# never read as names, so `metric m = a +` followed by `role r { … }` reports the
# unfinished formula at `role` instead of reading `role` as a name and failing later.
_DECLARATION_WORDS = frozenset(("ruleset", "import", "fact", "records", "metric", "kpi", "scheme",
                                "role", "employee", "goal", "param", "rule"))


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser, built once per process; its tables are cached per user between runs
    (`base.cache`: Lark checks the grammar's and the options' hash before using them)."""
    import lark

    cache: str | bool = False
    folder = private_cache_dir()
    if folder is not None:
        path = folder / f"grammar-lark{lark.__version__}.cache"
        if trusted_file(path):
            cache = str(path)
    return Lark(
        _grammar_text(),
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=cache,
        lexer_callbacks={"NAME": _declaration_word},
    )


def keywords() -> frozenset[str]:
    """The language's keywords, read from the parser's own terminals (for editors' highlighters)."""
    return frozenset(t.pattern.value for t in _parser().terminals
                     if t.pattern.type == "str" and t.pattern.value.isalpha())


def describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    if name.isupper() and name.isalpha():  # a keyword terminal: IF, KPI, ROLE …
        return f"`{name.lower()}`"
    return name


def _declaration_word(token: Token) -> Token:
    """The contextual lexer reads `role` as a name wherever no keyword fits; at column 1 keep it a keyword."""
    if token.column == 1 and token.value in _DECLARATION_WORDS:
        return Token.new_borrow_pos(token.value.upper(), token.value, token)
    return token


def _keyword_as_name(exc: UnexpectedInput) -> bool:
    """On an unexpected keyword where a name fits, feed it as a name and go on."""
    if not isinstance(exc, UnexpectedToken) or exc.token.type in ("NAME", "$END"):
        return False
    if not _NAME.fullmatch(str(exc.token)):
        return False
    if exc.token.column == 1 and str(exc.token) in _DECLARATION_WORDS:
        return False
    parser = exc.interactive_parser
    if "NAME" not in parser.accepts():  # type: ignore[no-untyped-call]  # lark leaves it unannotated
        return False
    parser.feed_token(Token.new_borrow_pos("NAME", str(exc.token), exc.token))
    return True


# Nesting beyond this many levels of the parse tree is K006: far above any real formula,
# and low enough that building, checking and compiling the AST stay within Python's stack.
MAX_DEPTH = 200


def parse_text(text: str, file: str) -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    """Parse one ruleset with Lark: the AST (None on a syntax error) and diagnostics."""
    comments: list[ast.Comment] = []
    try:
        tree = _parser().parse(text, on_error=_keyword_as_name)
    except UnexpectedInput as exc:
        return None, [_syntax_error(exc, text, file)]
    for match in _comment_positions(text):
        comments.append(match)
    deepest, where = _deepest(tree)
    if deepest > MAX_DEPTH:  # a fixed limit, so a text's fate never depends on the stack it is parsed on
        return None, [_too_deep(where, file)]
    builder = Builder(file)
    try:
        items = builder.transform(tree)
    except VisitError as exc:  # a builder error carries its own diagnostic
        original = exc.orig_exc
        if isinstance(original, BuildError):
            return None, [original.diagnostic]
        if isinstance(original, RecursionError):
            return None, [_too_deep(tree, file)]
        raise
    except RecursionError:  # the tree is deeper than Python's stack: say so, never crash
        return None, [_too_deep(tree, file)]
    return ast.Ruleset(file=file, items=tuple(items), comments=tuple(comments)), builder.diagnostics


def _deepest(tree: Tree[Token]) -> tuple[int, tuple[int, int]]:
    """The parse tree's depth and the (line, column) of its deepest node, found iteratively."""
    deepest, place = 0, (1, 1)
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:  # iteratively: the tree may be too deep for recursion
        node, depth = stack.pop()
        if isinstance(node, Tree):
            if depth >= deepest and not getattr(node.meta, "empty", True):
                deepest, place = depth, (node.meta.line, node.meta.column)
            stack.extend((child, depth + 1) for child in node.children)
    return deepest, place


def _too_deep(tree_or_place: Tree[Token] | tuple[int, int], file: str) -> Diagnostic:
    """An expression so deeply nested (hundreds of operators in a row) that it is refused."""
    line, column = _deepest(tree_or_place)[1] if isinstance(tree_or_place, Tree) else tree_or_place
    return error("K006", "an expression is nested too deeply (hundreds of operators in one formula)",
                 Span(file, line, column), "split the formula into smaller metrics")


def _comment_positions(text: str) -> list[ast.Comment]:
    """Comments with their positions, found by a small scanner that skips strings."""
    out: list[ast.Comment] = []
    for number, line in enumerate(text.split("\n"), start=1):
        in_string = False
        escaped = False
        for col, ch in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "#":
                out.append(ast.Comment(text=line[col:].rstrip(), line=number, column=col + 1))
                break
    return out


# ------------------------------------------------------------------ syntax errors


def _open_blocks(text: str, upto: int) -> list[tuple[str, int, int]]:
    """Blocks opened with `{` and not closed before offset `upto`: (keyword, line, col)."""
    stack: list[tuple[str, int, int]] = []
    token_re = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|[{}]|[^\W\d]\w*', re.UNICODE)
    words: list[str] = []
    for m in token_re.finditer(text, 0, upto):
        tok = m.group(0)
        if tok == "{":
            line = text.count("\n", 0, m.start()) + 1
            col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
            keyword = next((w for w in reversed(words[-3:]) if w in _BLOCK_KEYWORDS), "block")
            stack.append((keyword, line, col))
        elif tok == "}":
            if stack:
                stack.pop()
        elif not tok.startswith(("#", '"')):
            words.append(tok)
    return stack


_BLOCK_KEYWORDS = ("ruleset", "role", "kpi", "scheme", "rule", "records", "scale")


def _syntax_error(exc: UnexpectedInput, text: str, file: str) -> Diagnostic:
    line = getattr(exc, "line", 1) or 1
    column = getattr(exc, "column", 1) or 1
    hint: str | None = None
    if isinstance(exc, UnexpectedCharacters):
        at = exc.pos_in_stream or 0
        char = text[at] if at < len(text) else ""
        message = f"unexpected character `{char}`"
        if char == ",":
            hint = "numbers use a decimal point: write 0.2, not 0,2"
        elif char == "'":
            hint = 'texts are written in double quotes: "…"'
        span = Span(file, line, column, line, column + 1)
        return error("K001", message, span, hint)
    assert isinstance(exc, (UnexpectedToken, UnexpectedEOF))
    expected: set[str] = set()
    if isinstance(exc, UnexpectedToken):
        try:
            expected = set(exc.accepts or exc.expected)
        except Exception:  # accepts may be unavailable after error recovery
            expected = set(exc.expected)
        token = exc.token
        if token.type == "$END":
            blocks = _open_blocks(text, len(text))
            if blocks:
                keyword, bline, bcol = blocks[-1]
                message = f"the file ends inside `{keyword}` opened on line {bline}"
                hint = f"looking for `}}` to close `{keyword}` opened at {bline}:{bcol}"
            else:
                message = "the file ends in the middle of a statement"
            shown_text = text.rstrip()  # point just after the last real character, on a line that exists
            end_line = shown_text.count("\n") + 1
            end_col = len(shown_text) - (shown_text.rfind("\n") + 1) + 1
            return error("K002", message, Span(file, end_line, end_col), hint)
        shown = str(token)
        message = f"unexpected `{shown}`"
        before = text[:token.start_pos or 0].rsplit("\n", 1)[-1]
        if token.type == "COMPARE" and "COMPARE" not in expected and re.search(r"[<>≤≥≠]|==|!=", before):
            hint = "comparisons do not chain: write `a < b and b < c`"
        elif shown == ",":
            hint = ("numbers use a decimal point (0.2, not 0,2); "
                    "a list of names is separated by commas only after `controls`")
        width = len(shown) or 1
        span = Span(file, token.line or line, token.column or column,
                    token.line or line, (token.column or column) + width)
    else:
        message = "unexpected end of input"
        span = Span(file, line, column)
    words = sorted({describe_terminal(t) for t in expected if not t.startswith("__")})
    if words:
        shown_words = words if len(words) <= 8 else [*words[:8], "…"]
        message += "; expected " + ", ".join(shown_words)
    blocks = _open_blocks(text, _offset(text, span.line, span.column))
    if blocks and hint is None:
        keyword, bline, _ = blocks[-1]
        hint = f"inside `{keyword}` opened on line {bline}"
    return error("K002", message, span, hint)


def _offset(text: str, line: int, column: int) -> int:
    offset = 0
    for _ in range(line - 1):
        nl = text.find("\n", offset)
        if nl < 0:
            return len(text)
        offset = nl + 1
    return offset + column - 1


__all__ = ["describe_terminal", "parse_text"]
