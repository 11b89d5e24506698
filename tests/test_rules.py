"""orchdsl.check.rules: one row per rule code, with a file that triggers it at a known place and a
clean counterpart that must not."""

from __future__ import annotations

import pytest

from orchdsl.check.linter import lint_paths
from orchdsl.check.rules import all_rules


def orch(body: str) -> str:
    return 'orchestration "O" {\n' + body + "}\n"


EXTRACT = '    phase "Extract" {\n        task a extractor run "x"\n    }\n'  # lines n..n+2
NOTIFY = '    notify error to "ops@example.com"\n'


def phase(tasks: str, name: str = "Extract") -> str:
    return f'    phase "{name}" {{\n' + tasks + "    }\n"


def nested(target: str, name: str = "A") -> str:
    return (f'orchestration "{name}" {{\n    phase "Run" {{\n'
            f'        task child orchestration "{target}"\n    }}\n}}\n')


LEAF = orch(EXTRACT)

# code, files (text of a.orch, or {name: text}), line, column, message fragment, clean files
RULES = [
    ("E101", orch(phase('        task a extractor run "x"\n        task a extractor run "y"\n')),
     4, 14, 'duplicate task "a"',
     orch(phase('        task a extractor run "x"\n        task b extractor run "y"\n'))),
    ("E101", orch(EXTRACT + phase('        task a writer run "y"\n', "Write")),
     6, 14, 'duplicate task "a"',
     orch(EXTRACT + phase('        task b writer run "y"\n', "Write"))),
    ("E102", orch(EXTRACT + phase('        task b extractor run "y"\n')),
     5, 11, 'duplicate phase "Extract"',
     orch(EXTRACT + phase('        task b extractor run "y"\n', "Extract more"))),
    ("E103", orch('    schedule "0 25 * * *"\n' + NOTIFY + EXTRACT),
     2, 14, 'invalid cron "0 25 * * *"', orch('    schedule "0 6 * * 1-5"\n' + NOTIFY + EXTRACT)),
    ("E103", orch('    schedule "0 0 30 2 *"\n' + NOTIFY + EXTRACT),
     2, 14, "never fires", orch('    schedule "0 0 28 2 *"\n' + NOTIFY + EXTRACT)),
    ("E103", orch('    schedule "0 6 * * mon-fri *"\n' + NOTIFY + EXTRACT),
     2, 14, "invalid cron", orch('    schedule "*/10 * * * * *"\n' + NOTIFY + EXTRACT)),
    ("E103", orch('    schedule "@fortnightly"\n' + NOTIFY + EXTRACT),
     2, 14, "invalid cron", orch('    schedule "@weekly"\n' + NOTIFY + EXTRACT)),
    ("E104", orch('    schedule "0 6 * * *" timezone "Europe/Praha"\n' + NOTIFY + EXTRACT),
     2, 35, 'unknown time zone "Europe/Praha"',
     orch('    schedule "0 6 * * *" timezone "Europe/Prague"\n' + NOTIFY + EXTRACT)),
    ("E105", orch('    notify error to "ops at example.com"\n' + EXTRACT),
     2, 21, '"ops at example.com" is neither an e-mail address nor an http(s) URL',
     orch('    notify error to "ops@example.com", "https://hooks.example.com/orch"\n' + EXTRACT)),
    ("E105", orch('    notify error to "ops@example.com", "ftp://hooks.example.com/x"\n' + EXTRACT),
     2, 40, "http:// or https://",
     orch('    notify error to "ops@example.com", "http://hooks.example.com/x"\n' + EXTRACT)),
    ("E106", orch("    timeout 0s\n" + EXTRACT),
     2, 13, '"timeout" must be longer than zero', orch("    timeout 1h30m\n" + EXTRACT)),
    ("E106", orch("    timeout 30m1h\n" + EXTRACT),
     2, 13, "from the largest to the smallest", orch("    timeout 1h30m\n" + EXTRACT)),
    ("E106", orch("    timeout 1234567890s\n" + EXTRACT),  # leading zeros do not count
     2, 13, "at most 9 digits a part", orch("    timeout 000000000123456789s\n" + EXTRACT)),
    ("E106", orch(phase('        task a extractor run "x" retries 1 backoff 90x\n')),
     3, 52, 'unknown unit "x"', orch(phase('        task a extractor run "x" retries 1 backoff 90s\n'))),
    ("E107", orch(phase('        task a extractor run "x --day ${day}"\n')),
     3, 39, '"${day}" is not a param or secret',
     orch('    param day = "today"\n' + phase('        task a extractor run "x --day ${day}"\n'))),
    ("E107", orch('    secret TOKEN\n' + phase('        task a extractor run "x" env T = "${TOKN}"\n')),
     4, 43, '"${TOKN}" is not a param or secret',
     orch('    secret TOKEN\n' + phase('        task a extractor run "x" env T = "${TOKEN}"\n'))),
    ("E107", orch(phase('        task a extractor run ["x", "${day}"]\n')),
     3, 37, '"${day}" is not a param or secret',
     orch(phase('        task a extractor run ["x", "${env.day}", "\\${day}"]\n'))),
    ("E108", nested("missing.orch"), 3, 34, 'nested orchestration "missing.orch" not found',
     {"a.orch": nested("b.orch"), "b.orch": LEAF}),
    ("E109", {"a.orch": nested("b.orch"), "b.orch": nested("a.orch", "B")},
     3, 34, "nested orchestrations form a cycle: a.orch -> b.orch -> a.orch",
     {"a.orch": nested("b.orch"), "b.orch": nested("c.orch", "B"), "c.orch": LEAF}),
    ("E109", nested("a.orch"), 3, 34, "a.orch -> a.orch",
     {"a.orch": nested("b.orch"), "b.orch": LEAF}),
    ("E110", orch(phase('        task a extractor run "x" needs b\n        task b extractor run "y"\n')),
     3, 40, 'task "a" needs "b" of the same phase',
     orch(phase('        task b extractor run "y"\n')
          + phase('        task a transformation run "x" needs b\n', "Transform"))),
    ("E110", orch(EXTRACT + phase('        task b writer run "y" needs c\n', "Write")),
     6, 37, 'needs unknown task "c"',
     orch(EXTRACT + phase('        task b writer run "y" needs a\n', "Write"))),
    ("E110", orch(phase('        task a extractor run "x" needs a\n')),
     3, 40, 'task "a" cannot need itself', LEAF),
    ("E111", orch(phase('        task a extractor call "m.n.f"\n')),
     3, 31, 'call target "m.n.f" is not of the form module.path:function',
     orch(phase('        task a extractor call "m.n:f"\n'))),
    ("E111", {"a.orch": orch(phase('        task a extractor call "steps:go"\n')),
              "steps.py": "def gone():\n    pass\n"},
     3, 31, "module steps (steps.py) has no function go",
     {"a.orch": orch(phase('        task a extractor call "steps:go"\n')),
      "steps.py": "def gone():\n    pass\ngo = gone\n"}),
    ("E111", {"a.orch": orch(phase('        task a extractor call "steps:go"\n')),
              "steps.py": "def go(:\n    pass\n"},
     3, 31, "module steps does not parse: steps.py:1:8",
     {"a.orch": orch(phase('        task a extractor call "steps:go"\n')),
      "steps.py": "def go():\n    pass\n"}),
    ("E112", orch('    description "a"\n    description "b"\n' + EXTRACT),
     3, 5, '"description" may appear once per orchestration',
     orch('    description "a"\n' + EXTRACT)),
    ("E112", orch(phase('        task a extractor run "x" timeout 10m timeout 5m\n')),
     3, 46, '"timeout" may appear once per task', orch(phase('        task a extractor run "x" timeout 5m\n'))),
    ("E112", orch(phase('        task a extractor run "x" env A = "1" env A = "2"\n')),
     3, 46, "env A is set twice", orch(phase('        task a extractor run "x" env A = "1" env B = "2"\n'))),
    ("E113", orch('    notify error, processing after 30m to "ops@example.com"\n' + EXTRACT),
     2, 12, '"after" applies only to "processing", not to "error"',
     orch(NOTIFY + '    notify processing after 30m to "ops@example.com"\n' + EXTRACT)),
    ("E114", orch('    param x = "1"\n    secret x\n' + EXTRACT),
     3, 12, '"x" is already declared as a param',
     orch('    param x = "1"\n    secret y\n' + EXTRACT)),
    ("E115", orch("    concurrency 0\n" + EXTRACT),
     2, 17, "concurrency must be at least 1", orch("    concurrency 4\n" + EXTRACT)),
    ("W201", orch(phase("")), 2, 11, 'phase "Extract" has no task', LEAF),
    ("W201", orch(phase('        task a extractor run "x" disabled\n')),
     2, 11, "has only disabled tasks",
     orch(phase('        task a extractor run "x" disabled\n        task b extractor run "y"\n'))),
    ("W202", orch(EXTRACT + phase('        task b extractor run "y"\n', "Extract more")),
     1, 15, "each of the 2 phases holds a single task",
     orch(phase('        task a extractor run "x"\n        task b extractor run "y"\n'))),
    ("W203", orch(phase('        task a writer run "x"\n', "Write") + EXTRACT.replace("task a", "task b")),
     6, 16, 'extractor task "b" runs after writer phase "Write"',
     orch(EXTRACT + phase('        task b writer run "x"\n', "Write"))),
    ("W204", orch('    schedule "0 6 * * *"\n' + EXTRACT),
     2, 5, "scheduled orchestration has no error notification",
     orch('    schedule "0 6 * * *"\n' + NOTIFY + EXTRACT)),
    ("W204", orch('    schedule "0 6 * * *"\n    notify warning to "ops@example.com"\n' + EXTRACT),
     2, 5, "no error notification",
     orch('    schedule "0 6 * * *"\n    notify warning, error to "ops@example.com"\n' + EXTRACT)),
    ("W205", orch(phase('        task a extractor run "x" disabled\n        task b extractor run "y"\n')),
     3, 14, 'task "a" is disabled',
     orch(phase('        task a extractor run "x"\n        task b extractor run "y"\n'))),
    ("W206", orch('    param day = "today"\n' + EXTRACT), 2, 11, 'param "day" is never used',
     orch('    param day = "today"\n' + phase('        task a extractor run "x ${day}"\n'))),
    ("W206", orch('    param day = "today"\n' + EXTRACT), 2, 11, 'param "day" is never used',
     orch('    param day = "today"\n' + phase('        task a extractor call "m:f"\n'))),
    ("W207", orch('    schedule "30 2 * * *" timezone "Europe/Prague"\n' + NOTIFY + EXTRACT),
     2, 14, "daylight saving time",
     orch('    schedule "30 2 * * *" timezone "UTC"\n' + NOTIFY + EXTRACT)),
    ("W207", orch('    schedule "0 0 1 * * *" timezone "America/Chicago"\n' + NOTIFY + EXTRACT),
     2, 14, "daylight saving time repeats",
     orch('    schedule "0 0 4 * * *" timezone "America/Chicago"\n' + NOTIFY + EXTRACT)),
    ("W208", orch('    schedule "0 6 * * *"\n' + NOTIFY
                  + phase('        task a extractor run "x" retries 2 backoff 30s\n')),
     5, 34, 'task "a" retries but has no timeout',
     orch('    schedule "0 6 * * *"\n' + NOTIFY
          + phase('        task a extractor run "x" retries 2 backoff 30s timeout 10m\n'))),
    ("W208", orch('    schedule "0 6 * * *"\n' + NOTIFY
                  + phase('        task a extractor run "x" retries 2\n')),
     5, 34, "retries but has no timeout",
     orch(phase('        task a extractor run "x" retries 2\n'))),
    ("W209", orch('    description "nothing to do"\n'), 1, 15, 'orchestration "O" has no phase', LEAF),
    ("E116", orch(phase('        task a extractor run "  "\n')), 3, 30, 'task "a" has an empty command',
     LEAF),
    ("W212", orch('    secret TOKEN\n' + phase('        task a extractor run "x --token ${TOKEN}"\n')),
     4, 41, 'secret "TOKEN" is passed on the command line of task "a"',
     orch('    secret TOKEN\n'
          + phase('        task a extractor run "x" env T = "${TOKEN}" cwd "${TOKEN}"\n'))),
    ("W212", orch('    secret TOKEN\n' + phase('        task a extractor run ["x", "--t=${env.TOKEN}"]\n')),
     4, 41, "where any user of the machine can read it",
     orch('    secret TOKEN\n    param p = "v"\n'
          + phase('        task a extractor run ["x", "${p}", "${env.OTHER}", "\\${TOKEN}"]\n'))),
    ("W213", orch(phase('        task a extractor call "m:f" cwd "out"\n')),
     3, 37, 'cwd does not apply to call task "a"', orch(phase('        task a extractor call "m:f"\n'
                                                             '        task b extractor run "x" cwd "out"\n'))),
    ("W213", orch(phase('        task a extractor call "m:f" env MODE = "full"\n')),
     3, 37, 'env MODE does not apply to call task "a"',
     orch('    param mode = "full"\n' + phase('        task a extractor call "m:f"\n'))),
    ("E121", {"a.orch": orch('    param day = "mon"\n' + phase('        task a extractor call "steps:go"\n')),
              "steps.py": "def go(day, region, mode='x'):\n    pass\n"},
     4, 31, 'go() needs "region", which no param of the file gives',
     {"a.orch": orch('    param day = "mon"\n    param region = "eu"\n'
                     + phase('        task a extractor call "steps:go"\n')),
      "steps.py": "def go(day, region, mode='x'):\n    pass\n"}),
    ("E121", {"a.orch": orch(phase('        task a extractor call "pkg.steps:go"\n')),
              "pkg/__init__.py": "", "pkg/steps.py": "async def go(*, day, **rest):\n    pass\n"},
     3, 31, 'go() needs "day"',
     {"a.orch": orch(phase('        task a extractor call "pkg.steps:go"\n')),
      "pkg/__init__.py": "", "pkg/steps.py": "async def go(*, day='mon', **rest):\n    pass\n"}),
    ("E121", {"a.orch": orch('    param a = "1"\n' + phase('        task a extractor call "steps:go"\n')),
              "steps.py": "def go(a, /):\n    pass\n"},
     4, 31, 'go() takes "a" positionally, which a call never gives',
     {"a.orch": orch('    param a = "1"\n' + phase('        task a extractor call "steps:go"\n')),
      "steps.py": "def go(a):\n    pass\n"}),
    # Language 1.1: one row each here; tests/test_rules_1_1.py has their tables.
    ("E118", orch(phase('        task a extractor run "x"\n'
                        '        task b writer run "y ${tasks.a.outputs.rows}"\n')),
     4, 30, 'task "b" reads an output of "a" of the same phase',
     orch(EXTRACT + phase('        task b writer run "y ${tasks.a.outputs.rows}"\n', "Write"))),
    ("E119", orch(EXTRACT + phase('        task b writer run "y" when failed(c)\n', "Write")),
     6, 43, 'the condition of task "b" names "c", which is no task',
     orch(EXTRACT + phase('        task b writer run "y" when failed(a)\n', "Write"))),
    ("E120", orch(phase('        task a extractor run "x ${r}" matrix r = []\n')),
     3, 39, 'matrix "r" of task "a" has no value',
     orch(phase('        task a extractor run "x ${r}" matrix r = ["eu"]\n'))),
    ("W211", orch(phase('        task a extractor run "x" when 1 == 1\n')),
     3, 39, 'the condition of task "a" is always true',
     orch(phase('        task a extractor run "x" when always()\n'))),
    ("E122", orch(phase('        task a extractor run "x" on ""\n')),
     3, 37, 'task "a" has an empty placement label',
     orch(phase('        task a extractor run "x" on "gpu"\n'))),
    ("W210", orch(phase('        task a extractor run "x" disabled  # orchdsl: ignore[W2O5]\n'
                        '        task b extractor run "y"\n')),
     3, 44, 'ignore comment names "W2O5", which is no rule',
     orch(phase('        task a extractor run "x" disabled  # orchdsl: ignore[W205]\n'
                '        task b extractor run "y"\n'))),
]


def lint_files(folder, files) -> list:
    """Write the files into ``folder`` (the current directory) and lint a.orch."""
    if isinstance(files, str):
        files = {"a.orch": files}
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    report = lint_paths(["a.orch"])
    assert not report.unreadable
    return report.diagnostics


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _row_id(row) -> str:
    return f"{row[0]}-{row[4][:40]}"


@pytest.mark.parametrize("code, files, line, column, message, clean", RULES,
                         ids=[_row_id(r) for r in RULES])
def test_rule_reports_at_its_place(in_tmp, code, files, line, column, message, clean):
    found = [d for d in lint_files(in_tmp, files) if d.code == code]
    assert found, f"{code} not reported"
    assert [(d.span.line, d.span.column) for d in found][:1] == [(line, column)], found[0].message
    assert message in found[0].message
    assert found[0].severity.value == ("error" if code.startswith("E") else "warning")
    assert found[0].span.path == "a.orch"


@pytest.mark.parametrize("code, files, line, column, message, clean", RULES,
                         ids=[_row_id(r) for r in RULES])
def test_rule_is_quiet_on_the_clean_counterpart(in_tmp, code, files, line, column, message, clean):
    found = [f"{d.span.line}:{d.span.column} {d.message}" for d in lint_files(in_tmp, clean)
             if d.code == code]
    assert found == []


def test_every_rule_has_a_row():
    codes = set(all_rules()) - {"E001"}
    assert codes == {row[0] for row in RULES}
    assert {f"E1{n:02d}" for n in range(1, 16)} | {f"W2{n:02d}" for n in range(1, 10)} <= codes


# -- duplicates: at the second definition, with a note at the first -----------------------------

DUPLICATES = [
    # code, text, (line, column) of the second, (line, column) of the first
    ("E101", orch(EXTRACT + phase('        task a writer run "y"\n', "Write")), (6, 14), (3, 14)),
    ("E102", orch(EXTRACT + phase('        task b extractor run "y"\n')), (5, 11), (2, 11)),
    ("E112", orch('    timeout 1h\n' + EXTRACT + '    timeout 2h\n'), (6, 5), (2, 5)),
    ("E114", orch('    secret x\n    secret x\n' + EXTRACT), (3, 12), (2, 12)),
]


@pytest.mark.parametrize("code, text, second, first", DUPLICATES, ids=[d[0] for d in DUPLICATES])
def test_duplicate_is_reported_at_the_second_definition_with_a_note_at_the_first(
        in_tmp, code, text, second, first):
    (diagnostic,) = [d for d in lint_files(in_tmp, text) if d.code == code]
    assert (diagnostic.span.line, diagnostic.span.column) == second
    (note,) = diagnostic.notes
    assert (note.span.path, note.span.line, note.span.column) == ("a.orch", *first)
    assert note.message.startswith("first")


def test_nested_cycle_is_reported_at_the_orchestration_task_of_each_file(in_tmp):
    lint_files(in_tmp, {"a.orch": nested("b.orch"), "b.orch": nested("a.orch", "B")})
    report = lint_paths(["."])
    cycles = sorted((d.span.path, d.message) for d in report.diagnostics if d.code == "E109")
    assert [message.rsplit(": ", 1)[1] for _, message in cycles] == [
        "a.orch -> b.orch -> a.orch", "b.orch -> a.orch -> b.orch"]


def test_nested_file_is_found_relative_to_the_file_that_names_it(in_tmp):
    (in_tmp / "sub").mkdir()
    (in_tmp / "sub" / "b.orch").write_text(LEAF, encoding="utf-8")
    (in_tmp / "sub" / "a.orch").write_text(nested("b.orch"), encoding="utf-8")
    report = lint_paths(["sub/a.orch"])
    assert [d.code for d in report.diagnostics] == []


def test_e107_is_not_added_to_an_interpolation_that_is_already_a_syntax_error(in_tmp):
    # "${}" is an E001 (invalid interpolation); a second finding with a hint built from an
    # empty name ('declare it with param  = "..." or secret , ...') only adds noise.
    found = lint_files(in_tmp, orch(phase('        task a extractor run "x ${}"\n')))
    assert [(d.code, d.span.line, d.span.column) for d in found] == [("E001", 3, 33)]


# -- documentation ------------------------------------------------------------------------------

RULE_CODES = sorted(all_rules())


@pytest.mark.parametrize("code", RULE_CODES)
def test_rule_docstring_has_a_bad_and_a_good_example(code):
    doc = all_rules()[code].doc
    assert "Bad:" in doc and "Good:" in doc
    assert doc.index("Bad:") < doc.index("Good:")
    assert doc.split("\n\n", 1)[0].strip(), "the first paragraph is the rule's summary"


def without_markup(doc: str) -> str:
    """The docstring as a terminal should show it: ``code`` and **bold** as plain words."""
    return doc.replace("**seconds first**", "seconds first").replace("``", "")


@pytest.mark.parametrize("code", RULE_CODES)
def test_explain_prints_the_docstring(orchdsl, code):
    rule = all_rules()[code]
    result = orchdsl("lint", "--explain", code)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout.startswith(f"{code} ({rule.slug}), {rule.severity.value}\n")
    assert without_markup(rule.doc) in result.stdout
    assert "``" not in result.stdout


def test_explain_prints_plain_text_for_a_terminal(orchdsl):
    assert orchdsl("lint", "--explain", "E107").stdout == (
        "E107 (unknown-interpolation), error\n\n"
        "${name} in a task's command, argv, cwd, env or param value names no\n"
        "param and no secret of the file and no matrix of the task. ${env.NAME}\n"
        "reads the runner's environment and is always allowed, as are ${job.id},\n"
        "${job.fire_time} and ${job.fire_date} (outputs, ${tasks...}, are E118's);\n"
        "\\${ writes a literal ${.\n\n"
        "Bad:\n"
        '    param day = "today"\n'
        "    ...\n"
        '    task crm extractor run "python crm.py --day ${date}"\n\n'
        "Good:\n"
        '    task crm extractor run "python crm.py --day ${day}"\n')
    assert "A schedule's cron is not valid: 5 fields (minute hour day month weekday), 6 fields\n" \
           "with seconds first (*/10 * * * * * is every 10 s), or one of @hourly @daily\n" \
           "@weekly @monthly @yearly; or it can never fire (0 0 30 2 *)." in orchdsl(
               "lint", "--explain", "E103").stdout


def test_explain_accepts_a_lowercase_code(orchdsl):
    assert orchdsl("lint", "--explain", "w202").code == 0


def test_explain_knows_the_code_only_fmt_reports(orchdsl):
    result = orchdsl("lint", "--explain", "E117")
    assert result.code == 0
    assert result.stdout.startswith("E117 (reported by orchdsl fmt --group-by-kind, not by lint)")
    assert "Bad:" in result.stdout and "Good:" in result.stdout


@pytest.mark.parametrize("code", ["W999", "E10", "nonsense"])
def test_explain_unknown_code_is_a_usage_error(orchdsl, code):
    result = orchdsl("lint", "--explain", code)
    assert result.code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert f'no rule "{code}"' in result.stderr
    assert "Traceback" not in result.stderr


def test_list_rules_names_every_rule(orchdsl):
    result = orchdsl("lint", "--list-rules")
    assert result.code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == RULE_CODES
    assert "``" not in result.stdout and "**" not in result.stdout.replace("***", "")


# -- call targets: what lint reads from the module's source, and what it leaves alone ------------

CALL_ORCH = orch('    param day = "mon"\n' + phase('        task a extractor call "steps:go"\n'))

# module source -> the codes lint reports for CALL_ORCH's call "steps:go" (day is the only param)
CALL_SOURCES = [
    ("plain def, needs a param the file gives", "def go(day):\n    pass\n", []),
    ("needs one it does not give", "def go(day, region):\n    pass\n", ["E121"]),
    ("defaults cover the rest", "def go(day, region='eu', *, mode='x'):\n    pass\n", []),
    ("**kwargs still needs its named ones", "def go(region, **kw):\n    pass\n", ["E121"]),
    ("*args and **kwargs", "def go(*args, **kwargs):\n    pass\n", []),
    ("async def", "async def go(region):\n    pass\n", ["E121"]),
    ("the last of several definitions", "def go(region):\n    pass\ndef go(day):\n    pass\n",
     []),
    ("decorated: the decorator may change the signature",
     "import functools\n@functools.lru_cache\ndef go(region):\n    pass\n", []),
    ("defined under an if", "import os\nif os.name:\n    def go(region):\n        pass\n", []),
    ("defined in a try", "try:\n    from fast import go\nexcept ImportError:\n    def go(x):\n"
     "        pass\n", []),
    ("a class", "class go:\n    def __init__(self, region):\n        pass\n", []),
    ("an assignment", "import functools\ngo = functools.partial(print)\n", []),
    ("an import", "from os.path import join as go\n", []),
    ("a star import may bring it", "from os.path import *\n", []),
    ("a module __getattr__ may make it", "def __getattr__(name):\n    return print\n", []),
    ("globals() may make it", "globals()['go'] = print\n", []),
    ("a global statement may bind it", "def setup():\n    global go\n    go = print\n", []),
    ("a for loop may bind it", "for go in [print]:\n    pass\n", []),
    ("missing", "def other():\n    pass\n", ["E111"]),
    ("a syntax error", "def go(:\n", ["E111"]),
    ("not UTF-8 in its declared encoding", b"def go(day):\n    return '\xff'\n", ["E111"]),
]


@pytest.mark.parametrize("source, codes", [c[1:] for c in CALL_SOURCES],
                         ids=[c[0] for c in CALL_SOURCES])
def test_a_call_target_is_judged_from_the_module_source(in_tmp, source, codes):
    module = in_tmp / "steps.py"
    module.write_bytes(source if isinstance(source, bytes) else source.encode())
    found = [d.code for d in lint_files(in_tmp, CALL_ORCH) if d.code in ("E111", "E121")]
    assert found == codes


def test_a_module_that_is_not_next_to_the_file_is_left_alone(in_tmp):
    # it may be on the runner's sys.path: json is, and json.dumps needs an argument
    text = orch(phase('        task a extractor call "json:dumps"\n'
                      '        task b extractor call "not_installed_anywhere.mod:go"\n'))
    assert [d.code for d in lint_files(in_tmp, text)] == []


def test_a_package_next_to_the_file_is_read_too(in_tmp):
    (in_tmp / "pkg" / "sub").mkdir(parents=True)
    (in_tmp / "pkg" / "__init__.py").write_text("")
    (in_tmp / "pkg" / "sub" / "__init__.py").write_text("def go(region):\n    pass\n")
    text = orch(phase('        task a extractor call "pkg.sub:go"\n'))
    (diagnostic,) = lint_files(in_tmp, text)
    assert (diagnostic.code, diagnostic.message) == (
        "E121", 'go() needs "region", which no param of the file gives')
    (note,) = diagnostic.notes
    assert (note.span.path, note.span.line, note.span.column) == ("pkg/sub/__init__.py", 1, 1)


def test_an_edited_module_is_read_again(in_tmp):
    module = in_tmp / "steps.py"
    module.write_text("def go(rgn):\n    pass\n")
    assert [d.code for d in lint_files(in_tmp, CALL_ORCH)] == ["E121"]
    module.write_text("def go(day):\n    pass\n")  # same size, maybe the same mtime tick
    assert [d.code for d in lint_files(in_tmp, CALL_ORCH)] == []
