"""``orchdsl lint`` of language 1.1 through the installed command: one exact report of each
new code (E118, E119, E120, W211, E122) as a user sees it, and its exit code."""

from __future__ import annotations

import pytest

ARCHIVE = '''\
orchestration "Archive" {
    param day = "today"

    phase "Archive" {
        task copy writer run "./copy.sh ${day}"
    }
}
'''

# id, file, exit code, stdout
EXACT = [
    ('an output of the same phase',
     'orchestration "O" {\n'
     '    phase "Extract" {\n'
     '        task crm  extractor run "./crm.sh"\n'
     '        task load writer run "./load.sh --rows ${tasks.crm.outputs.rows}"\n'
     '    }\n'
     '}\n',
     1,
     'x.orch:4:48: error[E118]: task "load" reads an output of "crm" of the same phase\n'
     ' 4 |         task load writer run "./load.sh --rows ${tasks.crm.outputs.rows}"\n'
     '   |                                                ^^^^^^^^^^^^^^^^^^^^^^^^^\n'
     '  note: "crm" is defined here: x.orch:3:14\n'
     '  help: only tasks of earlier phases have ended, and so can be named: move one of them to another phase\n'),
    ('a param the child does not declare',
     'orchestration "O" {\n'
     '    phase "Run" {\n'
     '        task archive writer orchestration "archive.orch" param dya = "mon"\n'
     '    }\n'
     '}\n',
     1,
     'x.orch:3:64: error[E118]: "archive.orch" declares no param "dya"\n'
     ' 3 |         task archive writer orchestration "archive.orch" param dya = "mon"\n'
     '   |                                                                ^^^\n'
     '  help: its params: day\n'),
    ('a state and a phase that are not',
     'orchestration "O" {\n'
     '    phase "Extract" {\n'
     '        task crm extractor run "./crm.sh"\n'
     '    }\n'
     '    phase "Load" {\n'
     '        task load writer run "./load.sh" when tasks.crm.state == "succeded"\n'
     '    }\n'
     '    phase "Alert" when failed("Lod") {\n'
     '        task page application run "./page.sh"\n'
     '    }\n'
     '}\n',
     1,
     'x.orch:6:66: error[E119]: the condition of task "load": "succeded" is no task state\n'
     ' 6 |         task load writer run "./load.sh" when tasks.crm.state == "succeded"\n'
     '   |                                                                  ^^^^^^^^^^\n'
     '  help: did you mean "succeeded"?\n'
     'x.orch:8:31: error[E119]: the condition of phase "Alert" names "Lod", which is no phase\n'
     ' 8 |     phase "Alert" when failed("Lod") {\n'
     '   |                               ^^^^^\n'
     '  help: did you mean "Load"?\n'),
    ('a matrix from the same phase',
     'orchestration "O" {\n'
     '    phase "Load" {\n'
     '        task files extractor run "./list.sh"\n'
     '        task load writer run "./load.sh ${file}" matrix file from tasks.files.outputs.all\n'
     '    }\n'
     '}\n',
     1,
     'x.orch:4:67: error[E120]: matrix "file" of task "load" takes its values from "files" of the same phase\n'
     ' 4 |         task load writer run "./load.sh ${file}" matrix file from tasks.files.outputs.all\n'
     '   |                                                                   ^^^^^^^^^^^^^^^^^^^^^^^\n'
     '  note: "files" is defined here: x.orch:3:14\n'
     '  help: only tasks of earlier phases have ended, and so can be named: move one of them to another phase\n'),
    ('a phase when true',
     'orchestration "O" {\n'
     '    phase "Cleanup" when true {\n'
     '        task tidy application run "rm -f landing/*.tmp"\n'
     '    }\n'
     '}\n',
     0,
     'x.orch:2:26: warning[W211]: the condition of phase "Cleanup" is always true: it names no task, param or variable\n'
     ' 2 |     phase "Cleanup" when true {\n'
     '   |                          ^^^^\n'
     '  help: remove the when; for a phase that runs whatever happened before: when always()\n'),
    ('an empty placement label',
     'orchestration "O" {\n'
     '    phase "Train" {\n'
     '        task fit transformation run "python3 fit.py" on ""\n'
     '    }\n'
     '}\n',
     1,
     'x.orch:3:57: error[E122]: task "fit" has an empty placement label\n'
     ' 3 |         task fit transformation run "python3 fit.py" on ""\n'
     '   |                                                         ^^\n'
     '  help: name what its workers offer: on "gpu", or remove the option\n'),
]


@pytest.mark.parametrize("text, code, expected", [e[1:] for e in EXACT], ids=[e[0] for e in EXACT])
def test_text_output_exactly(orchdsl, write_orch, tmp_path, text, code, expected):
    write_orch(text)
    write_orch(ARCHIVE, "archive.orch")
    result = orchdsl("lint", "x.orch", cwd=tmp_path)
    assert (result.code, result.stdout) == (code, expected)
    assert "Traceback" not in result.stderr
