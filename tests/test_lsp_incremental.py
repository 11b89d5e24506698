"""The language server's incremental parse (``orchdsl.lsp.incremental``) gives exactly what a
full parse gives: the same tree, comments and diagnostics, and so the same lint findings, for
random edits of every example and of generated files (150 and, in the slow tier, 2,000 tasks), for the edits the parser
must refuse to re-read in part, and as the real server publishes them while a buffer is
edited. Also the full parse's shortcut for plain strings, which must decode as
``decode_string`` does."""

from __future__ import annotations

import random
import sys

import pytest
import pytest_lsp
from pytest_lsp import LanguageClient

from conftest import EXAMPLE_FILES, LANGUAGE_1_1, REPO
from lsp_client import config, diagnostics, edit, initialize, open_file
from orchdsl.check.linter import lint_result
from orchdsl.lang.build import _plain
from orchdsl.lang.lexical import StringLocator, decode_string
from orchdsl.lang.loader import Loader
from orchdsl.lang.parser import parse
from orchdsl.lsp.incremental import IncrementalParser

sys.path.insert(0, str(REPO / "bench"))
from bench_lint import generate  # noqa: E402  (the benchmarks' realistic file)

SEED = 20_261_202
SYNTAX_CASES = sorted((REPO / "tests" / "cases" / "syntax").glob("*.orch"))
SOURCES = sorted({*EXAMPLE_FILES, LANGUAGE_1_1, *SYNTAX_CASES})
SNIPPETS = ['"', '"""', '""', 'r"', 'r"""', "{", "}", "[", "]", "(", ")", ",", "=", "${",
            "${day}", "${x", "\n", "\n\n", " ", "\t", "#", "# note\n", "x", "é", "🚀", "\\",
            "\\q", "0", "30s", "1.5h", "task", "tsk", "phase", "run", "needs", "when",
            "extractor", "orchestration", "timeout 5m", 'task t run "x"\n',
            'task u writer run ["a", "b"] needs t\n', 'phase "P" {\n', "}\n",
            "when always()", 'when tasks.a.outputs.b == "1"', 'matrix m = ["a", "b"]',
            'env X = "y"', "retries 2 backoff 1m", "disabled", "params.day", "not"]


def mutate(text: str, rng: random.Random) -> str:
    """One edit as a person makes them: characters typed or deleted, a snippet pasted, a
    word misspelt, a line deleted or duplicated, two characters swapped."""
    i = rng.randrange(len(text) + 1)
    operation = rng.randrange(7)
    if operation == 0:
        return text[:i] + text[i + rng.randint(1, 3):]
    if operation == 1:
        return text[:i] + rng.choice(SNIPPETS) + text[i:]
    if operation == 2:
        return text[:i] + rng.choice("abcxyz_-. ") + text[i:]
    if operation == 3:
        start, end = text.rfind("\n", 0, i) + 1, text.find("\n", i)
        end = len(text) if end < 0 else end + 1
        return text[:start] + (text[start:end] * 2 if rng.random() < 0.5 else "") + text[end:]
    if operation == 4 and 0 < i < len(text) - 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if operation == 5:
        word = rng.choice(("extractor", "writer", "task", "needs", "timeout", "phase", '"'))
        found = text.find(word, i)
        if found >= 0:
            return text[:found] + word[::-1] + text[found + len(word):]
    return text[:i] + rng.choice(SNIPPETS) + text[i + rng.randint(0, 4):]


def findings(result) -> list[tuple]:
    return [(d.code, d.span.line, d.span.column, d.span.end_line, d.span.end_column, d.message,
             d.help) for d in lint_result(result, Loader())]


def check_versions(parser: IncrementalParser, texts, path: str) -> int:
    """Every text, parsed by ``parser`` in turn, as a full parse and lint see it; how many
    versions it read in part."""
    before = parser.reread
    for number, text in enumerate(texts):
        got, want = parser.parse(text, path), parse(text, path)
        assert got == want, f"version {number} of {path} parses otherwise in part:\n{text}"
        assert findings(got) == findings(want)
    return parser.reread - before


def walk(text: str, rng: random.Random, count: int):
    """Versions of ``text`` as edits pile up: now and then back to the original."""
    current = text
    for _ in range(count):
        current = mutate(current if rng.random() < 0.8 else text, rng)
        yield current


# -- random edits ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_random_edits_of_a_file_parse_as_a_full_parse_does(source):
    text = source.read_text(encoding="utf-8")
    rng = random.Random(f"{SEED}-{source.name}")
    parser = IncrementalParser()
    check_versions(parser, [text, *walk(text, rng, 60)], str(source))


def test_random_edits_of_a_large_file_are_mostly_read_in_part():
    text = generate(150)
    rng = random.Random(SEED)
    parser = IncrementalParser()
    reread = check_versions(parser, [text, *walk(text, rng, 40)], "/tmp/bench-150.orch")
    assert reread >= 20  # the rest touch the head, or follow a version that did not parse


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_many_random_edits_of_a_file_parse_as_a_full_parse_does(source):
    text = source.read_text(encoding="utf-8")
    rng = random.Random(f"{SEED}-slow-{source.name}")
    parser = IncrementalParser()
    check_versions(parser, [text, *walk(text, rng, 600)], str(source))


@pytest.mark.slow
def test_many_random_edits_of_a_2000_task_file_parse_as_a_full_parse_does():
    text = generate(2000)
    rng = random.Random(SEED + 1)
    parser = IncrementalParser()
    # 40 edits: each is checked against a full parse of 2,000 tasks (a fraction of a second).
    assert check_versions(parser, [text, *walk(text, rng, 40)], "/tmp/bench-2000.orch") >= 20


# -- chosen edits ------------------------------------------------------------------------------

FILE = """\
# the pipeline
orchestration "Shop" {
    description "Orders, daily"
    param day = "today"
    phase "Extract" {  # sources
        task orders extractor run "python3 extract.py orders --day ${day}" timeout 10m
        task users extractor run ["python3", "extract.py", "users"]  # a list
        # the last one
        task stock extractor call "shop.stock:pull"
    }
    phase "Load" when succeeded() {
        task load writer run "python3 load.py" needs orders, users
            retries 2 backoff 1m
        task report application run "python3 report.py" when tasks.load.state == "succeeded"
    }
}
# after
"""


def _at(needle: str, replacement: str, occurrence: int = 1):
    def change(text: str) -> str:
        index = -1
        for _ in range(occurrence):
            index = text.index(needle, index + 1)
        return text[:index] + replacement + text[index + len(needle):]
    return change


# (what, edit, read in part)
CHOSEN = [
    ("a kind misspelt", _at("users extractor", "users extrator"), True),
    ("a character typed in a command", _at("extract.py orders", "extract.py xorders"), True),
    ("a line break in a command's task", _at(" timeout 10m", "\n            timeout 10m"), True),
    ("a task typed between two", _at("        # the last one", '        task new run "x"\n'
                                     "        # the last one"), True),
    ("a task deleted", _at('        task users extractor run ["python3", "extract.py", '
                           '"users"]  # a list\n', ""), True),
    ("a comment at the end of a task", _at(" timeout 10m", " timeout 10m # slow"), True),
    ("an option for the last task of a phase", _at('"shop.stock:pull"',
                                                   '"shop.stock:pull" disabled'), True),
    ("a phase renamed", _at('phase "Load"', 'phase "Load it"'), True),
    ("a phase's condition changed", _at("when succeeded()", "when failed()"), True),
    ("a clause between phases", _at('    phase "Load"', '    concurrency 3\n    phase "Load"'),
     True),
    ("a reserved word as a task's name", _at("task stock", "task phase"), True),
    ("an unknown escape", _at("orders --day", "orders \\q --day"), True),
    ("a } typed in a task", _at(" timeout 10m", " } timeout 10m"), None),
    ("a phase opened in a phase", _at("        # the last one",
                                      '    }\n    phase "More" {\n        # the last one'), None),
    ("a string left open", _at('"python3 load.py"', '"python3 load.py'), None),
    ("a long string opened", _at('"python3 load.py"', '"""python3 load.py"'), None),
    ("an empty string before a quote", _at('"python3 load.py"', '"""x"'), False),
    ("the orchestration renamed", _at('"Shop"', '"Shops"'), False),
    ("a param's default", _at('"today"', '"yesterday"'), True),
    ("text after the last brace", _at("# after", "task x"), False),
    ("the file emptied", lambda text: "", False),
]


@pytest.mark.parametrize("what, change, in_part", CHOSEN, ids=[c[0] for c in CHOSEN])
def test_an_edit_parses_as_a_full_parse_does(what, change, in_part):
    parser = IncrementalParser()
    assert check_versions(parser, [FILE], "shop.orch") == 0
    edited = change(FILE)
    assert edited != FILE
    reread = check_versions(parser, [edited], "shop.orch")
    if in_part is not None:
        assert reread == in_part, f"{what}: read {'in part' if reread else 'whole'}"
    assert check_versions(parser, [FILE], "shop.orch") in (0, 1)  # and back


def test_the_tail_of_the_file_moves_with_an_edit():
    text = generate(300)
    parser = IncrementalParser()
    before = parser.parse(text, "/tmp/b.orch").document.orchestration
    edited = text.replace("\n            timeout 10m", "\n\n            timeout 10m", 1)
    after = parser.parse(edited, "/tmp/b.orch").document.orchestration
    assert parser.reread == 1
    last_before, last_after = before.tasks[-1], after.tasks[-1]
    assert last_after.span.line == last_before.span.line + 1
    assert last_after.span.start == last_before.span.start + 1


def test_reading_in_part_declines_an_edit_that_needs_the_whole_text():
    parser = IncrementalParser()
    parser.parse(FILE, "shop.orch")
    assert parser.parse_in_part(FILE.replace('"Shop"', '"Shops"'), "shop.orch") is None
    edited = FILE.replace("users extractor", "users extrator")
    assert parser.parse_in_part(edited, "shop.orch") == parse(edited, "shop.orch")


def test_an_unchanged_text_gives_the_same_result_again():
    parser = IncrementalParser()
    first = parser.parse(FILE, "shop.orch")
    assert parser.parse(FILE, "shop.orch") is first
    assert parser.parse(FILE, "other.orch") == parse(FILE, "other.orch")


# -- the full parse's plain strings ------------------------------------------------------------

PIECES = ["a", " ", "$", "{", "}", "${", "x", ".", "env.", "tasks.", "é", "🚀", "${day}",
          "${env.HOME}", "${tasks.a.outputs.b}", "${job.id}", "${job.x}", "$$", "-", "${}"]


def test_a_plain_string_decodes_as_decode_string_does():
    rng = random.Random(SEED)
    compared = 0
    for _ in range(20_000):
        raw = '"' + "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8))) + '"'
        locate = StringLocator("p.orch", raw, 3, 7, 100)
        fast = _plain(raw, locate)
        if fast is not None:
            compared += 1
            assert fast == decode_string(raw, locate), raw
    assert compared > 15_000


# -- the server --------------------------------------------------------------------------------

@pytest_lsp.fixture(config=config(), scope="module")
async def client(lsp_client: LanguageClient):
    await initialize(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="module")
async def test_the_server_publishes_what_lint_finds_as_a_large_buffer_is_edited(client, tmp_path):
    from orchdsl.check.linter import lint_source

    text = generate(300)
    path = tmp_path / "bench-300.orch"
    path.write_text(text, encoding="utf-8")
    uri = open_file(client, path)
    assert await diagnostics(client, uri, 1) == []
    rng = random.Random(SEED + 2)
    for version in range(2, 22):
        index = rng.randrange(len(text))
        removed = rng.randint(0, 3)
        typed = rng.choice(["x", "", '"', "}", "\n", "extrator", " timeout 0s", "tsk"])
        start, end = _position(text, index), _position(text, index + removed)
        edit(client, uri, version, start, end, typed)
        text = text[:index] + typed + text[index + removed:]
        published = await diagnostics(client, uri, version)
        expected = lint_source(text, str(path))
        assert [(d.code, d.range.start.line + 1, d.range.start.character + 1,
                 d.message.split("\n")[0]) for d in published] == [
            (d.code, d.span.line, d.span.column, d.message) for d in expected], text


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index)
    return line, index - (text.rfind("\n", 0, index) + 1)
