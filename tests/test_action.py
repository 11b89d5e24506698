"""The GitHub Action (action.yml) runs: its steps' scripts are executed here in bash the way
the Actions runner does (``bash --noprofile --norc -eo pipefail``, ``${{ inputs.* }}`` filled
in, GITHUB_ACTION_PATH, RUNNER_TEMP, GITHUB_PATH and GITHUB_OUTPUT set, GITHUB_PATH applied
to the next step). The install step really installs orchdsl from a copy of this checkout into
a fresh virtual environment. What cannot run here is GitHub itself: the annotations are checked
as the workflow commands the runner turns into annotations."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from checkout_snapshot import ROOT, snapshot

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")

BAD = 'orchestration "o" {\n    phase "p" {\n        task a extracter run "true"\n    }\n}\n'
WARNS = 'orchestration "o" {\n    phase "p" {\n        task a run "true" disabled\n    }\n}\n'
GOOD = 'orchestration "o" {\n    phase "p" {\n        task a run "true"\n    }\n}\n'


class Runner:
    """Runs the action's steps as the Actions runner would, in one workspace."""

    def __init__(self, action_path: Path, temp: Path, workspace: Path):
        self.action_path, self.temp, self.workspace = action_path, temp, workspace
        self.path_file = temp / "github_path"
        self.path_file.write_text("")

    def run(self, step_name: str, **given: str) -> tuple[subprocess.CompletedProcess, dict]:
        step = next(s for s in ACTION["runs"]["steps"] if s["name"] == step_name)
        assert step["shell"] == "bash"
        inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        inputs.update(given)
        unknown = set(given) - set(ACTION["inputs"])
        assert not unknown, f"no such input: {unknown}"
        output_file = self.temp / "github_output"
        output_file.write_text("")
        added = [line for line in self.path_file.read_text().splitlines() if line]
        env = {**os.environ, "GITHUB_ACTION_PATH": str(self.action_path),
               "RUNNER_TEMP": str(self.temp), "GITHUB_PATH": str(self.path_file),
               "GITHUB_OUTPUT": str(output_file), "GITHUB_WORKSPACE": str(self.workspace),
               "GITHUB_ACTIONS": "true", "CI": "true",
               "PATH": os.pathsep.join([*reversed(added), "/usr/bin", "/bin"])}
        env.update({k: self.expand(v, inputs) for k, v in step.get("env", {}).items()})
        script = self.temp / "step.sh"
        script.write_text(self.expand(step["run"], inputs))
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=self.workspace, env=env, capture_output=True, text=True,
                              timeout=300)
        outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines())
        return done, outputs

    def expand(self, text: str, inputs: dict[str, str]) -> str:
        def value(match: re.Match) -> str:
            scope, _, name = match.group(1).partition(".")
            assert scope == "inputs", f"unexpected expression {match.group(0)}"
            return inputs[name]

        return EXPRESSION.sub(value, text)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The action's checkout (a copy of this one) with its install step run once."""
    action_path = snapshot(tmp_path_factory.mktemp("action"))
    temp = tmp_path_factory.mktemp("runner_temp")
    runner = Runner(action_path, temp, temp)
    # The interpreter running the tests (3.11+), as actions/setup-python would provide one.
    done, _ = runner.run("Install orchdsl", python=str(Path(sys.executable).resolve()))
    assert done.returncode == 0, done.stderr
    return runner


@pytest.fixture
def action(installed, tmp_path):
    """The installed action, in a fresh workspace with a good, a bad and a warning file."""
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "good.orch").write_text(GOOD)
    (tmp_path / "pipelines" / "warns.orch").write_text(WARNS)
    (tmp_path / "broken.orch").write_text(BAD)
    installed.workspace = tmp_path
    return installed


def test_the_action_is_a_composite_with_documented_inputs():
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"paths", "strict", "sarif", "python"}
    assert all(spec["description"] for spec in ACTION["inputs"].values())
    # Inputs reach scripts through env:, never pasted into a script's text.
    assert all(not EXPRESSION.search(step["run"]) for step in ACTION["runs"]["steps"])


@pytest.mark.slow  # builds a virtual environment
def test_install_puts_orchdsl_on_the_path_of_the_next_steps(installed):
    (venv_bin,) = installed.path_file.read_text().split()
    assert venv_bin.startswith(str(installed.temp))
    version = subprocess.run([Path(venv_bin) / "orchdsl", "--version"], capture_output=True,
                             text=True, check=True).stdout
    assert version.startswith("orchdsl ")


@pytest.mark.slow  # builds a virtual environment
def test_errors_become_annotations_and_fail_the_step(action):
    done, outputs = action.run("Lint .orch files")
    assert done.returncode == 1
    assert outputs == {"exit-code": "1"}
    assert "::error file=broken.orch,line=3,col=16," in done.stdout
    assert "::warning file=pipelines/warns.orch,line=3," in done.stdout


@pytest.mark.slow  # builds a virtual environment
def test_a_clean_folder_passes(action):
    done, outputs = action.run("Lint .orch files", paths="pipelines/good.orch")
    assert (done.returncode, outputs, done.stdout) == (0, {"exit-code": "0"}, "")


@pytest.mark.slow  # builds a virtual environment
@pytest.mark.parametrize(("strict", "code"), [("false", 0), ("true", 1)])
def test_strict_makes_warnings_fail(action, strict, code):
    done, outputs = action.run("Lint .orch files", paths="pipelines", strict=strict)
    assert (done.returncode, outputs["exit-code"]) == (code, str(code))
    assert "::warning file=pipelines/warns.orch" in done.stdout


@pytest.mark.slow  # builds a virtual environment
def test_paths_may_be_given_on_several_lines(action):
    done, _ = action.run("Lint .orch files", paths="pipelines/good.orch\n  broken.orch\n")
    assert done.returncode == 1
    assert "file=broken.orch" in done.stdout and "warns.orch" not in done.stdout


@pytest.mark.slow  # builds a virtual environment
def test_sarif_is_written_to_the_given_path_and_the_status_kept(action):
    done, outputs = action.run("Lint .orch files", sarif="reports/orchdsl.sarif")
    assert done.returncode == 1 and outputs == {"exit-code": "1"}
    sarif = json.loads((action.workspace / "reports" / "orchdsl.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    found = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
             for r in sarif["runs"][0]["results"]}
    assert ("E001", "broken.orch") in found
    assert "::error file=broken.orch" in done.stdout  # the annotations still come


@pytest.mark.slow  # builds a virtual environment
def test_an_unreadable_path_is_exit_2(action):
    done, outputs = action.run("Lint .orch files", paths="missing/")
    assert (done.returncode, outputs) == (2, {"exit-code": "2"})
    assert "missing" in done.stderr


@pytest.mark.slow  # builds a virtual environment
def test_a_bad_strict_value_is_an_error_annotation(action):
    done, outputs = action.run("Lint .orch files", strict="yes")
    assert (done.returncode, outputs) == (2, {"exit-code": "2"})
    assert done.stdout.startswith("::error title=orchdsl::input strict must be true or false")
