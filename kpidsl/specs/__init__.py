"""Executable specs: the Gherkin step library, its pytest plugin and the `kpidsl test` runner.

Business owners review `.feature` files in Russian or English that state what a
ruleset must compute; the steps here run them through the real pipeline.
See docs/specs.md.
"""
