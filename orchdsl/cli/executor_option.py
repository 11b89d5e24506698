"""``--executor`` (and ``ORCHDSL_EXECUTOR``), shared by the commands that run jobs: checked
before anything runs, so that a typo or a missing extra is a usage error (docs/cluster.md)."""

from __future__ import annotations

import os

from orchdsl.cli import exits
from orchdsl.cli.common import usage_error

EXECUTOR_HELP = ("where tasks run: local (this machine, the default), dask://HOST:PORT or "
                 "tls://HOST:PORT (a Dask scheduler; needs orchdsl[dask]); default "
                 "$ORCHDSL_EXECUTOR, else local")


def add_executor_option(parser) -> None:
    parser.add_argument("--executor", metavar="URL", help=EXECUTOR_HELP)


def chosen_executor(given: str | None, command: str, *, running: bool = True) -> str | int:
    """The executor URL to run with, or an exit code after a one-line error. ``running``:
    the Dask executor's package must be there (a dry run needs none)."""
    from orchdsl.runner.executors.dask_address import EXECUTOR_VARIABLE, parse_executor

    where = "--executor" if given is not None else EXECUTOR_VARIABLE
    text = given if given is not None else os.environ.get(EXECUTOR_VARIABLE) or "local"
    try:
        address = parse_executor(text)
    except ValueError as exc:
        usage_error(command, f"{where}: {exc}")
        return exits.USAGE
    if address is not None and running and not _has_distributed():
        from orchdsl.runner.executors.dask_address import MISSING

        usage_error(command, f"{where} {address}: {MISSING}")
        return exits.USAGE
    return text


def _has_distributed() -> bool:
    try:
        import distributed  # noqa: F401 - whether it is there
    except ImportError:
        return False
    return True
