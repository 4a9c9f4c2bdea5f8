"""The compiled plan, cached per user between runs of an unchanged ruleset.

Compiling the seed example's plan and rendering it as SQL costs a few hundred
milliseconds of SQLGlot work, every run, for the same text.  A plan depends only on
the model (its declarations, everything `repr` shows), the currency's minor digits and
the code that compiles and renders it; so the DuckDB SQL of every statement and the
plan's description of its lines are kept in the private per-user cache
(`base.cache`) under a fingerprint of those, and a later run with the same inputs
loads them in a millisecond.  A plan from the cache has its SQL texts and no SQLGlot
trees: it serves DuckDB; Spark and `kpidsl sql` compile afresh.
"""

from __future__ import annotations

import dataclasses
import sys
from functools import lru_cache
from pathlib import Path

from kpidsl.base import cache
from kpidsl.engine.compile import compile_model
from kpidsl.engine.plan import Plan
from kpidsl.language.load import Model

__all__ = ["compiled"]


def compiled(model: Model, minor_digits: int, dated: bool = False) -> Plan:
    """`compile_model(model, minor_digits, dated)`, from the cache when this model was compiled before."""
    key = cache.fingerprint(_code(), repr(model), str(minor_digits), str(dated))
    hit = cache.load("plan", key)
    if isinstance(hit, dict) and set(hit) == _KEPT:
        plan = Plan(model=model, **hit)
        if plan.names and all(name in plan.texts for name in plan.names):
            return plan
    plan = compile_model(model, minor_digits, dated)
    for name in plan.names:  # render every statement now: the run needs them, the cache keeps them
        plan.sql(name)
        plan.text_sql(name)
    cache.store("plan", key, {name: getattr(plan, name) for name in _KEPT})
    return plan


# Everything of a plan but the model (the caller's) and the SQLGlot trees (rendered in `texts`).
_KEPT = frozenset(f.name for f in dataclasses.fields(Plan)) - {"model", "statements"}


@lru_cache(maxsize=1)
def _code() -> str:
    """What a plan depends on besides the model: the code of the stages it is built by
    (base, language, engine), SQLGlot's version (it renders the SQL) and Python's."""
    import sqlglot

    package = Path(__file__).resolve().parent.parent
    sources = [p for stage in ("base", "language", "engine") for p in sorted((package / stage).glob("*.py"))]
    return cache.fingerprint(*(p.read_bytes() for p in sources), getattr(sqlglot, "__version__", ""), sys.version)
