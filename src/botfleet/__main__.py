"""``python -m botfleet`` is the ``botfleet`` command."""

from botfleet.cli import main

main()
