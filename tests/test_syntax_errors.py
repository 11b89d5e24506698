"""orchdsl.lang.syntax_errors (and the parser's own checks): syntax errors in plain words, at the
right line and column, with a hint where one is known. Every row is one E001."""

from __future__ import annotations

import pytest

from conftest import lark_token_names
from orchdsl.lang.parser import parse


def orch(body: str) -> str:
    return 'orchestration "O" {\n' + body + "}\n"


def phase(tasks: str) -> str:
    """A file with one phase "Extract" (line 2) whose tasks start on line 3, column 9."""
    return orch('    phase "Extract" {\n' + tasks + "    }\n")


ANY = None  # the help is not checked

# id, input, line, column, message fragment, help fragment
CASES = [
    ("misspelt task keyword", phase('        tsk crm extractor run "x"\n'),
     3, 9, 'expected a task or "}" after phase "Extract", found "tsk"', 'did you mean "task"?'),
    ("misspelt kind", phase('        task crm extracter run "x"\n'),
     3, 18, 'found "extracter"', 'did you mean "extractor"?'),
    ("misspelt kind, plural", phase('        task crm extractors run "x"\n'),
     3, 18, 'found "extractors"', 'did you mean "extractor"?'),
    ("misspelt phase keyword", orch('    phse "Extract" {\n    }\n'),
     2, 5, 'found "phse"', 'did you mean "phase"?'),
    ("misspelt phase keyword, plural", orch('    phases "Extract" {\n    }\n'),
     2, 5, 'found "phases"', 'did you mean "phase"?'),
    ("misspelt task keyword, plural", phase('        tasks crm run "x"\n'),
     3, 9, 'found "tasks"', 'did you mean "task"?'),
    ("misspelt action, plural", phase('        task crm runs "x"\n'),
     3, 18, 'found "runs"', 'did you mean "run"?'),
    ("misspelt orchestration keyword", 'orchestraton "O" {\n}\n',
     1, 1, 'expected "orchestration", found "orchestraton"', 'did you mean "orchestration"?'),
    ("something else where a task belongs", phase('        42\n'),
     3, 9, 'expected a task or "}" after phase "Extract", found the number 42', ANY),
    ("task outside a phase", orch('    task crm run "x"\n'),
     2, 5, 'found "task"', "tasks belong inside a phase"),
    ("unquoted string", orch('    phase Extract {\n    }\n'),
     2, 11, 'expected a string after "phase", found "Extract"',
     'strings are written in double quotes: "Extract"'),
    ("no action", phase('        task crm extractor\n'),
     4, 5, 'expected an action (run, call, orchestration) after "extractor", found "}"', ANY),
    ("argv without a comma", phase('        task crm run ["a" "b"]\n'),
     3, 27, 'expected "," or "]"', ANY),
    ("param without =", orch('    param day "x"\n'),
     2, 15, 'expected "="', ANY),
    ("unclosed string", phase('        task crm run "python3 crm.py\n'),
     3, 22, "unclosed string", '"""..."""'),
    ('unclosed """', orch('    description """never\n    closed\n'),
     2, 17, 'unclosed string: """ is never closed', 'end the string with """'),
    ("unknown escape", phase('        task crm run "a\\qb"\n'),
     3, 24, 'unknown escape "\\q" in string', "the escapes are"),
    ("unknown escape on the second line of a multi-line string",
     orch('    description """one\n  two \\d"""\n'),
     3, 7, 'unknown escape "\\d" in string', "the escapes are"),
    ("unclosed ${", phase('        task crm run "x --day ${day"\n'),
     3, 31, 'unclosed "${" in string', 'write "\\${" for a literal "${"'),
    ("invalid interpolation", phase('        task crm run "x ${two words}"\n'),
     3, 25, 'invalid interpolation "${two words}"', "${param_or_secret}"),
    ("reserved word as task name", phase('        task phase run "x"\n'),
     3, 14, '"phase" is a reserved word and cannot name a task', 'rename the task'),
    ("reserved word as param name", orch('    param env = "x"\n'),
     2, 11, '"env" is a reserved word and cannot name a param', 'rename the param'),
    ("unknown notify event", orch('    notify eror to "ops@example.com"\n'),
     2, 12, 'unknown event "eror"', 'did you mean "error"?'),
    ("unknown overlap mode", orch('    schedule "0 6 * * *" overlap queu\n'),
     2, 34, 'unknown overlap mode "queu"', 'did you mean "queue"?'),
    ("unknown catchup mode", orch('    schedule "0 6 * * *" catchup all\n'),
     2, 34, 'unknown catchup mode "all"', "none, last"),
    ("number without unit for a job timeout", orch('    timeout 30\n'),
     2, 13, 'expected a duration (like 30s, 10m or 1h30m) after "timeout", found the number 30',
     'give a unit: "30s"'),
    ("number without unit for a backoff", phase('        task crm run "x" retries 2 backoff 5\n'),
     3, 44, 'expected a duration', 'give a unit: "5s"'),
    ("keyword glued to its value", phase('        task crm run "x" timeout10m\n'),
     3, 26, 'found "timeout10m"', ANY),
    ("clause inside a phase", phase('        schedule "0 6 * * *"\n'),
     3, 9, 'found "schedule"', '"schedule" is an orchestration clause: it belongs outside phases'),
    ("end of file inside a phase", 'orchestration "O" {\n    phase "Extract" {\n',
     2, 22, 'unexpected end of file: expected a task or "}" after phase "Extract"',
     'a "{" is not closed'),
    ("end of file inside a task", 'orchestration "O" {\n    phase "Extract" {\n        task crm run "x"\n',
     3, 25, "unexpected end of file", 'a "{" is not closed'),
    ("empty file", "", 1, 1, "the file holds no orchestration", 'orchestration "Name" {'),
    ("only a comment", "# nothing yet\n", 1, 14, "the file holds no orchestration", ANY),
    ("junk word after the final }", orch("") + "junk\n",
     3, 1, "after the end of the orchestration", 'nothing may follow its closing "}"'),
    ("a second } after the final }", orch("") + "}\n",
     3, 1, "after the end of the orchestration", 'nothing may follow its closing "}"'),
    ("junk character after the final }", orch("") + "@\n",
     3, 1, 'unexpected character "@" after the end of the orchestration',
     'nothing may follow its closing "}"'),
    ("second orchestration in the file", orch("") + 'orchestration "P" {\n}\n',
     3, 1, "after the end of the orchestration", "a file holds one orchestration"),
    ("a number of ten digits", orch("    concurrency 1234567890\n"),
     2, 17, "number 1234567890... is too large (at most 9 digits)", None),
]


@pytest.mark.parametrize("text, line, column, message, help", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_syntax_error(text, line, column, message, help):
    diagnostics = [d for d in parse(text, "bad.orch").diagnostics if d.code == "E001"]
    assert diagnostics, "no syntax error reported"
    first = diagnostics[0]
    assert (first.span.line, first.span.column) == (line, column), first.message
    assert message in first.message
    if help is not ANY:
        assert first.help is not None and help in first.help, first.help
    assert first.severity.value == "error"
    assert first.span.path == "bad.orch"


@pytest.mark.parametrize("text", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_no_lark_token_name_in_a_message(text):
    for diagnostic in parse(text, "bad.orch").diagnostics:
        shown = diagnostic.message + " " + (diagnostic.help or "")
        assert lark_token_names(shown, text) == [], shown
        assert "Token(" not in shown and "Tree(" not in shown


@pytest.mark.parametrize("text", [
    phase('        task crm run "x" €\n'),
    phase('        task crm run "x" ~\n'),
], ids=["non-ASCII", "tilde"])
def test_unexpected_character_help_names_only_what_may_follow_there(text):
    # After a task's command only a task option, another task or "}" may follow: not a
    # schedule option, a clause, "{" or "]".
    (diagnostic,) = parse(text, "bad.orch").diagnostics
    assert diagnostic.message.startswith("unexpected character")
    for misplaced in ("schedule option", "a clause", '"{"', '"]"'):
        assert misplaced not in diagnostic.help


def test_only_the_first_grammar_error_is_reported():
    text = phase('        tsk a run "x"\n        tsk b run "y"\n')
    assert [d.span.line for d in parse(text, "bad.orch").diagnostics] == [3]


def test_the_span_of_a_misspelt_word_covers_the_word():
    (diagnostic,) = parse(phase('        task crm extracter run "x"\n'), "bad.orch").diagnostics
    assert (diagnostic.span.end_line, diagnostic.span.end_column) == (3, 27)
