"""`python -m kpidsl …`: the same command line as the `kpidsl` console script."""

from kpidsl.cli.main import main

main()
