"""The lint rules of language 1.1 (docs/reference.md, "Outputs", "Conditions", "Matrix",
"Params of nested orchestrations", "Placement"): E118, E119, E120, W211, E122, and what the
rules of 1.0 know of the new forms (E107, E112, E114, E121).

Each row is a file and every finding of the codes under test, at its line and column: a row
with no finding is a clean file, so the rules must not report it.
"""

from __future__ import annotations

import pytest

from orchdsl.check.linter import lint_paths

CODES = {"E107", "E112", "E114", "E118", "E119", "E120", "E121", "E122", "W211"}


def orch(*phases: str, top: str = "") -> str:
    return 'orchestration "O" {\n' + top + "".join(phases) + "}\n"


def phase(name: str, *tasks: str, when: str = "") -> str:
    head = f'    phase "{name}"' + (f" when {when}" if when else "") + " {\n"
    return head + "".join(f"        {t}\n" for t in tasks) + "    }\n"


# Line 3 is the first task of the first phase; with EXTRACT first, line 6 is the first task of
# the second phase (2: phase "Extract", 3: crm, 4: }, 5: the second phase's head).
EXTRACT = phase("Extract", 'task crm extractor run "x"')
REGIONS = 'task regions writer run "x ${region}" matrix region = ["eu", "us"]'
LIST = phase("List", 'task files extractor run "ls"')

# id, files (text of a.orch, or {name: text}), [(code, line, column, message fragment)]
CASES = [
    # -- E118: outputs in strings ---------------------------------------------------------------
    ("output of an earlier phase",
     orch(EXTRACT, phase("Load", 'task load writer run "l ${tasks.crm.outputs.rows}"')), []),
    ("output of the same phase",
     orch(phase("Extract", 'task crm extractor run "x"',
                'task load writer run "l ${tasks.crm.outputs.rows}"')),
     [("E118", 4, 33, 'task "load" reads an output of "crm" of the same phase')]),
    ("output of a later phase",
     orch(phase("Load", 'task load writer run "l ${tasks.crm.outputs.rows}"'),
          phase("Extract", 'task crm extractor run "x"')),
     [("E118", 3, 33, 'reads an output of "crm" of the later phase "Extract"')]),
    ("output of no task",
     orch(EXTRACT, phase("Load", 'task load writer run "l ${tasks.crmm.outputs.rows}"')),
     [("E118", 6, 33, 'task "load" reads an output of "crmm", which is no task')]),
    ("output of itself",
     orch(phase("Load", 'task load writer run "l ${tasks.load.outputs.rows}"')),
     [("E118", 3, 33, 'task "load" reads an output of "load" itself')]),
    ("output in cwd, env, argv and a nested param",
     orch(phase("Load", 'task load writer run ["l", "${tasks.x.outputs.a}"] cwd "${tasks.x.outputs.b}"'
                        ' env A = "${tasks.x.outputs.c}"',
                'task n writer orchestration "c.orch" param p = "${tasks.y.outputs.d}"')),
     [("E118", 3, 37, '"x", which is no task'), ("E118", 3, 65, '"x", which is no task'),
      ("E118", 3, 96, '"x", which is no task'), ("E118", 4, 57, 'task "n" reads an output of "y"')]),
    ("output of a matrix task needs an instance",
     orch(phase("Publish", REGIONS), phase("Load", 'task load writer run "l ${tasks.regions.outputs.n}"')),
     [("E118", 6, 33, '"regions", which runs as 2 matrix instances: name one of them')]),
    ("output of one instance",
     orch(phase("Publish", REGIONS),
          phase("Load", 'task load writer run "l ${tasks.regions.eu.outputs.n}"')), []),
    ("output of an instance that is not",
     orch(phase("Publish", REGIONS),
          phase("Load", 'task load writer run "l ${tasks.regions.ue.outputs.n}"')),
     [("E118", 6, 33, '"regions.ue", which is no instance of task "regions"')]),
    ("output of an instance of a task without a matrix",
     orch(EXTRACT, phase("Load", 'task load writer run "l ${tasks.crm.eu.outputs.n}"')),
     [("E118", 6, 33, '"crm.eu", but task "crm" has no matrix')]),
    ("output of an instance of a dynamic matrix: known at run time",
     orch(LIST, phase("Load", 'task load writer run "l ${f}" matrix f from tasks.files.outputs.all'),
          phase("Report", 'task report writer run "r ${tasks.load.1.outputs.n}"')), []),
    # -- E118: outputs in conditions -------------------------------------------------------------
    ("output in a task condition, same phase",
     orch(phase("Extract", 'task crm extractor run "x"',
                'task load writer run "l" when tasks.crm.outputs.rows > 0')),
     [("E118", 4, 39, 'the condition of task "load" reads an output of "crm" of the same phase')]),
    ("output in a phase condition, its own task",
     orch(EXTRACT, phase("Load", 'task load writer run "l"', when="tasks.load.outputs.n > 0")),
     [("E118", 5, 23, 'the condition of phase "Load" reads an output of "load" of its own phase')]),
    ("output in a condition, earlier phase",
     orch(EXTRACT, phase("Load", 'task load writer run "l"', when="tasks.crm.outputs.n > 0")), []),
    # -- E118: params of nested orchestrations ---------------------------------------------------
    ("param on a task that runs no nested orchestration",
     orch(phase("Load", 'task load writer run "l" param day = "mon"')),
     [("E118", 3, 40, 'task "load" passes param "day", but it runs no nested orchestration')]),
    ("param the child does not declare",
     {"a.orch": orch(phase("Run", 'task child orchestration "c.orch" param dya = "mon"')),
      "c.orch": orch(phase("C", 'task c run "echo ${day}"'), top='    param day = "x"\n')},
     [("E118", 3, 49, '"c.orch" declares no param "dya"')]),
    ("param that is a secret of the child",
     {"a.orch": orch(phase("Run", 'task child orchestration "c.orch" param T = "v"')),
      "c.orch": orch(phase("C", 'task c run "echo"'), top="    secret T\n")},
     [("E118", 3, 49, '"T" is a secret of "c.orch", not a param')]),
    ("params the child declares",
     {"a.orch": orch(phase("Run", 'task child orchestration "c.orch" param day = "${job.fire_date}"')),
      "c.orch": orch(phase("C", 'task c run "echo ${day}"'), top='    param day = "x"\n')}, []),
    ("a missing child is E108's alone",
     orch(phase("Run", 'task child orchestration "c.orch" param day = "x"')), []),
    # -- E119: names -----------------------------------------------------------------------------
    ("state of no task",
     orch(EXTRACT, phase("Load", 'task load writer run "l" when tasks.crn.state == "failed"')),
     [("E119", 6, 39, 'the condition of task "load" names "crn", which is no task')]),
    ("failed() of a task of the same phase",
     orch(phase("Extract", 'task crm extractor run "x"', 'task load writer run "l" when failed(crm)')),
     [("E119", 4, 46, 'names "crm" of the same phase')]),
    ("succeeded() of a later phase's task",
     orch(phase("Load", 'task load writer run "l" when succeeded(crm)'), EXTRACT),
     [("E119", 3, 49, 'names "crm" of the later phase "Extract"')]),
    ("a phase condition naming its own task",
     orch(EXTRACT, phase("Load", 'task load writer run "l"', when="failed(load)")),
     [("E119", 5, 30, 'the condition of phase "Load" names "load" of its own phase')]),
    ("no such phase",
     orch(EXTRACT, phase("Alert", 'task page application run "p"', when='failed("Extrct")')),
     [("E119", 5, 31, 'names "Extrct", which is no phase')]),
    ("its own phase",
     orch(EXTRACT, phase("Alert", 'task page application run "p"', when='failed("Alert")')),
     [("E119", 5, 31, 'names its own phase "Alert"')]),
    ("a later phase, from a task",
     orch(phase("Load", 'task load writer run "l" when failed("Extract")'), EXTRACT),
     [("E119", 3, 46, 'names the later phase "Extract"')]),
    ("earlier phases and tasks",
     orch(EXTRACT, phase("Load", 'task load writer run "l" when failed("Extract") or '
                                 'tasks.crm.state == "skipped"'),
          phase("Alert", 'task page application run "p"', when='failed(crm, load, "Load")')), []),
    ("no such param",
     orch(phase("Load", 'task load writer run "l ${day}" when params.dya == "mon"'),
          top='    param day = "x"\n'),
     [("E119", 4, 46, 'reads params.dya, but the file declares no param "dya"')]),
    ("a secret is no param",
     orch(phase("Load", 'task load writer run "l" when params.TOKEN != ""'), top="    secret TOKEN\n"),
     [("E119", 4, 39, 'reads "TOKEN", which is a secret, not a param')]),
    ("env and job values are never unknown",
     orch(phase("Load", 'task load writer run "l" when env.NOT_SET_ANYWHERE == "" and '
                        'job.fire_date != "" and job.id > 0')), []),
    ("state of a matrix task needs an instance",
     orch(phase("Publish", REGIONS), phase("Load", 'task load writer run "l" when tasks.regions.state == "failed"')),
     [("E119", 6, 39, '"regions", which runs as 2 matrix instances: name one of them')]),
    ("a matrix task whole in failed(), one instance in state and succeeded()",
     orch(phase("Publish", REGIONS),
          phase("Load", 'task load writer run "l" when failed(regions) or succeeded(regions.us) '
                        'or tasks.regions.eu.state == "failed"')), []),
    ("failed() of an instance that is not",
     orch(phase("Publish", REGIONS), phase("Load", 'task load writer run "l" when failed(regions.e)')),
     [("E119", 6, 46, '"regions.e", which is no instance of task "regions"')]),
    # -- E119: types -----------------------------------------------------------------------------
    ("an output alone is no condition",
     orch(EXTRACT, phase("Load", 'task load writer run "l" when tasks.crm.outputs.rows')),
     [("E119", 6, 39, "a string alone is not true or false")]),
    ("a string literal alone",
     orch(phase("Load", 'task load writer run "l" when "yes"')),
     [("E119", 3, 39, "a string alone is not true or false")]),
    ("an integer alone",
     orch(phase("Load", 'task load writer run "l"', when="1")),
     [("E119", 2, 23, 'the condition of phase "Load": an integer alone is not true or false')]),
    ("not of a string",
     orch(phase("Load", 'task load writer run "l" when not env.FULL')),
     [("E119", 3, 43, '"not" needs true or false, and this is a string')]),
    ("and of a param",
     orch(phase("Load", 'task load writer run "l ${p}" when params.p and succeeded()'),
          top='    param p = "x"\n'),
     [("E119", 4, 44, '"and" needs true or false, and this is a string')]),
    ("true ordered",
     orch(phase("Load", 'task load writer run "l" when failed() < true')),
     [("E119", 3, 39, '"<" cannot compare true or false')]),
    ("true compared with an integer",
     orch(phase("Load", 'task load writer run "l" when true == 1')),
     [("E119", 3, 39, "true or false is compared with an integer")]),
    ("an integer and a literal that is no integer",
     orch(phase("Load", 'task load writer run "l" when env.N > 3 and 3 < "abc"')),
     [("E119", 3, 57, '"abc" is not a decimal integer')]),
    ("the literal on the left",
     orch(phase("Load", 'task load writer run "l" when "1e3" >= 10')),
     [("E119", 3, 39, '"1e3" is not a decimal integer')]),
    ("a state that is no state",
     orch(EXTRACT, phase("Load", 'task load writer run "l" when tasks.crm.state == "succeded"')),
     [("E119", 6, 58, '"succeded" is no task state')]),
    ("a state is never an integer",
     orch(EXTRACT, phase("Load", 'task load writer run "l" when tasks.crm.state != 0')),
     [("E119", 6, 58, "tasks.crm.state is a state such as")]),
    ("what may hold at run time",
     orch(EXTRACT, phase("Load", 'task load writer run "l ${p}" when params.p < 3 and '
                                 '3 == " 0042" and tasks.crm.outputs.ok == true and '
                                 'tasks.crm.state != "cancelled" and (failed() == false)'),
          top='    param p = "1"\n'), []),
    # -- E120 ------------------------------------------------------------------------------------
    ("an empty list",
     orch(phase("Load", 'task load writer run "l ${r}" matrix r = []')),
     [("E120", 3, 39, 'matrix "r" of task "load" has no value')]),
    ("a value twice",
     orch(phase("Load", 'task load writer run "l ${r}" matrix r = ["eu", "us", "eu"]')),
     [("E120", 3, 63, 'matrix "r" lists "eu" twice')]),
    ("two matrices of one name",
     orch(phase("Load", 'task load writer run "l ${r}" matrix r = ["eu"] matrix r = ["us"]')),
     [("E120", 3, 64, 'task "load" has two matrices named "r"')]),
    ("too many instances",
     orch(phase("Load", 'task load writer run "${a}${b}" matrix a = [' + ", ".join(
         f'"{i}"' for i in range(101)) + "] matrix b = [" + ", ".join(
         f'"{i}"' for i in range(100)) + "]")),
     [("E120", 3, 14, 'task "load" would run as 10,100 matrix instances (101 × 100); at most '
                      "10,000")]),
    ("exactly the most",
     orch(phase("Load", 'task load writer run "${a}${b}" matrix a = [' + ", ".join(
         f'"{i}"' for i in range(100)) + "] matrix b = [" + ", ".join(
         f'"{i}"' for i in range(100)) + "]")), []),
    ("a dynamic matrix from an earlier phase",
     orch(LIST, phase("Load", 'task load writer run "l ${f}" matrix f from tasks.files.outputs.all')),
     []),
    ("a dynamic matrix from the same phase",
     orch(phase("Load", 'task files extractor run "ls"',
                'task load writer run "l ${f}" matrix f from tasks.files.outputs.all')),
     [("E120", 4, 53, 'matrix "f" of task "load" takes its values from "files" of the same phase')]),
    ("a dynamic matrix from no task",
     orch(LIST, phase("Load", 'task load writer run "l ${f}" matrix f from tasks.fils.outputs.all')),
     [("E120", 6, 53, '"fils", which is no task')]),
    ("a dynamic matrix from a matrix task",
     orch(phase("Publish", REGIONS),
          phase("Load", 'task load writer run "l ${f}" matrix f from tasks.regions.outputs.all')),
     [("E120", 6, 53, '"regions", which runs as 2 matrix instances')]),
    ("a malformed source is E001's alone",
     orch(LIST, phase("Load", 'task load writer run "l ${f}" matrix f from tasks.files.outputs')),
     []),
    # -- W211 ------------------------------------------------------------------------------------
    ("when true", orch(phase("Load", 'task load writer run "l" when true')),
     [("W211", 3, 39, 'the condition of task "load" is always true')]),
    ("when 1 == 1", orch(phase("Load", 'task load writer run "l" when 1 == 1')),
     [("W211", 3, 39, "is always true")]),
    ("when not false", orch(phase("Load", 'task load writer run "l" when not false')),
     [("W211", 3, 39, "is always true")]),
    ("a phase when false", orch(phase("Load", 'task load writer run "l"', when='"a" > "b"')),
     [("W211", 2, 23, 'the condition of phase "Load" is always false')]),
    ("always() and more", orch(phase("Load", 'task load writer run "l"', when="not always()")),
     [("W211", 2, 23, "is always false")]),
    ("when always() is the idiom", orch(phase("Load", 'task load writer run "l"', when="always()")),
     []),
    ("status calls and variables decide",
     orch(phase("Load", 'task load writer run "l" when succeeded() and env.X == "1"'),
          phase("Alert", 'task page application run "p"', when="failed() or true")), []),
    ("a type error is E119's alone", orch(phase("Load", 'task load writer run "l" when 1 == "x"')),
     [("E119", 3, 44, '"x" is not a decimal integer')]),
    # -- E122 and E112: placement ----------------------------------------------------------------
    ("an empty label", orch(phase("Train", 'task fit run "fit" on ""')),
     [("E122", 3, 31, 'task "fit" has an empty placement label')]),
    ("a blank label", orch(phase("Train", 'task fit run "fit" on "  "')),
     [("E122", 3, 31, "empty placement label")]),
    ("on twice", orch(phase("Train", 'task fit run "fit" on "gpu" on "cpu"')),
     [("E112", 3, 37, '"on" may appear once per task (task "fit")')]),
    ("a label", orch(phase("Train", 'task fit run "fit" on "gpu"')), []),
    # -- E114: matrix names ----------------------------------------------------------------------
    ("a matrix named like a param",
     orch(phase("Load", 'task load writer run "l ${day}" matrix day = ["mon"]'),
          top='    param day = "x"\n'),
     [("E114", 4, 48, 'matrix "day" of task "load" has the name of a param')]),
    ("a matrix named like a secret",
     orch(phase("Load", 'task load writer run "l" matrix T = ["a"]'), top="    secret T\n"),
     [("E114", 4, 41, "has the name of a secret")]),
    # -- E121 counts a call task's matrix values as given --------------------------------------
    ("a call instance gets its matrix value",
     {"a.orch": orch(phase("Load", 'task load writer call "steps:go" matrix region = ["eu"]')),
      "steps.py": "def go(region):\n    pass\n"}, []),
    ("a matrix of another task gives nothing",
     {"a.orch": orch(phase("Load", 'task load writer call "steps:go"', REGIONS)),
      "steps.py": "def go(region):\n    pass\n"},
     [("E121", 3, 31, 'go() needs "region", which no param of the file gives')]),
    # -- E107 knows matrices and 1.1 interpolations ----------------------------------------------
    ("matrix values, job values and outputs are no params",
     orch(EXTRACT, phase("Load", 'task load writer run "l ${region} ${job.id} ${job.fire_time} '
                                 '${job.fire_date} ${tasks.crm.outputs.rows}" '
                                 'matrix region = ["eu"] env R = "${region}"')), []),
    ("a matrix value of another task",
     orch(phase("Load", REGIONS, 'task other writer run "o ${region}"')),
     [("E107", 4, 34, '"${region}" is not a param or secret')]),
]


def lint_files(folder, files) -> list:
    if isinstance(files, str):
        files = {"a.orch": files}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    report = lint_paths(["a.orch"])
    assert not report.unreadable
    return report.diagnostics


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("files, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_finding_at_its_place(in_tmp, files, expected):
    found = [d for d in lint_files(in_tmp, files) if d.code in CODES and d.span.path == "a.orch"]
    expected = sorted(expected, key=lambda e: (e[1], e[2], e[0]))  # the order lint reports in
    assert [(d.code, d.span.line, d.span.column) for d in found] == [e[:3] for e in expected]
    for diagnostic, (*_, fragment) in zip(found, expected):
        assert fragment in diagnostic.message


# id, files, code, the help line of its finding
HELPS = [
    ("an output of a misspelt task",
     orch(EXTRACT, phase("Load", 'task load writer run "l ${tasks.crmm.outputs.rows}"')),
     "E118", 'did you mean "crm"?'),
    ("an output of no task, nothing close",
     orch(EXTRACT, phase("Load", 'task load writer run "l ${tasks.zzz.outputs.rows}"')),
     "E118", "tasks of earlier phases: crm"),
    ("an output of a matrix task",
     orch(phase("Publish", REGIONS), phase("Load", 'task load writer run "l ${tasks.regions.outputs.n}"')),
     "E118", "read one instance's: tasks.regions.<instance>.outputs.n"),
    ("an instance that is not",
     orch(phase("Publish", REGIONS), phase("Load", 'task load writer run "${tasks.regions.euu.outputs.n}"')),
     "E118", 'did you mean "regions.eu"?'),
    ("a param of the child, misspelt",
     {"a.orch": orch(phase("Run", 'task child orchestration "c.orch" param regin = "eu"')),
      "c.orch": orch(phase("C", 'task c run "echo ${region}"'), top='    param region = "x"\n')},
     "E118", 'did you mean "region"?'),
    ("a child without params",
     {"a.orch": orch(phase("Run", 'task child orchestration "c.orch" param day = "x"')),
      "c.orch": orch(phase("C", 'task c run "echo"'))},
     "E118", 'it declares none: add param day = "..." to it'),
    ("a misspelt phase", orch(EXTRACT, phase("Alert", 'task p run "p"', when='failed("Extrakt")')),
     "E119", 'did you mean "Extract"?'),
    ("a misspelt param",
     orch(phase("Load", 'task load writer run "l ${region}" when params.regoin == "eu"'),
          top='    param region = "eu"\n'),
     "E119", 'did you mean "region"?'),
    ("an undeclared param", orch(phase("Load", 'task load writer run "l" when params.full == "1"')),
     "E119", 'declare it: param full = "..."'),
    ("a misspelt state",
     orch(EXTRACT, phase("Load", 'task load writer run "l" when tasks.crm.state == "faild"')),
     "E119", 'did you mean "failed"?'),
    ("a state of a matrix task",
     orch(phase("Publish", REGIONS), phase("Load", 'task load run "l" when tasks.regions.state == "failed"')),
     "E119", "tasks.regions.<instance>.state reads one instance; succeeded(regions) and "
             "failed(regions) read them all"),
    ("an output alone",
     orch(EXTRACT, phase("Load", 'task load writer run "l" when tasks.crm.outputs.rows')),
     "E119", 'compare it: tasks.crm.outputs.rows != "" or tasks.crm.outputs.rows > 0'),
    ("an always-false task", orch(phase("Load", 'task load writer run "l" when false')),
     "W211", "remove the task or phase, or mark its tasks disabled"),
]


@pytest.mark.parametrize("files, code, help", [h[1:] for h in HELPS], ids=[h[0] for h in HELPS])
def test_the_help_says_what_to_write(in_tmp, files, code, help):
    (found,) = [d for d in lint_files(in_tmp, files) if d.code == code]
    assert found.help == help
