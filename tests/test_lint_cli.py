"""End to end: ``orchdsl lint`` through the installed command, as a user and CI run it."""

from __future__ import annotations

import importlib.metadata
import os
import re
import resource
import subprocess

import pytest

from conftest import EXAMPLE_FILES, EXAMPLES, REPO, orchdsl_executable


def orch(body: str) -> str:
    return 'orchestration "O" {\n' + body + "}\n"


def phase(tasks: str, name: str = "Extract") -> str:
    return f'    phase "{name}" {{\n' + tasks + "    }\n"


CLEAN = orch(phase('        task a extractor run "x"\n'))
WARNING_ONLY = orch(phase('        task a extractor run "x" disabled\n        task b extractor run "y"\n'))
HEADER = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning)"
                    r"\[(?P<code>[EW]\d{3})\]: (?P<message>.+)$")


def headers(stdout: str) -> list[tuple[str, int, int, str]]:
    """(path, line, column, code) of every diagnostic in text output."""
    found = []
    for line in stdout.splitlines():
        match = HEADER.match(line)
        if match:
            found.append((match["path"], int(match["line"]), int(match["column"]), match["code"]))
    return found


# -- the examples -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_lints_clean(orchdsl, path):
    result = orchdsl("lint", "--strict", path.relative_to(REPO), cwd=REPO)
    assert (result.code, result.stdout) == (0, "")
    assert "Traceback" not in result.stderr


def test_examples_folder_lints_clean(orchdsl):
    result = orchdsl("lint", "--strict", "examples", cwd=REPO)
    assert (result.code, result.stdout) == (0, "")
    assert result.stderr == f"{len(EXAMPLE_FILES)} files checked: no problems\n"


# -- text output --------------------------------------------------------------------------------

EXACT = [
    ("syntax error with a hint",
     orch(phase('        task crm extracter run "python3 crm.py"\n')), 1,
     'x.orch:3:18: error[E001]: expected a kind (extractor, transformation, writer, application) '
     'or an action (run, call, orchestration) in task "crm", found "extracter"\n'
     ' 3 |         task crm extracter run "python3 crm.py"\n'
     "   |                  ^^^^^^^^^\n"
     '  help: did you mean "extractor"?\n'),
    ("duplicate with a note",
     orch(phase('        task a extractor run "x"\n        task a extractor run "y"\n')), 1,
     'x.orch:4:14: error[E101]: duplicate task "a"\n'
     ' 4 |         task a extractor run "y"\n'
     "   |              ^\n"
     "  note: first defined here: x.orch:3:14\n"
     "  help: task names must be unique in the file\n"),
    ("warning only", WARNING_ONLY, 0,
     'x.orch:3:14: warning[W205]: task "a" is disabled\n'
     ' 3 |         task a extractor run "x" disabled\n'
     "   |              ^\n"
     "  help: delete it if it is not coming back\n"),
    ("error and warning, sorted by line",
     orch('    param day = "today"\n'
          + phase('        task a extractor run "x ${dy}"\n        task b extractor run "y"\n')), 1,
     'x.orch:2:11: warning[W206]: param "day" is never used\n'
     ' 2 |     param day = "today"\n'
     "   |           ^^^\n"
     "  help: use it as ${day} in a task, or remove it\n"
     'x.orch:4:33: error[E107]: "${dy}" is not a param or secret\n'
     ' 4 |         task a extractor run "x ${dy}"\n'
     "   |                                 ^^^^^\n"
     '  help: did you mean "day"?\n'),
    ("span over two lines: caret to the end of the first",
     orch('    schedule "0 6 * * *"\n        timezone "UTC"\n' + phase('        task a run "x"\n')), 0,
     "x.orch:2:5: warning[W204]: scheduled orchestration has no error notification\n"
     ' 2 |     schedule "0 6 * * *"\n'
     "   |     ^^^^^^^^^^^^^^^^^^^^\n"
     '  help: add: notify error to "you@example.com"\n'),
    ("unclosed string", orch(phase('        task a run "x\n')), 1,
     "x.orch:3:20: error[E001]: unclosed string: no closing quote on this line\n"
     ' 3 |         task a run "x\n'
     "   |                    ^\n"
     '  help: end it with ", or use """...""" for a string that spans lines\n'),
    ("a secret on the command line",
     orch('    secret CRM_TOKEN\n'
          + phase('        task crm extractor run "python3 crm.py --token ${CRM_TOKEN}"\n')), 0,
     'x.orch:4:56: warning[W212]: secret "CRM_TOKEN" is passed on the command line of task '
     '"crm", where any user of the machine can read it\n'
     ' 4 |         task crm extractor run "python3 crm.py --token ${CRM_TOKEN}"\n'
     "   |                                                        ^^^^^^^^^^^^\n"
     "  help: the task's environment already holds it: let the program read $CRM_TOKEN "
     'itself ("$CRM_TOKEN" in a shell command would still put the value in its arguments)\n'),
    ("tab before the span", 'orchestration "O" {\n\tphase "P" {\n\t\ttask a run "x" disabled\n'
     '\t\ttask b run "y"\n\t}\n}\n', 0,
     'x.orch:3:8: warning[W205]: task "a" is disabled\n'
     ' 3 |         task a run "x" disabled\n'
     "   |              ^\n"
     "  help: delete it if it is not coming back\n"),
]


@pytest.mark.parametrize("text, code, expected", [e[1:] for e in EXACT], ids=[e[0] for e in EXACT])
def test_text_output_exactly(orchdsl, write_orch, tmp_path, text, code, expected):
    write_orch(text)
    result = orchdsl("lint", "x.orch", cwd=tmp_path)
    assert result.stdout == expected
    assert result.code == code
    assert "Traceback" not in result.stderr


def test_summary_on_stderr_and_quiet(orchdsl, write_orch, tmp_path):
    write_orch(WARNING_ONLY)
    result = orchdsl("lint", "x.orch", cwd=tmp_path)
    assert result.stderr == "1 file checked: 0 errors, 1 warning\n"
    quiet = orchdsl("lint", "-q", "x.orch", cwd=tmp_path)
    assert (quiet.stdout, quiet.stderr) == (result.stdout, "")


# -- exit codes ---------------------------------------------------------------------------------

EXIT_CODES = [
    # text, flags, exit code
    (CLEAN, [], 0),
    (CLEAN, ["--strict"], 0),
    (WARNING_ONLY, [], 0),
    (WARNING_ONLY, ["--strict"], 1),
    (orch(phase('        task a run "x" needs zzz\n')), [], 1),
    (orch(phase('        tsk a run "x"\n')), [], 1),
]


@pytest.mark.parametrize("text, flags, code", EXIT_CODES)
@pytest.mark.parametrize("output", ["text", "json", "sarif", "github"])
def test_exit_code(orchdsl, write_orch, tmp_path, text, flags, code, output):
    write_orch(text)
    result = orchdsl("lint", "--format", output, *flags, "x.orch", cwd=tmp_path)
    assert result.code == code


def test_clean_file_prints_nothing_on_stdout(orchdsl, write_orch, tmp_path):
    write_orch(CLEAN)
    assert orchdsl("lint", "x.orch", cwd=tmp_path).stdout == ""


# -- ignore comments ----------------------------------------------------------------------------

IGNORES = [  # W205 is reported at the task name (column 14), E107 at "${day}" (column 33)
    ("", ["W205", "E107"]),
    ("# orchdsl: ignore[W205]", ["E107"]),
    ("# orchdsl: ignore[W206]", ["W205", "E107"]),
    ("# orchdsl: ignore[E107]", ["W205"]),
    ("# orchdsl: ignore[W205, E107] both on purpose", []),
    ("# orchdsl: ignore", []),
]


@pytest.mark.parametrize("comment, codes", IGNORES, ids=[c or "no comment" for c, _ in IGNORES])
def test_ignore_comment_silences_the_named_codes_on_its_line(orchdsl, write_orch, tmp_path,
                                                             comment, codes):
    write_orch(orch(phase(f'        task a extractor run "x ${{day}}" disabled  {comment}\n'
                          '        task b extractor run "y" disabled\n')))
    result = orchdsl("lint", "x.orch", cwd=tmp_path)
    found = headers(result.stdout)
    assert [c for _, line, _, c in found if line == 3] == codes
    assert [c for _, line, _, c in found if line == 4] == ["W205"]  # other lines keep theirs
    assert result.code == (1 if "E107" in codes else 0)


def test_ignore_comment_does_not_silence_a_syntax_error(orchdsl, write_orch, tmp_path):
    write_orch(orch(phase('        task a run "x\\q"  # orchdsl: ignore\n')))
    result = orchdsl("lint", "x.orch", cwd=tmp_path)
    assert [c for *_, c in headers(result.stdout)] == ["E001"]
    assert result.code == 1


# -- unreadable input ---------------------------------------------------------------------------

def assert_one_line_error(result, *fragments: str):
    assert result.code == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("orchdsl lint: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_missing_path(orchdsl, tmp_path):
    result = orchdsl("lint", "nope.orch", cwd=tmp_path)
    assert result.stdout == ""
    assert_one_line_error(result, "nope.orch")


def test_folder_with_a_file_that_is_not_utf8(orchdsl, write_orch, tmp_path):
    write_orch(CLEAN, "pipelines/good.orch")
    write_orch(b'orchestration "\xff" {\n}\n', "pipelines/bad.orch")
    result = orchdsl("lint", "pipelines", cwd=tmp_path)
    assert result.stdout == ""
    assert_one_line_error(result, "pipelines/bad.orch:1:16", "UTF-8")


def test_stdin_that_is_not_utf8(orchdsl, tmp_path):
    result = orchdsl("lint", "-", stdin=b'orchestration "\xe9" {\n}\n', cwd=tmp_path)
    assert result.stdout == ""
    assert_one_line_error(result, "UTF-8")


def test_file_without_read_permission(orchdsl, write_orch, tmp_path):
    path = write_orch(CLEAN, "secret.orch")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user whom file permissions do not stop (root)")
        result = orchdsl("lint", "secret.orch", cwd=tmp_path)
        assert result.stdout == ""
        assert_one_line_error(result, "secret.orch", "permission")
    finally:
        path.chmod(0o644)


def test_a_byte_order_mark_is_not_part_of_the_text(orchdsl, write_orch, tmp_path):
    write_orch(b"\xef\xbb\xbf" + CLEAN.encode())
    result = orchdsl("lint", "x.orch", cwd=tmp_path)
    assert (result.code, result.stdout) == (0, "")


# -- input size (docs/language.md: at most 10 MiB are read from one file) ----------------------

LIMIT = 10 * 1024 * 1024
LIMIT_MESSAGE = "more than 10 MiB, the most orchdsl reads from one file"


def run_with_memory_cap(args, stdin=subprocess.DEVNULL, cwd=None) -> tuple[int, str, str]:
    """The installed command with its address space capped at 1 GiB, so an input read without
    a limit ends in a MemoryError (exit 3) within a second instead of filling the machine."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    done = subprocess.run([orchdsl_executable(), *map(str, args)], stdin=stdin, cwd=cwd,
                          capture_output=True, preexec_fn=cap, timeout=60,
                          env={**os.environ, "PYTHONUTF8": "1"})
    return done.returncode, done.stdout.decode(), done.stderr.decode()


@pytest.mark.parametrize("command", [["lint"], ["graph"], ["run", "--dry-run"], ["next"]],
                         ids=["lint", "graph", "run", "next"])
def test_an_endless_file_is_refused_at_the_size_limit(command):
    code, out, err = run_with_memory_cap([*command[:1], "/dev/zero", *command[1:]])
    assert (code, out) == (2, "")
    assert err == f"orchdsl {command[0]}: error: /dev/zero: {LIMIT_MESSAGE}\n"


def test_endless_standard_input_is_refused_at_the_size_limit():
    with open("/dev/zero", "rb") as zero:
        code, out, err = run_with_memory_cap(["lint", "-"], stdin=zero)
    assert (code, out) == (2, "")
    assert err == f"orchdsl lint: error: -: {LIMIT_MESSAGE}\n"


def _file_of_size(path, size: int):
    body = CLEAN.encode()
    path.write_bytes(b"#" + b"x" * (size - len(body) - 2) + b"\n" + body)
    assert path.stat().st_size == size
    return path


def test_a_file_of_exactly_the_limit_is_read_and_one_byte_more_is_refused(orchdsl, tmp_path):
    _file_of_size(tmp_path / "limit.orch", LIMIT)
    _file_of_size(tmp_path / "over.orch", LIMIT + 1)
    assert orchdsl("lint", "limit.orch", cwd=tmp_path) == (0, "", "1 file checked: no problems\n")
    assert orchdsl("lint", "over.orch", cwd=tmp_path) == (
        2, "", f"orchdsl lint: error: over.orch: {LIMIT_MESSAGE}\n")


# -- stdin and paths ----------------------------------------------------------------------------

def test_dash_reads_stdin(orchdsl, tmp_path):
    result = orchdsl("lint", "-", stdin=WARNING_ONLY, cwd=tmp_path)
    assert headers(result.stdout) == [("-", 3, 14, "W205")]
    assert result.code == 0


def test_stdin_filename_names_stdin(orchdsl, tmp_path):
    result = orchdsl("lint", "--stdin-filename", "pipelines/x.orch", "-", stdin=WARNING_ONLY,
                     cwd=tmp_path)
    assert headers(result.stdout) == [("pipelines/x.orch", 3, 14, "W205")]


def test_stdin_filename_is_where_nested_files_are_found(orchdsl, write_orch, tmp_path):
    write_orch(CLEAN, "pipelines/child.orch")
    text = orch(phase('        task child orchestration "child.orch"\n'))
    found = orchdsl("lint", "--stdin-filename", "pipelines/x.orch", "-", stdin=text, cwd=tmp_path)
    assert (found.code, found.stdout) == (0, "")
    missing = orchdsl("lint", "-", stdin=text, cwd=tmp_path)
    assert [c for *_, c in headers(missing.stdout)] == ["E108"]


def test_folders_are_searched_recursively_and_hidden_folders_skipped(orchdsl, write_orch, tmp_path):
    no_phase = orch('    description "nothing to do"\n')
    write_orch(no_phase, "repo/top.orch")
    write_orch(no_phase, "repo/a/b/c/deep.orch")
    write_orch(no_phase, "repo/.hidden/skipped.orch")
    write_orch(no_phase, "repo/a/.git/skipped.orch")
    write_orch(no_phase, "repo/notes.txt")
    result = orchdsl("lint", "repo", cwd=tmp_path)
    assert sorted(path for path, *_ in headers(result.stdout)) == ["repo/a/b/c/deep.orch",
                                                                    "repo/top.orch"]
    assert result.stderr == "2 files checked: 0 errors, 2 warnings\n"


def test_no_path_means_the_current_folder(orchdsl, write_orch, tmp_path):
    write_orch(WARNING_ONLY, "sub/x.orch")
    result = orchdsl("lint", cwd=tmp_path)
    assert [c for *_, c in headers(result.stdout)] == ["W205"]


def test_a_file_named_twice_is_checked_once(orchdsl, write_orch, tmp_path):
    write_orch(WARNING_ONLY)
    result = orchdsl("lint", "x.orch", "./x.orch", cwd=tmp_path)
    assert len(headers(result.stdout)) == 1


def test_paths_are_shown_as_found_also_for_a_file_another_one_nests(orchdsl, write_orch, tmp_path):
    # a.orch runs b.orch, so b.orch is read while a.orch is checked; its own findings must still
    # carry the path the folder walk found it under, like every other file.
    write_orch(orch(phase('        task child orchestration "b.orch"\n')), "a.orch")
    write_orch(orch('    description "nothing to do"\n'), "b.orch")
    write_orch(orch('    description "nothing to do"\n'), "c.orch")
    result = orchdsl("lint", ".", cwd=tmp_path)
    assert [path for path, *_ in headers(result.stdout)] == ["./b.orch", "./c.orch"]


# -- usage --------------------------------------------------------------------------------------

USAGE_ERRORS = [
    ["lint", "--bogus"],
    ["lint", "--format", "xml", "."],
    ["lint", "--format"],
    ["lint", "--color", "sometimes", "."],
    ["lnt", "."],
    ["frobnicate"],
    ["--bogus"],
]


@pytest.mark.parametrize("argv", USAGE_ERRORS, ids=" ".join)
def test_usage_error_is_one_line_and_exit_2(orchdsl, tmp_path, argv):
    result = orchdsl(*argv, cwd=tmp_path)
    assert result.code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "error" in result.stderr


def test_misspelt_command_gets_a_hint(orchdsl):
    assert 'did you mean "lint"?' in orchdsl("lnt").stderr


def test_top_level_help_lists_lint_with_a_summary(orchdsl):
    result = orchdsl("--help")
    assert result.code == 0
    lines = [line for line in result.stdout.splitlines() if re.match(r"\s+lint\s", line)]
    assert len(lines) == 1
    assert re.fullmatch(r"\s+lint\s+\S.{10,}", lines[0])


def test_lint_help(orchdsl):
    result = orchdsl("lint", "--help")
    assert result.code == 0
    for option in ("--format", "--strict", "--explain", "--stdin-filename"):
        assert option in result.stdout


def test_version(orchdsl):
    result = orchdsl("--version")
    assert result.code == 0
    assert result.stdout == f"orchdsl {importlib.metadata.version('orchdsl')}\n"
    assert re.fullmatch(r"orchdsl \d+\.\d+\.\d+\S*\n", result.stdout)


def test_examples_are_where_the_tests_expect_them():
    assert EXAMPLES.is_dir() and len(EXAMPLE_FILES) >= 4


# -- call targets: read, never run (E111, E121, W213) --------------------------------------------

NOISY_MODULE = """\
import pathlib
pathlib.Path(__file__).with_name("IMPORTED").write_text("lint ran this module")

def go(region):
    pathlib.Path(__file__).with_name("CALLED").write_text("the call ran")
"""


def test_lint_reads_a_call_module_without_importing_it(orchdsl, write_orch, tmp_path):
    write_orch(NOISY_MODULE, "steps.py")
    write_orch(orch('    param day = "mon"\n' + phase('        task a call "steps:go"\n')))
    result = orchdsl("lint", "x.orch", cwd=tmp_path)
    assert result.code == 1
    assert headers(result.stdout) == [("x.orch", 4, 21, "E121")]
    assert "  note: go is defined here: steps.py:4:1\n" in result.stdout
    assert not (tmp_path / "IMPORTED").exists()


def test_a_call_that_cannot_take_its_params_stops_the_run_before_any_task(orchdsl, write_orch,
                                                                           tmp_path):
    write_orch(NOISY_MODULE, "steps.py")
    write_orch(orch(phase('        task first run "touch FIRST"\n')
                    + phase('        task a call "steps:go"\n', "Later")))
    result = orchdsl("run", "x.orch", cwd=tmp_path, env={"ORCHDSL_HOME": str(tmp_path / "home")})
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr.startswith('x.orch:6:21: error[E121]: go() needs "region", which no '
                                    "param of the file gives\n")
    assert not any((tmp_path / name).exists() for name in ("FIRST", "IMPORTED", "CALLED"))


def test_cwd_and_env_on_a_call_are_warnings_that_say_what_to_do(orchdsl, write_orch, tmp_path):
    write_orch(orch(phase('        task a call "m:f" cwd "out" env MODE = "full"\n')))
    result = orchdsl("lint", "x.orch", cwd=tmp_path)
    assert result.code == 0
    assert result.stdout == (
        'x.orch:3:27: warning[W213]: cwd does not apply to call task "a": a call runs in the '
        "runner's process and folder\n"
        ' 3 |         task a call "m:f" cwd "out" env MODE = "full"\n'
        "   |                           ^^^^^^^^^\n"
        "  help: remove it, and build paths from Path(__file__).parent in the module; or run it "
        'as run ["python3", "-m", "MODULE"] with cwd\n'
        'x.orch:3:37: warning[W213]: env MODE does not apply to call task "a": a call runs in '
        "the runner's process, whose environment is shared\n"
        ' 3 |         task a call "m:f" cwd "out" env MODE = "full"\n'
        "   |                                     ^^^^^^^^^^^^^^^^^\n"
        "  help: remove it, and pass the value as a param (params reach the function as keyword "
        'arguments); or run it as run ["python3", "-m", "MODULE"] with env\n')
