"""``orchdsl serve [PATH...]``: the dashboard (docs/dashboard.md) until SIGTERM or Ctrl-C."""

from __future__ import annotations

import sys

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser
from orchdsl.cli.store_option import add_store_option

DESCRIPTION = """\
A web dashboard of the job store: the orchestrations of the files and folders given (their
next fires, last job, recent durations), the jobs (filtered by file and state), each job's
tasks, attempts, reasons, outputs and notifications with a timeline of its phases, its graph
coloured by the tasks' states, and its logs, live while it runs. Its JSON API under /api/
returns the records of orchdsl jobs/job/logs --format json. Run now, re-run failed and
cancel are buttons (POST, with a CSRF token), unless --read-only.

It listens on 127.0.0.1:8080: this machine only. Any other --bind needs --token (or
ORCHDSL_UI_TOKEN), which every request must carry: open http://HOST:PORT/?token=TOKEN once
(it becomes a cookie), or send "Authorization: Bearer TOKEN". Only the files given are ever
read. Needs the ui extra: pip install 'orchdsl[ui]'.

examples:
  orchdsl serve pipelines/
  orchdsl serve pipelines/ --read-only --store /var/lib/orchdsl/jobs.db
  ORCHDSL_UI_TOKEN=$(openssl rand -hex 16) orchdsl serve pipelines/ --bind 0.0.0.0:8080
  orchdsl scheduler pipelines/ --serve 127.0.0.1:8080     # beside the schedules
"""


def build_parser() -> ArgumentParser:
    from orchdsl.web.settings import DEFAULT_BIND

    parser = ArgumentParser(prog="orchdsl serve", description=DESCRIPTION)
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help=".orch files and folders to show (every *.orch below a folder)")
    parser.add_argument("--bind", default=DEFAULT_BIND, metavar="HOST:PORT",
                        help=f"where to listen (default {DEFAULT_BIND}; port 0: a free one)")
    parser.add_argument("--token", metavar="TOKEN",
                        help="the token every request must carry (default: $ORCHDSL_UI_TOKEN);"
                             " required for a bind beyond this machine")
    parser.add_argument("--read-only", action="store_true",
                        help="show only: no run now, re-run or cancel")
    add_store_option(parser)
    return parser


def prepare(paths, store_given: str | None, bind: str, token: str | None,
            read_only: bool, command: str):
    """The dashboard's settings, or an exit code after a one-line error (no ui extra, an
    unsafe or wrong --bind, a missing path or store)."""
    from orchdsl.web import missing_extra

    missing = missing_extra()
    if missing:
        sys.stderr.write(f"orchdsl {command}: error: {missing}\n")
        return exits.USAGE
    from orchdsl.cli.store_option import open_reader
    from orchdsl.store import store_location
    from orchdsl.web.settings import SettingsError, settings_of

    try:
        settings = settings_of(store_location(store_given), paths, bind, token, read_only)
    except SettingsError as exc:
        sys.stderr.write(f"orchdsl {command}: error: {exc}\n")
        return exits.USAGE
    reader = open_reader(store_given, command)  # a store named but missing is a typo
    if isinstance(reader, int):
        return reader
    reader.close()
    return settings


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    settings = prepare(args.paths, args.store, args.bind, args.token, args.read_only, "serve")
    if isinstance(settings, int):
        return settings
    import trio

    from orchdsl.web.server import ListenError

    code = exits.OK
    try:
        trio.run(_serve, settings)
    except* ListenError as group:
        sys.stderr.write(f"orchdsl serve: error: {group.exceptions[0].strerror}\n")
        code = exits.USAGE
    return code


async def _serve(settings) -> None:
    import signal

    import trio

    from orchdsl.web.server import serve, url

    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        address = await nursery.start(serve, settings, stop)
        files = len(settings.files.paths())
        sys.stdout.write(f"orchdsl serve: {url(address)} (store {settings.shown_store}; "
                         f"{files} file{'s' * (files != 1)}"
                         f"{'; read-only' if settings.read_only else ''}; Ctrl-C stops)\n")
        sys.stdout.flush()
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                stop.set()
                break
