"""A value given to a shell command reaches it as exactly that value and can never run as a
command, whatever quotes, backticks or substitutions surround the ``${...}``. Checked with the
real /bin/sh, through the same path the runner takes."""

from __future__ import annotations

import os
import subprocess

import pytest

from orchdsl.lang.parser import parse
from orchdsl.planning.build import template_of
from orchdsl.planning.interpolate import render
from orchdsl.planning.shell import command_for

VALUES = [
    "plain", "two words", "x; touch PWNED", "$(touch PWNED)", "`touch PWNED`", "it's",
    'say "hi"', "back\\slash", "dollar $HOME", "new\nline", "'; touch PWNED; '",
    '"; touch PWNED; "', "*", "-n", ")", "esac; touch PWNED;;",
]
# (the shell command as sh receives it, ${v} where the value goes; what sh prints)
CONTEXTS = [
    ("printf '%s|' ${v}", "{v}|"),
    ('printf "%s|" "${v}"', "{v}|"),
    ("printf '%s|' '${v}'", "{v}|"),
    ('printf "%s|" "a${v}b"', "a{v}b|"),
    ("printf '%s|' 'a${v}b'", "a{v}b|"),
    ('printf "%s|" "$(printf %s ${v})"', "{v}|"),
    ("printf '%s|' x${v}y", "x{v}y|"),
    ('printf "%s|" "`printf %s ${v}`"', "{v}|"),
    ('printf "%s|" "$(case a in a) printf %s ${v};; esac)"', "{v}|"),
]
# Contexts where sh itself would split the value into words (command substitution output
# unquoted): the value may be split, but must never run.
SPLITS = {'printf "%s|" "`printf %s ${v}`"', 'printf "%s|" "$(case a in a) printf %s ${v};; esac)"',
          'printf "%s|" "$(printf %s ${v})"'}


def orch_string(command: str) -> str:
    """The command written as a .orch string literal."""
    return '"' + command.replace("\\", "\\\\").replace('"', '\\"') + '"'


def command_of(template: str):
    source = f'orchestration "q" {{ param v = "" phase "p" {{ task t run {orch_string(template)} }} }}'
    result = parse(source)
    assert result.ok, result.diagnostics
    return template_of(result.document.orchestration.tasks[0].action.command)


def run(argv, env, folder):
    return subprocess.run(argv, cwd=folder, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=10)


@pytest.mark.parametrize("template,expected", CONTEXTS)
@pytest.mark.parametrize("value", VALUES)
def test_a_value_never_runs_and_arrives_whole(template, expected, value, tmp_path):
    command = command_for(command_of(template), {"v": value})
    done = run(command.argv, command.env, tmp_path)
    assert list(tmp_path.iterdir()) == [], f"{command} created files"
    if template not in SPLITS or value.split() == [value]:
        assert done.stdout == expected.format(v=value), command


@pytest.mark.parametrize("template,expected", CONTEXTS[:7])
@pytest.mark.parametrize("value", VALUES)
def test_the_shown_command_means_the_same(template, expected, value, tmp_path):
    """Dry runs show values written into the text, quoted for their place."""
    shown = render(command_of(template), {"v": value}, shell=True)
    done = run(["/bin/sh", "-c", shown], {}, tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert done.stdout == expected.format(v=value), shown


@pytest.mark.parametrize("template,argv", [
    ("true", ["true"]),
    ("python3 x.py --day ${v}", ["python3", "x.py", "--day", "a b; c"]),
    ("python3 x.py --day=${v}", ["python3", "x.py", "--day=a b; c"]),
    ("ls '${v} !'", ["ls", "a b; c !"]),
])
def test_plain_commands_run_without_a_shell(template, argv):
    command = command_for(command_of(template), {"v": "a b; c"})
    assert (command.argv, command.env) == (argv, {})


@pytest.mark.parametrize("template,text,env", [
    ("cd x && make", "cd x && make", {}),
    ("A=1 make", "A=1 make", {}),
    ("ls *", "ls *", {}),
    ("exit 3", "exit 3", {}),
    ("echo ${v} > out", 'echo "${__ORCHDSL_VALUE_1}" > out', {"__ORCHDSL_VALUE_1": "v1"}),
    ('echo "${v}" | tr a b', 'echo "${__ORCHDSL_VALUE_1}" | tr a b', {"__ORCHDSL_VALUE_1": "v1"}),
])
def test_commands_with_shell_syntax_run_with_sh_and_values_in_the_environment(template, text, env):
    command = command_for(command_of(template), {"v": "v1"})
    assert (command.argv, command.env) == (["/bin/sh", "-c", text], env)
