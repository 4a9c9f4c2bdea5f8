"""Parse: ruleset text → typed AST (`kpidsl.language.ast`), or syntax diagnostics.

The grammar lives in `grammar/kpidsl.lark` (shipped as `kpidsl.grammar`).  The
parser is LALR with Lark's contextual lexer; one extra rule makes keywords
reserved only where a keyword can stand: when a keyword token is unexpected but a
name would fit (`bonus = …` inside a scheme), it is read as a name.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from kpidsl.base.cache import private_cache_dir, trusted_file
from kpidsl.base.diagnostics import Diagnostic, Span, error
from kpidsl.base.resources import resource_dir
from kpidsl.language import ast

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
    if "NAME" not in parser.accepts():
        return False
    parser.feed_token(Token.new_borrow_pos("NAME", str(exc.token), exc.token))
    return True


def parse(text: str, file: str = "<input>") -> tuple[ast.Ruleset | None, list[Diagnostic]]:
    """Parse one ruleset.  Returns the AST (None on a syntax error) and diagnostics."""
    comments: list[ast.Comment] = []
    try:
        tree = _parser().parse(text, on_error=_keyword_as_name)
    except UnexpectedInput as exc:
        return None, [_syntax_error(exc, text, file)]
    for match in _comment_positions(text):
        comments.append(match)
    builder = _Builder(file)
    try:
        items = builder.transform(tree)
    except VisitError as exc:  # a builder error carries its own diagnostic
        original = exc.orig_exc
        if isinstance(original, _BuildError):
            return None, [original.diagnostic]
        if isinstance(original, RecursionError):
            return None, [_too_deep(tree, file)]
        raise
    except RecursionError:  # the tree is deeper than Python's stack: say so, never crash
        return None, [_too_deep(tree, file)]
    return ast.Ruleset(file=file, items=tuple(items), comments=tuple(comments)), builder.diagnostics


def _too_deep(tree: Tree, file: str) -> Diagnostic:
    """An expression so deeply nested (hundreds of operators in a row) that it cannot be built."""
    deepest, line, column = 0, 1, 1
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:  # iteratively: the tree is too deep for recursion
        node, depth = stack.pop()
        if isinstance(node, Tree):
            if depth >= deepest and not getattr(node.meta, "empty", True):
                deepest, line, column = depth, node.meta.line, node.meta.column
            stack.extend((child, depth + 1) for child in node.children)
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
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
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
            hint = "numbers use a decimal point (0.2, not 0,2); a list of names is separated by commas only after `controls`"
        width = len(shown) or 1
        span = Span(file, token.line or line, token.column or column,
                    token.line or line, (token.column or column) + width)
    else:
        message = "unexpected end of input"
        span = Span(file, line, column)
    words = sorted({describe_terminal(t) for t in expected if not t.startswith("__")})
    if words:
        shown_words = words if len(words) <= 8 else words[:8] + ["…"]
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


# ------------------------------------------------------------------ tree → AST


class _BuildError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_OP_NORMAL = {"==": "=", "≤": "<=", "≥": ">=", "≠": "!=", "×": "*", "÷": "/"}


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


_MAX_ADJUSTED = 26  # a number's decimal exponent from 10^26 up: beyond exact arithmetic (DECIMAL(38, 12))


def _shown(token: Token) -> str:
    """A number as the message quotes it (a 5 000-digit one shortened)."""
    text = str(token)
    return text if len(text) <= 40 else f"{text[:20]}…{text[-10:]}"


def _number(text: str) -> Decimal:
    digits = text.rstrip("%").replace("_", "")
    value = Decimal(digits)
    return value / 100 if text.endswith("%") else value


class _Builder(Transformer[Token, Any]):
    """One method per grammar rule; each returns an AST node (or a piece of one)."""

    def __init__(self, file: str) -> None:
        super().__init__(visit_tokens=False)  # no token callbacks: skipping them saves a fifth of the walk
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    # -- spans
    def _span_tok(self, token: Token) -> Span:
        return Span(self.file, token.line or 1, token.column or 1,
                    token.end_line, token.end_column)

    def _span_meta(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.file, 1, 1)
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _ident(self, token: Token) -> ast.Ident:
        return ast.Ident(str(token), self._span_tok(token))

    def _settings(self, pairs: list[tuple[str, Any, Span]], owner: str, allowed_repeat: tuple[str, ...] = ()) -> dict[str, Any]:
        """Fold (key, value, span) pairs into a dict; a repeated key is an error."""
        seen: dict[str, Any] = {}
        for key, value, span in pairs:
            if key in allowed_repeat:
                seen.setdefault(key, []).append(value)
                continue
            if key in seen:
                self.diagnostics.append(error(
                    "K003", f"`{key}` is given twice in {owner}", span,
                    f"keep one `{key}`; the second would silently win"))
                continue
            seen[key] = value
        return seen

    # -- top level
    def start(self, items: list[Any]) -> list[Any]:
        return items

    def title(self, children: list[Token]) -> str:
        return _unquote(children[0])

    @v_args(meta=True)
    def header(self, meta: Any, children: list[Any]) -> ast.Header:
        title, *settings = children
        found = self._settings(settings, "the ruleset header")
        return ast.Header(_unquote(title), found.get("client"), found.get("currency"),
                          found.get("period"), found.get("locale"), self._span_tok(title))

    def client(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("client", _unquote(c[0]), self._span_tok(c[0]))

    def currency(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("currency", self._ident(c[0]), self._span_tok(c[0]))

    def period_kind(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("period", self._ident(c[0]), self._span_tok(c[0]))

    def locale(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("locale", self._ident(c[0]), self._span_tok(c[0]))

    def import_(self, c: list[Token]) -> ast.Import:
        tok = c[0]
        path = _unquote(tok) if tok.type == "STRING" else str(tok)
        return ast.Import(path, self._span_tok(tok))

    # -- facts and records
    def fact(self, c: list[Any]) -> ast.Fact:
        name, title, aggregation, *attrs = c
        found = self._settings(attrs, f"fact `{name}`")
        return ast.Fact(str(name), title, found.get("unit"), found.get("source"), found.get("area"),
                        aggregation, self._span_tok(name))

    def unit(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("unit", self._ident(c[0]), self._span_tok(c[0]))

    def source(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("source", self._ident(c[0]), self._span_tok(c[0]))

    def area(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("area", self._ident(c[0]), self._span_tok(c[0]))

    def column(self, c: list[Token]) -> ast.Ident:
        return self._ident(c[0])

    def where(self, c: list[Any]) -> ast.Expr:
        return c[0]

    @v_args(meta=True)
    def aggregation(self, meta: Any, c: list[Any]) -> ast.Aggregation:
        function, distinct, column, records, where = c
        span = self._span_meta(meta)
        if str(function) != "count" and column is None:
            raise _BuildError(error("K004", f"`{function}` needs a column: `{function} amount from {records}`",
                                    self._span_tok(function)))
        return ast.Aggregation(str(function), distinct is not None, column, self._ident(records), where, span)  # type: ignore[arg-type]

    def records(self, c: list[Any]) -> ast.Records:
        name, title, *settings = c
        found = self._settings(settings, f"records `{name}`")
        return ast.Records(str(name), title, found.get("file"), found.get("date"), found.get("employee"),
                           self._span_tok(name))

    def records_file(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("file", _unquote(c[0]), self._span_tok(c[0]))

    def records_date(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("date", self._ident(c[0]), self._span_tok(c[0]))

    def records_employee(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("employee", self._ident(c[0]), self._span_tok(c[0]))

    # -- metrics
    def metric(self, c: list[Any]) -> ast.Metric:
        name, title, formula, *attrs = c
        found = self._settings(attrs, f"metric `{name}`")
        return ast.Metric(str(name), title, formula, found.get("unit"), found.get("better"),
                          found.get("kind"), self._span_tok(name))

    def better(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("better", str(c[0]), self._span_tok(c[0]))

    def kind(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("kind", self._ident(c[0]), self._span_tok(c[0]))

    # -- KPI cards
    def kpi_card(self, c: list[Any]) -> ast.KpiCard:
        name, title, *fields = c
        found = self._settings(fields, f"KPI card `{name}`")
        goal = found.get("goal")
        return ast.KpiCard(str(name), title, found.get("measures"), found.get("audience"),
                           found.get("access"), found.get("source"), found.get("frequency"),
                           found.get("owner"), found.get("indicator"),
                           goal[0] if goal else None, goal[1] if goal else None, self._span_tok(name))

    def _card_text(self, key: str, c: list[Token]) -> tuple[str, Any, Span]:
        return (key, _unquote(c[0]), self._span_tok(c[0]))

    def card_measures(self, c: list[Token]) -> tuple[str, Any, Span]:
        return self._card_text("measures", c)

    def card_audience(self, c: list[Token]) -> tuple[str, Any, Span]:
        return self._card_text("audience", c)

    def card_access(self, c: list[Token]) -> tuple[str, Any, Span]:
        return self._card_text("access", c)

    def card_source(self, c: list[Token]) -> tuple[str, Any, Span]:
        return self._card_text("source", c)

    def card_owner(self, c: list[Token]) -> tuple[str, Any, Span]:
        return self._card_text("owner", c)

    def card_frequency(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("frequency", self._ident(c[0]), self._span_tok(c[0]))

    def card_indicator(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("indicator", self._ident(c[0]), self._span_tok(c[0]))

    def card_goal(self, c: list[Any]) -> tuple[str, Any, Span]:
        expr = c[0]
        by = str(c[1]) if len(c) > 1 and c[1] is not None else None
        return ("goal", (expr, by), expr.span)

    # -- schemes
    def scheme(self, c: list[Any]) -> ast.Scheme:
        name, title, *assignments = c
        return ast.Scheme(str(name), title, tuple(assignments), self._span_tok(name))

    def assignment(self, c: list[Any]) -> ast.Assignment:
        name, expr = c
        return ast.Assignment(str(name), expr, self._span_tok(name))

    # -- roles
    def role(self, c: list[Any]) -> ast.Role:
        name, title, *rest = c
        settings = [r for r in rest if isinstance(r, tuple)]
        kpis = tuple(r for r in rest if isinstance(r, ast.KpiLine))
        found = self._settings(settings, f"role `{name}`", allowed_repeat=("require", "controls"))
        controls = tuple(i for group in found.get("controls", []) for i in group)
        return ast.Role(str(name), title, found.get("scheme"), controls,
                        tuple(found.get("require", [])), kpis, self._span_tok(name))

    def role_scheme(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("scheme", self._ident(c[0]), self._span_tok(c[0]))

    def role_controls(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("controls", tuple(self._ident(t) for t in c), self._span_tok(c[0]))

    def role_require(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("require", c[0], c[0].span)

    def kpi_line(self, c: list[Any]) -> ast.KpiLine:
        name, *rest = c
        attrs = [r for r in rest if r[0] in ("weight", "baseline", "target", "bonus")]
        clauses = [r for r in rest if r[0] not in ("weight", "baseline", "target", "bonus")]
        found = self._settings(attrs, f"KPI `{name}`")
        requires = tuple(value for key, value, _ in clauses if key == "require")
        actions = tuple(value for key, value, _ in clauses if key == "action")
        return ast.KpiLine(self._ident(name), found.get("weight"), found.get("baseline"),
                           found.get("target"), found.get("bonus"), requires, actions,
                           self._span_tok(name))

    def kpi_weight(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("weight", c[0], c[0].span)

    def kpi_baseline(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("baseline", c[0], c[0].span)

    def kpi_target(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("target", c[0], c[0].span)

    def kpi_bonus(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("bonus", c[0], c[0].span)

    def kpi_require(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("require", c[0], c[0].span)

    def kpi_action(self, c: list[Any]) -> tuple[str, Any, Span]:
        condition, text = c
        return ("action", ast.Action(condition, _unquote(text), condition.span), condition.span)

    def employee(self, c: list[Token]) -> ast.Employee:
        name, role = c
        return ast.Employee(_unquote(name), self._ident(role), self._span_tok(name))

    def goal(self, c: list[Any]) -> ast.Goal:
        kind, name, title, expr = c
        return ast.Goal(str(kind), str(name), title, expr, self._span_tok(name))  # type: ignore[arg-type]

    # -- rules
    def rule(self, c: list[Any]) -> ast.Rule:
        name, title, *fields = c
        found = self._settings(fields, f"rule `{name}`", allowed_repeat=("action",))
        return ast.Rule(str(name), title, found.get("when"), found.get("level"),
                        tuple(found.get("action", [])), found.get("message"), self._span_tok(name))

    def rule_when(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("when", c[0], c[0].span)

    def rule_level(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("level", self._ident(c[0]), self._span_tok(c[0]))

    def rule_action(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("action", _unquote(c[0]), self._span_tok(c[0]))

    def rule_message(self, c: list[Token]) -> tuple[str, Any, Span]:
        return ("message", _unquote(c[0]), self._span_tok(c[0]))

    # -- expressions
    def number(self, c: list[Token]) -> ast.Number:
        tok = c[0]
        try:
            value = _number(str(tok))
        except InvalidOperation:
            raise _BuildError(error("K005", f"`{_shown(tok)}` is not a number", self._span_tok(tok))) from None
        if value and value.adjusted() >= _MAX_ADJUSTED:
            raise _BuildError(error("K005", f"`{_shown(tok)}` is too large: values stay below 10^26", self._span_tok(tok),
                                    "the language computes in exact decimals below 10^26; write a smaller number"))
        return ast.Number(value, str(tok), self._span_tok(tok))

    percent = number

    def string(self, c: list[Token]) -> ast.String:
        return ast.String(_unquote(c[0]), self._span_tok(c[0]))

    def name(self, c: list[Token]) -> ast.Name:
        return ast.Name(str(c[0]), self._span_tok(c[0]))

    @v_args(meta=True)
    def call(self, meta: Any, c: list[Any]) -> ast.Call:
        function, *args = c
        return ast.Call(str(function), tuple(a for a in args if a is not None), self._span_meta(meta))

    @v_args(meta=True)
    def neg(self, meta: Any, c: list[Any]) -> ast.Unary:
        return ast.Unary("-", c[0], self._span_meta(meta))

    @v_args(meta=True)
    def not_(self, meta: Any, c: list[Any]) -> ast.Unary:
        return ast.Unary("not", c[0], self._span_meta(meta))

    @v_args(meta=True)
    def binop(self, meta: Any, c: list[Any]) -> ast.Binary:
        left, op, right = c
        return ast.Binary(_OP_NORMAL.get(str(op), str(op)), left, right, self._span_meta(meta))  # type: ignore[arg-type]

    compare = binop

    @v_args(meta=True)
    def and_(self, meta: Any, c: list[Any]) -> ast.Binary:
        return ast.Binary("and", c[0], c[1], self._span_meta(meta))

    @v_args(meta=True)
    def or_(self, meta: Any, c: list[Any]) -> ast.Binary:
        return ast.Binary("or", c[0], c[1], self._span_meta(meta))

    @v_args(meta=True)
    def if_then(self, meta: Any, c: list[Any]) -> ast.IfThen:
        return ast.IfThen(c[0], c[1], c[2], self._span_meta(meta))

    @v_args(meta=True)
    def scale(self, meta: Any, c: list[Any]) -> ast.Scale:
        subject, *rest = c
        rows = tuple(r for r in rest if isinstance(r, ast.ScaleRow))
        otherwise = rest[-1]
        return ast.Scale(subject, rows, otherwise, self._span_meta(meta))

    @v_args(meta=True)
    def scale_row(self, meta: Any, c: list[Any]) -> ast.ScaleRow:
        below, _arrow, value = c
        return ast.ScaleRow(below, value, self._span_meta(meta))

    def __default__(self, data: str, children: list[Any], meta: Any) -> Any:
        raise AssertionError(f"grammar rule without a builder: {data}")


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


__all__ = ["Tree", "describe_terminal", "parse", "parse_file"]
