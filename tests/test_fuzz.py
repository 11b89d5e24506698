"""Seeded fuzzing: mutants of every example must lint without a crash, with exit 0 or 1, with
positions inside the file and without lark's token names in any message."""

from __future__ import annotations

import contextlib
import io
import json
import random
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import EXAMPLE_FILES, EXAMPLES, LANGUAGE_1_1, lark_token_names, run_command
from orchdsl.cli.main import main

SEED = 20_240_611
MUTANTS_PER_EXAMPLE = 700  # x 5 examples: 3,500 mutants in process
SUBPROCESS_MUTANTS = 50
FORMATS = ("text", "json", "sarif", "github")

KEYWORDS = """orchestration description schedule notify concurrency timeout fail_fast param secret
    phase task run call extractor transformation writer application retries backoff
    continue_on_failure disabled cwd env needs timezone to after overlap queue skip catchup none
    last error warning success processing fixed when matrix from on and or not true false
    succeeded failed always""".split()
SNIPPETS = KEYWORDS + [
    '"', '"""', "{", "}", "[", "]", ",", "=", "${", "${x}", "${env.", "}", "\\", "\\q", "\\$",
    "#", "\n", "\t", "\r", "\r\n", "\f", "\u2028", " ", "é", "€", "日本語", "\u200b", "\ufeff",
    "\x00", "\x7f", "0", "30s", "1h30m", "0s", "90x", "99999999999999999999999", "@daily",
    '"0 6 * * *"', '"*/10 * * * * *"', '"Europe/Prague"', '"ops@example.com"', '""', "-", "_",
    "x" * 300, "n" * 5000, "task t run \"x\"", 'phase "P" {', "# orchdsl: ignore",
    # language 1.1
    "==", "!=", "<", "<=", ">", ">=", "(", ")", "()", 'r"', 'r"""', "$${", "params.day",
    "tasks.a.outputs.b", "tasks.a.b.c.state", "job.id", "env.HOME", "${tasks.a.outputs.b}",
    "${job.fire_date}", "failed()", 'succeeded(a, "P")', "when", "when always()", "matrix m = [",
    'matrix m = ["a", "b"]', "matrix m from tasks.a.outputs.f", 'on "gpu"', 'param p = "v"',
    "a < b < c", "1.5h", "15",
]
TOKEN = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|\w+|\S')


def mutate(text: str, rng: random.Random) -> str:
    """One random edit: characters, tokens or lines deleted, duplicated, swapped or inserted."""
    if not text:
        return rng.choice(SNIPPETS)
    operation = rng.randrange(10)
    i = rng.randrange(len(text) + 1)
    if operation == 0:
        return text[:i] + text[i + rng.randint(1, 3):]
    if operation == 1:
        j = min(len(text), i + rng.randint(1, 12))
        return text[:j] + text[i:j] + text[j:]
    if operation in (2, 3):
        return text[:i] + rng.choice(SNIPPETS) + text[i:]
    if operation == 4 and len(text) > 1:
        i = rng.randrange(len(text) - 1)
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    tokens = [m.span() for m in TOKEN.finditer(text)]
    if operation in (5, 6, 7) and tokens:
        start, end = rng.choice(tokens)
        if operation == 5:
            return text[:start] + text[end:]
        if operation == 6:
            return text[:end] + " " + text[start:end] + text[end:]
        other_start, other_end = rng.choice(tokens)
        (a, b), (c, d) = sorted([(start, end), (other_start, other_end)])
        if b > c:
            return text
        return text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]
    lines = text.split("\n")
    k, m = rng.randrange(len(lines)), rng.randrange(len(lines))
    if operation == 8:
        del lines[k]
    else:
        lines[k], lines[m] = lines[m], lines[k]
        if rng.random() < 0.5:
            lines.insert(k, lines[m])
    return "\n".join(lines)


def mutants(rng: random.Random, text: str, count: int):
    for _ in range(count):
        mutant = text
        for _ in range(rng.randint(1, 4)):
            mutant = mutate(mutant, rng)
        yield mutant


def lint_in_process(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["lint", *argv])
    return code, out.getvalue(), err.getvalue()


def problems_of(path: Path, text: str, output: str) -> list[str]:
    """Lint one mutant (json for the checks, ``output`` to exercise another reporter)."""
    try:
        code, stdout, _ = lint_in_process("--format", "json", str(path))
        other_code, _, _ = lint_in_process("--format", output, "--strict", str(path))
    except BaseException as exc:  # noqa: BLE001 - nothing may escape, not even SystemExit
        return [f"{type(exc).__name__}: {exc}"]
    found = []
    if code not in (0, 1) or other_code not in (0, 1):
        found.append(f"exit codes {code} (json), {other_code} ({output})")
    last_line = text.count("\n") + 1
    for d in json.loads(stdout)["diagnostics"]:
        where = f"{d['line']}:{d['column']}-{d['end_line']}:{d['end_column']} {d['code']}"
        if not (1 <= d["line"] <= last_line + 1 and d["column"] >= 1):
            found.append(f"position {where} outside a file of {last_line} lines")
        if (d["end_line"], d["end_column"]) < (d["line"], d["column"]):
            found.append(f"span ends before it starts: {where}")
        names = lark_token_names(d["message"] + " " + (d["help"] or ""), text)
        if names:
            found.append(f"token names {names} in {d['message']!r} / {d['help']!r}")
    return found


SEEDS = [*EXAMPLE_FILES, LANGUAGE_1_1]


@pytest.mark.slow
@pytest.mark.parametrize("example", SEEDS, ids=lambda p: p.name)
def test_mutants_lint_without_crashing(examples_copy, example):
    rng = random.Random(f"{SEED}:{example.name}")
    original = example.read_text("utf-8")
    # The mutant sits next to the example, so its nested paths (cleanup.orch) still resolve.
    target = (examples_copy / example.relative_to(EXAMPLES).with_suffix(".mutant.orch")
              if example.is_relative_to(EXAMPLES) else examples_copy / "language.mutant.orch")
    failures = []
    for number, text in enumerate(mutants(rng, original, MUTANTS_PER_EXAMPLE)):
        target.write_text(text, encoding="utf-8", newline="")
        for problem in problems_of(target, text, FORMATS[number % len(FORMATS)]):
            failures.append(f"{problem}\n    mutant {number}: {text[:300]!r}")
    assert failures == [], f"{len(failures)} problems, the first ones:\n" + "\n".join(failures[:10])


def test_mutants_that_are_not_utf8_exit_2(examples_copy):
    rng = random.Random(SEED)
    failures = []
    for number in range(40):
        example = rng.choice(EXAMPLE_FILES)
        data = bytearray(example.read_bytes())
        data.insert(rng.randrange(len(data) + 1), rng.choice([0xFF, 0xC3, 0x80, 0xED, 0xF5]))
        target = examples_copy / "broken.orch"
        target.write_bytes(bytes(data))
        try:
            code, stdout, stderr = lint_in_process("--format", "json", str(target))
        except BaseException as exc:  # noqa: BLE001
            failures.append(f"{number}: {type(exc).__name__}: {exc}")
            continue
        if code == 2:
            assert "not UTF-8" in stderr
        else:  # an inserted 0xC3 may make a valid pair with the next byte
            try:
                bytes(data).decode("utf-8")
            except UnicodeDecodeError:
                failures.append(f"{number}: exit {code} for bytes that are not UTF-8")
    assert failures == []


EXTREMES = {
    "long name": 'orchestration "O" {\n    phase "P" {\n        task ' + "n" * 100_000
                 + ' run "x"\n    }\n}\n',
    "long string": 'orchestration "' + "s" * 100_000 + '" {\n}\n',
    "many open braces": 'orchestration "O" {' + "{" * 10_000,
    "many quotes": '"' * 10_001,
    "many interpolations": 'orchestration "O" {\n    phase "P" {\n        task t run "'
                           + "${" * 5_000 + '"\n    }\n}\n',
    "many phases": 'orchestration "O" {\n' + '    phase "P" {\n    }\n' * 2_000 + "}\n",
    "only NUL": "\x00" * 100,
    "only newlines": "\n" * 10_000,
    "a lone surrogate escape": 'orchestration "O" {\n    description "\\ud800"\n}\n',
    "unterminated comment at the end": 'orchestration "O" {\n}\n#',
    "deeply nested condition": 'orchestration "O" {\n    phase "P" {\n        task t run "x" when '
                               + "(" * 2_000 + "true" + ")" * 2_000 + '\n    }\n}\n',
    "many nots": 'orchestration "O" {\n    phase "P" when ' + "not " * 5_000 + "true {\n    }\n}\n",
    "a long or": 'orchestration "O" {\n    phase "P" when ' + " or ".join(["true"] * 5_000)
                 + " {\n    }\n}\n",
    "many syntax errors": 'orchestration "O" {\n' + "    tsk\n" * 5_000 + "}\n",
    "many unclosed parentheses": 'orchestration "O" {\n    phase "P" when ' + "(" * 5_000,
}


@pytest.mark.parametrize("text", list(EXTREMES.values()), ids=list(EXTREMES))
def test_extreme_inputs(tmp_path, text):
    path = tmp_path / "extreme.orch"
    path.write_text(text, encoding="utf-8", newline="")
    assert problems_of(path, text, "text") == []


@pytest.mark.slow
def test_mutants_through_the_installed_command(examples_copy):
    rng = random.Random(SEED + 1)
    jobs = []
    for number in range(SUBPROCESS_MUTANTS):
        example = EXAMPLE_FILES[number % len(EXAMPLE_FILES)]
        (text,) = mutants(rng, example.read_text("utf-8"), 1)
        target = examples_copy / example.relative_to(EXAMPLES).parent / f"m{number}.orch"
        target.write_text(text, encoding="utf-8", newline="")
        jobs.append((target, FORMATS[number % len(FORMATS)]))

    def run(job):
        target, output = job
        return target, run_command("lint", "--format", output, target.name, cwd=target.parent)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, jobs))
    failures = [f"{target.name}: exit {r.code}: {r.stderr[-500:]}" for target, r in results
                if r.code not in (0, 1) or "Traceback" in r.stderr or "internal error" in r.stderr]
    assert failures == []
