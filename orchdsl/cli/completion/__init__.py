"""Shell completion scripts for bash, zsh and fish (one module each), written from the live
argument parsers (``orchdsl.cli.parsers``): a new command or option is completed without
touching this package.

The scripts are static, and start Python on TAB only for words that live on disk: the task
and phase names of the .orch file given earlier on the line (``--only``, ``--skip``,
``--phase``, ``--from-phase``) and the store's job ids (``job ID``, ``logs ID``,
``--rerun``), which they ask ``orchdsl completion --words`` for (``disk_words``).
``orchdsl completion SHELL`` writes one; loading it from the shell's start-up file
(``eval "$(orchdsl completion bash)"``) keeps it in step with the installed version.

What is completed: command names; each command's options; the values of options with
choices (``--format``), rule codes for ``--explain``, paths for options taking a FILE or PATH;
``.orch`` files and folders for FILE and PATH arguments; names and job ids as above.
"""

from __future__ import annotations

from typing import Callable

from orchdsl.cli.completion import bash, fish, zsh
from orchdsl.cli.parsers import Command, commands

RENDERERS: dict[str, Callable[[list[Command]], str]] = {
    "bash": bash.render, "zsh": zsh.render, "fish": fish.render}


def script(shell: str) -> str:
    return RENDERERS[shell](commands())
