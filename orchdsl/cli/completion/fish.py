"""The fish completion script."""

from __future__ import annotations

from orchdsl._version import __version__
from orchdsl.cli.completion.common import DYNAMIC, TOP_OPTIONS, value_words
from orchdsl.cli.parsers import Command, Option

FISH_HEAD = """\
# fish completion for orchdsl {version}, written by `orchdsl completion fish`.
# Load it:     orchdsl completion fish | source
# or install:  orchdsl completion fish > ~/.config/fish/completions/orchdsl.fish

complete -c orchdsl -f

# Words read on TAB (orchdsl completion --words): names from the .orch file on the line (a
# comma list goes on after its last comma), job ids from the store.
function __orchdsl_names
    set -l file
    for word in (commandline -opc)
        if string match -q -- '*.orch' $word; and test -f $word
            set file $word
            break
        end
    end
    test -n "$file"; or return
    set -l head (string match -r -- '^.*,' (commandline -ct); or echo '')
    for name in (orchdsl completion --words $argv[1] $file 2>/dev/null)
        echo $head$name
    end
end

function __orchdsl_jobs
    set -l words (commandline -opc)
    set -l store
    if set -l at (contains -i -- --store $words)
        set store --store $words[(math $at + 1)]
    end
    orchdsl completion --words jobs $store (commandline -ct) 2>/dev/null
end
"""


def render(spec: list[Command]) -> str:
    lines = [FISH_HEAD.format(version=__version__)]
    for name, text in TOP_OPTIONS:
        lines.append(f"complete -c orchdsl -n __fish_use_subcommand -l {name[2:]} "
                     f"-d {_fish_quote(text)}")
    for command in spec:
        lines.append(f"complete -c orchdsl -n __fish_use_subcommand -a {command.name} "
                     f"-d {_fish_quote(command.summary)}")
    for command in spec:
        lines.append("")
        lines += _fish_command(command)
    return "\n".join(lines) + "\n"


def _fish_command(command: Command) -> list[str]:
    prefix = f"complete -c orchdsl -n '__fish_seen_subcommand_from {command.name}'"
    lines = []
    for option in command.options:
        names = " ".join(f"-l {f[2:]}" if f.startswith("--") else f"-s {f[1:]}"
                         for f in option.flags)
        lines.append(f"{prefix} {names}{_fish_value(option)} -d {_fish_quote(option.help)}")
    for positional in command.positionals:
        if positional.metavar in DYNAMIC:
            lines.append(f"{prefix} -a '({_fish_dynamic(DYNAMIC[positional.metavar])})'")
        elif positional.takes_orch_files:
            lines.append(f"{prefix} -a '(__fish_complete_suffix .orch)'")
        elif positional.choices:
            lines.append(f"{prefix} -a {_fish_quote(' '.join(positional.choices))}")
    return lines


def _fish_value(option: Option) -> str:
    if option.metavar is None:
        return ""
    words = value_words(option)
    if words:
        return f" -x -a {_fish_quote(' '.join(words))}"
    if option.metavar in DYNAMIC:
        return f" -x -a '({_fish_dynamic(DYNAMIC[option.metavar])})'"
    return " -r -F" if option.takes_files else " -x"


def _fish_dynamic(kind: str) -> str:
    return "__orchdsl_jobs" if kind == "jobs" else f"__orchdsl_names {kind}"


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
