"""Where the shipped files live: `grammar/`, `rulesets/`, `reports/`.

In a source checkout (and an editable install) they are top-level folders beside
the package; in a wheel they are installed inside it (`kpidsl/grammar/` …).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # kpidsl/, not kpidsl/base/


def resource_dir(name: str) -> Path:
    """The folder `name` ("grammar", "rulesets", "reports") wherever it was installed."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"kpidsl is installed without its {name}/ folder")
