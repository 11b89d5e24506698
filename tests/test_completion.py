"""``orchdsl completion SHELL``: the scripts are loaded into the real shells and asked for
completions, as a user's TAB would. bash is always there; zsh and fish are tested when
installed (CI does not install them: the tests say so when they skip)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import orchdsl_executable
from orchdsl.cli.parsers import commands

SHELLS = ("bash", "zsh", "fish")


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    """The scripts written by the installed command, one file per shell."""
    from conftest import run_command

    folder = tmp_path_factory.mktemp("completion")
    paths = {}
    for shell in SHELLS:
        result = run_command("completion", shell)
        assert (result.code, result.stderr) == (0, "")
        paths[shell] = folder / f"orchdsl.{shell}"
        paths[shell].write_text(result.stdout)
    return paths


@pytest.fixture
def workdir(tmp_path):
    """A folder with .orch files, another file and a subfolder, to complete paths in."""
    (tmp_path / "daily.orch").write_text("")
    (tmp_path / "hourly.orch").write_text("")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "pipelines").mkdir()
    return tmp_path


# --- bash -------------------------------------------------------------------------------------

def bash_complete(script, words: list[str], cwd, env: dict[str, str] | None = None) -> list[str]:
    """COMPREPLY for the command line ``words`` with the cursor at the end of the last word.
    The installed orchdsl is first on PATH (the script asks it for task names and job ids)
    and the default store is in ``cwd``'s .home unless ``env`` says otherwise."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (f"source '{script}'\nCOMP_WORDS=({quoted})\nCOMP_CWORD={len(words) - 1}\n"
               "COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}\n"
               "_orchdsl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    environment = {**os.environ, "ORCHDSL_HOME": str(Path(cwd) / ".home"),
                   "PATH": f"{Path(orchdsl_executable()).parent}{os.pathsep}{os.environ['PATH']}",
                   **(env or {})}
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], cwd=cwd,
                          capture_output=True, text=True, timeout=30, env=environment)
    assert done.stderr == ""
    return sorted(line for line in done.stdout.split("\n") if line)


BASH_CASES = [
    (["orchdsl", "l"], ["lint", "logs", "lsp"]),
    (["orchdsl", "--v"], ["--version"]),
    (["orchdsl", "lint", "--f"], ["--format"]),
    (["orchdsl", "lint", "--format", ""], ["github", "json", "sarif", "text"]),
    (["orchdsl", "lint", "--format", "s"], ["sarif"]),
    # bash splits "--format=s" at "=" into three words
    (["orchdsl", "lint", "--format", "=", "s"], ["sarif"]),
    (["orchdsl", "lint", "--format", "="], ["github", "json", "sarif", "text"]),
    (["orchdsl", "lint", "--explain", "W20"], [f"W20{i}" for i in range(1, 10)]),
    (["orchdsl", "lint", ""], ["daily.orch", "hourly.orch", "pipelines"]),
    (["orchdsl", "lint", "h"], ["hourly.orch"]),
    (["orchdsl", "graph", "-f", "m"], ["mermaid"]),
    (["orchdsl", "graph", "-o", "n"], ["notes.txt"]),
    (["orchdsl", "run", "d"], ["daily.orch"]),
    (["orchdsl", "run", "--dr"], ["--dry-run"]),
    (["orchdsl", "run", "--param", ""], []),
    (["orchdsl", "run", "--store", ""], ["daily.orch", "hourly.orch", "notes.txt", "pipelines"]),
    (["orchdsl", "jobs", "--status", "e"], ["error"]),
    (["orchdsl", "completion", ""], ["bash", "fish", "zsh"]),
    (["orchdsl", "job", ""], []),
    (["orchdsl", "nope", ""], []),
]


@pytest.mark.parametrize(("words", "expected"), BASH_CASES,
                         ids=[" ".join(w) for w, _ in BASH_CASES])
def test_bash_completes(scripts, workdir, words, expected):
    assert bash_complete(scripts["bash"], words, workdir) == expected


# --- words read from disk: task and phase names, job ids ---------------------------------------

PIPELINE = '''orchestration "P" {
    phase "Extract" {
        task crm extractor run "x"
        task sheet extractor run "x"
    }
    phase "Load [EU]" {
        task load_eu writer run "x"
        task load_us writer run "x" disabled
    }
    phase "$(touch PWNED)" {
        task tidy run "x"
    }
}
'''


@pytest.fixture
def pipeline(workdir):
    (workdir / "p.orch").write_text(PIPELINE)
    return workdir


NAME_CASES = [
    (["orchdsl", "run", "p.orch", "--only", ""], ["crm", "load_eu", "load_us", "sheet", "tidy"]),
    (["orchdsl", "run", "p.orch", "--only", "l"], ["load_eu", "load_us"]),
    (["orchdsl", "run", "p.orch", "--only", "crm,s"], ["crm,sheet"]),
    (["orchdsl", "run", "p.orch", "--only", "crm,sheet,load_"], ["crm,sheet,load_eu",
                                                                   "crm,sheet,load_us"]),
    (["orchdsl", "run", "--dry-run", "p.orch", "--skip", "t"], ["tidy"]),
    (["orchdsl", "run", "p.orch", "--only", "=", "c"], ["crm"]),
    (["orchdsl", "run", "p.orch", "--phase", ""], ["$(touch PWNED)", "Extract", "Load [EU]"]),
    (["orchdsl", "run", "p.orch", "--from-phase", "L"], ["Load [EU]"]),
    (["orchdsl", "fmt", "p.orch", "--move", "s"], ["sheet"]),
    (["orchdsl", "run", "--only", "c"], []),                 # no file before the cursor
    (["orchdsl", "run", "daily.orch", "--only", ""], []),    # a file without tasks
    (["orchdsl", "run", "nowhere.orch", "--only", ""], []),  # a file that is not there
]


@pytest.mark.parametrize(("words", "expected"), NAME_CASES, ids=[" ".join(w) for w, _ in NAME_CASES])
def test_bash_completes_task_and_phase_names_from_the_file_on_the_line(scripts, pipeline, words,
                                                                       expected):
    assert bash_complete(scripts["bash"], words, pipeline) == sorted(expected)
    assert not (pipeline / "PWNED").exists()  # a name is a word, never shell code


@pytest.fixture(scope="module")
def store_with_jobs(tmp_path_factory):
    """A store holding three jobs, made by the real command; the folder it is in (only ever
    read by the tests that use it)."""
    from conftest import run_command

    home = tmp_path_factory.mktemp("home")
    (home / "job.orch").write_text('orchestration "J" {\n phase "A" { task a run "true" }\n}\n')
    for _ in range(3):
        assert run_command("run", "job.orch", cwd=home, env={"ORCHDSL_HOME": str(home)}).code == 0
    return home


JOB_CASES = [
    (["orchdsl", "job", ""], ["1", "2", "3"]),
    (["orchdsl", "job", "2"], ["2"]),
    (["orchdsl", "job", "x"], []),
    (["orchdsl", "logs", ""], ["1", "2", "3"]),
    (["orchdsl", "logs", "--follow", "1"], ["1"]),
    (["orchdsl", "logs", "3", ""], []),          # the second argument is a task, not a job
    (["orchdsl", "run", "p.orch", "--rerun", ""], ["1", "2", "3"]),
]


@pytest.mark.parametrize(("words", "expected"), JOB_CASES, ids=[" ".join(w) for w, _ in JOB_CASES])
def test_bash_completes_job_ids_from_the_store(scripts, pipeline, store_with_jobs, words, expected):
    env = {"ORCHDSL_HOME": str(store_with_jobs)}
    assert bash_complete(scripts["bash"], words, pipeline, env) == expected


def test_bash_completes_job_ids_from_the_store_given_on_the_line(scripts, pipeline,
                                                                 store_with_jobs):
    store = str(store_with_jobs / "orchdsl.db")
    for words in (["orchdsl", "job", "--store", store, ""],
                  ["orchdsl", "job", "--store", "=", store, ""]):
        assert bash_complete(scripts["bash"], words, pipeline) == ["1", "2", "3"]


def test_completing_job_ids_never_creates_or_changes_a_store(scripts, pipeline, store_with_jobs):
    before = sorted(p.name for p in store_with_jobs.iterdir())
    data = (store_with_jobs / "orchdsl.db").read_bytes()
    bash_complete(scripts["bash"], ["orchdsl", "job", ""], pipeline,
                  {"ORCHDSL_HOME": str(store_with_jobs)})
    assert sorted(p.name for p in store_with_jobs.iterdir()) == before  # no -wal, no -shm
    assert (store_with_jobs / "orchdsl.db").read_bytes() == data
    assert bash_complete(scripts["bash"], ["orchdsl", "job", ""], pipeline) == []
    assert not (pipeline / ".home").exists()


def test_a_store_that_is_no_database_completes_nothing_quietly(scripts, pipeline, tmp_path):
    (tmp_path / "orchdsl.db").write_text("not sqlite")
    assert bash_complete(scripts["bash"], ["orchdsl", "job", ""], pipeline,
                         {"ORCHDSL_HOME": str(tmp_path)}) == []
    assert (tmp_path / "orchdsl.db").read_text() == "not sqlite"


def test_bash_registers_the_function_for_orchdsl(scripts):
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                           f"source '{scripts['bash']}'; complete -p orchdsl"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "complete -o filenames -F _orchdsl orchdsl"


@pytest.mark.parametrize("shell", SHELLS)
def test_every_command_and_option_of_the_live_parsers_is_in_the_script(scripts, shell):
    text = scripts[shell].read_text()
    for command in commands():
        assert command.name in text
        for option in command.options:
            for flag in option.flags:
                # fish writes "--format" as "-l format" and "-f" as "-s f"
                shown = (f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}") \
                    if shell == "fish" else flag
                assert shown in text, (command.name, flag)


def test_an_unknown_shell_is_a_usage_error(orchdsl):
    result = orchdsl("completion", "tcsh")
    assert result.code == 2
    assert result.stderr.startswith("orchdsl completion: error: argument SHELL: invalid choice")
    assert result.stdout == ""


# --- zsh and fish (when installed) ------------------------------------------------------------

def needs(shell: str):
    return pytest.mark.skipif(shutil.which(shell) is None,
                              reason=f"{shell} is not installed here (CI does not install it)")


@needs("zsh")
def test_zsh_script_parses_and_registers_under_compinit(scripts, tmp_path):
    subprocess.run(["zsh", "-n", scripts["zsh"]], check=True, capture_output=True)
    program = (f"autoload -U compinit; compinit -u -d {tmp_path}/zcompdump; "
               f"source {scripts['zsh']}; print -r -- $_comps[orchdsl]")
    done = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True,
                          timeout=30)
    assert (done.stdout.strip(), done.stderr) == ("_orchdsl", "")


def fish_complete(script, line: str, cwd) -> list[str]:
    """The candidates in fish's order."""
    done = subprocess.run(["fish", "--no-config", "-c",
                           f"source '{script}'; complete -C '{line}'"],
                          cwd=cwd, capture_output=True, text=True, timeout=30)
    assert done.stderr == ""
    return [row.split("\t")[0] for row in done.stdout.split("\n") if row]


FISH_CASES = [
    ("orchdsl l", ["lint", "logs", "lsp"]),
    ("orchdsl lint --f", ["--format"]),
    ("orchdsl lint --format ", ["github", "json", "sarif", "text"]),
    ("orchdsl lint --format=s", ["--format=sarif"]),
    # fish's way with a suffix (as for python and *.py): the matches first, then the other
    # files and folders, which a user may still mean.
    ("orchdsl lint ", ["daily.orch", "hourly.orch", "notes.txt", "pipelines/"]),
    ("orchdsl graph -o n", ["notes.txt"]),
    ("orchdsl completion ", ["bash", "fish", "zsh"]),
]


@needs("fish")
@pytest.mark.parametrize(("line", "expected"), FISH_CASES, ids=[c[0] for c in FISH_CASES])
def test_fish_completes(scripts, workdir, line, expected):
    subprocess.run(["fish", "-n", scripts["fish"]], check=True, capture_output=True)
    found = fish_complete(scripts["fish"], line, workdir)
    assert found == expected
