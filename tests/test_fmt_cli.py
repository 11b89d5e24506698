"""``orchdsl fmt`` through the installed command: in-place rewrites, standard input, --check,
--diff, folders, files that do not parse, --group-by-kind and --move refusals, usage errors."""

from __future__ import annotations

import os
import stat

import pytest
from conftest import EXAMPLE_FILES, EXAMPLES

MESSY = 'orchestration "X" {\n  phase "A" {\n task a extractor run "a.py"\n  task bb extractor run "b.py"  # b\n}\n}'
CANONICAL = ('orchestration "X" {\n    phase "A" {\n        task a  extractor run "a.py"\n'
             '        task bb extractor run "b.py"  # b\n    }\n}\n')
BROKEN = 'orchestration "X" {\n    phase "A" {\n        task a extractor run "a.py"\n'

DEFENSIVE = """\
orchestration "Defensive" {
    phase "one" { task crm extractor run "crm.py" }
    phase "two" { task load writer run "load.py" }
    phase "three" { task sheet extractor run "sheet.py" }
}
"""
GROUPED = """\
orchestration "Defensive" {
    phase "Extract" {
        task crm   extractor run "crm.py"
        task sheet extractor run "sheet.py"
    }

    phase "Write" {
        task load writer run "load.py"
    }
}
"""


def test_rewrites_a_file_in_place_and_says_so(orchdsl, write_orch):
    path = write_orch(MESSY)
    result = orchdsl("fmt", path.name, cwd=path.parent)
    assert result == (0, "", "reformatted x.orch\n1 file reformatted, 0 files left unchanged\n")
    assert path.read_text() == CANONICAL


def test_a_formatted_file_is_not_written_again(orchdsl, write_orch):
    path = write_orch(CANONICAL)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    result = orchdsl("fmt", path)
    assert result == (0, "", "0 files reformatted, 1 file left unchanged\n")
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_keeps_the_file_mode_and_a_symbolic_link(orchdsl, write_orch, tmp_path):
    path = write_orch(MESSY)
    path.chmod(0o640)
    link = tmp_path / "link.orch"
    link.symlink_to(path)
    assert orchdsl("fmt", "-q", link).code == 0
    assert link.is_symlink() and path.read_text() == CANONICAL
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_keeps_crlf_line_ends_and_a_byte_order_mark(orchdsl, write_orch):
    path = write_orch(b"\xef\xbb\xbf" + MESSY.replace("\n", "\r\n").encode())
    assert orchdsl("fmt", path).code == 0
    assert path.read_bytes() == b"\xef\xbb\xbf" + CANONICAL.replace("\n", "\r\n").encode()


def test_dash_reads_standard_input_and_writes_standard_output(orchdsl, tmp_path):
    assert orchdsl("fmt", "-", stdin=MESSY, cwd=tmp_path) == (0, CANONICAL, "")


def test_check_exits_1_and_writes_nothing(orchdsl, write_orch):
    path = write_orch(MESSY)
    result = orchdsl("fmt", "--check", path.name, cwd=path.parent)
    assert result == (1, "", "would reformat x.orch\n"
                             "1 file would be reformatted, 0 files would be left unchanged\n")
    assert path.read_text() == MESSY


def test_check_of_formatted_files_exits_0(orchdsl, write_orch):
    path = write_orch(CANONICAL)
    assert orchdsl("fmt", "--check", "-q", path) == (0, "", "")
    assert orchdsl("fmt", "--check", "-", stdin=CANONICAL) == (0, "", "")
    assert orchdsl("fmt", "--check", "-", stdin=MESSY) == (1, "", "would reformat -\n")


EXPECTED_DIFF = """\
--- x.orch
+++ x.orch
@@ -1,6 +1,6 @@
 orchestration "X" {
-  phase "A" {
- task a extractor run "a.py"
-  task bb extractor run "b.py"  # b
+    phase "A" {
+        task a  extractor run "a.py"
+        task bb extractor run "b.py"  # b
+    }
 }
-}
\\ No newline at end of file
"""


def test_diff_prints_a_unified_diff_and_writes_nothing(orchdsl, write_orch):
    path = write_orch(MESSY)
    result = orchdsl("fmt", "--diff", "-q", path.name, cwd=path.parent)
    assert result == (0, EXPECTED_DIFF, "")
    assert path.read_text() == MESSY


def test_diff_applies_with_patch(orchdsl, write_orch, tmp_path):
    import shutil
    import subprocess

    if shutil.which("patch") is None:
        pytest.skip("patch(1) is not installed")
    path = write_orch(MESSY)
    diff = orchdsl("fmt", "--diff", "-q", path.name, cwd=tmp_path).stdout
    subprocess.run(["patch", "-s", "-p0"], input=diff.encode(), cwd=tmp_path, check=True)
    assert path.read_text() == CANONICAL


def test_check_and_diff_together_print_the_diff_and_exit_1(orchdsl, write_orch):
    path = write_orch(MESSY)
    result = orchdsl("fmt", "--check", "--diff", "-q", path.name, cwd=path.parent)
    assert result == (1, EXPECTED_DIFF, "")
    assert path.read_text() == MESSY


def test_folders_are_searched_for_orch_files(orchdsl, write_orch, tmp_path):
    deep = write_orch(MESSY, "pipelines/nightly/deep.orch")
    top = write_orch(CANONICAL, "pipelines/top.orch")
    hidden = write_orch(MESSY, "pipelines/.git/hidden.orch")
    other = write_orch(MESSY, "pipelines/notes.txt")
    result = orchdsl("fmt", "pipelines", cwd=tmp_path)
    assert result == (0, "", "reformatted pipelines/nightly/deep.orch\n"
                             "1 file reformatted, 1 file left unchanged\n")
    assert (deep.read_text(), top.read_text()) == (CANONICAL, CANONICAL)
    assert hidden.read_text() == MESSY and other.read_text() == MESSY


def test_a_file_that_does_not_parse_is_left_alone_with_its_diagnostics(orchdsl, write_orch):
    bad = write_orch(BROKEN, "bad.orch")
    good = write_orch(MESSY, "good.orch")
    result = orchdsl("fmt", "bad.orch", "good.orch", cwd=bad.parent)
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith("bad.orch:3:36: error[E001]: unexpected end of file")
    assert "orchdsl fmt: error: bad.orch: does not parse; left unchanged\n" in result.stderr
    assert result.stderr.endswith("reformatted good.orch\n"
                                  "1 file reformatted, 0 files left unchanged, 1 file not formatted\n")
    assert bad.read_bytes() == BROKEN.encode() and good.read_text() == CANONICAL


def test_standard_input_that_does_not_parse_prints_nothing_on_stdout(orchdsl):
    result = orchdsl("fmt", "-", "--stdin-filename", "pipe.orch", stdin=BROKEN)
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith("pipe.orch:3:36: error[E001]: ")


@pytest.mark.parametrize(("args", "message"), [
    ([], "give the files or folders to format ('.' for the current folder, '-' for stdin)"),
    (["--move", "a", "x.orch"], "--move TASK and --to PHASE go together"),
    (["--to", "A", "x.orch"], "--move TASK and --to PHASE go together"),
    (["--move", "a", "--to", "A", "--group-by-kind", "x.orch"],
     "--group-by-kind and --move cannot be used together"),
    (["--move", "a", "--to", " ", "x.orch"], "--to needs a phase name"),
    (["--move", "a", "--to", "\x1b[31m", "x.orch"],
     "--to: a phase name cannot hold control characters"),
    (["--move", "a", "--to", "A", "x.orch", "-"], "--move works on one file; give exactly one file"),
    (["--chek", "x.orch"], "unrecognized arguments: --chek"),
])
def test_usage_errors_are_one_line_and_exit_2(orchdsl, write_orch, args, message):
    path = write_orch(MESSY)
    result = orchdsl("fmt", *args, cwd=path.parent)
    assert result == (2, "", f"orchdsl fmt: error: {message} (see orchdsl fmt --help)\n")
    assert path.read_text() == MESSY


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.orch", None, "missing.orch: no such file or folder"),
    ("empty", "", "empty: no .orch file in this folder"),
    ("latin1.orch", b"# caf\xe9\n", "latin1.orch:1:6: not UTF-8 (byte 0xe9)"),
])
def test_unreadable_input_exits_2_and_writes_nothing(orchdsl, write_orch, tmp_path, name,
                                                     content, message):
    good = write_orch(MESSY, "good.orch")
    if name == "empty":
        (tmp_path / name).mkdir()
    elif content is not None:
        write_orch(content, name)
    result = orchdsl("fmt", "-q", "good.orch", name, cwd=tmp_path)
    assert result == (2, "", f"orchdsl fmt: error: {message}\n")
    if name != "latin1.orch":  # a missing path stops everything before any file is written
        assert good.read_text() == MESSY


def test_group_by_kind_rewrites_into_etl_phases(orchdsl, write_orch):
    path = write_orch(DEFENSIVE)
    assert orchdsl("fmt", "--group-by-kind", "-q", path).code == 0
    assert path.read_text() == GROUPED
    assert orchdsl("lint", path).code == 0


def test_group_by_kind_refusal_names_the_tasks_and_changes_nothing(orchdsl, write_orch):
    source = DEFENSIVE.replace("task load writer", "task load").replace(
        'run "sheet.py"', 'run "sheet.py" needs crm')
    path = write_orch(source)
    result = orchdsl("fmt", "--group-by-kind", path.name, cwd=path.parent)
    assert result.code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == ('x.orch:3:24: error[E117]: task "load" has no kind, so --group-by-kind '
                        "cannot place it")
    assert ('x.orch:4:63: error[E110]: task "sheet" needs "crm", but after --group-by-kind both '
            'would be in phase "Extract"') in lines
    assert "orchdsl fmt: error: x.orch: not regrouped; left unchanged" in lines
    assert path.read_text() == source


def test_move_moves_one_task(orchdsl, write_orch):
    path = write_orch(GROUPED)
    assert orchdsl("fmt", "--move", "sheet", "--to", "Write", "-q", path).code == 0
    assert path.read_text() == GROUPED.replace('        task sheet extractor run "sheet.py"\n', "") \
        .replace('        task crm   extractor', '        task crm extractor') \
        .replace('load.py"\n', 'load.py"\n        task sheet extractor run "sheet.py"\n') \
        .replace("task load writer", "task load  writer")


def test_move_to_a_new_phase_and_through_standard_input(orchdsl):
    result = orchdsl("fmt", "--move", "load", "--to", "Publish", "-", stdin=GROUPED)
    assert result == (0, GROUPED.replace('phase "Write"', 'phase "Publish"'), "")


def test_move_refusal_and_unknown_task(orchdsl, write_orch):
    source = GROUPED.replace('run "load.py"', 'run "load.py" needs sheet')
    path = write_orch(source)
    refused = orchdsl("fmt", "--move", "sheet", "--to", "Write", path.name, cwd=path.parent)
    assert refused.code == 1
    assert refused.stderr.startswith('x.orch:8:46: error[E110]: task "load" needs "sheet", but '
                                     'after --move both would be in phase "Write"\n')
    assert refused.stderr.endswith('orchdsl fmt: error: x.orch: "sheet" not moved; left unchanged\n')
    unknown = orchdsl("fmt", "--move", "shet", "--to", "Write", path.name, cwd=path.parent)
    assert unknown == (2, "", 'orchdsl fmt: error: x.orch: no task "shet" in this file '
                              '(did you mean "sheet"?)\n')
    assert path.read_text() == source


def test_ignore_comments_still_silence_after_formatting(orchdsl, examples_copy):
    example = examples_copy / "ml-retrain" / "ml-retrain.orch"
    text = example.read_text()
    example.write_text(text.replace("    ", "  ").replace("disabled  #", "disabled #"))
    assert orchdsl("fmt", "-q", example).code == 0
    assert example.read_text() == text
    result = orchdsl("lint", "--strict", example)
    assert result.code == 0, result.stdout


def test_the_examples_are_formatted():
    from conftest import run_command

    assert run_command("fmt", "--check", EXAMPLES) == (
        0, "", f"0 files would be reformatted, {len(EXAMPLE_FILES)} files would be left unchanged\n")
