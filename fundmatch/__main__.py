"""``python -m fundmatch`` runs the command line."""

from fundmatch.cli import main

main()
