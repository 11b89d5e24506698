"""``orchdsl graph FILE``: draw the compiled graph as dot, mermaid, ascii, json, svg or png."""

from __future__ import annotations

import shutil
import subprocess
import sys

from orchdsl.cli.args import ArgumentParser
from orchdsl.cli import exits
from orchdsl.cli.common import compile_or_report, usage_error
from orchdsl.cli.output_file import OutputError, write_output

FORMATS = ("dot", "mermaid", "ascii", "json", "svg", "png")
GRAPHVIZ_TIMEOUT_S = 120

DESCRIPTION = """\
Draw an orchestration: phases as clusters in order, tasks inside them (shape and colour by
kind, disabled tasks dimmed), needs edges dashed. Nested orchestrations stay one node.

examples:
  orchdsl graph pipeline.orch                         a drawing for the terminal
  orchdsl graph pipeline.orch --format mermaid        paste into a README or an issue
  orchdsl graph pipeline.orch --format svg -o p.svg   needs Graphviz's dot on PATH
  orchdsl graph pipeline.orch --format dot | dot -Tpdf -o p.pdf
  orchdsl graph pipeline.orch --format json           node-link data, "version": 1
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl graph", description=DESCRIPTION)
    parser.add_argument("file", metavar="FILE", help="the .orch file")
    parser.add_argument("--format", "-f", choices=FORMATS, default="ascii",
                        help="output format (default: ascii)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE instead of standard output")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.format == "png" and args.output in (None, "-") and sys.stdout.isatty():
        usage_error("graph", "png is binary: give -o FILE or redirect standard output")
        return exits.USAGE
    compiled = compile_or_report(args.file, "graph")
    if isinstance(compiled, int):
        return compiled
    if args.format in ("svg", "png") and shutil.which("dot") is None:
        usage_error("graph", f"--format {args.format} needs Graphviz's dot on PATH (install "
                             "graphviz: apt-get install graphviz, brew install graphviz), or use "
                             "--format dot and render it elsewhere")
        return exits.USAGE
    from orchdsl.cli.graph_formats import render

    if args.format in ("svg", "png"):
        output = _graphviz(render("dot", compiled), args.format)
        if output is None:
            return exits.USAGE
    else:
        output = render(args.format, compiled)
    try:
        write_output(output, args.output, source=args.file)
    except OutputError as exc:
        usage_error("graph", str(exc))
        return exits.USAGE
    return exits.OK


def _graphviz(dot_text: str, image_format: str) -> bytes | None:
    """The image Graphviz makes of the dot text, or None after saying why it could not."""
    try:
        done = subprocess.run(["dot", f"-T{image_format}"], input=dot_text.encode(),
                              capture_output=True, timeout=GRAPHVIZ_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        usage_error("graph", f"Graphviz failed: {exc}")
        return None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        usage_error("graph", "Graphviz failed: " + (message[0] if message else f"exit {done.returncode}"))
        return None
    return done.stdout
