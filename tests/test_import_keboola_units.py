"""The pieces of ``orchdsl import keboola`` as tables: names, kinds, lenient values, the order
of phases, the command template, and conditional flows' conditions as ``when`` (which the
parser may not read yet, so they are checked as text here)."""

from __future__ import annotations

import json

import pytest

from orchdsl.importers.keboola.build_flow import build_phases
from orchdsl.importers.keboola.build_tasks import duration
from orchdsl.importers.keboola.command import (DEFAULT_TEMPLATE, TemplateError, kind_of,
                                               parse_template)
from orchdsl.importers.keboola.conditions import Scope, Unsupported, translate
from orchdsl.importers.keboola.detect import read_document
from orchdsl.importers.keboola.expr import text
from orchdsl.importers.keboola.fields import boolean_value, identifier_text, integer_value
from orchdsl.importers.keboola.json_source import load
from orchdsl.importers.keboola.model import Job
from orchdsl.importers.keboola.names import Names, PhaseNames, name_of, quote
from orchdsl.importers.keboola.order import Cycle, topological
from orchdsl.importers.keboola.read_flow import read_condition


@pytest.mark.parametrize(("keboola", "name"), [
    ("Task 1", "task_1"),
    ("keboola.ex-db-mysql-25044458", "keboola_ex-db-mysql-25044458"),
    ("Načíst data – CRM", "nacist_data_crm"),
    ("123 rows", "task_123_rows"),
    ("transformation", "transformation_task"),  # a reserved word
    ("when", "when_task"),
    ("---", "x_9"),  # nothing left: the fallback
    ("", "x_9"),
    ("load-2", "load-2"),
])
def test_a_keboola_name_becomes_a_valid_task_name(keboola, name):
    assert name_of(keboola, "x 9") == name


def test_names_are_handed_out_once():
    names, phases = Names(), PhaseNames()
    assert [names.take("load") for _ in range(3)] == ["load", "load_2", "load_3"]
    assert [phases.take("Load", 1), phases.take("Load", 2), phases.take("", 3)] == [
        "Load", "Load (2)", "Phase 3"]


@pytest.mark.parametrize(("component", "kind"), [
    ("keboola.ex-db-mysql", "extractor"),
    ("ex-generic-v2", "extractor"),
    ("kds-team.ex-ukg-wfm", "extractor"),
    ("keboola.wr-google-bigquery-v2", "writer"),
    ("gooddata-writer", "writer"),
    ("keboola.snowflake-transformation", "transformation"),
    ("keboola.python-transformation-v2", "transformation"),
    ("transformation", "transformation"),
    ("kds-team.app-custom-python", "application"),
    ("keboola.orchestrator", None),
    ("keboola.runner-config-test", None),
])
def test_the_kind_comes_from_the_component_id(component, kind):
    assert kind_of(component) == kind


@pytest.mark.parametrize(("value", "parsed"), [
    (True, True), (False, False), ("true", True), ("False", False), (" TRUE ", True),
    (1, True), (0, False), ("1", True), ("0", False), ("maybe", None), (None, None),
    (2, None), ([], None),
])
def test_booleans_may_be_strings(value, parsed):
    assert boolean_value(value) == parsed


@pytest.mark.parametrize(("value", "text_"), [(123, "123"), ("123", "123"), (12.0, "12"),
                                              ("a-1", "a-1")])
def test_ids_may_be_numbers_or_strings(value, text_):
    assert identifier_text(value) == text_


@pytest.mark.parametrize(("value", "parsed"), [(10, 10), ("10", 10), (10.0, 10), (True, None),
                                               ("ten", None), (None, None)])
def test_whole_numbers_may_be_strings(value, parsed):
    assert integer_value(value) == parsed


ORDERS = [
    # keboola-as-code's TestMapAfterRemoteLoadSortByDeps: each phase after its dependencies,
    # otherwise in file order
    (["1", "2", "3", "4", "5"], {"1": ["5"], "3": ["1", "4", "5"], "4": ["2", "5"]},
     ["5", "1", "2", "4", "3"]),
    (["w", "t", "a", "b"], {"w": ["t"], "t": ["a", "b"]}, ["a", "b", "t", "w"]),  # two roots
    (["a", "b"], {"a": ["gone"]}, ["a", "b"]),  # an unknown dependency is ignored
]


@pytest.mark.parametrize(("nodes", "before", "order"), ORDERS)
def test_phases_run_in_a_topological_order_that_keeps_the_file_order(nodes, before, order):
    assert topological(nodes, before) == order


def test_a_cycle_is_reported_as_its_chain():
    with pytest.raises(Cycle) as caught:
        topological(["1", "2", "3", "4"], {"1": ["2"], "2": ["3", "1"], "3": ["4"], "4": ["3"]})
    assert caught.value.path == ["3", "4", "3"]


def test_a_long_chain_needs_no_recursion():
    nodes = [str(n) for n in range(3000)]
    assert topological(nodes, {str(n): [str(n + 1)] for n in range(2999)})[0] == "2999"


@pytest.mark.parametrize(("raw", "quoted"), [
    ('say "hi"', r'"say \"hi\""'),
    ("cost $5 ${x}", r'"cost \$5 \${x}"'),
    ("a\\b\nc\td", r'"a\\b\nc\td"'),
    ("bell\x07", '"bell "'),
])
def test_strings_are_quoted_so_that_nothing_interpolates(raw, quoted):
    assert quote(raw) == quoted


@pytest.mark.parametrize(("seconds", "text_"), [(10, "10s"), (60, "1m"), (90, "1m30s"),
                                                (3600, "1h"), (90061, "1d1h1m1s")])
def test_durations_are_written_largest_unit_first(seconds, text_):
    assert duration(seconds) == text_


@pytest.mark.parametrize(("template", "job", "command"), [
    (DEFAULT_TEMPLATE, Job("keboola.ex-db-snowflake", "978904392"),
     "kbc remote job run --timeout 24h keboola.ex-db-snowflake/978904392"),
    (DEFAULT_TEMPLATE, Job("keboola.ex-db-oracle", "947204232", tag="v2.3.4"),
     "kbc remote job run --timeout 24h keboola.ex-db-oracle/947204232@v2.3.4"),
    ("run {component} {config} {tag} {mode} {rows}", Job("a", "1", mode="debug", rows=("7", "8")),
     "run a 1 '' debug 7,8"),
    ("echo {{literal}} {config}", Job("a", "it's"), "echo {literal} 'it'\"'\"'s'"),
])
def test_the_command_template_fills_in_shell_quoted_values(template, job, command):
    assert parse_template(template).command(job) == command


@pytest.mark.parametrize("template", ["run {component.x}", "run {0}", "run }"])
def test_a_template_with_unknown_fields_is_refused(template):
    with pytest.raises(TemplateError):
        parse_template(template)


def test_objects_know_where_they_start():
    document = load("f.json", b'{\n  "tasks": [\n    {"id": 1}, {"id": 2}\n  ]\n}')
    tasks = document.value["tasks"]
    assert [str(document.where(task)) for task in tasks] == ["f.json:3:5", "f.json:3:16"]
    assert str(document.where(document.value)) == "f.json:1:1"


SCOPE = Scope(task_names={"t1": "crm", "t2": "sheets", "t3": "model"},
              phase_tasks={"extract": ("crm", "sheets"), "transform": ("model",), "empty": ()},
              params={"limit": "limit"})


def status(kind: str, subject: str, value: str, operator: str = "EQUALS") -> dict:
    return {"type": "operator", "operator": operator, "operands": [
        {"type": kind, kind: subject, "value": "status"}, {"type": "const", "value": value}]}


def group(operator: str, *operands) -> dict:
    return {"type": "operator", "operator": operator, "operands": list(operands)}


def each(operator: str, value: str, phase: str | None = None) -> dict:
    inner = {"type": "operator", "operator": "EQUALS", "operands": [
        {"type": "task", "task": "*", "value": "job.status"}, {"type": "const", "value": value}]}
    node = {"type": "operator", "operator": operator, "operands": [inner]}
    return {**node, "phase": phase} if phase else node


CONDITIONS = [
    (status("phase", "extract", "error"), "failed(crm, sheets)"),
    (status("phase", "extract", "success"), "succeeded(crm, sheets)"),
    (status("task", "t3", "error", "NOT_EQUALS"), "not failed(model)"),
    (group("OR", status("phase", "extract", "user_error"),
           status("phase", "extract", "application_error")), "failed(crm, sheets)"),
    (group("AND", status("task", "t1", "success"), status("task", "t2", "error")),
     "succeeded(crm) and failed(sheets)"),
    (group("OR", group("AND", status("task", "t1", "success"), status("task", "t2", "error")),
           status("task", "t3", "error")), "succeeded(crm) and failed(sheets) or failed(model)"),
    (group("AND", group("OR", status("task", "t1", "error"), status("task", "t2", "error")),
           status("task", "t3", "success")), "(failed(crm) or failed(sheets)) and succeeded(model)"),
    (each("ALL_TASKS_IN_PHASE", "success", "extract"), "succeeded(crm, sheets)"),
    (each("ANY_TASKS_IN_PHASE", "error", "transform"), "failed(model)"),
    (each("ANY_TASKS_IN_ANY_PHASE", "error"), "failed()"),
    ({"type": "operator", "operator": "CONTINUE_ON_FAILURE", "phase": "extract", "tasks": ["t2"]},
     "succeeded(crm)"),
    ({"type": "operator", "operator": "GREATER_THAN", "operands": [
        {"type": "variable", "value": "limit"}, {"type": "const", "value": 1000}]},
     "params.limit > 1000"),
    ({"type": "operator", "operator": "EQUALS", "operands": [
        {"type": "const", "value": "full"}, {"type": "variable", "value": "limit"}]},
     'params.limit == "full"'),
]


@pytest.mark.parametrize(("condition", "when"), CONDITIONS)
def test_a_keboola_condition_becomes_a_when_condition(condition, when):
    assert text(translate(read_condition(condition), SCOPE)) == when


UNSUPPORTED = [
    (status("phase", "extract", "warning"), 'status "warning"'),
    (status("task", "t1", "user_error"), 'status "user_error" alone'),
    (status("task", "gone", "error"), "task gone is no converted, enabled task"),
    (status("phase", "empty", "error"), "phase empty has no converted, enabled task"),
    (each("ALL_TASKS_IN_PHASE", "error", "extract"), "ALL_TASKS_IN_PHASE(phase extract, "),
    ({"type": "operator", "operator": "EQUALS", "operands": [
        {"type": "function", "function": "DATE", "operands": [{"type": "const", "value": "N"}]},
        {"type": "const", "value": "1"}]}, 'DATE("N") == "1"'),
    ({"type": "operator", "operator": "EQUALS", "operands": [
        {"type": "variable", "value": "table_count"}, {"type": "const", "value": 3}]},
     "variable table_count == 3"),
    ({"type": "operator", "operator": "EQUALS", "operands": [
        {"type": "task", "task": "t1", "value": "job.result.output.tables"},
        {"type": "const", "value": 3}]}, "task t1 job.result.output.tables == 3"),
]


@pytest.mark.parametrize(("condition", "message"), UNSUPPORTED)
def test_a_condition_without_an_orchdsl_equivalent_says_which_part(condition, message):
    with pytest.raises(Unsupported) as caught:
        translate(read_condition(condition), SCOPE)
    assert str(caught.value).startswith(message)


def job(task_id: str, phase: str, component: str = "keboola.ex-db-mysql") -> dict:
    return {"id": task_id, "name": task_id, "phase": phase,
            "task": {"type": "job", "componentId": component, "configId": "1", "mode": "run"}}


def phases_of(phases: list[dict], tasks: list[dict]) -> dict[str, str | None]:
    data = json.dumps({"phases": phases, "tasks": tasks}).encode()
    flow = read_document(load("flow.json", data)).flow
    built = build_phases(flow, parse_template(DEFAULT_TEMPLATE))
    return {phase.name: phase.when for phase in built.phases}


def test_a_flow_without_conditions_needs_no_when():
    phases = [{"id": "a", "name": "A", "next": [{"id": "1", "goto": "b"}]},
              {"id": "b", "name": "B"}]
    assert phases_of(phases, [job("x", "a"), job("y", "b")]) == {"A": None, "B": None}


def test_a_failure_branch_and_the_default_way():
    phases = [{"id": "a", "name": "A", "next": [
                  {"id": "1", "condition": status("phase", "a", "error"), "goto": "alert"},
                  {"id": "2", "goto": "b"}]},
              {"id": "b", "name": "B"}, {"id": "alert", "name": "Alert"}]
    assert phases_of(phases, [job("x", "a"), job("y", "b"), job("z", "alert")]) == {
        "A": None, "B": "succeeded(x)", "Alert": "failed(x)"}


def test_a_condition_on_an_earlier_phase_needs_this_one_to_have_run():
    phases = [{"id": "a", "name": "A", "next": [{"id": "1", "goto": "b"}]},
              {"id": "b", "name": "B", "next": [
                  {"id": "2", "condition": status("phase", "a", "success"), "goto": "c"},
                  {"id": "3", "goto": None}]},
              {"id": "c", "name": "C"}]
    assert phases_of(phases, [job("x", "a"), job("y", "b"), job("z", "c")]) == {
        "A": None, "B": "succeeded(x)", "C": "succeeded(x)"}


def test_the_first_matching_transition_wins():
    phases = [{"id": "a", "name": "A", "next": [
                  {"id": "1", "condition": status("task", "x", "error"), "goto": "c"},
                  {"id": "2", "condition": status("task", "w", "error"), "goto": "b"},
                  {"id": "3", "goto": "b"}]},
              {"id": "b", "name": "B"}, {"id": "c", "name": "C"}]
    tasks = [job("x", "a"), job("w", "a"), job("y", "b"), job("z", "c")]
    assert phases_of(phases, tasks) == {
        "A": None, "B": "failed(w) and not failed(x) or succeeded(x, w)", "C": "failed(x)"}


def test_a_phase_reached_from_two_branches_runs_when_either_was_taken():
    phases = [{"id": "a", "name": "A", "next": [
                  {"id": "1", "condition": status("phase", "a", "error"), "goto": "fix"},
                  {"id": "2", "goto": "b"}]},
              {"id": "fix", "name": "Fix", "next": [{"id": "3", "goto": "b"}]},
              {"id": "b", "name": "B"}]
    tasks = [job("x", "a"), job("f", "fix"), job("y", "b")]
    assert phases_of(phases, tasks) == {"A": None, "Fix": "failed(x)",
                                        "B": "succeeded(x) or succeeded(f)"}


def test_a_task_that_may_fail_does_not_guard_the_default_way():
    phases = [{"id": "a", "name": "A", "next": [
                  {"id": "1", "condition": status("task", "x", "error"), "goto": "c"},
                  {"id": "2", "goto": "b"}]},
              {"id": "b", "name": "B"}, {"id": "c", "name": "C"}]
    tasks = [job("x", "a"), {**job("w", "a"), "continueOnFailure": True}, job("y", "b"),
             job("z", "c")]
    assert phases_of(phases, tasks)["B"] == "succeeded(x)"


def test_a_phase_only_an_unsupported_condition_leads_to_is_disabled():
    date = {"type": "operator", "operator": "EQUALS", "operands": [
        {"type": "function", "function": "DATE", "operands": [{"type": "const", "value": "N"}]},
        {"type": "const", "value": "1"}]}
    phases = [{"id": "a", "name": "A", "next": [
                  {"id": "1", "condition": date, "goto": "monday"}, {"id": "2", "goto": "b"}]},
              {"id": "b", "name": "B"}, {"id": "monday", "name": "Monday"}]
    data = json.dumps({"phases": phases, "tasks": [job("x", "a"), job("y", "b"),
                                                   job("m", "monday")]}).encode()
    flow = read_document(load("flow.json", data)).flow
    built = build_phases(flow, parse_template(DEFAULT_TEMPLATE))
    monday = built.phases[2]
    assert (monday.name, monday.when, monday.items[0].options) == ("Monday", None, ("disabled",))
    assert built.phases[1].when == "succeeded(x)"
    assert [f.message.split(":")[0] for f in built.findings] == [
        'the transition to phase "Monday" is never taken, and the ones after it are taken as '
        "if it were not there", "no transition that orchdsl takes leads here"]
