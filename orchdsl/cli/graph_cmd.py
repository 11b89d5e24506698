"""``orchdsl graph FILE``: draw the compiled graph as dot, mermaid, ascii, json, svg or png."""

from __future__ import annotations

import shutil
import subprocess
import sys

from orchdsl.cli.args import ArgumentParser
from orchdsl.cli.common import EXIT_USAGE, compile_or_report, usage_error, write_output

FORMATS = ("dot", "mermaid", "ascii", "json", "svg", "png")

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
    if args.format == "png" and args.output is None and sys.stdout.isatty():
        usage_error("graph", "png is binary: give -o FILE or redirect standard output")
        return EXIT_USAGE
    compiled = compile_or_report(args.file, "graph")
    if isinstance(compiled, int):
        return compiled
    if args.format in ("svg", "png") and shutil.which("dot") is None:
        usage_error("graph", f"--format {args.format} needs Graphviz's dot on PATH (install "
                             "graphviz: apt-get install graphviz, brew install graphviz), or use "
                             "--format dot and render it elsewhere")
        return EXIT_USAGE
    from orchdsl.graph_formats import render

    if args.format in ("svg", "png"):
        output = _graphviz(render("dot", compiled), args.format)
        if output is None:
            return 1
    else:
        output = render(args.format, compiled)
    try:
        write_output(output, args.output)
    except OSError as exc:
        usage_error("graph", f"cannot write {args.output}: {exc.strerror or exc}")
        return EXIT_USAGE
    return 0


def _graphviz(dot_text: str, image_format: str) -> bytes | None:
    done = subprocess.run(["dot", f"-T{image_format}"], input=dot_text.encode(),
                          capture_output=True, timeout=120)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        usage_error("graph", "Graphviz failed: " + (message[0] if message else f"exit {done.returncode}"))
        return None
    return done.stdout
