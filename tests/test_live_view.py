"""The live view of ``orchdsl run`` (issue 13, item 9; docs/language.md, "What run shows"),
in a real terminal: tmux sessions of a given size (tests/terminal.py), read back with
``capture-pane`` as a user sees them, and their scrollback. The tasks wait for a file the test
writes, so each screen is read while exactly the tasks the test expects are running.

The fast tests at the end check the pieces (cutting, escaping, fitting the block) alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import isolated_env, orchdsl_executable
from terminal import Terminal

WAIT = "while [ ! -f go ]; do sleep 0.05; done"
SECRET = "tok-live-9f8e7d"
HEADER = re.compile(r'^job 1 "(\w+)"  processing (\d+\.\d)s(?:  (\d+)/(\d+) done)?')


def orch(name: str, *phases: tuple[str, list[str]]) -> str:
    body = "".join(f'    phase "{phase}" {{\n' + "".join(f"        {t}\n" for t in tasks)
                   + "    }\n" for phase, tasks in phases)
    return f'orchestration "{name}" {{\n    secret TOKEN\n{body}}}\n'


def waiting(name: str) -> str:
    return f'task {name} extractor run "{WAIT}"'


SIXTEEN = [waiting(f"load_{i}") for i in range(1, 17)]  # names of two widths: load_1, load_16


@pytest.fixture
def terminal(tmp_path):
    """``terminal(text, width, height, color=False) -> Terminal`` running ``orchdsl run`` on
    the file ``text`` in ``tmp_path``; every session is ended after the test."""
    opened = []

    def start(text: str, width: int, height: int, color: bool = False,
              flags: str = "", prefix: str = "") -> Terminal:
        (tmp_path / "job.orch").write_text(text)
        env = isolated_env({"TOKEN": SECRET, "TERM": "xterm-256color"})
        if color:
            env.pop("NO_COLOR")
        shown = Terminal(f"{prefix}{orchdsl_executable()} run job.orch {flags}", width=width,
                         height=height, cwd=tmp_path, env=env)
        opened.append(shown)
        return shown

    yield start
    for shown in opened:
        shown.close()


def go(tmp_path: Path) -> None:
    (tmp_path / "go").write_text("")


def cells(text: str) -> int:
    from orchdsl.cli.live_view_text import cells

    return cells(text)


def header(lines: list[str]) -> re.Match | None:
    return next((m for m in map(HEADER.match, lines) if m), None)


def block_of(lines: list[str]) -> list[str]:
    """The lines from the block's header down, blank lines at the bottom left out."""
    start = next(i for i, line in enumerate(lines) if HEADER.match(line))
    shown = lines[start:]
    while shown and not shown[-1].strip():
        shown.pop()
    return shown


def running_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if re.match(r"^ {4}\S+ +running ", line)]


def assert_no_block_is_left(history: list[str]) -> None:
    assert not any(HEADER.match(line) or "more" in line or " running " in line
                   for line in history), "\n".join(history)


# --- sizes -----------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("width, height", [(80, 12), (40, 6), (60, 3)])
def test_a_small_terminal_shows_what_fits_and_how_many_more(terminal, tmp_path, width, height):
    shown = terminal(orch("Many", ("Extract", SIXTEEN)), width, height)
    # Read after several redraws (elapsed past 1 s), so a stale frame would have had time.
    lines = shown.wait_for(lambda ls: (m := header(ls)) and float(m.group(2)) >= 1.0,
                           what="the header after a second")
    block = block_of(lines)
    assert len(block) <= height - 1  # a line left for the cursor: the block never scrolls
    assert all(cells(line) < width for line in lines)  # cut, never wrapped
    tasks = running_lines(block)
    more = [line for line in block if re.fullmatch(r" {4}\+(\d+) more", line)]
    if height >= 4:
        assert block[1] == '  phase "Extract": 16 running'[:width - 2] or block[1].startswith(
            '  phase "Extract"')
        assert more and len(tasks) + int(more[0].split("+")[1].split()[0]) == 16
    # No frame of the block was left above it: the header is on the screen once and in the
    # scrollback not at all.
    assert [l for l in shown.history() if HEADER.match(l)] == [block[0]]
    go(tmp_path)
    assert shown.exit_code() == 0
    history = shown.history()
    assert_no_block_is_left(history)
    for number in range(1, 17):  # finished tasks stay, each once
        assert len([l for l in history if re.match(rf"^  ok +load_{number} ", l)]) == 1


@pytest.mark.slow
def test_a_large_terminal_shows_every_running_task_with_aligned_columns(terminal, tmp_path):
    shown = terminal(orch("Many", ("Extract", SIXTEEN)), 160, 40)
    lines = shown.wait_for(lambda ls: len(running_lines(ls)) == 16, what="16 running tasks")
    tasks = running_lines(lines)
    assert not any("more" in line for line in lines)
    assert len({line.index(" running ") for line in tasks}) == 1  # names padded to one width
    assert len({len(line) for line in tasks}) == 1  # elapsed times right-aligned
    assert [line.split()[0] for line in tasks] == [f"load_{i}" for i in range(1, 17)]  # file order
    go(tmp_path)
    assert shown.exit_code() == 0
    oks = [l for l in shown.history() if l.startswith("  ok ")]
    assert len(oks) == 16 and len({re.search(r"\d+\.\ds", l).start() for l in oks}) == 1


@pytest.mark.slow
def test_the_block_follows_a_terminal_made_smaller(terminal, tmp_path):
    shown = terminal(orch("Many", ("Extract", SIXTEEN)), 100, 30)
    shown.wait_for(lambda ls: len(running_lines(ls)) == 16, what="16 running tasks")
    shown.resize(50, 8)
    lines = shown.wait_for(lambda ls: any(re.fullmatch(r" {4}\+\d+ more", l) for l in ls),
                           what="the block cut to the new size")
    assert len(block_of(lines)) <= 7 and all(cells(line) < 50 for line in lines)
    go(tmp_path)
    assert shown.exit_code() == 0
    assert not any(HEADER.match(line) for line in shown.screen())


# --- what it tells -----------------------------------------------------------------------------

@pytest.mark.slow
def test_the_job_header_has_its_elapsed_time_and_progress(terminal, tmp_path):
    shown = terminal(orch("Timed", ("One", ['task quick run "true"', waiting("slow")])), 80, 10)
    first = header(shown.wait_for(lambda ls: (m := header(ls)) and m.group(3) == "1",
                                  what="one task done"))
    later = header(shown.wait_for(lambda ls: (m := header(ls)) and float(m.group(2))
                                  >= float(first.group(2)) + 0.5, what="time to pass"))
    assert (later.group(3), later.group(4)) == ("1", "2")
    go(tmp_path)
    assert shown.exit_code() == 0


RETRIED = ('task flaky run "test -f tried || { touch tried; echo not yet >&2; exit 1; }; '
           f'{WAIT}" retries 2 backoff 2s')


@pytest.mark.slow
def test_a_retry_and_its_backoff_are_shown(terminal, tmp_path):
    shown = terminal(orch("Retry", ("One", [RETRIED])), 100, 12)
    lines = shown.wait_for(lambda ls: any("retrying" in line for line in ls),
                           what="the backoff in the block")
    assert "  retry     flaky  attempt 1 failed (exit code 1); next in 2.0s" in lines
    [waiting_line] = [line for line in lines if "retrying" in line]
    assert re.fullmatch(r" {4}flaky  retrying  in [012]\.\ds \(attempt 2\)", waiting_line)
    lines = shown.wait_for(lambda ls: any(re.search(r"flaky +running .*\(attempt 2\)", l)
                                          for l in ls), what="attempt 2 running")
    go(tmp_path)
    assert shown.exit_code() == 0
    history = shown.history()
    assert_no_block_is_left(history)
    assert any(re.match(r"^  ok +flaky +\d", line) for line in history)


@pytest.mark.slow
def test_a_failure_shows_its_reason_and_last_lines_and_skipped_tasks_are_one_line(terminal,
                                                                                  tmp_path):
    later = [f'task w{i} writer run "true"' for i in range(1, 6)]
    text = orch("Fails", ("One", ['task bad run "echo first; echo the cause >&2; exit 4"']),
                ("Write", later))
    shown = terminal(text, 100, 20)
    assert shown.exit_code() == 1
    history = shown.history()
    assert "  FAILED    bad  " in history[0] and history[0].endswith("exit code 4")
    assert history[1] == "            | the cause"
    assert ('  skipped   5 tasks of phase "Write"  not started: task bad failed '
            "(w1, w2, w3, …)") in history
    assert_no_block_is_left(history)


@pytest.mark.slow
def test_a_secret_in_a_failure_reason_shows_as_stars(terminal, tmp_path):
    text = orch("Leaky", ("One", ['task a run ["/nonexistent/${TOKEN}"]']))
    shown = terminal(text, 120, 10)
    assert shown.exit_code() == 1
    shown_text = "\n".join(shown.history())
    assert SECRET not in shown_text and "/nonexistent/***" in shown_text


@pytest.mark.slow
def test_control_characters_from_a_task_are_escaped(terminal, tmp_path):
    text = orch("Noisy", ("One", ['task a run "printf \'\\\\033[2Jbye\\\\n\' >&2; exit 1"']))
    shown = terminal(text, 100, 10)
    assert shown.exit_code() == 1
    assert "            | \\x1b[2Jbye" in shown.history()


@pytest.mark.slow
@pytest.mark.parametrize("color", [True, False], ids=["colour", "NO_COLOR"])
def test_colour_unless_no_color(terminal, tmp_path, color):
    shown = terminal(orch("Paint", ("One", ['task a run "true"', waiting("b")])), 80, 10,
                     color=color)
    shown.wait_for(lambda ls: any(l.startswith("  ok ") for l in ls), what="a finished")
    painted = "\n".join(shown.screen(escapes=True))
    assert ("\033[32mok" in painted) is color  # green ok
    assert ("\033[1mjob 1" in painted) is color  # a bold header
    if not color:
        assert "\033[" not in painted
    go(tmp_path)
    assert shown.exit_code() == 0


@pytest.mark.slow
def test_a_nested_job_stands_under_its_parent_and_its_tasks_are_named_in_the_log(terminal,
                                                                                 tmp_path):
    (tmp_path / "child.orch").write_text(orch("Child", ("Inner", [waiting("inner")])))
    shown = terminal(orch("Parent", ("Go", ['task nested orchestration "child.orch"'])), 80, 12)
    lines = shown.wait_for(lambda ls: any("inner" in l for l in ls), what="the nested task")
    block = block_of(lines)
    assert block[1:] == ['  phase "Go": 1 running', block[2], '  job 2 "Child"' + block[3][15:],
                         '    phase "Inner": 1 running', block[5]]
    assert block[5].startswith("      inner  running ")
    go(tmp_path)
    assert shown.exit_code() == 0
    history = shown.history()
    assert any(re.match(r"^  ok +Child: inner +\d", line) for line in history)
    assert_no_block_is_left(history)


@pytest.mark.slow
@pytest.mark.parametrize("flags, prefix", [("--no-live", ""), ("", "env TERM=dumb ")],
                         ids=["--no-live", "TERM=dumb"])
def test_no_live_or_a_dumb_terminal_get_the_line_output(terminal, tmp_path, flags, prefix):
    shown = terminal(orch("Lines", ("One", ['task a run "true"'])), 80, 10, flags=flags,
                     prefix=prefix)
    assert shown.exit_code() == 0
    assert any(re.match(r"^\d\d:\d\d:\d\d\.\d{3}  a  ok in ", line) for line in shown.history())


# --- the pieces --------------------------------------------------------------------------------

def test_printable_escapes_what_would_move_the_cursor_or_reorder_text():
    from orchdsl.cli.live_view_text import printable

    assert printable("a\tb\nc\r\x1b[2J\x07\x7f\x9b\u202e\u2028ok é 漢") == (
        "a\\tb\\nc\\r\\x1b[2J\\x07\\x7f\\x9b\\u202e\\u2028ok é 漢")


@pytest.mark.parametrize("text, width, shown", [
    ("abcdef", 6, "abcdef"), ("abcdef", 4, "abc…"), ("漢字漢字", 5, "漢字…"), ("é" * 3, 2, "é…"),
    ("abc", 0, ""),
])
def test_fit_cuts_to_cells_with_an_ellipsis(text, width, shown):
    from orchdsl.cli.live_view_text import fit

    assert fit(text, width) == shown and cells(fit(text, width)) <= width


def test_render_cuts_before_it_paints():
    from orchdsl.cli.live_view import Painter, render

    paint = Painter(True)
    assert render([("bold", "job 1"), ("", " running")], 8, paint) == "\033[1mjob 1\033[0m r…"
    assert render([("bold", "job 1"), ("", " running")], 8, Painter(False)) == "job 1 r…"


def test_the_block_is_fitted_to_its_budget_with_more_lines():
    from orchdsl.cli.live_view import _fit

    def group(name, tasks):
        return ([[("", name)]], [[("", f"t{i}")] for i in range(tasks)], "    ")

    def text(lines):
        return ["".join(t for _, t in line) for line in lines]

    assert text(_fit([group("job", 0), group("P", 3)], 10)) == ["job", "P", "t0", "t1", "t2"]
    assert text(_fit([group("job", 0), group("P", 16)], 5)) == ["job", "P", "t0", "t1",
                                                                  "    +14 more"]
    # Two running phases share the room.
    assert text(_fit([group("job", 0), group("A", 5), group("B", 5)], 7)) == [
        "job", "A", "t0", "    +4 more", "B", "t0", "    +4 more"]
    assert text(_fit([group("job", 0), group("P", 16)], 1)) == ["job"]


@pytest.mark.parametrize("seconds, shown", [(0.04, "0.0s"), (4.26, "4.3s"), (63, "1m03s"),
                                            (7500, "2h05m")])
def test_clock(seconds, shown):
    from orchdsl.cli.live_view import clock

    assert clock(seconds) == shown
