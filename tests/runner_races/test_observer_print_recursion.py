"""Regression test for a bug found in review, now fixed (the text says how it was):
With --stream, a line an `async def` call prints is passed to observer.task_output right
away, in the trio thread and *inside the call's context*, where _current_output still points at
the task's buffers. An observer that writes to sys.stdout (print(), or a LinePrinter built once
the router is installed: any run after the first in a process, e.g. a second orchdsl.run())
writes into the task's own buffer, which calls task_output again: infinite recursion."""


import orchdsl
from orchdsl.cli.run_output import LinePrinter
from race_helpers import Log, write


class Printing(Log):
    def task_output(self, job, task, stream, line):
        super().task_output(job, task, stream, line)
        print(f"[{task}] {line}")


def orch(tmp_path):
    write(tmp_path, "steps.py", "async def hello():\n    print('hello')\n")
    return write(tmp_path, "p.orch", 'orchestration "o" {\n phase "p" {\n'
                 '  task a call "steps:hello"\n }\n}\n')


def test_printing_observer(tmp_path, capsys):
    log = Printing()
    job = orchdsl.run(str(orch(tmp_path)), observer=log, stream=True)
    assert job.state.value == "success", job.tasks["a"].reason
    assert [e for e in log.events if e[0] == "task_output"] == [("task_output", 1, "a", "hello")]


def test_line_printer_after_an_earlier_run(tmp_path):
    orchdsl.run(str(orch(tmp_path)))  # installs the stdout router, as any run with a call does
    printer = LinePrinter()  # what a program (or a scheduler) builds for its next job
    job = orchdsl.run(str(orch(tmp_path)), observer=printer, stream=True)
    assert job.state.value == "success", job.tasks["a"].reason
