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




def test_the_span_of_a_misspelt_word_covers_the_word():
    (diagnostic,) = parse(phase('        task crm extracter run "x"\n'), "bad.orch").diagnostics
    assert (diagnostic.span.end_line, diagnostic.span.end_column) == (3, 27)


def test_the_span_of_a_misspelt_word_is_the_word_in_a_condition_too():
    (diagnostic,) = parse(phase('        task crm run "x" when succeded(a)\n'), "bad.orch").diagnostics
    assert (diagnostic.span.line, diagnostic.span.column, diagnostic.span.end_column) == (3, 31, 39)


# -- messages that teach (issue 13, item 28) and the syntax of language 1.1: exact words ----------

T = '        task crm run "x" '

# id, input, line, column, the whole message, the whole help
EXACT = [
    ("retry for retries", phase(T + "retry 2\n"), 3, 26,
     'expected a task option (timeout, retries, continue_on_failure, disabled, cwd, env, needs, '
     'when, matrix, on, param), a task or "}" in task "crm", found "retry"',
     'did you mean "retries"?'),
    ("backoff before retries", phase(T + "backoff 30s retries 2\n"), 3, 26,
     'expected a task option (timeout, retries, continue_on_failure, disabled, cwd, env, needs, '
     'when, matrix, on, param), a task or "}" in task "crm", found "backoff"',
     '"backoff" goes right after the count of "retries": retries 2 backoff 30s'),
    ("tz for timezone", orch('    schedule "@daily" tz "Europe/Prague"\n'), 2, 23,
     "expected a clause (description, schedule, notify, concurrency, timeout, fail_fast, param, "
     'secret, phase), a schedule option (timezone, overlap, catchup) or "}" in orchestration '
     '"O", found "tz"', 'did you mean "timezone"?'),
    ("needs in brackets", phase(T + "needs [a, b]\n"), 3, 32,
     'expected a name after "needs", found "["', "list the tasks without brackets: needs a, b"),
    ("needs in quotes", phase(T + 'needs "a"\n'), 3, 32,
     'expected a name after "needs", found the string "a"', "names are written without quotes: a"),
    ("param default without quotes", orch("    param n = 5\n"), 2, 15,
     'expected a string after "=", found the number 5', 'strings are written in double quotes: "5"'),
    ("duration in quotes", phase(T + 'timeout "10m"\n'), 3, 34,
     'expected a duration (like 30s, 10m or 1h30m) after "timeout", found the string "10m"',
     "a duration is written without quotes: 10m"),
    ("double-slash comment", orch("    // a comment\n"), 2, 5,
     'unexpected character "/"', 'comments start with "#": # a comment'),
    ("single-quoted string", orch("    description 'nightly'\n"), 2, 17,
     "unexpected character \"'\"", 'strings are written in double quotes: "nightly"'),
    ("missing } before the next phase",
     orch('    phase "A" {\n        task a run "x"\n    phase "B" {\n        task b run "y"\n    }\n'),
     2, 15, 'phase "A" is not closed: this "{" has no "}"',
     'add "}" to end phase "A" before line 4'),
    ("a backslash in a string", phase('        task crm run "sed s/\\./,/"\n'), 3, 29,
     'unknown escape "\\." in string',
     'the escapes are \\" \\\\ \\n \\t \\$; write "\\\\" for a backslash, or use a raw string, '
     'r"...", in which a backslash is itself'),
    ("argv items without a comma", phase('        task crm run ["a" "b"]\n'), 3, 27,
     'expected "," or "]" in task "crm", found the string "b"',
     'separate the items of a list with ",": ["a", "b"]'),
    ("a fraction where a count belongs", orch("    concurrency 1.5\n"), 2, 18,
     'unexpected character "."', "a number has no fraction here"),
    # conditions
    ("when with nothing after it", phase(T + "when\n"), 4, 5,
     'expected a condition (like params.day == "monday", succeeded() or not failed(crm)) after '
     '"when", found "}"',
     'write a condition after "when", like when succeeded(crm) or when params.day == "monday"'),
    ("a phase's when with nothing after it", orch('    phase "P" when {\n    }\n'), 2, 20,
     'expected a condition (like params.day == "monday", succeeded() or not failed(crm)) after '
     '"when", found "{"',
     'write a condition after "when", like when succeeded(crm) or when params.day == "monday"'),
    ("chained comparison", phase(T + "when params.a < params.b < 3\n"), 3, 51,
     'comparisons cannot be chained: "<" after "params.a < params.b"',
     "compare two values at a time and join them: params.a < params.b and params.b < 3"),
    ("= for ==", phase(T + 'when params.day = "monday"\n'), 3, 42,
     'expected a task option (timeout, retries, continue_on_failure, disabled, cwd, env, needs, '
     'when, matrix, on, param), "and", a comparison (==, !=, <, <=, >, >=), "or", a task or "}" '
     'in task "crm", found "="', 'compare with "==" (one "=" gives a value to a name)'),
    ("a bare name in a condition", phase(T + 'when day == "monday"\n'), 3, 31,
     'expected a condition (like params.day == "monday", succeeded() or not failed(crm)) after '
     '"when", found "day"',
     "a condition reads a param as params.day, a variable as env.day, an output as "
     "tasks.day.outputs.<name>"),
    ("&& for and", phase(T + 'when params.a == "1" && params.b == "2"\n'), 3, 47,
     'unexpected character "&"', 'write "and" instead of "&&"'),
    ("misspelt reference root", phase(T + 'when param.day == "x"\n'), 3, 31,
     'unknown reference "param.day"',
     'did you mean "params"? (a condition reads params.<name>, env.<variable>, '
     "tasks.<task>.outputs.<name>, tasks.<task>.state, job.id, job.fire_time or job.fire_date)"),
    ("task reference without outputs", phase(T + "when tasks.crm.rows > 0\n"), 3, 31,
     '"tasks.crm.rows" is not a reference to a task',
     "a task is read as tasks.<task>.outputs.<name> or tasks.<task>.state"),
    ("unknown job value", phase(T + 'when job.start == "x"\n'), 3, 31,
     'unknown job value "job.start"', "the job values are job.id, job.fire_time and job.fire_date"),
    ("misspelt status function", phase(T + "when succeded(a)\n"), 3, 31,
     'expected a condition (like params.day == "monday", succeeded() or not failed(crm)) after '
     '"when", found "succeded"', 'did you mean "succeeded"?'),
    ("always with an argument", phase(T + "when always(a)\n"), 3, 31,
     "always() takes no arguments",
     "write always(); succeeded(...) and failed(...) take tasks and phases"),
    ("an interpolation in a condition", phase(T + 'when "${day}" == "monday"\n'), 3, 32,
     '"${day}" is not replaced in a condition',
     "compare the value itself: params.day (a param) or env.day"),
    ("TRUE for true", phase(T + "when TRUE\n"), 3, 31,
     'expected a condition (like params.day == "monday", succeeded() or not failed(crm)) after '
     '"when", found "TRUE"', 'did you mean "true"? (keywords are lowercase)'),
    ("a condition nested too deeply", phase(T + "when " + "not " * 40 + "true\n"), 3, 31,
     "this condition is nested too deeply (at most 32 levels)",
     "split it, or give the parts to tasks of their own"),
    # matrix (an empty list is E120, for lint)
    ("unclosed matrix list", phase(T + 'matrix region = ["eu", "us"\n'), 4, 5,
     'expected "," or "]" in task "crm", found "}"', 'close the list with "]"'),
    ("matrix from a param", phase(T + "matrix day from params.days\n"), 3, 42,
     'a matrix takes its values from an output, not from "params.days"',
     'write matrix <name> from tasks.<task>.outputs.<output>, or list the values: '
     'matrix <name> = ["a", "b"]'),
    ("matrix with a reserved name", phase(T + 'matrix task = ["a"]\n'), 3, 33,
     '"task" is a reserved word and cannot name a matrix',
     'rename the matrix, for example "task_matrix"'),
    # interpolations and raw strings
    ("output interpolation without outputs", phase('        task crm run "x ${tasks.a.rows}"\n'),
     3, 25, 'invalid interpolation "${tasks.a.rows}"',
     "an output of a task is read as ${tasks.<task>.outputs.<name>}"),
    ("param interpolation with params.", phase('        task crm run "x ${params.day}"\n'),
     3, 25, 'invalid interpolation "${params.day}"', 'a param is written without "params.": ${day}'),
    ("unknown job interpolation", phase('        task crm run "x ${job.start}"\n'), 3, 25,
     'invalid interpolation "${job.start}"',
     "the job values are ${job.id}, ${job.fire_time} and ${job.fire_date}"),
    ("unclosed ${ in a raw string", phase('        task crm run r"x ${day"\n'), 3, 26,
     'unclosed "${" in string', 'close it with "}", or write "$${" for a literal "${"'),
]


@pytest.mark.parametrize("text, line, column, message, help", [c[1:] for c in EXACT],
                         ids=[c[0] for c in EXACT])
def test_syntax_error_in_exact_words(text, line, column, message, help):
    (diagnostic,) = parse(text, "bad.orch").diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E001", line, column)
    assert (diagnostic.message, diagnostic.help) == (message, help)


@pytest.mark.parametrize("text", [c[1] for c in EXACT], ids=[c[0] for c in EXACT])
def test_no_lark_token_name_in_a_new_message(text):
    for diagnostic in parse(text, "bad.orch").diagnostics:
        shown = diagnostic.message + " " + (diagnostic.help or "")
        assert lark_token_names(shown, text) == [], shown


def test_a_missing_brace_notes_where_the_next_phase_was_found():
    text = orch('    phase "A" {\n        task a run "x"\n    phase "B" {\n    }\n')
    (diagnostic,) = parse(text, "bad.orch").diagnostics
    assert [(n.message, n.span.line, n.span.column) for n in diagnostic.notes] == [
        ('"phase" found inside the phase', 4, 5)]


def test_the_end_of_the_file_notes_the_brace_that_is_still_open():
    text = 'orchestration "O" {\n    phase "A" {\n    }\n    phase "B" {\n        task b run "y"\n'
    (diagnostic,) = parse(text, "bad.orch").diagnostics
    assert diagnostic.message.startswith("unexpected end of file")
    assert [(n.message, n.span.line, n.span.column) for n in diagnostic.notes] == [
        ('the "{" of this phase is still open', 4, 15)]


# -- not syntax errors: durations without a unit or with a fraction are E106 (issue 13, 21) --------

@pytest.mark.parametrize("text, line, column, message, help", [
    (orch("    timeout 15\n"), 2, 13, 'duration "15" has no unit', 'give a unit: "15s", "15m" or "15h"'),
    (phase('        task crm run "x" retries 2 backoff 5\n'), 3, 44, 'duration "5" has no unit',
     'give a unit: "5s", "5m" or "5h"'),
    (orch("    timeout 1.5h\n"), 2, 13,
     'duration "1.5h" has a fraction; each part is a whole number', 'write "1h30m"'),
    (orch('    notify processing after 2.5d to "a@example.com"\n'), 2, 29,
     'duration "2.5d" has a fraction; each part is a whole number', 'write "2d12h"'),
    (orch("    timeout 90min\n"), 2, 13, 'unknown unit "min" in duration "90min" (units: ms s m h d)',
     'write "90m"'),
    (orch("    timeout 30m1h\n"), 2, 13, 'units of duration "30m1h" must go from the largest to '
     "the smallest, each once (like 1h30m)", 'write "1h30m"'),
], ids=["no unit", "backoff without a unit", "fraction", "fraction of days", "minutes as min",
        "units in the wrong order"])
def test_a_duration_that_parses_but_is_invalid_is_e106(text, line, column, message, help):
    from orchdsl.check.linter import lint_source

    found = [(d.code, d.span.line, d.span.column, d.message, d.help)
             for d in lint_source(text, "bad.orch") if d.code in ("E001", "E106")]
    assert found == [("E106", line, column, message, help)]


# -- the hints of three lint rules that the new syntax touches (issue 13, items 24 and 28) --------

@pytest.mark.parametrize("text, code, line, column, message, help", [
    (phase('        task crm run "cp x ${HOME}/y"\n'), "E107", 3, 28,
     '"${HOME}" is not a param or secret',
     "the shell reads its variable as $HOME (or \\${HOME}), orchdsl reads the environment as "
     '${env.HOME}; or declare it with param HOME = "..." or secret HOME'),
    (phase('        task crm run ["cp", "${HOME}/y"]\n'), "E107", 3, 30,
     '"${HOME}" is not a param or secret',
     'declare it with param HOME = "..." or secret HOME, or read the environment with '
     "${env.HOME}"),
    (orch('    phase "A" {\n        task a run "x"\n        task b run "y"\n    }\n'
          '    phase "B" {\n        task c run "z" needs a needs b\n    }\n'), "E112", 7, 32,
     '"needs" may appear once per task (task "c")', "list them in one: needs a, b"),
    (phase('        task c orchestration "c.orch" param n = "1" param m = "2" param n = "3"\n'),
     "E112", 3, 67, 'param n is set twice in task "c"', "remove one of them"),
], ids=["a shell command", "an argv item", "needs twice", "a task's param twice"])
def test_lint_hints(text, code, line, column, message, help):
    from orchdsl.check.linter import lint_source

    found = [(d.span.line, d.span.column, d.message, d.help)
             for d in lint_source(text, "x.orch") if d.code == code]
    assert found == [(line, column, message, help)]


def with_param(tasks: str) -> str:
    return orch('    param day = "x"\n    phase "Extract" {\n' + tasks + "    }\n")


@pytest.mark.parametrize("text", [
    with_param('        task crm run r"sed s/\\./,/ ${day} $HOME"\n'),
    with_param('        task crm run "x" when params.day == "1"\n'),
    orch('    phase "P" when params.day == "1" {\n        task crm run "x"\n    }\n'
         '    param day = "x"\n'),
    phase('        task crm run "x ${file} ${job.id}" matrix file = ["a"]\n'),
    phase('        task crm run "x ${a} ${b}" matrix a = ["1"] matrix b = ["2"]\n'),
], ids=["a raw string", "a param read by a task's condition", "by a phase's condition",
        "a matrix value and a job value", "two matrices"])
def test_lint_is_quiet_about_the_new_forms(text):
    from orchdsl.check.linter import lint_source

    assert [(d.code, d.message) for d in lint_source(text, "x.orch")
            if d.code in ("E001", "E107", "E112", "W206")] == []
