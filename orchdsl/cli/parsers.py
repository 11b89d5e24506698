"""The live argument parsers of the commands in ``COMMANDS``, for what describes the command
line from them: shell completion (``orchdsl completion``) and the generated CLI reference
(``python -m orchdsl.docs_gen``). A command added to ``COMMANDS`` appears in both unchanged."""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass

from orchdsl.cli.main import COMMANDS

# Values that name files: completed as paths. PATH and FILE positionals name .orch files.
# STORE: a store is most often a file (docs/reference.md, "The job store"), so it completes as one.
FILE_METAVARS = frozenset({"FILE", "PATH", "DIR", "STORE"})


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    help: str
    metavar: str | None  # None: a flag without a value
    choices: tuple[str, ...] = ()
    repeats: bool = False

    @property
    def takes_files(self) -> bool:
        return self.metavar in FILE_METAVARS


@dataclass(frozen=True)
class Positional:
    metavar: str
    help: str
    nargs: str | int | None  # argparse's: None (one), "?", "*", "+"
    choices: tuple[str, ...] = ()

    @property
    def takes_orch_files(self) -> bool:
        return self.metavar in FILE_METAVARS


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    parser: argparse.ArgumentParser | None
    options: tuple[Option, ...]
    positionals: tuple[Positional, ...]


def commands() -> list[Command]:
    return [command(name) for name in COMMANDS]


def command(name: str) -> Command:
    parser = command_parser(name)
    actions = parser._actions if parser else []  # argparse has no public walk of its actions
    options = tuple(_option(a) for a in actions if a.option_strings and a.help != argparse.SUPPRESS)
    positionals = tuple(Positional(_metavar(a), _help(a), a.nargs, _choices(a))
                        for a in actions if not a.option_strings)
    return Command(name, COMMANDS[name][1], parser, options, positionals)


def command_parser(name: str) -> argparse.ArgumentParser | None:
    """The command's parser (its module's ``build_parser()``); None when the module does not
    import (a command being written in a source checkout): it is then completed by name only."""
    try:
        module = importlib.import_module(COMMANDS[name][0])
    except ImportError:
        return None
    return module.build_parser()


def _option(action: argparse.Action) -> Option:
    takes_value = action.nargs != 0
    return Option(flags=tuple(action.option_strings), help=_help(action),
                  metavar=_metavar(action) if takes_value else None, choices=_choices(action),
                  repeats=isinstance(action, (argparse._AppendAction, argparse._CountAction)))


def _choices(action: argparse.Action) -> tuple[str, ...]:
    return tuple(str(c) for c in action.choices) if action.choices else ()


def _metavar(action: argparse.Action) -> str:
    return action.metavar if isinstance(action.metavar, str) else action.dest.upper()


def _help(action: argparse.Action) -> str:
    """The first line of the help text, with ``%(default)s`` and the like filled in as
    argparse would."""
    text = (action.help or "").strip().split("\n")[0]
    if "%(" in text:
        text = text % {**vars(action), "prog": ""}
    return text
