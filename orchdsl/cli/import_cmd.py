"""``orchdsl import keboola FILE... [-o OUT]``: Keboola's JSON as one .orch file
(docs/import-keboola.md). Exit 0 (warnings on stderr for what is not converted), 2 for input
that cannot be converted or a usage error, 3 for a converted text that does not lint clean."""

from __future__ import annotations

import os
import sys
import tempfile

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser
from orchdsl.importers import SOURCES

STDIN = "-"
STDIN_NAME = "<stdin>"

DESCRIPTION = """\
Convert Keboola's JSON into one .orch file, in fmt's layout and linting clean. Each JSON file
holds one of these, or a list of the last two:
  - a legacy Orchestrator orchestration (tasks with "component", "crontabRecord", ...);
  - a Flow (a keboola.orchestrator configuration: "phases" with "dependsOn", "tasks");
  - a conditional flow (keboola.flow: phases with "next" transitions and conditions);
  - a schedule (a keboola.scheduler configuration, or the Scheduler API's schedule);
  - a notification subscription (the Notification API's project-subscriptions).
A configuration may be given as the Storage API returns it ("name", "configuration", ...) or
its "configuration" alone. Give exactly one orchestration or flow; schedules and subscriptions
of other configurations are left out.

Every task runs its Keboola job through --command, a shell command with placeholders:
{component}, {config}, {target} (component/config@tag, as kbc takes it), {tag}, {mode},
{rows}; each value is shell-quoted. The default, kbc remote job run --timeout 24h {target},
needs the Keboola CLI and KBC_STORAGE_API_HOST and KBC_STORAGE_API_TOKEN in the environment
(the file declares the token as a secret).

What orchdsl cannot say the same way (a condition on a variable's computed value, a
notification task, a retry only on some errors, an unknown field) stays in the file as a
"# not converted: ..." comment, and is reported on stderr; the exit is still 0.

examples:
  orchdsl import keboola flow.json -o nightly.orch
      a Flow or conditional flow, as the Storage API returns it or its "configuration"
  orchdsl import keboola flow.json schedules.json subscriptions.json -o nightly.orch
      the same with its schedules (Scheduler API) and notifications (Notification API)
  orchdsl import keboola orchestration.json
      a legacy orchestration, to standard output; what is not converted, on stderr
  curl -s -H "X-StorageApi-Token: $KBC_STORAGE_API_TOKEN" \\
      https://connection.keboola.com/v2/storage/branch/default/components/keboola.orchestrator/configs/123 \\
      | orchdsl import keboola - -o nightly.orch
      straight from the Storage API
  orchdsl import keboola flow.json --command 'echo {target}' -o try.orch && orchdsl run try.orch
      a rehearsal: every task prints the job it would start
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl import", description=DESCRIPTION)
    parser.add_argument("source", metavar="SOURCE", choices=tuple(SOURCES),
                        help="what the files come from: " + ", ".join(SOURCES))
    parser.add_argument("files", nargs="+", metavar="JSON",
                        help="the JSON files ('-' for standard input)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the .orch file here (atomically) instead of to stdout")
    parser.add_argument("--command", metavar="TEMPLATE",
                        help="how a task starts its job (default: kbc remote job run "
                             "--timeout 24h {target})")
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from orchdsl.importers import keboola

    try:
        template = keboola.parse_template(args.command or keboola.DEFAULT_TEMPLATE)
    except keboola.TemplateError as exc:
        parser.error(f"--command: {exc}")
    if args.files.count(STDIN) > 1:
        parser.error("'-' (standard input) can be given once")
    sources = _read(args.files)
    if isinstance(sources, int):
        return sources
    return _convert(keboola, sources, template, args.output)


def _read(paths: list[str]) -> list[tuple[str, bytes]] | int:
    sources = []
    for path in paths:
        try:
            data = sys.stdin.buffer.read() if path == STDIN else _read_file(path)
        except OSError as exc:
            return _error(f"{path}: {_reason(exc)}")
        sources.append((STDIN_NAME if path == STDIN else path, data))
    return sources


def _read_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return f"cannot read: {exc.strerror or exc}"


def _convert(keboola, sources, template, output: str | None) -> int:
    shown = output or "converted.orch"
    try:
        conversion = keboola.convert(sources, template, shown)
    except keboola.ImportFailure as exc:
        return _error(str(exc))
    except keboola.OutputInvalid as exc:
        sys.stderr.write(f"orchdsl import: internal error: {exc}; this is a bug in orchdsl, "
                         "please report it\n")
        return exits.INTERNAL
    for finding in conversion.findings:
        sys.stderr.write(f"orchdsl import: warning: {finding.warning}\n")
    return _deliver(conversion.text, output, [path for path, _ in sources])


def _deliver(text: str, output: str | None, inputs: list[str]) -> int:
    if output is None or output == STDIN:
        sys.stdout.write(text)
        return exits.OK
    if _is_input(output, inputs):
        return _error(f"{output} is an input file: refusing to overwrite it")
    try:
        write_atomically(output, text.encode("utf-8"))
    except OSError as exc:
        return _error(f"cannot write {output}: {exc.strerror or exc}")
    return exits.OK


def _is_input(output: str, inputs: list[str]) -> bool:
    return os.path.exists(output) and any(
        path != STDIN_NAME and os.path.exists(path) and os.path.samefile(path, output)
        for path in inputs)


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``: a
    reader sees the old file or the new one, never half of one, and a failed write leaves no
    file behind. A symbolic link is followed, so it keeps pointing at the file."""
    target = os.path.realpath(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.",
                                         dir=os.path.dirname(target) or ".")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, _mode(target))
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _mode(target: str) -> int:
    if os.path.exists(target):
        return os.stat(target).st_mode & 0o7777
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _error(message: str) -> int:
    sys.stderr.write(f"orchdsl import: error: {message}\n")
    return exits.USAGE
