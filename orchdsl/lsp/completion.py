"""Completion: the words that may stand at the cursor (``orchdsl.lsp.context``), filled from
the names of the file (``orchdsl.lsp.names``, read from its last version that parsed: the one
being typed seldom does).

Keywords where the grammar takes them; kinds and actions after a task's name; task options
(each once, but ``env``, ``matrix`` and ``param``); the tasks of earlier phases in ``needs``,
conditions and ``succeeded(...)``/``failed(...)`` (also phases, in quotes); params, secrets and
the task's matrix names in ``${``; outputs a task is known to set after
``tasks.<task>.outputs.``; IANA zones after ``timezone``; notify events; overlap and catchup
modes; rule codes in ``# orchdsl: ignore[``.
"""

from __future__ import annotations

from lsprotocol import types

from orchdsl.lang import ast
from orchdsl.lang.keywords import CATCHUP_MODES, EVENTS, OVERLAP_MODES
from orchdsl.lang.nodes import JOB_VALUES
from orchdsl.lsp.context import ACTIONS, CLAUSES, KINDS, OPTIONS, Cursor, cursor
from orchdsl.lsp.names import Names

Kind = types.CompletionItemKind
REPEATABLE_OPTIONS = ("env", "matrix", "param")
OPERANDS = ("tasks.", "params.", "env.", "job.")
FUNCTIONS = ("succeeded()", "failed()", "always()")
TRIGGERS = [".", "{", '"', "(", ",", "[", "/"]


def complete(text: str, offset: int, names: Names | None,
             position: types.Position, units_typed) -> list[types.CompletionItem]:
    """The items for the cursor at ``offset`` (LSP's ``position``); ``units_typed(word)`` is the
    word's length in the client's position units, to find where the typed word starts."""
    at = cursor(text, offset)
    answer = ANSWERS.get(at.want)
    if answer is None:
        return []
    start = types.Position(position.line, position.character - units_typed(at.typed))
    where = types.Range(start, position)
    return [_item(label, kind, detail, insert, where)
            for label, kind, detail, insert in answer(at, names or Names())]


def _item(label: str, kind, detail: str, insert: str, where: types.Range) -> types.CompletionItem:
    return types.CompletionItem(label=label, kind=kind, detail=detail or None, filter_text=insert,
                                text_edit=types.TextEdit(range=where, new_text=insert))


def _words(words, kind=Kind.Keyword, detail=""):
    return [(w, kind, detail, w) for w in words]


def _clauses(at: Cursor, names: Names):
    return _words(CLAUSES, detail="orchestration clause")


def _schedule_options(at: Cursor, names: Names):
    used = set(at.words)
    return _words([w for w in ("timezone", "overlap", "catchup") if w not in used],
                  detail="schedule option") + _clauses(at, names)


def _zones(at: Cursor, names: Names, quoted: bool = True):
    from orchdsl.scheduling.cron import zone_names

    return [(z, Kind.Value, "IANA time zone", f'"{z}"' if quoted else z)
            for z in sorted(zone_names())]


def _events(at: Cursor, names: Names):
    return _words([e for e in EVENTS if e not in at.words], Kind.EnumMember, "notify event")


def _notify_to(at: Cursor, names: Names):
    words = ["to"] + (["after"] if "processing" in at.words and "after" not in at.words else [])
    return _words(words, detail="notify") + [(",", Kind.Operator, "another event", ",")]


def _kinds_and_actions(at: Cursor, names: Names):
    return _words(KINDS, Kind.EnumMember, "task kind") + _actions(at, names)


def _actions(at: Cursor, names: Names):
    return _words(ACTIONS, detail="task action")


def _options(at: Cursor, names: Names):
    used = set(at.words)
    options = [o for o in OPTIONS if o in REPEATABLE_OPTIONS or o not in used]
    return _words(options, detail="task option") + _words(["task"], detail="the next task")


def _backoff(at: Cursor, names: Names):
    return _words(["backoff"], detail="delay before the first retry") + _options(at, names)


def _earlier_tasks(at: Cursor, names: Names):
    this = at.words[1] if len(at.words) > 1 and at.words[0] == "task" else None
    return [n for n in names.earlier(at.phase) if n != this]


def _task_detail(names: Names, name: str) -> str:
    task = names.tasks[name]
    kind = f"{task.task.kind.value} " if task.task.kind else ""
    return f'{kind}task of phase "{task.phase_name}"'


def _task_references(at: Cursor, names: Names):
    listed = set(at.words[at.words.index("needs"):]) if "needs" in at.words else set()
    return [(n, Kind.Function, _task_detail(names, n), n)
            for n in _earlier_tasks(at, names) if n not in listed]


def _operands(at: Cursor, names: Names):
    if "." in at.typed:
        return _references(at, names)
    return (_words(OPERANDS, Kind.Module, "reference")
            + [(f, Kind.Function, "status function", f) for f in FUNCTIONS]
            + _words(["not", "true", "false"], detail="condition"))


def _references(at: Cursor, names: Names):
    root = at.typed.split(".")[0]
    if root == "params":
        return [(f"params.{p}", Kind.Variable, "param", f"params.{p}")
                for p, clause in names.declared.items() if isinstance(clause, ast.Param)]
    if root == "job":
        return [(f"job.{v}", Kind.Variable, "job value", f"job.{v}") for v in JOB_VALUES]
    if root != "tasks":
        return []
    found = []
    for name in _earlier_tasks(at, names):
        detail = _task_detail(names, name)
        found.append((f"tasks.{name}.state", Kind.Field, detail, f"tasks.{name}.state"))
        found.extend(_outputs(name, names, detail))
    return found


def _outputs(name: str, names: Names, detail: str):
    known = names.outputs_of(name)
    if not known:
        return [(f"tasks.{name}.outputs.", Kind.Field, detail, f"tasks.{name}.outputs.")]
    return [(f"tasks.{name}.outputs.{o}", Kind.Field, f"output of {detail}",
             f"tasks.{name}.outputs.{o}") for o in known]


def _matrix_source(at: Cursor, names: Names):
    return [item for n in _earlier_tasks(at, names)
            for item in _outputs(n, names, _task_detail(names, n))]


def _status_arguments(at: Cursor, names: Names):
    index = names.phases.index(at.phase) if at.phase in names.phases else len(names.phases)
    phases = [(f'"{p}"', Kind.Module, "every task of the phase", f'"{p}"')
              for p in names.phases[:index]]
    return [(n, Kind.Function, _task_detail(names, n), n)
            for n in _earlier_tasks(at, names)] + phases


def _after_operand_in_task(at: Cursor, names: Names):
    return _words(["and", "or"], detail="condition") + _options(at, names)


def _interpolation(at: Cursor, names: Names):
    if at.typed.startswith("tasks."):
        return [i for i in _references(at, names) if ".outputs." in i[0]]
    if at.typed.startswith("job."):
        return _references(at, names)
    if "." in at.typed:
        return []
    words = list(at.words)
    matrices = [words[i + 1] for i, w in enumerate(words[:-1]) if w == "matrix"]
    found = [(m, Kind.TypeParameter, "matrix value of this task", m) for m in matrices]
    for name, clause in names.declared.items():
        secret = isinstance(clause, ast.Secret)
        detail = ("secret: prefer $NAME in a shell command (W212)" if secret
                  else f'param, default "{clause.default.value}"')
        found.append((name, Kind.Constant if secret else Kind.Variable, detail, name))
    return found + _words(("env.", "tasks.", "job."), Kind.Module, "reference")


def _rule_codes(at: Cursor, names: Names):
    from orchdsl.check.rules import all_rules

    return [(code, Kind.Reference, rule.slug, code) for code, rule in all_rules().items()]


ANSWERS = {
    "orchestration": lambda at, names: _words(["orchestration"], detail="the file's one block"),
    "clause": _clauses,
    "schedule option": _schedule_options,
    "zone": _zones,
    "zone in string": lambda at, names: _zones(at, names, quoted=False),
    "overlap mode": lambda at, names: _words(OVERLAP_MODES, Kind.EnumMember, "overlap"),
    "catchup mode": lambda at, names: _words(CATCHUP_MODES, Kind.EnumMember, "catchup"),
    "event": _events,
    "notify to": _notify_to,
    "task": lambda at, names: _words(["task"], detail="a task of this phase"),
    "kind or action": _kinds_and_actions,
    "action": _actions,
    "option": _options,
    "backoff": _backoff,
    "task reference": _task_references,
    "operand": _operands,
    "matrix source": _matrix_source,
    "status argument": _status_arguments,
    "after operand in task": _after_operand_in_task,
    "after operand in phase": lambda at, names: _words(["and", "or"], detail="condition"),
    "phase when": lambda at, names: _words(["when"], detail="run the phase on a condition"),
    "interpolation": _interpolation,
    "rule code": _rule_codes,
}
