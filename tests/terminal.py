"""A real terminal for tests: a tmux server of the test's own (its own socket, no config),
one detached session of a given size running a command; ``screen()`` is what a user sees,
``history()`` that and everything scrolled above it, as tmux keeps it."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid

import pytest


class Terminal:
    def __init__(self, command: str, *, width: int, height: int, cwd, env: dict[str, str]):
        if shutil.which("tmux") is None:
            pytest.skip("tmux is not installed")
        self.socket = f"orchdsl-test-{uuid.uuid4().hex[:12]}"
        self.env = env
        # The session's shell: the command, its exit status, then a wait so that the pane stays.
        script = f"cd {shlex.quote(str(cwd))} && {command}; echo \"EXIT=$?\"; sleep 600"
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height), "-s", "main",
                   script)
        self._tmux("set-option", "-g", "history-limit", "10000")

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, env=self.env, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"tmux {args[0]}: {done.stderr.decode(errors='replace')}")
        return done.stdout.decode("utf-8", "replace")

    def screen(self, escapes: bool = False) -> list[str]:
        """The visible lines (trailing blanks trimmed by tmux); ``escapes``: with colours."""
        flags = ["-e"] if escapes else []
        return self._tmux("capture-pane", "-p", *flags, "-t", "main").split("\n")[:-1]

    def history(self) -> list[str]:
        """Every line from the top of the scrollback to the bottom of the screen."""
        return self._tmux("capture-pane", "-p", "-S", "-", "-t", "main").split("\n")[:-1]

    def resize(self, width: int, height: int) -> None:
        self._tmux("resize-window", "-t", "main", "-x", str(width), "-y", str(height))

    def wait_for(self, condition, timeout: float = 30, what: str = "the screen") -> list[str]:
        """Poll the screen until ``condition(lines)`` holds; the lines it held for."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.screen()
            if condition(lines):
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n"
                                     + "\n".join(lines))
            time.sleep(0.05)

    def exit_code(self, timeout: float = 60) -> int:
        lines = self.wait_for(lambda ls: any(l.startswith("EXIT=") for l in ls), timeout,
                              "the command to end")
        return int(next(l for l in lines if l.startswith("EXIT="))[5:])

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       env=self.env, timeout=30)

