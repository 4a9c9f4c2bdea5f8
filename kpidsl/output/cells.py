"""Spreadsheet cell safety: text that a spreadsheet would run as a formula.

Excel, LibreOffice and Google Sheets treat a cell whose text starts with `=`, `+`,
`-` or `@` (and, on import, a leading tab or carriage return) as a formula — the
"CSV/formula injection" of OWASP.  Employee names, KPI titles and action texts come
from rulesets and client data, so every text cell of an XLSX or CSV output goes
through `neutralise_cell`: such text gets a leading apostrophe and stays text.
Numbers are never passed through it; they are written as numbers.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The same test for SQL writers (kpidsl.output.bulk_text): optional spaces, then a trigger.
FORMULA_PATTERN = "^ *[=+\\-@\t\r]"


def neutralise(text: str) -> str:
    """`text` with a leading apostrophe if a spreadsheet would evaluate it.

    Leading spaces are looked through (`"  =1+1"` is neutralised too), because some
    spreadsheet imports trim them before deciding what a cell is.
    """
    return "'" + text if text.lstrip(" ").startswith(FORMULA_TRIGGERS) else text


def neutralise_cell(value: object) -> object:
    """`value` unchanged unless it is text a spreadsheet would evaluate; then `'` + text."""
    return neutralise(value) if isinstance(value, str) else value
