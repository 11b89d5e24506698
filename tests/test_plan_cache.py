"""The plan cache (docs/reference.md, "The plan cache"): a run of an unchanged file reuses its
plan; anything that could change the plan makes it compile again, and nothing about the cache
is ever an error. Real ``orchdsl run`` processes; what a task ran is what it wrote into
``seen`` next to the file.

The cache is used: an entry whose plan was swapped (its inputs and stamp left as they are)
runs the swapped plan, so the tests that expect the file's own plan can fail.
"""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import isolated_env, orchdsl_executable, run_isolated

from orchdsl.planning import cache


def orch(word: str, task: str = "say", extra: str = "") -> str:
    return (f'orchestration "cached" {{\n    phase "only" {{\n'
            f'        task {task} run "echo {word} >> seen"\n{extra}    }}\n}}\n')


def run(folder: Path, name: str = "job.orch", env: dict | None = None):
    return run_isolated("run", name, cwd=folder, env=env)


def seen(folder: Path) -> list[str]:
    path = folder / "seen"
    words = path.read_text().split() if path.exists() else []
    path.unlink(missing_ok=True)
    return words


def plans(env_home: Path) -> Path:
    return env_home / "orchdsl" / "plans"


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.plan")) if folder.is_dir() else []


@pytest.fixture
def home() -> Path:
    """The test's own cache home (conftest sets XDG_CACHE_HOME per test)."""
    return Path(os.environ["XDG_CACHE_HOME"])


def swap_plan(entry: Path, other_plan) -> None:
    """Keep the entry's header (stamp and inputs), put another plan in."""
    with open(entry, "rb") as f:
        header = pickle.load(f)
    entry.write_bytes(pickle.dumps(header) + pickle.dumps(other_plan))
    entry.chmod(0o600)


def plan_of(tmp_path: Path, text: str):
    """The plan_file plan of another file with ``text`` (what a swapped entry holds)."""
    from orchdsl.compiler import compile_file
    from orchdsl.planning.build import plan_file

    other = tmp_path / "other"
    other.mkdir(exist_ok=True)
    (other / "job.orch").write_text(text)
    return plan_file(compile_file(str(other / "job.orch")))


def test_an_unchanged_file_runs_its_cached_plan(tmp_path, home):
    (tmp_path / "job.orch").write_text(orch("one"))
    assert run(tmp_path).code == 0 and seen(tmp_path) == ["one"]
    [entry] = entries(plans(home))
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(plans(home).stat().st_mode) == 0o700
    swap_plan(entry, plan_of(tmp_path, orch("swapped")))
    assert run(tmp_path).code == 0
    assert (tmp_path / "other" / "seen").read_text().split() == ["swapped"]  # the cache ran


def test_a_cached_run_loads_neither_lark_nor_networkx(tmp_path):
    (tmp_path / "job.orch").write_text(orch("one"))
    argv = [sys.executable, "-X", "importtime", "-m", "orchdsl", "run", "job.orch"]
    first = subprocess.run(argv, cwd=tmp_path, env=isolated_env(), capture_output=True,
                           text=True, timeout=60)
    assert first.returncode == 0 and " lark" in first.stderr  # compiled: the parser loaded
    again = subprocess.run(argv, cwd=tmp_path, env=isolated_env(), capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    loaded = [line.rsplit("|", 1)[-1].strip() for line in again.stderr.splitlines()
              if line.startswith("import time:")]
    assert not [m for m in loaded if m.split(".")[0] in ("lark", "networkx")]
    assert "orchdsl.lang.ast" not in loaded and "orchdsl.compiler" not in loaded


@pytest.mark.parametrize("same_size_and_time", [False, True])
def test_an_edit_of_the_file_is_run(tmp_path, same_size_and_time):
    path = tmp_path / "job.orch"
    path.write_text(orch("one"))
    assert run(tmp_path).code == 0 and seen(tmp_path) == ["one"]
    before = path.stat()
    path.write_text(orch("two" if same_size_and_time else "three"))
    if same_size_and_time:  # an edit within one mtime tick, of the same size
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert path.stat().st_size == before.st_size
    assert run(tmp_path).code == 0
    assert seen(tmp_path) == ["two" if same_size_and_time else "three"]


def test_an_edit_of_a_nested_file_is_run(tmp_path):
    (tmp_path / "sub").mkdir()
    child = tmp_path / "sub" / "child.orch"
    child.write_text(orch("one").replace(">> seen", ">> ../seen").replace("cached", "child"))
    (tmp_path / "job.orch").write_text(
        'orchestration "parent" {\n    phase "only" {\n'
        '        task nested orchestration "sub/child.orch"\n    }\n}\n')
    assert run(tmp_path).code == 0 and seen(tmp_path) == ["one"]
    child.write_text(child.read_text().replace("one", "two"))
    assert run(tmp_path).code == 0 and seen(tmp_path) == ["two"]
    child.write_text(child.read_text().replace('run "echo', 'run "ech'))  # now a 127
    result = run(tmp_path)
    assert result.code == 1 and seen(tmp_path) == []


def test_a_nested_file_that_becomes_an_error_is_reported(tmp_path):
    child = tmp_path / "child.orch"
    child.write_text(orch("one").replace("cached", "child"))
    (tmp_path / "job.orch").write_text(
        'orchestration "parent" {\n    phase "only" {\n'
        '        task nested orchestration "child.orch"\n    }\n}\n')
    assert run(tmp_path).code == 0
    child.write_text("orchestration {\n")
    result = run(tmp_path)
    assert result.code == 1 and "child.orch" in result.stderr and "error" in result.stderr


def test_a_call_module_that_loses_its_function_is_reported(tmp_path):
    (tmp_path / "steps.py").write_text("def work():\n    open('seen', 'a').write('ran\\n')\n")
    (tmp_path / "job.orch").write_text(
        'orchestration "calls" {\n    phase "only" {\n        task c call "steps:work"\n'
        "    }\n}\n")
    assert run(tmp_path).code == 0 and seen(tmp_path) == ["ran"]
    (tmp_path / "steps.py").write_text("def other():\n    pass\n")
    result = run(tmp_path)
    assert result.code == 1 and "E111" in result.stderr and "no function work" in result.stderr


def test_a_call_module_created_next_to_the_file_is_checked(tmp_path):
    (tmp_path / "job.orch").write_text(
        'orchestration "calls" {\n    phase "only" {\n        task c call "json:dumps"\n'
        "    }\n}\n")
    first = run(tmp_path)  # json from sys.path: dumps() needs obj, no param gives it
    (tmp_path / "json.py").write_text("def other():\n    pass\n")
    result = run(tmp_path)
    assert result.code == 1 and "E111" in result.stderr, (first, result)


def test_another_orchdsl_version_is_a_miss(tmp_path, home):
    (tmp_path / "job.orch").write_text(orch("one"))
    assert run(tmp_path).code == 0 and seen(tmp_path) == ["one"]
    [entry] = entries(plans(home))
    with open(entry, "rb") as f:
        form, stamp, inputs = pickle.load(f)
    version, *rest = stamp
    other = (form, ("0.0.0-other", *rest), inputs)
    entry.write_bytes(pickle.dumps(other) + pickle.dumps(plan_of(tmp_path, orch("stale"))))
    entry.chmod(0o600)
    assert run(tmp_path).code == 0 and seen(tmp_path) == ["one"]
    with open(entry, "rb") as f:
        assert pickle.load(f)[1][0] == version  # rewritten by this version


def test_the_code_stamp_holds_the_versions_and_the_sources(monkeypatch):
    import orchdsl._version

    cache.code_stamp.cache_clear()
    try:
        stamp = cache.code_stamp()
        assert stamp[0] == orchdsl._version.__version__ and stamp[1] == sys.version
        files = {Path(p).name for p, _, _ in stamp[3]}
        assert {"orch.lark", "compiler.py", "build.py", "linter.py", "cache.py"} <= files
        monkeypatch.setattr(orchdsl._version, "__version__", "9.9.9")
        cache.code_stamp.cache_clear()
        assert cache.code_stamp() != stamp
    finally:
        cache.code_stamp.cache_clear()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "not a plan"])
def test_a_corrupt_entry_is_ignored_and_rewritten(tmp_path, home, damage):
    (tmp_path / "job.orch").write_text(orch("one"))
    assert run(tmp_path).code == 0 and seen(tmp_path) == ["one"]
    [entry] = entries(plans(home))
    data = entry.read_bytes()
    header = pickle.dumps(pickle.loads(data))  # bytes past the first pickle are ignored
    entry.write_bytes({"garbage": b"\x80\x05not a pickle at all",
                       "truncated": data[:len(data) // 2], "empty": b"",
                       "not a plan": header + pickle.dumps({"tasks": []})}[damage])
    result = run(tmp_path)
    assert result.code == 0 and seen(tmp_path) == ["one"] and result.stderr == ""
    assert cache.load("job.orch") is None  # (this process's cwd differs)
    os.chdir(tmp_path)
    try:
        assert cache.load("job.orch") is not None  # rewritten whole
    finally:
        os.chdir(Path(__file__).parent)


@pytest.mark.parametrize("how", ["others may write it", "another user owns it",
                                 "a symbolic link", "the folder is others'"])
def test_a_foreign_entry_is_never_read(tmp_path, home, how):
    (tmp_path / "job.orch").write_text(orch("one"))
    assert run(tmp_path).code == 0 and seen(tmp_path) == ["one"]
    [entry] = entries(plans(home))
    swap_plan(entry, plan_of(tmp_path, orch("forged")))  # would run, if it were read
    if how == "others may write it":
        entry.chmod(0o666)
    elif how == "another user owns it":
        if os.geteuid() != 0:
            pytest.skip("only root can give a file to another user")
        os.chown(entry, 4321, 4321)
    elif how == "a symbolic link":
        forged = tmp_path / "forged.plan"
        entry.rename(forged)
        entry.symlink_to(forged)
    else:
        plans(home).chmod(0o777)
    result = run(tmp_path)
    assert result.code == 0 and seen(tmp_path) == ["one"], result
    assert not (tmp_path / "other" / "seen").exists()
    if how != "the folder is others'":
        assert entry.stat().st_uid == os.geteuid() and not entry.is_symlink()
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600  # rewritten, ours
    else:
        assert stat.S_IMODE(plans(home).stat().st_mode) == 0o700  # made ours again


@pytest.mark.parametrize("how", ["read-only folder", "a file in the way"])
def test_a_cache_folder_that_cannot_be_written_leaves_runs_uncached(tmp_path, home, how):
    (tmp_path / "job.orch").write_text(orch("one"))
    env = None
    if how == "read-only folder":
        plans(home).mkdir(parents=True)
        plans(home).chmod(0o500)
        if os.geteuid() == 0:  # root writes into any folder, but not into an immutable one
            made = subprocess.run(["chattr", "+i", str(plans(home))], capture_output=True)
            if made.returncode != 0:
                pytest.skip("root writes into a read-only folder, and chattr +i failed")
    else:
        (tmp_path / "file").write_text("")
        env = {"ORCHDSL_CACHE": str(tmp_path / "file" / "plans")}
    try:
        for word in ("one", "two"):
            (tmp_path / "job.orch").write_text(orch(word))
            result = run(tmp_path, env=env)
            assert result.code == 0 and result.stderr == "" and seen(tmp_path) == [word]
        assert entries(plans(home)) == []
    finally:
        if how == "read-only folder" and os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(plans(home))], capture_output=True)


def test_an_empty_orchdsl_cache_turns_it_off(tmp_path, home):
    (tmp_path / "job.orch").write_text(orch("one"))
    assert run(tmp_path, env={"ORCHDSL_CACHE": ""}).code == 0 and seen(tmp_path) == ["one"]
    assert not (home / "orchdsl" / "plans").exists()
    chosen = tmp_path / "chosen"
    assert run(tmp_path, env={"ORCHDSL_CACHE": str(chosen)}).code == 0
    assert len(entries(chosen)) == 1 and not (home / "orchdsl" / "plans").exists()


def test_the_same_path_from_another_folder_is_another_entry(tmp_path, home):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "job.orch").write_text(orch(name))
    for name in ("a", "b", "a", "b"):
        assert run(tmp_path / name).code == 0 and seen(tmp_path / name) == [name]
    assert len(entries(plans(home))) == 2


def test_a_symbolic_link_that_points_elsewhere_is_a_miss(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "job.orch").write_text(orch("same"))  # the same text
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "a")
    assert run(tmp_path, "link/job.orch").code == 0 and seen(tmp_path / "a") == ["same"]
    link.unlink()
    link.symlink_to(tmp_path / "b")
    assert run(tmp_path, "link/job.orch").code == 0 and seen(tmp_path / "b") == ["same"]


def test_runs_racing_on_one_entry_each_run_the_file_as_it_is(tmp_path, home):
    """Several runs of one file at once, between edits: each runs the current text, exits 0
    and says nothing about the cache (they read, miss and write one entry together)."""
    path = tmp_path / "job.orch"
    for round_ in range(4):
        word = f"w{round_}"
        path.write_text(orch(word, extra="".join(
            f'        task t{i} run "true"\n' for i in range(round_ * 3))))
        runs = [subprocess.Popen([orchdsl_executable(), "run", "job.orch"], cwd=tmp_path,
                                 env=isolated_env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE) for _ in range(4)]
        for each in runs:
            out, err = each.communicate(timeout=60)
            assert each.returncode == 0 and err == b"", (out, err)
        assert seen(tmp_path) == [word] * 4
    assert len(entries(plans(home))) == 1
    assert not list(plans(home).glob("*.tmp"))  # no temporary file left behind


def test_save_and_load_race_in_threads(tmp_path, monkeypatch):
    """One process, many threads saving two different plans of one path and loading it:
    a load gives None or the plan of the file as it is now, never another, never raises."""
    import threading

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORCHDSL_CACHE", str(tmp_path / "plans"))
    first, second = plan_of(tmp_path, orch("first")), plan_of(tmp_path, orch("second"))
    (tmp_path / "job.orch").write_text(orch("first"))
    mine = dict(first.__dict__, path="job.orch")
    plan = type(first)(**{k: v for k, v in mine.items() if not k.startswith("_")})
    wrong = type(second)(**{k: v for k, v in dict(second.__dict__, path="job.orch").items()
                            if not k.startswith("_")})
    problems: list = []

    def work(which):
        for _ in range(40):
            try:
                cache.save("job.orch", which)
                got = cache.load("job.orch")
                if got is not None and got.file_hash != plan.file_hash:
                    problems.append("a plan of other text")
            except Exception as exc:  # noqa: BLE001
                problems.append(repr(exc))

    threads = [threading.Thread(target=work, args=(p,)) for p in (plan, wrong, plan, wrong)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []
    cache.save("job.orch", plan)
    assert cache.load("job.orch").file_hash == plan.file_hash
