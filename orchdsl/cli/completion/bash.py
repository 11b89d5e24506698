"""The bash completion script."""

from __future__ import annotations

from orchdsl._version import __version__
from orchdsl.cli.completion.common import DYNAMIC, TOP_OPTIONS, value_words
from orchdsl.cli.parsers import Command

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

# Words read on TAB (orchdsl completion --words), matched here by prefix: never through
# compgen -W, which would expand a $(...) in a phase's name.
_orchdsl_add() {{
    local head=$1 word=$2 name
    while IFS= read -r name; do
        [[ $name == "$word"* ]] && COMPREPLY+=("$head$name")
    done
}}

_orchdsl_names() {{
    local kind=$1 word=$2 head="" file i
    for (( i = 2; i < COMP_CWORD; i++ )); do
        if [[ ${{COMP_WORDS[i]}} == *.orch && -f ${{COMP_WORDS[i]}} ]]; then
            file=${{COMP_WORDS[i]}}
            break
        fi
    done
    [[ -n $file ]] || return
    if [[ $word == *,* ]]; then head=${{word%,*}},; word=${{word##*,}}; fi
    _orchdsl_add "$head" "$word" < <("${{COMP_WORDS[0]}}" completion --words "$kind" "$file" 2>/dev/null)
}}

_orchdsl_jobs() {{
    local store=() i
    for (( i = 2; i < COMP_CWORD - 1; i++ )); do
        if [[ ${{COMP_WORDS[i]}} == --store ]]; then
            store=(--store "${{COMP_WORDS[i+1]}}")
            [[ ${{COMP_WORDS[i+1]}} == = ]] && store=(--store "${{COMP_WORDS[i+2]}}")
        fi
    done
    [[ $1 == *[!0-9]* ]] && return
    _orchdsl_add "" "$1" < <("${{COMP_WORDS[0]}}" completion --words jobs "${{store[@]}}" "$1" 2>/dev/null)
}}

# How many arguments (not options, not their values) come before the cursor; $@: the flags
# of the command that take a value.
_orchdsl_nth() {{
    local i n=0 skip="" word
    for (( i = 2; i < COMP_CWORD; i++ )); do
        word=${{COMP_WORDS[i]}}
        if [[ -n $skip ]]; then
            skip=""
            [[ $word == = ]] && skip=1
            continue
        fi
        case " $* " in *" $word "*) skip=1; continue ;; esac
        [[ $word == -* ]] || (( n++ ))
    done
    echo "$n"
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


def render(spec: list[Command]) -> str:
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
        elif option.metavar in DYNAMIC:
            action = _bash_dynamic(DYNAMIC[option.metavar])
        elif option.takes_files:
            action = '_orchdsl_files "$cur"'
        else:
            action = ":"  # a free value (a name, a number): nothing to offer
        lines.append(f"                {'|'.join(option.flags)}) {action}; return ;;")
    lines.append("            esac")
    flags = " ".join(flag for option in command.options for flag in option.flags)
    lines += ["            if [[ $cur == -* ]]; then",
              f'                COMPREPLY=($(compgen -W "{flags}" -- "$cur"))']
    positional = _bash_positional(command)
    if positional:
        lines += ["            else", f"                {positional}"]
    lines += ["            fi", "            ;;"]
    return "\n".join(lines) + "\n"


def _bash_dynamic(kind: str) -> str:
    return '_orchdsl_jobs "$cur"' if kind == "jobs" else f'_orchdsl_names {kind} "$cur"'


def _bash_positional(command: Command) -> str | None:
    positionals = command.positionals
    dynamic = [(i, DYNAMIC[p.metavar]) for i, p in enumerate(positionals) if p.metavar in DYNAMIC]
    if dynamic:  # a job id is the first argument of job and logs, not the second
        flags = " ".join(f for o in command.options if o.metavar for f in o.flags)
        cases = " ".join(f"{i}) {_bash_dynamic(kind)} ;;" for i, kind in dynamic)
        return f"case $(_orchdsl_nth {flags}) in {cases} esac"
    # Otherwise which positional the cursor is on is not worked out: every other command
    # takes at most one kind of completable argument (.orch files, or a shell name).
    for positional in positionals:
        if positional.takes_orch_files:
            return '_orchdsl_orch_files "$cur"'
        if positional.choices:
            return f'COMPREPLY=($(compgen -W "{" ".join(positional.choices)}" -- "$cur"))'
    return None
