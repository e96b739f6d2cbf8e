"""`python -m sop_runner.cli`: the same as `sop`."""

from sop_runner.cli.app import main

main()
