"""`python -m gavel`."""

from gavel.cli import main

main()
