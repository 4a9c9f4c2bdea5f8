"""A Pygments lexer for kpidsl rulesets, so documentation tools and Markdown renderers that use
Pygments (Sphinx, MkDocs, `pygmentize`) highlight ```kpi blocks.

Registered as the entry point `pygments.lexers: kpidsl` (aliases `kpi`, `kpidsl`, files `*.kpi`).
The keywords come from the parser's own terminals (`syntax.keywords()`), the built-in functions
and scoring names from `builtins.py`, so a new keyword is highlighted without an edit here.  Like
the VS Code grammar (editors/vscode), it reads a keyword as a name where only a name fits:
`weight` in `index = weight * attainment`.  Pygments is optional (`kpidsl[pygments]`); only this
module imports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import ClassVar, cast

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

from kpidsl.language.builtins import FUNCTIONS, KPI_CONDITION_NAMES
from kpidsl.language.syntax import keywords

__all__ = ["DECLARATION_WORDS", "KpidslLexer"]

KEYWORDS = keywords()
# Words that start a declaration; the rest of the keywords are settings and clauses.
DECLARATION_WORDS = frozenset(("ruleset", "import", "fact", "records", "metric", "kpi", "scheme", "role",
                               "employee", "goal", "param", "rule"))
LOGICAL_WORDS = frozenset(("and", "or", "not"))
DIRECTION_WORDS = frozenset(("higher", "lower"))
# Words of an expression's structure: never read as a name.
EXPRESSION_WORDS = frozenset(("if", "then", "else", "scale", "below")) | LOGICAL_WORDS | DIRECTION_WORDS
SETTING_WORDS = ("unit", "currency", "period", "locale", "kind", "level", "frequency", "source", "area")
SCORING_NAMES = frozenset(KPI_CONDITION_NAMES) - KEYWORDS

NAME = r"[^\W\d]\w*"
TITLE = r'(?:"(?:[^"\\\n]|\\.)*"\s*)?'
# After a keyword, what shows that it stands for a name: an operator, `,`, `)`, `}`, the line's
# end, or a word that only follows a value (`-` only before a space: `baseline -2%` is a number).
AS_NAME = r"(?=[ \t]*(?:[+*/×÷<>≤≥≠=!,)}]|-\s|$|(?:then|else|and|or|below)\b))"


_groups = cast(Callable[..., object], bygroups)  # the stubs leave it unannotated


def _keyword_as_name(lexer: RegexLexer, match: re.Match[str]) -> Iterator[tuple[int, object, str]]:
    """A keyword standing where only a name fits: a scoring name (`weight`) or a plain name."""
    text = match.group(0)
    yield match.start(), Name.Builtin.Pseudo if text in KPI_CONDITION_NAMES else Name, text


class KpidslLexer(RegexLexer):
    """kpidsl rulesets (`.kpi`): the KPI language of kpidsl."""

    name = "kpidsl"
    aliases: ClassVar[list[str]] = ["kpi", "kpidsl"]
    filenames: ClassVar[list[str]] = ["*.kpi"]
    mimetypes: ClassVar[list[str]] = ["text/x-kpidsl"]
    url = "https://pypi.org/project/kpidsl/"

    tokens: ClassVar[dict[str, list[object]]] = {
        "root": [
            (r"\s+", Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"', String.Double, "string"),
            # The language quotes texts with "…" only; «…» outside a text is an error.
            (r"«[^»\n]*»?", Error),
            (r"(import)(\s+)([\w.\-]+(?:/[\w.\-]+)+)", _groups(Keyword.Namespace, Whitespace, String.Other)),
            (r"(import)\b", Keyword.Namespace),
            # A declaration and the name it defines; `kpi`, `scheme`, `role` define one only before a block.
            (rf"(role|scheme|kpi)(\s+)({NAME})(?=\s*{TITLE}\{{)",
             _groups(Keyword.Declaration, Whitespace, Name.Class)),
            (rf"(records)(\s+)({NAME})", _groups(Keyword.Declaration, Whitespace, Name.Class)),
            (rf"(rule)(\s+)({NAME})", _groups(Keyword.Declaration, Whitespace, Name.Label)),
            (rf"(fact|metric)(\s+)(?!(?:then|else|and|or|not)\b)({NAME})",
             _groups(Keyword.Declaration, Whitespace, Name.Function)),
            (rf"(goal|param)(\s+)(?!(?:then|else|and|or|not)\b)({NAME})",
             _groups(Keyword.Declaration, Whitespace, Name.Constant)),
            (rf"({'|'.join(SETTING_WORDS)})(\s+)({NAME})", _groups(Keyword, Whitespace, Name.Constant)),
            (words(sorted(KEYWORDS - EXPRESSION_WORDS), prefix=r"\b", suffix=r"\b" + AS_NAME), _keyword_as_name),
            (words(sorted(FUNCTIONS), prefix=r"\b", suffix=r"(?=\s*\()"), Name.Builtin),
            (rf"(?!(?:{'|'.join(sorted(EXPRESSION_WORDS))})\b){NAME}(?=\s*\()", Name.Function),
            (words(sorted(DECLARATION_WORDS), prefix=r"\b", suffix=r"\b"), Keyword.Declaration),
            (words(sorted(LOGICAL_WORDS), prefix=r"\b", suffix=r"\b"), Operator.Word),
            (words(sorted(DIRECTION_WORDS), prefix=r"\b", suffix=r"\b"), Keyword.Constant),
            (words(sorted(KEYWORDS), prefix=r"\b", suffix=r"\b"), Keyword),
            (words(sorted(SCORING_NAMES), prefix=r"\b", suffix=r"\b"), Name.Builtin.Pseudo),
            (r"\d{4}-\d{2}-\d{2}\b", Literal.Date),
            (r"\d[\d_]*(?:\.\d+)?%", Number),  # `20%` is one token, the number 0.20
            (r"\d[\d_]*(?:\.\d+)?[eE][+-]?\d+|\d[\d_]*\.\d+", Number.Float),
            (r"\d[\d_]*", Number.Integer),
            (r"->|→|<=|>=|==|!=|[<>=≤≥≠+\-*/×÷]", Operator),
            (r"[{}(),]", Punctuation),
            (NAME, Name),
        ],
        "string": [
            (r"\\.", String.Escape),
            (r'[^"\\\n]+', String.Double),
            (r'"', String.Double, "#pop"),
            (r"\n", Error, "#pop"),  # a text ends on its line
        ],
    }
