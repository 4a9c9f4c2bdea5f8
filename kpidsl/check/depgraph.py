"""The dependency graph of a ruleset's values: what each one is computed from.

Edges go from a metric, goal, param or KPI card to the values its formula (or its
indicator and goal) names; facts are leaves.  The checker uses the graph to report
cycles and to infer units dependencies-first; the lints use it to find the facts a
KPI rests on.  Everything here is iterative, so a long chain of metrics cannot
exhaust Python's recursion limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from kpidsl.language import ast
from kpidsl.language.builtins import DEFAULT_SCHEME
from kpidsl.language.load import Model
from kpidsl.language.payout import payout_of

Graph = dict[str, list[str]]


def value_refs(decl: ast.Fact | ast.Metric | ast.Goal | ast.KpiCard) -> list[ast.Expr | ast.Ident]:
    """The parts of a declaration that name other values."""
    if isinstance(decl, ast.Metric):
        return [decl.formula]
    if isinstance(decl, ast.Goal):
        return [decl.expr]
    if isinstance(decl, ast.KpiCard):
        return [part for part in (decl.indicator, decl.goal) if part is not None]
    return []  # a fact's where-clause names columns of records, not values


def names_of(parts: Iterable[ast.Expr | ast.Ident]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if isinstance(part, ast.Ident):
            out.append(part.text)
        else:
            out.extend(n.name for n in ast.names_in(part))
    return list(dict.fromkeys(out))


def role_expressions(model: Model, role: ast.Role) -> list[ast.Expr | ast.Ident]:
    """Every expression that scores `role`: its conditions, its KPI lines (indicator, weight,
    baseline, target, bonus, conditions, actions), its scheme's steps and its payout's."""
    parts: list[ast.Expr | ast.Ident | None] = [*role.requires]
    for line in role.kpis:
        parts += [line.indicator, line.weight, line.baseline, line.target, line.bonus, *line.requires,
                  *(a.condition for a in line.actions)]
    scheme = model.schemes.get(role.scheme.text if role.scheme is not None else DEFAULT_SCHEME)
    parts += [a.expr for a in scheme.assignments] if scheme is not None else []
    payout = payout_of(model, role)
    parts += [a.expr for a in payout.assignments] if payout is not None else []
    return [p for p in parts if p is not None]


def value_graph(model: Model) -> Graph:
    """name → the values it names directly, in order of appearance."""
    return {name: [n for n in names_of(value_refs(decl)) if n in model.values]
            for name, decl in model.values.items()}


def components(graph: Graph) -> list[list[str]]:
    """Strongly connected components, dependencies before their dependants (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = graph.get(node, [])
            if i < len(successors):
                work.append((node, i + 1))
                nxt = successors[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component[::-1])
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


def is_cycle(graph: Graph, component: list[str]) -> bool:
    return len(component) > 1 or component[0] in graph.get(component[0], [])


def cycle_path(graph: Graph, component: list[str], start: str) -> list[str]:
    """A shortest cycle through `start` inside its component: [start, …, start]."""
    members = set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in graph.get(node, []):
            if nxt not in members:
                continue
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return [start, start]


def reachable(graph: Graph, starts: Iterable[str]) -> set[str]:
    """Every value reachable from `starts`, the starts included."""
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(graph.get(node, []))
    return seen
