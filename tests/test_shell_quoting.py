"""A value filled into a shell command reaches the command as exactly that value, whatever
quotes surround the ``${...}``: checked with the real /bin/sh."""

from __future__ import annotations

import subprocess

import pytest

from orchdsl.parser import parse
from orchdsl.interpolate import render

VALUES = [
    "plain", "two words", "x; touch PWNED", "$(touch PWNED)", "`touch PWNED`", "it's",
    'say "hi"', "back\\slash", "dollar $HOME", "new\nline", "'; touch PWNED; '", '"; touch PWNED; "',
    "", "*", "-n",
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
]


def orch_string(command: str) -> str:
    """The command written as a .orch string literal."""
    return '"' + command.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize("template,expected", CONTEXTS)
@pytest.mark.parametrize("value", VALUES)
def test_the_shell_sees_exactly_the_value(template, expected, value, tmp_path):
    source = f'orchestration "q" {{ param v = "" phase "p" {{ task t run {orch_string(template)} }} }}'
    result = parse(source)
    assert result.ok, result.diagnostics
    command = render(result.document.orchestration.tasks[0].action.command, {"v": value}, {},
                     shell=True)
    done = subprocess.run(["/bin/sh", "-c", command], cwd=tmp_path, capture_output=True,
                          text=True, timeout=10)
    assert done.stdout == expected.format(v=value), command
    assert list(tmp_path.iterdir()) == [], f"{command!r} created files"
