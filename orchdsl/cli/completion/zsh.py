"""The zsh completion script."""

from __future__ import annotations

from orchdsl._version import __version__
from orchdsl.cli.completion.common import DYNAMIC, TOP_OPTIONS, value_words
from orchdsl.cli.parsers import Command, Option, Positional

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
    local command=$words[2] _orchdsl_program=$words[1]
    shift words
    (( CURRENT-- ))
    case $command in
"""

ZSH_TAIL = """\
    esac
}

# Words read on TAB (orchdsl completion --words): names from the .orch file on the line (a
# comma list goes on after its last comma), job ids from the store.
_orchdsl_names() {
    local word file
    for word in ${words[2,CURRENT-1]}; do
        if [[ $word == *.orch && -f $word ]]; then file=$word; break; fi
    done
    [[ -n $file ]] || return 1
    local -a names
    names=(${(f)"$($_orchdsl_program completion --words $1 $file 2>/dev/null)"})
    compset -P '*,'
    compadd -a names
}

_orchdsl_jobs() {
    local -a ids store
    local at=${words[(I)--store]}
    (( at )) && store=(--store ${words[at+1]})
    ids=(${(f)"$($_orchdsl_program completion --words jobs $store $PREFIX 2>/dev/null)"})
    compadd -a ids
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _orchdsl "$@"
else
    compdef _orchdsl orchdsl
fi
"""

ZSH_ORCH_FILES = '_files -g "*.orch(-.)"'


def render(spec: list[Command]) -> str:
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
    if option.metavar in DYNAMIC:
        return _zsh_dynamic(DYNAMIC[option.metavar])
    return "_files" if option.takes_files else " "


def _zsh_dynamic(kind: str) -> str:
    return "_orchdsl_jobs" if kind == "jobs" else f"_orchdsl_names {kind}"


def _zsh_positional(positional: Positional) -> str:
    repeat = {"*": "*", "+": "*", "?": ":"}.get(positional.nargs, "")
    if positional.takes_orch_files:
        action = ZSH_ORCH_FILES
    elif positional.metavar in DYNAMIC:
        action = _zsh_dynamic(DYNAMIC[positional.metavar])
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
