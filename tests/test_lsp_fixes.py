"""Machine-applicable fixes: where a diagnostic's help names one thing to write, the diagnostic
carries it as a ``Fix`` of ``Edit``s; applying it gives the file the help meant, which no longer
has that finding. ``lint --format json`` prints the same edits; the language server's quick
fix applies them (tests/test_lsp_features.py)."""

from __future__ import annotations

import json

import pytest

from orchdsl.check.linter import lint_source

HEAD = 'orchestration "x" {\n    notify error to "ops@example.com"\n'


def orch(body: str) -> str:
    return HEAD + body + "}\n"


# name, file, code, help, what the fixed file holds instead
CASES = [
    ("kind", orch('    phase "E" {\n        task a extrator run "x"\n    }\n'), "E001",
     'did you mean "extractor"?', 'task a extractor run "x"'),
    ("keyword", orch('    phase "E" {\n        tsk a extractor run "x"\n    }\n'), "E001",
     'did you mean "task"?', 'task a extractor run "x"'),
    ("borrowed keyword", orch('    phase "E" { task a extractor run "x" }\n'
                              '    phase "F" { task b writer run "y" depends_on a }\n'), "E001",
     'did you mean "needs"?', 'task b writer run "y" needs a'),
    ("capitals", orch('    phase "E" {\n        Task a extractor run "x"\n    }\n'), "E001",
     'did you mean "task"? (keywords are lowercase)', 'task a extractor run "x"'),
    ("a missing space", orch('    phase "E" {\n        task a extractor run "x" retries2\n'
                             '    }\n'), "E001",
     'put a space after "retries": retries 2', 'run "x" retries 2\n'),
    ("event", orch('    notify eror to "a@example.com"\n    phase "E" { task a extractor run "x" }\n'),
     "E001", 'did you mean "error"?', 'notify error to "a@example.com"'),
    ("overlap mode", orch('    schedule "0 6 * * *" overlap skp\n'
                          '    phase "E" { task a extractor run "x" }\n'), "E001",
     'did you mean "skip"?', 'overlap skip\n'),
    ("reference root", orch('    param day = "x"\n    phase "E" {\n'
                            '        task a extractor run "x" when param.day == "x"\n    }\n'),
     "E001", 'did you mean "params"? (a condition reads params.<name>, env.<variable>, '
             'tasks.<task>.outputs.<name>, tasks.<task>.state, job.id, job.fire_time or '
             'job.fire_date)', 'when params.day == "x"'),
    ("param", orch('    param run_date = "x"\n    phase "E" {\n'
                   '        task a extractor run "load --day ${run_dat}"\n    }\n'), "E107",
     'did you mean "run_date"?', '"load --day ${run_date}"'),
    ("time zone", orch('    schedule "0 6 * * *" timezone "Europe/Pragu"\n'
                       '    phase "E" { task a extractor run "x" }\n'), "E104",
     'did you mean "Europe/Prague"?', 'timezone "Europe/Prague"'),
    ("needs", orch('    phase "E" { task extract extractor run "x" }\n'
                   '    phase "F" { task load writer run "y" needs extrct }\n'), "E110",
     'did you mean "extract"?', 'needs extract }'),
    ("ignore code", orch('    phase "E" {\n        task a extractor run "x" disabled  '
                         '# orchdsl: ignore[w2O5] old\n    }\n'), "W210",
     'did you mean "W205"?', '# orchdsl: ignore[W205] old'),
    ("emoji before the typo", orch('    phase "🚀 Extract 🚀" { task a extrator run "x" }\n'),
     "E001", 'did you mean "extractor"?', '{ task a extractor run "x" }'),
]


@pytest.mark.parametrize("source, code, help, fixed", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_the_fix_writes_what_the_help_says(tmp_path, source, code, help, fixed):
    path = str(tmp_path / "x.orch")
    (diagnostic,) = [d for d in lint_source(source, path) if d.code == code]
    assert diagnostic.help == help
    assert diagnostic.fix is not None
    after = diagnostic.fix.apply(source)
    assert fixed in after and fixed not in source
    again = [(d.code, d.span.line) for d in lint_source(after, path)]
    assert (code, diagnostic.span.line) not in again


def test_a_misspelt_nested_file_is_fixed_in_its_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "archive.orch").write_text(orch('    phase "A" { task a run "x" }\n'))
    source = orch('    phase "E" { task a extractor orchestration "sub/archiev.orch" }\n')
    (diagnostic,) = lint_source(source, str(tmp_path / "x.orch"))
    assert (diagnostic.code, diagnostic.help) == ("E108", 'did you mean "archive.orch"?')
    assert 'orchestration "sub/archive.orch"' in diagnostic.fix.apply(source)


@pytest.mark.parametrize("source", [
    orch('    phase "E" { task a extractor run "x" needs zzz }\n'),  # nothing close
    orch('    phase "E" { task a extractor run "x" retries "2" }\n'),  # no single word meant
])
def test_no_fix_where_the_help_names_no_one_thing(source):
    assert [d.fix for d in lint_source(source, "x.orch")] == [None] * len(lint_source(source, "x.orch"))


def test_lint_json_prints_the_fix_and_its_edits_apply_by_line_and_column(orchdsl, tmp_path):
    source = orch('    phase "🚀 Extract" { task a extrator run "x" }\n')
    (tmp_path / "x.orch").write_text(source, encoding="utf-8")
    result = orchdsl("lint", "--format", "json", "x.orch", cwd=tmp_path)
    (diagnostic,) = json.loads(result.stdout)["diagnostics"]
    assert diagnostic["fix"] == {"title": 'change to "extractor"', "edits": [
        {"line": 3, "column": 32, "end_line": 3, "end_column": 40, "text": "extractor"}]}
    lines = source.split("\n")
    (edit,) = diagnostic["fix"]["edits"]
    line = lines[edit["line"] - 1]
    lines[edit["line"] - 1] = line[:edit["column"] - 1] + edit["text"] + line[edit["end_column"] - 1:]
    assert "\n".join(lines) == source.replace("extrator", "extractor")


def test_lint_text_output_is_unchanged_by_fixes(orchdsl, tmp_path):
    (tmp_path / "x.orch").write_text(orch('    phase "E" { task a extrator run "x" }\n'))
    result = orchdsl("lint", "x.orch", cwd=tmp_path)
    assert result.stdout.splitlines()[-1] == '  help: did you mean "extractor"?'
