"""kpidsl: a rules engine with a declarative KPI language.

Pipeline (one module per stage): parse → load → check → compile → engine → results
→ render/export.  `kpidsl.api` is the facade that runs the stages in order.
"""

__version__ = "0.1.0"
