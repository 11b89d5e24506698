"""Exit statuses of every command (docs/reference.md, "Conventions of every command"), and 3
for a bug in orchdsl itself."""

OK = 0
FAILED = 1  # the input has errors, or the job failed
USAGE = 2  # usage error or unreadable input
INTERNAL = 3  # a bug in orchdsl: reported in one line, traceback with ORCHDSL_DEBUG=1
SIGINT = 130
SIGTERM = 143
