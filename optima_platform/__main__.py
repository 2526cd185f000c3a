"""``python -m optima_platform`` runs the ``optima`` CLI."""

from optima_platform.cli import main

main()
