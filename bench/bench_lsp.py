#!/usr/bin/env python3
"""Benchmark ``orchdsl lsp``: how long after a change its diagnostics arrive, and how long a
completion takes, on a 2,000-task file, measured as an editor sees them.

    python bench/bench_lsp.py                 # 2,000 tasks, 15 changes and 15 completions
    python bench/bench_lsp.py --tasks 20000 --runs 9 --json bench-lsp.json

Run it with the interpreter that has orchdsl and its lsp extra installed (the project's
venv). Standard library plus orchdsl only: it starts the real ``orchdsl lsp`` next to that
interpreter and talks JSON-RPC to it over its standard input and output, as an editor does.
The file is bench_lint.py's generated pipeline. See bench/README.md.

- **diagnostics after a change**: from writing a ``didChange`` (a task's kind misspelt, or
  corrected; at the top, the middle and the end of the file, in turn) to reading the
  ``publishDiagnostics`` of that version, which must hold the expected finding (or none).
  The server's debounce (50 ms) is included.
- **diagnostics after typing**: the same for a character typed into a task's command, then
  deleted (at the top, the middle and the end, in turn): the file stays clean and every
  line after the edit moves, which is the language server's slowest kind of change (it
  re-reads the task and moves the spans of all that follows, docs/editors.md).
- **completion**: from writing a ``completion`` request to reading its answer, after the
  ``needs`` of a task in the middle of the file; once with the file checked ("idle"), once
  written right after a change, while the server checks that change ("while checking").
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lint import generate  # noqa: E402  (the same realistic file)

TARGET_DIAGNOSTICS_S = 0.150
TARGET_COMPLETION_S = 0.050
DEBOUNCE_S = 0.05


class Server:
    """``orchdsl lsp`` in a subprocess; a thread reads its messages into a queue."""

    def __init__(self, command: list[str]):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.messages: queue.Queue = queue.Queue()
        self._id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            header = b""
            while not header.endswith(b"\r\n\r\n"):
                byte = stream.read(1)
                if not byte:
                    return
                header += byte
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            self.messages.put((time.perf_counter(), json.loads(stream.read(length))))

    def send(self, method: str, params, request: bool = False) -> int | None:
        message = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self._id += 1
            message["id"] = self._id
        body = json.dumps(message).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        return message.get("id")

    def wait(self, match, timeout: float = 60):
        deadline = time.perf_counter() + timeout
        while True:
            at, message = self.messages.get(timeout=max(deadline - time.perf_counter(), 0.001))
            if match(message):
                return at, message

    def stop(self) -> None:
        self.send("shutdown", None, request=True)
        self.send("exit", None)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def published(uri: str, version: int):
    return lambda m: (m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == uri and m["params"].get("version") == version)


def line_of(text: str, needle: str, start: int = 0) -> tuple[int, int]:
    index = text.index(needle, start)
    return text.count("\n", 0, index), index - (text.rfind("\n", 0, index) + 1)


def measure(command: list[str], tasks: int, runs: int) -> dict:
    text = generate(tasks)
    with tempfile.TemporaryDirectory(prefix="orchdsl-bench-lsp-") as folder:
        path = os.path.join(folder, f"bench-{tasks}.orch")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        uri = "file://" + path
        server = Server(command)
        try:
            return _session(server, uri, text, runs)
        finally:
            server.stop()


def _session(server: Server, uri: str, text: str, runs: int) -> dict:
    server.send("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {}},
                request=True)
    server.wait(lambda m: m.get("id") == 1)
    server.send("initialized", {})
    started = time.perf_counter()
    server.send("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "orch", "version": 1, "text": text}})
    at, first = server.wait(published(uri, 1))
    if first["params"]["diagnostics"]:
        raise SystemExit(f"bench_lsp: the generated file does not lint clean: {first}")
    opened_s = at - started
    # Three places to misspell a kind: the first task, one in the middle, the last one.
    kinds = [i for i in range(len(text)) if text.startswith(" extractor ", i)
             or text.startswith(" writer ", i)]
    places = [kinds[0], kinds[len(kinds) // 2], kinds[-1]]
    version, changes = 1, []
    for run in range(runs * 2 + 1):  # each run: misspell, then correct; one warm-up first
        place = places[(run // 2) % 3]
        line, column = line_of(text, " ", place)
        version += 1
        wrong = run % 2 == 0
        edit = {"range": {"start": {"line": line, "character": column + 1},
                          "end": {"line": line, "character": column + 3}},
                "text": "xy" if wrong else text[place + 1:place + 3]}
        sent = time.perf_counter()
        server.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [edit]})
        at, message = server.wait(published(uri, version))
        found = message["params"]["diagnostics"]
        if bool(found) != wrong or (wrong and found[0]["code"] != "E001"):
            raise SystemExit(f"bench_lsp: unexpected diagnostics after change {version}: {found}")
        if run:
            changes.append(at - sent)
    typing = _typing(server, uri, text, places, runs, version)
    version += runs * 2 + 2
    needs = line_of(text, "needs ", len(text) // 2)
    completion = {"idle": [], "while checking": []}
    for run in range(runs + 1):
        for case in completion:
            if case == "while checking":
                version += 1
                server.send("textDocument/didChange", {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{"range": {"start": {"line": 0, "character": 0},
                                                  "end": {"line": 0, "character": 0}},
                                        "text": "#"}]})
                time.sleep(DEBOUNCE_S + 0.01)  # the check of that change has started
            sent = time.perf_counter()
            request = server.send("textDocument/completion", {
                "textDocument": {"uri": uri},
                "position": {"line": needs[0], "character": needs[1] + len("needs ")}},
                request=True)
            at, answer = server.wait(lambda m, r=request: m.get("id") == r)
            if not answer["result"]["items"]:
                raise SystemExit("bench_lsp: completion after needs offered nothing")
            if run:
                completion[case].append(at - sent)
            if case == "while checking":
                server.wait(published(uri, version))
    return {"tasks": text.count("\n        task "), "bytes": len(text.encode("utf-8")),
            "open_s": opened_s, "change_s": changes, "typing_s": typing,
            "completion_s": completion}


def _typing(server: Server, uri: str, text: str, places: list[int], runs: int,
            version: int) -> list[float]:
    """A character typed after the first quote of a task's command, then deleted: the file
    lints clean all along. The misspelling the changes above left is corrected first."""
    place = places[runs % 3]
    line, column = line_of(text, " ", place)
    version += 1
    _change(server, uri, version, (line, column + 1, column + 3), text[place + 1:place + 3])
    samples = []
    for run in range(runs * 2 + 1):  # each run: type, then delete; one warm-up first
        line, column = line_of(text, '"', places[(run // 2) % 3])
        version += 1
        typed = run % 2 == 0
        where = (line, column + 1, column + 1 if typed else column + 2)
        sent = time.perf_counter()
        at, found = _change(server, uri, version, where, "x" if typed else "")
        if found:
            raise SystemExit(f"bench_lsp: unexpected diagnostics after typing: {found}")
        if run:
            samples.append(at - sent)
    return samples


def _change(server: Server, uri: str, version: int, where: tuple[int, int, int], new: str):
    """Replace columns ``where[1]`` to ``where[2]`` of line ``where[0]`` with ``new``; the
    time the diagnostics of that version came, and them."""
    line, start, end = where
    edit = {"range": {"start": {"line": line, "character": start},
                      "end": {"line": line, "character": end}}, "text": new}
    server.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                           "contentChanges": [edit]})
    at, message = server.wait(published(uri, version))
    return at, message["params"]["diagnostics"]


def summary(samples: list[float]) -> str:
    return (f"median {statistics.median(samples) * 1000:.0f} ms, min {min(samples) * 1000:.0f}, "
            f"max {max(samples) * 1000:.0f} ({len(samples)} runs)")


def render(result: dict) -> str:
    lines = [f"# orchdsl lsp benchmark: {result['tasks']:,} tasks, {result['bytes']:,} bytes",
             "", f"- first diagnostics after opening: {result['open_s'] * 1000:.0f} ms",
             f"- diagnostics after a change: {summary(result['change_s'])}",
             f"- diagnostics after typing: {summary(result['typing_s'])}"]
    for case, samples in result["completion_s"].items():
        lines.append(f"- completion ({case}): {summary(samples)}")
    change = statistics.median(result["change_s"])
    typing = statistics.median(result["typing_s"])
    idle = statistics.median(result["completion_s"]["idle"])
    lines += ["", "Targets:", "",
              f"- {'PASS' if change < TARGET_DIAGNOSTICS_S else 'FAIL'}: diagnostics after a "
              f"change, median {change * 1000:.0f} ms (target < {TARGET_DIAGNOSTICS_S * 1000:.0f})",
              f"- {'PASS' if typing < TARGET_DIAGNOSTICS_S else 'FAIL'}: diagnostics after "
              f"typing, median {typing * 1000:.0f} ms (target < {TARGET_DIAGNOSTICS_S * 1000:.0f})",
              f"- {'PASS' if idle < TARGET_COMPLETION_S else 'FAIL'}: completion, median "
              f"{idle * 1000:.0f} ms (target < {TARGET_COMPLETION_S * 1000:.0f})"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=2000, help="tasks in the file (2000)")
    parser.add_argument("--runs", type=int, default=15, help="counted runs of each (15)")
    parser.add_argument("--json", metavar="FILE", help="also write every sample as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    command = [os.path.join(os.path.dirname(sys.executable), "orchdsl"), "lsp"]
    result = measure(command, args.tasks, max(args.runs, 1))
    sys.stdout.write(render(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2)
    passed = (statistics.median(result["change_s"]) < TARGET_DIAGNOSTICS_S
              and statistics.median(result["typing_s"]) < TARGET_DIAGNOSTICS_S
              and statistics.median(result["completion_s"]["idle"]) < TARGET_COMPLETION_S)
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
