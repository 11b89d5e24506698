"""``orchdsl completion bash|zsh|fish``: print a completion script for the shell, written from
the commands' live parsers."""

from __future__ import annotations

import sys

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser

SHELLS = ("bash", "zsh", "fish")

DESCRIPTION = """\
Print a script that completes orchdsl's commands, options, --format values and .orch files
in your shell, and, read on TAB, the task and phase names of the .orch file earlier on the
line (--only, --skip, --phase, --from-phase) and the job ids of the store (job, logs,
--rerun). It is written from the installed version, so load it at shell start-up:

  bash   ~/.bashrc:                    eval "$(orchdsl completion bash)"
  zsh    ~/.zshrc, after compinit:     eval "$(orchdsl completion zsh)"
  fish   ~/.config/fish/config.fish:   orchdsl completion fish | source

or save it once where the shell looks for completions:

  orchdsl completion bash > ~/.local/share/bash-completion/completions/orchdsl
  orchdsl completion zsh > "${fpath[1]}/_orchdsl"
  orchdsl completion fish > ~/.config/fish/completions/orchdsl.fish
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl completion", description=DESCRIPTION)
    parser.add_argument("shell", choices=SHELLS, metavar="SHELL",
                        help="the shell to complete in: bash, zsh or fish")
    return parser


# The scripts' own question on TAB, not for people: ``orchdsl completion --words tasks FILE``
# (see orchdsl.cli.completion.disk_words). Answered before argparse, so it never prints an error.
WORDS_FLAG = "--words"


def main(argv: list[str]) -> int:
    if argv[:1] == [WORDS_FLAG]:
        from orchdsl.cli.completion.disk_words import words

        sys.stdout.write("".join(word + "\n" for word in words(argv[1:])))
        return exits.OK
    args = build_parser().parse_args(argv)
    from orchdsl.cli.completion import script

    sys.stdout.write(script(args.shell))
    return exits.OK
