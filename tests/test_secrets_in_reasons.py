"""A secret's value never leaves the runner through a failure's reason (docs/language.md,
"Secrets"): a ``call`` that raises with the token in its message, a command that cannot start
because the token is in its path. Checked where a user sees it: the run's output, ``job`` in
text and JSON, the ``logs`` header, and the bytes of the store."""

from __future__ import annotations

import pytest

from conftest import run_isolated
from jobfiles import lit

SECRET = "tok-5ecr3t-77"

RAISING = """\
def go():
    raise RuntimeError("auth failed for " + __import__("os").environ["TOKEN"])
"""

FILES = {
    "a call raising with it": f'task a call "leaky:go"',
    "a command path holding it": 'task a run ["/nonexistent/${TOKEN}"]',
    "a shell command failing with it": f"task a run {lit('echo denied: $TOKEN >&2; exit 3')}",
}


@pytest.mark.parametrize("task", FILES.values(), ids=FILES.keys())
def test_a_failure_reason_holding_a_secret_shows_stars_everywhere(tmp_path, task):
    (tmp_path / "leaky.py").write_text(RAISING)
    (tmp_path / "job.orch").write_text(
        f'orchestration "Leaky" {{\n    secret TOKEN\n    phase "P" {{\n        {task}\n    }}\n}}\n')
    env = {"TOKEN": SECRET, "XDG_STATE_HOME": str(tmp_path / "state")}
    runs = [run_isolated("run", "job.orch", *flags, cwd=tmp_path, env=env)
            for flags in ([], ["--stream"], ["--no-live"])]
    assert [r.code for r in runs] == [1, 1, 1]
    shown = [run_isolated(*args, cwd=tmp_path, env=env) for args in (
        ["job", "1"], ["job", "1", "--format", "json"], ["logs", "1"], ["jobs"],
        ["jobs", "--format", "json"])]
    everything = "".join(r.stdout + r.stderr for r in [*runs, *shown])
    assert SECRET not in everything
    assert "***" in runs[0].stdout  # the reason is there, masked
    for path in (tmp_path / "state" / "orchdsl").iterdir():
        assert SECRET.encode() not in path.read_bytes(), path
