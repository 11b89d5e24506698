"""The ``orchdsl`` command line. ``main(argv) -> int`` is the only place that prints and picks
an exit code; each command lives in a module of its own, imported only when it runs."""
