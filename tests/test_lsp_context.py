"""What may stand at the cursor, read from a half-typed buffer (orchdsl.lsp.context): the table
that completion (tests/test_lsp_features.py) answers from. ``|`` marks the cursor."""

from __future__ import annotations

import pytest

from orchdsl.lsp.context import cursor

H = 'orchestration "x" {\n'
E = H + '    phase "Extract" { task crm extractor run "x" }\n'

# text with the cursor, what may stand there, the word typed so far, the phase
CASES = [
    ("|", "orchestration", "", None),
    ("orch|", "orchestration", "orch", None),
    (H + "    |", "clause", "", None),
    (H + "    sch|", "clause", "sch", None),
    (H + '    description "a { b" |', "clause", "", None),  # a brace in a string is no block
    (H + '    schedule "0 6 * * *" |', "schedule option", "", None),
    (H + '    schedule "0 6 * * *" timezone |', "zone", "", None),
    (H + '    schedule "0 6 * * *" timezone "Europe/Pr|', "zone in string", "Europe/Pr", None),
    (H + '    schedule "0 6 * * *" overlap |', "overlap mode", "", None),
    (H + '    schedule "0 6 * * *" catchup l|', "catchup mode", "l", None),
    (H + "    notify |", "event", "", None),
    (H + "    notify error, w|", "event", "w", None),
    (H + "    notify processing |", "notify to", "", None),
    (H + '    notify error to "a@example.com" |', "clause", "", None),
    (H + '    param day = "x"\n    |', "clause", "", None),
    (H + '    param day = |', "nothing", "", None),
    (H + '    phase "Extract" {\n        |', "task", "", "Extract"),
    (H + '    phase "Extract" {\n        task |', "nothing", "", "Extract"),  # a new name
    (H + '    phase "Extract" {\n        task a |', "kind or action", "", "Extract"),
    (H + '    phase "Extract" {\n        task a ext|', "kind or action", "ext", "Extract"),
    (H + '    phase "Extract" {\n        task a extractor |', "action", "", "Extract"),
    (H + '    phase "Extract" {\n        task a run |', "nothing", "", "Extract"),
    (H + '    phase "Extract" {\n        task a run "x" |', "option", "", "Extract"),
    (H + '    phase "Extract" {\n        task a run "x"\n            tim|', "option", "tim",
     "Extract"),
    (H + '    phase "Extract" {\n        task a run ["x", "y"] |', "option", "", "Extract"),
    (H + '    phase "Extract" {\n        task a run ["x", |', "nothing", "", "Extract"),
    (H + '    phase "Extract" {\n        task a run "x" retries 2 |', "backoff", "",
     "Extract"),
    (H + '    phase "Extract" {\n        task a run "x" timeout |', "nothing", "", "Extract"),
    (E + '    phase "Load" {\n        task a run "x" needs |', "task reference", "", "Load"),
    (E + '    phase "Load" {\n        task a run "x" needs crm, |', "task reference", "",
     "Load"),
    (E + '    phase "Load" {\n        task a run "x" needs crm |', "option", "", "Load"),
    (E + '    phase "Load" {\n        task a run "x" when |', "operand", "", "Load"),
    (E + '    phase "Load" {\n        task a run "x" when tasks.c|', "operand", "tasks.c",
     "Load"),
    (E + '    phase "Load" {\n        task a run "x" when not |', "operand", "", "Load"),
    (E + '    phase "Load" {\n        task a run "x" when failed(|', "status argument", "",
     "Load"),
    (E + '    phase "Load" {\n        task a run "x" when failed(crm, |', "status argument",
     "", "Load"),
    (E + '    phase "Load" {\n        task a run "x" when failed(crm) |',
     "after operand in task", "", "Load"),
    (E + '    phase "Load" {\n        task a run "x" when tasks.crm.state == |', "operand",
     "", "Load"),
    (E + '    phase "Load" {\n        task a run "x" matrix f from |', "matrix source", "",
     "Load"),
    (E + '    phase "Load" {\n        task a run "x" matrix f = ["a", |', "nothing", "",
     "Load"),
    (E + '    phase "Load" when |', "operand", "", "Load"),
    (E + '    phase "Load" when always() |', "after operand in phase", "", "Load"),
    (E + '    phase "Load" |', "phase when", "", "Load"),
    (E + '    phase "Load" {\n        task a run "echo ${|', "interpolation", "", "Load"),
    (E + '    phase "Load" {\n        task a run "echo ${tasks.crm.outputs.r|',
     "interpolation", "tasks.crm.outputs.r", "Load"),
    (E + '    phase "Load" {\n        task a run "echo ${day} x|', "nothing", "", "Load"),
    (E + '    phase "Load" {\n        task a run "echo \\" ${d|', "interpolation", "d", "Load"),
    (E + '    phase "Load" {\n        task a run "x"  # orchdsl: ignore[W2|', "rule code",
     "W2", "Load"),
    (E + '    phase "Load" {\n        task a run "x"  # a comment |', "nothing", "", "Load"),
    (E + '    phase "Load" {\n        task a run """\n    two ${d|', "interpolation", "d",
     "Load"),
    (E + "    |", "clause", "", None),
    (E + '}\n|', "orchestration", "", None),
]


@pytest.mark.parametrize("marked, want, typed, phase", CASES,
                         ids=[c[0].split("\n")[-1][-32:] for c in CASES])
def test_what_may_stand_at_the_cursor(marked, want, typed, phase):
    text = marked.replace("|", "")
    at = cursor(text + "\n    }\n}\n", marked.index("|"))
    assert (at.want, at.typed, at.phase) == (want, typed, phase)
    assert text[at.start:marked.index("|")] == typed
