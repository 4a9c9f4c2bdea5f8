"""The business specs in features/ (Russian and English Gherkin) as part of the test run.

The steps come from kpidsl's own pytest plugin (`kpidsl.specs.plugin`, entry point
`pytest11`), exactly as a consultant's specs get them from `kpidsl test`; this
module only binds every feature file under features/ (`bdd_features_base_dir`).
"""

from pytest_bdd import scenarios

scenarios(".")
