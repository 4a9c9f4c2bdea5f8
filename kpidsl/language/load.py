"""Load: a ruleset file and everything it imports → one `Model` of declarations.

Imports resolve relative to the importing file (`import "common/base.kpi"`, the
`.kpi` suffix may be left out), or by name from the bundled standard library
(`import std/marketing`).  Rulesets are untrusted, so an import may only reach a
`.kpi` file inside the project: the folder of the top-level ruleset and below, the
folders given as import roots (`--import-path`), or the standard library.  An
absolute path, a path (or a link) that leads out of those folders, or a file that is
not a `.kpi` ruleset is error K014, which quotes nothing of the target.

A declaration in an importing file replaces an imported one of the same name — so a
client can redefine one standard metric — while two declarations of one name in the
same file are an error.  Missing and cyclic imports are diagnostics, never exceptions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kpidsl.base.diagnostics import Diagnostic, SourceCache, Span, error, shorten
from kpidsl.base.resources import resource_dir
from kpidsl.language import ast
from kpidsl.language.parse import parse, parse_file

VALUE_KINDS = (ast.Fact, ast.Metric, ast.Goal, ast.KpiCard)


@dataclass
class Model:
    """Every declaration of a ruleset and its imports, by kind and name.

    `values` is the one namespace that expressions see: facts, metrics, goals,
    params and KPI cards.  Roles, schemes and records have their own namespaces.
    """

    file: str
    header: ast.Header | None = None
    values: dict[str, ast.Fact | ast.Metric | ast.Goal | ast.KpiCard] = field(default_factory=dict)
    records: dict[str, ast.Records] = field(default_factory=dict)
    schemes: dict[str, ast.Scheme] = field(default_factory=dict)
    roles: dict[str, ast.Role] = field(default_factory=dict)
    employees: list[ast.Employee] = field(default_factory=list)
    rules: dict[str, ast.Rule] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # every file read, the main one first
    imported_from: dict[str, str] = field(default_factory=dict)  # name → file it came from
    # ("role" | "scheme" | "value", name) → every version of a name written with dates, in
    # source order (language/versions.py); the dicts above hold the latest version of it
    versions: dict[tuple[str, str], tuple[ast.Role | ast.Scheme | ast.Goal, ...]] = field(default_factory=dict)

    # -- typed views of the value namespace
    @property
    def facts(self) -> dict[str, ast.Fact]:
        return {n: d for n, d in self.values.items() if isinstance(d, ast.Fact)}

    @property
    def metrics(self) -> dict[str, ast.Metric]:
        return {n: d for n, d in self.values.items() if isinstance(d, ast.Metric)}

    @property
    def goals(self) -> dict[str, ast.Goal]:
        return {n: d for n, d in self.values.items() if isinstance(d, ast.Goal)}

    @property
    def cards(self) -> dict[str, ast.KpiCard]:
        return {n: d for n, d in self.values.items() if isinstance(d, ast.KpiCard)}

    # -- header with defaults
    @property
    def title(self) -> str:
        return self.header.title if self.header else Path(self.file).stem

    @property
    def currency(self) -> str:
        return self.header.currency.text if self.header and self.header.currency else "RUB"

    @property
    def data_kind(self) -> str:
        """The kind of the periods the facts files are written in (`period`)."""
        return self.header.period_kind.text if self.header and self.header.period_kind else "quarter"

    @property
    def period_kind(self) -> str:
        """The kind of the periods results are computed for: the payout period (`pay`) when
        the ruleset has one, else the data's (`period`)."""
        if self.header is not None and self.header.pay_kind is not None:
            return self.header.pay_kind.text
        return self.data_kind

    @property
    def rolled_up(self) -> bool:
        """Whether data periods roll up into longer payout periods (`period month pay quarter`)."""
        return self.period_kind != self.data_kind

    @property
    def locale(self) -> str:
        return self.header.locale.text if self.header and self.header.locale else "ru"


def stdlib_path(name: str) -> Path | None:
    """`std/marketing` → the bundled file, or None."""
    stem = name.removeprefix("std/").removesuffix(".kpi")
    candidate = resource_dir("rulesets") / "std" / f"{stem}.kpi"
    try:
        return candidate if "/" not in stem and candidate.is_file() else None
    except (OSError, ValueError):  # a name too long to be a file
        return None


def import_roots(main_file: str | Path, extra: Sequence[str | Path] = ()) -> tuple[Path, ...]:
    """The folders imports may reach: the top-level ruleset's folder, `extra`, the standard library."""
    folders = [Path(main_file).parent, *(Path(e) for e in extra), resource_dir("rulesets") / "std"]
    return tuple(Path(os.path.realpath(f)) for f in folders)


def resolve_import(path: str, importing_file: str, roots: Sequence[Path]) -> Path | str:
    """The file `import path` names, or why it cannot be imported: `missing`,
    `absolute`, `outside` (the project's folders) or `not a ruleset`."""
    if os.path.isabs(path) or path.startswith("~") or "\0" in path:
        return "absolute"
    base = Path(importing_file).parent
    name = path if path.endswith(".kpi") else f"{path}.kpi"
    try:
        real = Path(os.path.realpath(base / name))
        inside = any(real.is_relative_to(root) for root in roots)
        found = inside and real.is_file()
        plain = Path(os.path.realpath(base / path))
        other = not found and path != name and any(plain.is_relative_to(r) for r in roots) and plain.is_file()
    except (OSError, ValueError):
        return "missing"
    if found:
        return base / name  # as written (diagnostics name it so); its real path was checked
    if path.startswith("std/"):
        library = stdlib_path(path)
        if library is not None:
            return library
    if not inside:
        return "outside"
    return "not a ruleset" if other else "missing"


REFUSED = {
    "absolute": ("an import names a file by an absolute path",
                 "import a file by its path relative to this ruleset's folder"),
    "outside": ("an import leads out of the ruleset's project folder",
                "imports reach `.kpi` files in the top-level ruleset's folder and below, and `std/NAME`; "
                "give another folder with --import-path DIR"),
    "not a ruleset": ("an import names a file that is not a ruleset",
                      "only `.kpi` ruleset files can be imported"),
}


def load(path: str | Path, sources: SourceCache | None = None, text: str | None = None,
         import_paths: Sequence[str | Path] = (), keep_text: bool = True) -> tuple[Model | None, list[Diagnostic]]:
    """Parse `path` (or `text` given for it) and its imports into one Model.
    `import_paths`: more folders imports may reach (see `import_roots`); `keep_text=False`:
    the given text's AST stays out of the per-user cache (`parse`'s `keep`)."""
    loader = _Loader(sources if sources is not None else SourceCache(), import_roots(path, import_paths))
    loader.keep_text = keep_text
    model = Model(file=str(path))
    ok = loader.load_into(model, str(path), chain=(), text=text)
    return (model if ok else None), loader.diagnostics


class _Loader:
    def __init__(self, sources: SourceCache, roots: tuple[Path, ...]) -> None:
        self.sources = sources
        self.roots = roots
        self.diagnostics: list[Diagnostic] = []
        self.done: set[str] = set()
        self.keep_text = True

    def _read(self, file: str, text: str | None) -> ast.Ruleset | None:
        if text is None:
            tree, diags, text = parse_file(file)
        else:
            tree, diags = parse(text, file, keep=self.keep_text)
        self.sources.add(file, text)
        self.diagnostics.extend(diags)
        return tree

    def load_into(self, model: Model, file: str, chain: tuple[str, ...],
                  text: str | None = None, at: Span | None = None) -> bool:
        key = os.path.realpath(file) if text is None else file
        if key in chain:
            cycle = " → ".join(Path(c).name for c in (*chain[chain.index(key):], key))
            self.diagnostics.append(error("K013", f"import cycle: {cycle}", at,
                                          "remove one of these imports; shared definitions belong in one library file"))
            return False
        if key in self.done:  # a diamond: already merged once
            return True
        tree = self._read(file, text)
        if tree is None:
            return False
        self.done.add(key)
        model.files.append(file)
        ok = True
        for imp in tree.imports:
            target = resolve_import(imp.path, file, self.roots)
            if isinstance(target, str):
                if target == "missing":
                    self.diagnostics.append(error(
                        "K012", f"cannot find import `{shorten(imp.path)}`", imp.span,
                        "imports resolve relative to this file, or `std/NAME` from the standard library "
                        "(std/marketing)"))
                else:
                    message, hint = REFUSED[target]
                    self.diagnostics.append(error("K014", message, imp.span, hint))
                ok = False
                continue
            ok = self.load_into(model, str(target), (*chain, key), at=imp.span) and ok
        self._merge(model, tree, is_main=not chain)
        return ok

    def _merge(self, model: Model, tree: ast.Ruleset, is_main: bool) -> None:
        local: dict[tuple[str, str], list[ast.Declaration]] = {}

        def claim(space: str, item: ast.Declaration) -> None:
            """A second declaration of a name is K020, unless both are versions of one role,
            scheme, goal or param and one of them is dated (language/versions.py)."""
            mine = local.setdefault((space, item.name), [])
            versionable = (ast.Role, ast.Scheme, ast.Goal)
            for first in mine:
                if (type(first) is type(item) and isinstance(item, versionable) and isinstance(first, versionable)
                        and (item.valid is not None or first.valid is not None)):
                    continue
                name = item.name
                self.diagnostics.append(error(
                    "K020", f"`{name}` is defined twice in this file (first at line {first.span.line})",
                    item.span, "rename one of them, or delete the duplicate" + (
                        "; a new version of it from a date is written `from 2026-07-01`"
                        if isinstance(item, versionable) else ""), ((first.span, f"the first `{name}`"),)))
                break
            mine.append(item)

        for item in tree.items:
            if isinstance(item, ast.Header):
                if is_main or model.header is None:
                    model.header = item
            elif isinstance(item, VALUE_KINDS):
                claim("value", item)
                model.values[item.name] = item
                model.imported_from[item.name] = tree.file
            elif isinstance(item, ast.Records):
                claim("records", item)
                model.records[item.name] = item
            elif isinstance(item, ast.Scheme):
                claim("scheme", item)
                model.schemes[item.name] = item
            elif isinstance(item, ast.Role):
                claim("role", item)
                model.roles[item.name] = item
            elif isinstance(item, ast.Rule):
                claim("rule", item)
                model.rules[item.name] = item
            elif isinstance(item, ast.Employee):
                model.employees.append(item)
        for key, decls in local.items():  # this file's versions replace an import's
            model.versions.pop(key, None)
            dated = [d for d in decls if isinstance(d, (ast.Role, ast.Scheme, ast.Goal)) and d.valid is not None]
            if dated and len(dated) + 1 >= len(decls):
                group = tuple(d for d in decls if isinstance(d, (ast.Role, ast.Scheme, ast.Goal)))
                model.versions[key] = group
                latest = max(group, key=_start_text)
                if isinstance(latest, ast.Role):
                    model.roles[key[1]] = latest
                elif isinstance(latest, ast.Scheme):
                    model.schemes[key[1]] = latest
                else:
                    model.values[key[1]] = latest


def _start_text(decl: ast.Role | ast.Scheme | ast.Goal) -> str:
    """A version's start as written, for ordering ("" for the undated one, the earliest)."""
    return decl.valid.start.text if decl.valid is not None and decl.valid.start is not None else \
        ("0" if decl.valid is not None else "")
