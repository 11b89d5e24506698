"""Shell completion scripts for bash, zsh and fish, written from the live argument parsers
(``orchdsl.cli.parsers``): a new command or option is completed without touching this file.

The scripts are static: the shell never starts Python on TAB. ``orchdsl completion SHELL``
writes one; loading it from the shell's start-up file (``eval "$(orchdsl completion bash)"``)
keeps it in step with the installed version.

What is completed: command names; each command's options; the values of options with
choices (``--format``), rule codes for ``--explain``, paths for options taking a FILE or PATH;
``.orch`` files and folders for FILE and PATH arguments.
"""

from __future__ import annotations

from typing import Callable

from orchdsl._version import __version__
from orchdsl.cli.parsers import Command, Option, Positional, commands

TOP_OPTIONS = (("--help", "show this help and exit"), ("--version", "show the version and exit"))


def script(shell: str) -> str:
    return RENDERERS[shell](commands())


def value_words(option: Option) -> tuple[str, ...]:
    """The words an option's value is completed from: its choices, or the rule codes for a
    CODE (``lint --explain``)."""
    if option.choices:
        return option.choices
    if option.metavar == "CODE":
        from orchdsl.check.rules import all_rules

        return tuple(all_rules())
    return ()


# --- bash -------------------------------------------------------------------------------------

BASH_HEAD = """\
# bash completion for orchdsl {version}, written by `orchdsl completion bash`.
# Load it from ~/.bashrc:   eval "$(orchdsl completion bash)"
# or install it:            orchdsl completion bash > ~/.local/share/bash-completion/completions/orchdsl

_orchdsl_orch_files() {{
    local IFS=$'\\n'
    COMPREPLY+=($(compgen -d -- "$1") $(compgen -f -X '!*.orch' -- "$1"))
}}

_orchdsl_files() {{
    local IFS=$'\\n'
    COMPREPLY+=($(compgen -f -- "$1"))
}}

_orchdsl() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    COMPREPLY=()
    # bash splits "--format=js" at "=": the option is then two words back.
    if [[ $cur == "=" ]]; then
        cur=""
    elif [[ $prev == "=" ]]; then
        prev=${{COMP_WORDS[COMP_CWORD-2]}}
    fi
    if (( COMP_CWORD == 1 )); then
        COMPREPLY=($(compgen -W "{commands} {top_options}" -- "$cur"))
        return
    fi
    case ${{COMP_WORDS[1]}} in
"""

BASH_TAIL = """\
    esac
}

complete -o filenames -F _orchdsl orchdsl
"""


def bash(spec: list[Command]) -> str:
    head = BASH_HEAD.format(version=__version__, commands=" ".join(c.name for c in spec),
                            top_options=" ".join(name for name, _ in TOP_OPTIONS))
    return head + "".join(_bash_command(c) for c in spec) + BASH_TAIL


def _bash_command(command: Command) -> str:
    lines = [f"        {command.name})", "            case $prev in"]
    for option in command.options:
        if option.metavar is None:
            continue
        words = value_words(option)
        if words:
            action = f'COMPREPLY=($(compgen -W "{" ".join(words)}" -- "$cur"))'
        elif option.takes_files:
            action = '_orchdsl_files "$cur"'
        else:
            action = ":"  # a free value (a name, a number): nothing to offer
        lines.append(f"                {'|'.join(option.flags)}) {action}; return ;;")
    lines.append("            esac")
    flags = " ".join(flag for option in command.options for flag in option.flags)
    lines += ["            if [[ $cur == -* ]]; then",
              f'                COMPREPLY=($(compgen -W "{flags}" -- "$cur"))']
    positional = _bash_positional(command.positionals)
    if positional:
        lines += ["            else", f"                {positional}"]
    lines += ["            fi", "            ;;"]
    return "\n".join(lines) + "\n"


def _bash_positional(positionals: tuple[Positional, ...]) -> str | None:
    # Which positional the cursor is on is not worked out: every command takes at most one
    # kind of completable argument (.orch files, or a shell name).
    for positional in positionals:
        if positional.takes_orch_files:
            return '_orchdsl_orch_files "$cur"'
        if positional.choices:
            return f'COMPREPLY=($(compgen -W "{" ".join(positional.choices)}" -- "$cur"))'
    return None


# --- zsh --------------------------------------------------------------------------------------

ZSH_HEAD = """\
#compdef orchdsl
# zsh completion for orchdsl {version}, written by `orchdsl completion zsh`.
# Load it from ~/.zshrc (after compinit):  eval "$(orchdsl completion zsh)"
# or install it as _orchdsl in a folder of $fpath.

_orchdsl() {{
    local -a commands
    commands=(
{commands}
    )
    if (( CURRENT == 2 )); then
        if [[ $words[CURRENT] == -* ]]; then
            _arguments {top_options}
        else
            _describe -t commands 'orchdsl command' commands
        fi
        return
    fi
    local command=$words[2]
    shift words
    (( CURRENT-- ))
    case $command in
"""

ZSH_TAIL = """\
    esac
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _orchdsl "$@"
else
    compdef _orchdsl orchdsl
fi
"""

ZSH_ORCH_FILES = '_files -g "*.orch(-.)"'


def zsh(spec: list[Command]) -> str:
    described = "\n".join(f"        {_zsh_quote(c.name + ':' + c.summary)}" for c in spec)
    top = " ".join(_zsh_quote(f"{name}[{_zsh_bracketed(text)}]") for name, text in TOP_OPTIONS)
    head = ZSH_HEAD.format(version=__version__, commands=described, top_options=top)
    return head + "".join(_zsh_command(c) for c in spec) + ZSH_TAIL


def _zsh_command(command: Command) -> str:
    specs = [_zsh_option(option, flag) for option in command.options for flag in option.flags]
    specs += [_zsh_positional(p) for p in command.positionals]
    body = " \\\n                ".join(_zsh_quote(s) for s in specs)
    return f"        {command.name})\n            _arguments -s -S \\\n                {body}\n            ;;\n"


def _zsh_option(option: Option, flag: str) -> str:
    exclusive = f"({' '.join(option.flags)})" if len(option.flags) > 1 and not option.repeats else ""
    spec = f"{'*' if option.repeats else exclusive}{flag}"
    if option.metavar is None:
        return f"{spec}[{_zsh_bracketed(option.help)}]"
    return (f"{spec}{'=' if flag.startswith('--') else '+'}[{_zsh_bracketed(option.help)}]"
            f":{_zsh_message(option.metavar)}:{_zsh_value(option)}")


def _zsh_value(option: Option) -> str:
    words = value_words(option)
    if words:
        return f"({' '.join(words)})"
    return "_files" if option.takes_files else " "


def _zsh_positional(positional: Positional) -> str:
    repeat = {"*": "*", "+": "*", "?": ":"}.get(positional.nargs, "")
    if positional.takes_orch_files:
        action = ZSH_ORCH_FILES
    elif positional.choices:
        action = f"({' '.join(positional.choices)})"
    else:
        action = " "
    return f"{repeat}:{_zsh_message(positional.metavar)}:{action}"


def _zsh_bracketed(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _zsh_message(text: str) -> str:
    return text.replace(":", "\\:")


def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


# --- fish -------------------------------------------------------------------------------------

FISH_HEAD = """\
# fish completion for orchdsl {version}, written by `orchdsl completion fish`.
# Load it:     orchdsl completion fish | source
# or install:  orchdsl completion fish > ~/.config/fish/completions/orchdsl.fish

complete -c orchdsl -f
"""


def fish(spec: list[Command]) -> str:
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
        if positional.takes_orch_files:
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
    return " -r -F" if option.takes_files else " -x"


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


RENDERERS: dict[str, Callable[[list[Command]], str]] = {"bash": bash, "zsh": zsh, "fish": fish}
