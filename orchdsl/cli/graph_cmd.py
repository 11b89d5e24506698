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
DEFAULT_FORMAT = "ascii"
GRAPHVIZ_TIMEOUT_S = 120
# -o FILE's extension -> the format it names, used when --format is not given.
EXTENSIONS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid",
              ".json": "json", ".svg": "svg", ".png": "png", ".txt": "ascii"}
# Extensions of images and documents orchdsl does not make: Graphviz does, from the dot text.
OTHER_IMAGES = frozenset({".pdf", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp",
                          ".ps", ".eps"})

DESCRIPTION = """\
Draw an orchestration: phases as clusters in order, tasks inside them in file order (shape
and colour by kind, disabled tasks dimmed), needs edges dashed. Nested orchestrations stay
one node. A phase's or task's when condition is shown as written; a task with a matrix of
lists is one node per instance (regions.eu, regions.us), each with its values; a task with
matrix ... from tasks.X.outputs.Y is one node marked "matrix: dynamic" (its instances are
known only when it runs).

Without --format, -o FILE's extension picks the format: .dot .gv (dot), .mmd (mermaid),
.json, .svg, .png, .txt (ascii); other names get ascii. A --format that the extension
contradicts (--format dot -o g.png) is refused; a .txt file takes any text format.

examples:
  orchdsl graph pipeline.orch                         a drawing for the terminal
  orchdsl graph pipeline.orch --format mermaid        paste into a README or an issue
  orchdsl graph pipeline.orch -o p.svg                the format from the extension;
                                                      svg and png need Graphviz's dot
  orchdsl graph pipeline.orch --format dot | dot -Tpdf -o p.pdf
  orchdsl graph pipeline.orch --format json           node-link data, "version": 1; each
                                                      node's "when", an instance's
                                                      "instance_of" and "matrix"
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl graph", description=DESCRIPTION)
    parser.add_argument("file", metavar="FILE", help="the .orch file")
    parser.add_argument("--format", "-f", choices=FORMATS,
                        help="output format (default: from -o FILE's extension, else ascii)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE instead of standard output")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    chosen = output_format(args.format, args.output)
    if isinstance(chosen, FormatError):
        usage_error("graph", str(chosen))
        return exits.USAGE
    args.format = chosen
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


class FormatError(ValueError):
    """-o FILE and --format disagree, or the extension names a format orchdsl does not make."""


def output_format(given: str | None, output: str | None) -> str | FormatError:
    """The format to write: ``--format`` when given, else the one -o FILE's extension names,
    else ascii. An extension of another format than the one given is an error, as is an
    image orchdsl does not make (``-o g.pdf``)."""
    import os

    extension = os.path.splitext(output or "")[1].lower() if output not in (None, "-") else ""
    named = EXTENSIONS.get(extension)
    if given is not None and named is not None and not _fits(given, named):
        return FormatError(f"--format {given} does not match -o {output} ({extension} is "
                           f"{named}): give -o a .{_extension_of(given)} name, or leave out "
                           "--format")
    if given is None and extension in OTHER_IMAGES:
        return FormatError(f"-o {output}: orchdsl graph makes svg and png images; for "
                           f"{extension[1:]}: orchdsl graph FILE --format dot | "
                           f"dot -T{extension[1:]} -o {output}")
    return given or named or DEFAULT_FORMAT


def _fits(given: str, named: str) -> bool:
    # .txt is any text: it takes every format but png.
    return given == named or (named == "ascii" and given != "png")


def _extension_of(fmt: str) -> str:
    return {"mermaid": "mmd", "ascii": "txt"}.get(fmt, fmt)


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
