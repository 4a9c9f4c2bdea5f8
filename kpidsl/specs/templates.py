"""Step declarations: business-language templates, their regexes, and the pytest-bdd binding.

A step is declared once, as a `StepDef` with a template per language; a template
is plain business text with placeholders (`«{employee}»`, `{amount}`).  From the
same declarations come the pytest-bdd step definitions (`register`), the step
list in docs/specs.md (`kpidsl.specs.docs`) and the tests that keep both in step.
The step functions themselves are in `steps.py`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from kpidsl.specs.words import Lang

if TYPE_CHECKING:
    from kpidsl.specs.context import SpecContext

Kind = Literal["given", "when", "then"]

# ---------------------------------------------------------------- placeholders
# name → (how it is written, its label in the docs per language)
PLACEHOLDERS: dict[str, tuple[str, dict[str, str]]] = {
    "employee": ("text", {"ru": "сотрудник", "en": "employee"}),
    "kpi": ("text", {"ru": "KPI", "en": "KPI"}),
    "rule": ("text", {"ru": "правило", "en": "rule"}),
    "action": ("text", {"ru": "мера", "en": "action"}),
    "text": ("text", {"ru": "слова", "en": "words"}),
    "path": ("text", {"ru": "файл", "en": "file"}),
    "source": ("text", {"ru": "записи", "en": "records"}),
    "status": ("text", {"ru": "статус", "en": "status"}),
    "amount": ("number", {"ru": "сумма", "en": "amount"}),
    "value": ("number", {"ru": "число", "en": "number"}),
    "period": ("period", {"ru": "период", "en": "period"}),
    "code": ("code", {"ru": "код", "en": "code"}),
}
_QUOTES_OPEN = "«\"“„"
_QUOTES_CLOSE = "»\"”“"
_PATTERNS = {
    "text": rf"[{_QUOTES_OPEN}](?P<{{name}}>[^{_QUOTES_OPEN}{_QUOTES_CLOSE}]+)[{_QUOTES_CLOSE}]",
    # digits with spaces, separators, a sign, %, a currency: parse_number decides.
    "number": r"(?P<{name}>[−–+-]?[$€]?\d[\d\s\u00a0\u202f.,']*(?:\s?%)?(?:\s?(?:₽|руб\.?|RUB|USD|EUR|\$|€))?)",
    "period": r"(?P<{name}>\d{{4}}(?:Q[1-4]|-\d{{2}})?)",
    "code": r"(?P<{name}>[A-Z]\d{{3}})",
}
_PLACEHOLDER = re.compile(r"[«\"]?\{(\w+)\}[»\"]?")


def compile_template(template: str) -> re.Pattern[str]:
    """Template → regex: literal words with flexible spaces, placeholders by kind."""
    parts: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        parts.append(_literal(template[pos:m.start()]))
        name = m.group(1)
        parts.append(_PATTERNS[PLACEHOLDERS[name][0]].format(name=name))
        pos = m.end()
    tail = template[pos:]
    if tail.endswith(":"):  # the colon before a table or text is optional
        parts.append(_literal(tail[:-1]) + ":?")
    else:
        parts.append(_literal(tail))
    return re.compile(r"\s*" + "".join(parts) + r"\s*")


def _literal(text: str) -> str:
    return r"\s+".join(re.escape(word) for word in text.split(" ")) if text else ""


def display(template: str, lang: str) -> str:
    """Template as the docs show it: `премия сотрудника «<сотрудник>» составляет <сумма>`."""
    return re.sub(r"\{(\w+)\}", lambda m: f"<{PLACEHOLDERS[m.group(1)][1][lang]}>", template)


# ---------------------------------------------------------------- declarations
@dataclass(frozen=True)
class StepDef:
    key: str
    kind: Kind
    ru: str
    en: str
    doc_ru: str  # what the step does, for docs/specs.md
    doc_en: str
    func: Callable[..., None]
    table: bool = False  # followed by a data table
    text: bool = False  # followed by a docstring ("""…""")

    def template(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en

    def params(self, lang: str) -> list[str]:
        return _PLACEHOLDER.findall(self.template(lang))


STEPS: list[StepDef] = []  # filled by steps.py as it is imported


def step_def(key: str, kind: Kind, ru: str, en: str, doc_ru: str, doc_en: str, *, table: bool = False,
             text: bool = False) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def add(func: Callable[..., None]) -> Callable[..., None]:
        STEPS.append(StepDef(key, kind, ru, en, doc_ru, doc_en, func, table, text))
        return func
    return add


# ---------------------------------------------------------------- pytest-bdd binding
CONTEXT_FIXTURE = "kpidsl_spec"


def _bound(step: StepDef, lang: Lang) -> Callable[..., None]:
    """A step function pytest-bdd can call: the placeholders and the scenario context by name."""
    names = step.params(lang)

    def run(**kwargs: Any) -> None:
        __tracebackhide__ = True
        ctx: SpecContext = kwargs.pop(CONTEXT_FIXTURE)
        ctx.lang = lang
        args = {n: kwargs[n] for n in names}
        if step.table:
            args["datatable"] = kwargs.get("datatable") or [[]]
        if step.text:
            args["docstring"] = kwargs.get("docstring") or ""
        step.func(ctx, **args)

    params = [inspect.Parameter(CONTEXT_FIXTURE, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    # Reserved pytest-bdd names: filled when the step has a table / text; optional otherwise.
    if step.table:
        params.append(inspect.Parameter("datatable", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None))
    if step.text:
        params.append(inspect.Parameter("docstring", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None))
    # inspect.signature reads `__signature__`, which typeshed does not declare on functions
    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__name__ = f"step_{lang}_{step.key}"
    run.__doc__ = step.doc_ru if lang == "ru" else step.doc_en
    return run


def register() -> None:
    """Declare every step to pytest-bdd, in the module that calls this (the plugin)."""
    import pytest_bdd

    decorators = {"given": pytest_bdd.given, "when": pytest_bdd.when, "then": pytest_bdd.then}
    for step in STEPS:
        for lang in ("ru", "en"):
            parser = pytest_bdd.parsers.re(compile_template(step.template(lang)).pattern)
            # stacklevel=2: pytest-bdd puts the step fixture into our caller's namespace.
            decorators[step.kind](parser, stacklevel=2)(_bound(step, lang))
