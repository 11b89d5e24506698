"""The grammar's terminals in the user's words: ``expected a task option (timeout, ...), a task
or "}"`` instead of lark's ``TIMEOUT, RETRIES, ..., RBRACE``."""

from __future__ import annotations

KINDS = ("EXTRACTOR", "TRANSFORMATION", "WRITER", "APPLICATION")
ACTIONS = ("RUN", "CALL", "ORCHESTRATION")
CLAUSES = ("DESCRIPTION", "SCHEDULE", "NOTIFY", "CONCURRENCY", "TIMEOUT", "FAIL_FAST", "PARAM",
           "SECRET", "PHASE")
TASK_OPTIONS = ("TIMEOUT", "RETRIES", "CONTINUE_ON_FAILURE", "DISABLED", "CWD", "ENV", "NEEDS",
                "WHEN", "MATRIX", "ON", "PARAM")
SCHEDULE_OPTIONS = ("TIMEZONE", "OVERLAP", "CATCHUP")
STRINGS = ("STRING", "LONG_STRING", "RAW_STRING", "RAW_LONG_STRING")
OPERANDS = (*STRINGS, "INT", "TRUE", "FALSE", "REFERENCE", "SUCCEEDED", "FAILED", "ALWAYS",
            "LPAR")

# Groups of expected terminals that read better as one phrase, largest first.
GROUPS = (
    (CLAUSES, "a clause (description, schedule, notify, concurrency, timeout, fail_fast, "
              "param, secret, phase)"),
    (TASK_OPTIONS, "a task option (timeout, retries, continue_on_failure, disabled, cwd, env, "
                   "needs, when, matrix, on, param)"),
    ((*OPERANDS, "NOT"), 'a condition (like params.day == "monday", succeeded() or not '
                         "failed(crm))"),
    (OPERANDS, "a value (a string, a number, true, false, a reference like params.day or "
               "tasks.crm.outputs.rows, succeeded(), failed() or always())"),
    (KINDS, "a kind (extractor, transformation, writer, application)"),
    (ACTIONS, "an action (run, call, orchestration)"),
    (SCHEDULE_OPTIONS, "a schedule option (timezone, overlap, catchup)"),
)

WORDS = {
    "NAME": "a name", "STRING": "a string", "LONG_STRING": "a string", "RAW_STRING": "a string",
    "RAW_LONG_STRING": "a string", "INT": "a number",
    "DURATION": "a duration (like 30s, 10m or 1h30m)", "LBRACE": '"{"', "RBRACE": '"}"',
    "LSQB": '"["', "RSQB": '"]"', "LPAR": '"("', "RPAR": '")"', "COMMA": '","', "EQUAL": '"="',
    "COMPARE": "a comparison (==, !=, <, <=, >, >=)",
    "REFERENCE": "a reference (like params.day or tasks.crm.outputs.rows)",
    "$END": "the end of the file", "TASK": "a task",
}
# Terminals that are punctuation or values, not keywords.
NOT_KEYWORDS = frozenset({"LBRACE", "RBRACE", "LSQB", "RSQB", "LPAR", "RPAR", "NAME", "INT",
                          "DURATION", "REFERENCE", "COMPARE", *STRINGS})


def describe_expected(expected: set[str]) -> str:
    expected = {e for e in expected if not e.startswith("__")}
    if "DURATION" in expected:
        expected.discard("INT")  # a number where a duration belongs parses for E106's sake
    phrases: list[str] = []
    for members, phrase in GROUPS:
        if expected.issuperset(members):
            phrases.append(phrase)
            expected -= set(members)
    for name in sorted(expected, key=_expected_order):
        phrase = WORDS["$END"] if is_end(name) else WORDS.get(name) or f'"{keyword(name)}"'
        if phrase not in phrases:
            phrases.append(phrase)
    if not phrases:
        return "something else"
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _expected_order(name: str) -> tuple[int, str]:
    # Punctuation and the end of the file read best last.
    return (1 if name in ("RBRACE", "RSQB", "RPAR") or is_end(name) else 0, name)


def is_end(name: str) -> bool:
    return name == "$END" or "END-OF-FILE" in name.upper()


def keyword(terminal: str) -> str:
    return terminal.lower()
