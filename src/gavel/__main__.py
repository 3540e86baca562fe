"""`python -m gavel`."""

from gavel.app.cli import main

main()
