"""Completion by place: what can stand where the cursor is.

The place is read from the editor's text before the cursor (the line so far and the
block it is in), so completion works in a half-typed file; the names come from the
latest analysis that had a model.  After `scheme` in a role: schemes; after `role` in an
`employee` line: roles; after `kpi` in a role and after `indicator`: indicators; after
`from`: records; in a `where`: the records' columns this ruleset already uses; after
`unit`, `better`, `kind`, `level`, `frequency`, `period`, `locale`: their words; in a
formula: values, functions and the scoring names the formula may read; at the start of
a line: the block's keywords and snippets for `role`, `kpi`, `metric`, `rule`, `fact`.
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types as lsp

from kpidsl.base.resources import resource_dir
from kpidsl.language import ast
from kpidsl.language.assignments import PRORATE_CHOICES
from kpidsl.language.builtins import (
    CARD_FREQUENCIES,
    DEFAULT_SCHEME,
    FUNCTIONS,
    KPI_CONDITION_NAMES,
    LOCALES,
    METRIC_KINDS,
    PERIOD_KINDS,
    PLAIN_UNITS,
    ROLLUPS,
    RULE_LEVELS,
    SCHEME_INPUTS,
)
from kpidsl.language.load import Model
from kpidsl.lsp.analysis import Analysis
from kpidsl.lsp.words import Lang, word

K = lsp.CompletionItemKind
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[^\W\d]\w*|\d[\w.%]*|->|[<>=!]=|\S')
_BLOCK_WORDS = {"ruleset", "records", "kpi", "scheme", "role", "rule", "scale"}
_EXPRESSION_AFTER = {"=", "(", ",", "+", "-", "*", "/", "×", "÷", "<", ">", "<=", ">=", "!=", "≤", "≥", "≠", "->", "→",
                     "weight", "baseline", "target", "bonus", "require", "when", "if", "then", "else", "and", "or",
                     "not", "goal", "below", "scale"}
_WORDS_AFTER: dict[str, tuple[str, ...]] = {
    "better": ("higher", "lower"), "kind": METRIC_KINDS, "level": RULE_LEVELS, "frequency": CARD_FREQUENCIES,
    "period": PERIOD_KINDS, "pay": PERIOD_KINDS, "locale": LOCALES, "currency": ("RUB", "USD", "EUR"),
    "prorate": PRORATE_CHOICES, "rollup": ROLLUPS}
KEYWORDS: dict[str, tuple[str, ...]] = {
    "": ("ruleset", "import", "fact", "records", "metric", "kpi", "scheme", "role", "employee", "goal", "param",
         "rule"),
    "ruleset": ("client", "currency", "period", "pay", "locale", "prorate"),
    "records": ("file", "date", "employee"),
    "kpi": ("measures", "audience", "access", "source", "frequency", "owner", "indicator", "goal"),
    "scheme": ("index", "bonus", "payout"),
    "role": ("scheme", "controls", "require", "kpi", "weight", "baseline", "target", "bonus", "when", "action",
             "payout"),
    "rule": ("when", "level", "action", "message"),
    "scale": ("below", "else"),
}
SNIPPETS: dict[str, list[tuple[str, str, dict[Lang, str]]]] = {
    "": [
        ("role", 'role ${1:name} "${2:Название}" {\n  scheme ${3:weighted_index}\n'
                 "  kpi ${4:indicator} weight ${5:1} target ${6:100} bonus ${7:10000}\n}",
         {"ru": "роль с KPI", "en": "a role with a KPI"}),
        ("kpi", 'kpi ${1:name} "${2:Название}" {\n  measures  "${3:Что измеряет}"\n  indicator ${4:metric}\n'
                "  goal      ${5:100}\n}", {"ru": "карточка KPI", "en": "a KPI card"}),
        ("metric", 'metric ${1:name} "${2:Название}" = ${3:formula} unit ${4:percent}',
         {"ru": "метрика с формулой", "en": "a metric with its formula"}),
        ("rule", 'rule ${1:name} "${2:Название}" {\n  when    ${3:condition}\n  level   ${4:warning}\n'
                 '  message "${5:Текст}"\n}', {"ru": "правило компании", "en": "a company rule"}),
        ("fact", 'fact ${1:name} "${2:Название}" unit ${3:count} source ${4:crm}',
         {"ru": "факт из данных клиента", "en": "a fact from the client's data"}),
    ],
    "role": [("kpi", "kpi ${1:indicator} weight ${2:0.25} target ${3:100} bonus ${4:10000}",
              {"ru": "строка KPI роли", "en": "a KPI line of the role"})],
}


def complete(text: str, line: int, character: int, analysis: Analysis | None, lang: Lang) -> list[lsp.CompletionItem]:
    """The items for a 0-based line and code-point column of the editor's text."""
    lines = text.split("\n")
    current = lines[line] if 0 <= line < len(lines) else ""
    before = current[:character]
    offset = sum(len(x) + 1 for x in lines[:line]) + len(before)
    tokens = [m.group() for m in _TOKEN.finditer(text[:offset])]
    if tokens and (tokens[-1].startswith("#") or (tokens[-1].startswith('"') and _open_string(tokens[-1]))):
        return []  # in a comment or a text
    block = _block(tokens)
    prefix = re.search(r"\w*$", before)
    typed = prefix.group() if prefix else ""
    head = before[: len(before) - len(typed)]
    line_tokens = [m.group() for m in _TOKEN.finditer(head)]
    previous = line_tokens[-1] if line_tokens else (_last_code(tokens[:-1] if typed else tokens))
    model = analysis.model if analysis is not None else None
    return _items(block, previous, line_tokens, model, analysis, lang)


def _items(block: str, previous: str, line_tokens: list[str], model: Model | None,
           analysis: Analysis | None, lang: Lang) -> list[lsp.CompletionItem]:
    if previous == "scheme" and block == "role":
        names = [*(model.schemes if model else ()), *([] if model and DEFAULT_SCHEME in model.schemes
                                                       else [DEFAULT_SCHEME])]
        return [_item(n, K.Interface, word("scheme", lang)) for n in names]
    if previous == "role" and "employee" in line_tokens:
        roles = model.roles if model else {}
        return [_item(n, K.Module, _title(word("role", lang), r.title)) for n, r in roles.items()]
    if previous == "import":
        return _imports(analysis)
    if (previous == "kpi" and block == "role") or previous == "indicator":
        return _values(model, lang, indicators=True)
    if previous == "from":
        records = model.records if model else {}
        return [_item(n, K.Struct, _title(word("records", lang), r.title)) for n, r in records.items()]
    if previous in ("controls", "area") or (previous == "," and "controls" in line_tokens):
        areas = sorted({f.area.text for f in model.facts.values() if f.area} if model else set())
        return [_item(a, K.EnumMember, word("area", lang)) for a in areas]
    if previous == "unit":
        units = (*PLAIN_UNITS, *([model.currency] if model else ["RUB"]))
        return [_item(u, K.Unit, word("unit", lang)) for u in units]
    if previous in _WORDS_AFTER:
        return [_item(w, K.EnumMember, previous) for w in _WORDS_AFTER[previous]]
    if "where" in line_tokens:
        return _columns(line_tokens, analysis, lang)
    if not line_tokens and previous not in _EXPRESSION_AFTER:  # a new statement starts here
        return _keywords(block, lang)
    if previous in _EXPRESSION_AFTER:
        return _formula(block, line_tokens, model, lang)
    return _keywords(block, lang) + _values(model, lang)


def _formula(block: str, line_tokens: list[str], model: Model | None, lang: Lang) -> list[lsp.CompletionItem]:
    items = _values(model, lang)
    items += [_item(f.name, K.Function, f.signature(), detail_doc=f.summary) for f in FUNCTIONS.values()]
    scoring = (SCHEME_INPUTS if block == "scheme"
               else KPI_CONDITION_NAMES if block == "role" and {"require", "when"} & set(line_tokens) else {})
    items += [_item(n, K.Variable, word("builtin", lang), detail_doc=d) for n, d in scoring.items()]
    return items


def _values(model: Model | None, lang: Lang, indicators: bool = False) -> list[lsp.CompletionItem]:
    if model is None:
        return []
    kinds = {ast.Fact: ("fact", K.Variable), ast.Metric: ("metric", K.Field), ast.KpiCard: ("card", K.Class)}
    out = []
    for name, decl in model.values.items():
        if isinstance(decl, ast.Goal):
            if not indicators:
                out.append(_item(name, K.Constant, _title(word(decl.kind, lang), decl.title)))
            continue
        kind, item_kind = kinds[type(decl)]
        out.append(_item(name, item_kind, _title(word(kind, lang), decl.title)))
    return out


def _keywords(block: str, lang: Lang) -> list[lsp.CompletionItem]:
    items = [_item(k, K.Keyword, "") for k in KEYWORDS.get(block, ())]
    for label, body, detail in SNIPPETS.get(block, []):
        items.append(lsp.CompletionItem(label=label, kind=K.Snippet, detail=detail[lang], insert_text=body,
                                        insert_text_format=lsp.InsertTextFormat.Snippet,
                                        sort_text=f"~{label}"))
    return items


def _imports(analysis: Analysis | None) -> list[lsp.CompletionItem]:
    library = sorted(p.stem for p in (resource_dir("rulesets") / "std").glob("*.kpi"))
    items = [_item(f"std/{name}", K.Module, "std") for name in library]
    if analysis is not None and not analysis.path.startswith("untitled:"):
        here = Path(analysis.path).parent
        try:
            files = sorted(p for p in here.glob("*.kpi") if p.name != Path(analysis.path).name)
        except OSError:
            files = []
        items += [_item(f'"{p.name}"', K.File, "") for p in files]
    return items


def _columns(line_tokens: list[str], analysis: Analysis | None, lang: Lang) -> list[lsp.CompletionItem]:
    """The columns of the records this `where` filters that the ruleset already uses."""
    records = next((line_tokens[i + 1] for i, t in enumerate(line_tokens[:-1]) if t == "from"), None)
    if analysis is None or records is None:
        return []
    used = sorted({o.name for o in analysis.index if o.space == "column" and o.records == records})
    return [_item(c, K.Field, word("column", lang, records=records)) for c in used]


def _block(tokens: list[str]) -> str:
    """The keyword of the innermost block open at the end of `tokens` ("" at the top level)."""
    stack: list[str] = []
    last = ""
    for tok in tokens:
        if tok in _BLOCK_WORDS:
            last = tok
        elif tok == "{":
            stack.append(last)
        elif tok == "}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _last_code(tokens: list[str]) -> str:
    for tok in reversed(tokens):
        if not tok.startswith("#"):
            return tok
    return ""


def _open_string(token: str) -> bool:
    return len(token) == 1 or not token.endswith('"') or token.endswith('\\"')


def _title(kind: str, title: str | None) -> str:
    return f"{kind} — {title}" if title else kind


def _item(label: str, kind: lsp.CompletionItemKind, detail: str, detail_doc: str | None = None) -> lsp.CompletionItem:
    return lsp.CompletionItem(label=label, kind=kind, detail=detail or None, documentation=detail_doc)
