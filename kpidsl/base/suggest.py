""""Did you mean …?": the closest known names to a misspelt one.

Uses `difflib.get_close_matches` on case-folded names, so `Revenue`, `revenu`
and `revnue` all find `revenue`; the suggestion keeps the name as declared.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


def close_matches(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to `n` candidates close to `word`, best first (case does not matter)."""
    by_folded: dict[str, str] = {}
    for name in candidates:
        by_folded.setdefault(name.casefold(), name)
    found = get_close_matches(word.casefold(), list(by_folded), n=n, cutoff=cutoff)
    return [by_folded[f] for f in found if by_folded[f] != word]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """"did you mean `revenue`?" or None when nothing is close."""
    found = close_matches(word, candidates)
    if not found:
        return None
    if len(found) == 1:
        return f"did you mean `{found[0]}`?"
    return "did you mean " + ", ".join(f"`{f}`" for f in found[:-1]) + f" or `{found[-1]}`?"
