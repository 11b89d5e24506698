"""A Pygments lexer for ``.orch`` files, registered as the ``orch`` lexer through the
``pygments.lexers`` entry point: ``pygmentize -l orch``, Sphinx and MkDocs colour ``orch`` code.

Pygments loads this module for every highlighted block, so it imports Pygments and nothing of
orchdsl's heavier parts (lark, networkx). The word lists mirror LANGUAGE.md section 2; a test
holds them equal to the parser's.

Words that are keywords only where they stand (``timezone overlap catchup queue skip none
last`` after ``schedule``, the events, ``after`` and ``to`` after ``notify``) are coloured in
small states entered by ``schedule``, ``notify`` and ``needs``; anywhere else they are plain
names, so a task called ``last`` or ``error`` is not shown as a keyword.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, default, include, words
from pygments.token import (Comment, Error, Keyword, Name, Number, Operator, Punctuation,
                            String, Whitespace)

__all__ = ["OrchLexer", "RESERVED", "EVENTS"]

# A word ends where a name would: "phases" is a name, not "phase" + "s"; "load-2" is one name.
_END = r"(?![A-Za-z0-9_-])"
NAME = r"[A-Za-z_][A-Za-z0-9_-]*"

DECLARATIONS = ("orchestration", "phase", "task", "param", "secret")
KINDS = ("extractor", "transformation", "writer", "application")
CLAUSES = ("description", "schedule", "notify", "concurrency", "timeout", "fail_fast", "run",
           "call", "retries", "backoff", "continue_on_failure", "disabled", "cwd", "env", "needs")
RESERVED = frozenset(DECLARATIONS + KINDS + CLAUSES)
EVENTS = ("error", "warning", "success", "processing", "fixed")
SCHEDULE_OPTIONS = ("timezone", "overlap", "catchup")
SCHEDULE_MODES = ("queue", "skip", "none", "last")

_NOT_RESERVED = rf"(?!(?:{'|'.join(sorted(RESERVED, key=len, reverse=True))}){_END})"
_DURATION_PART = r"[0-9]+(?:ms|[smhd])"


class OrchLexer(RegexLexer):
    """The orchdsl pipeline language (``.orch`` files)."""

    name = "orchdsl"
    aliases = ["orch", "orchdsl"]
    filenames = ["*.orch"]
    mimetypes = ["text/x-orch"]

    tokens = {
        "blank": [
            (r"[ \t\f\r\n]+", Whitespace),
            # "# orchdsl: ignore[W205]" silences a rule: shown apart from ordinary comments.
            (r"#[^\n]*?orchdsl:\s*ignore(?:\s*\[[^\]\n]*\])?[^\n]*", Comment.Special),
            (r"#[^\n]*", Comment.Single),
        ],
        "values": [
            (r'"""', String.Double, "long-string"),
            (r'"', String.Double, "string"),
            (rf"(?:{_DURATION_PART})+{_END}", Number),
            (rf"[0-9]+{_END}", Number.Integer),
            # Digits run into letters that are no duration unit (10x, 5min): E106 in the linter.
            (rf"[0-9]+[A-Za-z0-9_]*{_END}", Error),
        ],
        "root": [
            include("blank"),
            (rf"(task)({_END}[ \t\r\n]+)({_NOT_RESERVED}{NAME})",
             bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (rf"(param|secret|env)({_END}[ \t\r\n]+)({_NOT_RESERVED}{NAME})",
             bygroups(Keyword.Declaration, Whitespace, Name.Variable)),
            (rf"schedule{_END}", Keyword, "schedule"),
            (rf"notify{_END}", Keyword, "notify"),
            (rf"needs{_END}", Keyword, "needs"),
            (words(DECLARATIONS, suffix=_END), Keyword.Declaration),
            (words(KINDS, suffix=_END), Keyword.Type),
            (words(CLAUSES, suffix=_END), Keyword),
            include("values"),
            (NAME, Name),
            (r"=", Operator),
            (r"[{}\[\],]", Punctuation),
            # "..." is no part of the language, but documentation writes it for elided text
            # (the lint rules' examples do): not worth a red box there.
            (r"\.\.\.", Comment),
            (r".", Error),
        ],
        # schedule "<cron>" [timezone "<zone>"] [overlap queue|skip] [catchup none|last]
        "schedule": [
            include("blank"),
            (words(SCHEDULE_OPTIONS, suffix=_END), Keyword),
            (words(SCHEDULE_MODES, suffix=_END), Name.Constant),
            (r'"""', String.Double, "long-string"),
            (r'"', String.Double, "string"),
            default("#pop"),
        ],
        # notify <event>[, <event>...] [after <duration>] to "<target>"[, "<target>"...]
        "notify": [
            include("blank"),
            (rf"(?:after|to){_END}", Keyword),
            (words(EVENTS, suffix=_END), Name.Constant),
            (r",", Punctuation),
            include("values"),
            default("#pop"),
        ],
        # needs <task>[, <task>...]: task names, a comma between each two.
        "needs": [
            include("blank"),
            (rf"{_NOT_RESERVED}{NAME}", Name.Function, ("#pop", "needs-comma")),
            default("#pop"),
        ],
        "needs-comma": [
            include("blank"),
            (r",", Punctuation, ("#pop", "needs")),
            default("#pop"),
        ],
        "string": [
            (r'"', String.Double, "#pop"),
            include("string-body"),
            # A "..." string cannot span lines (use """...""").
            (r"\n", Error, "#pop"),
        ],
        "long-string": [
            (r'"""', String.Double, "#pop"),
            include("string-body"),
            (r'"', String.Double),
            (r"\n", String.Double),
        ],
        "string-body": [
            (r'\\["\\nt$]', String.Escape),
            (r"\\.", Error),  # an unknown escape: E001 in the linter
            (rf"(\$\{{)((?:env\.)?{NAME})(\}})",
             bygroups(String.Interpol, Name.Variable, String.Interpol)),
            (r"\$\{[^}\"\n]*\}?", Error),  # not a name, or not closed
            (r'[^"\\$\n]+', String.Double),
            (r"\$", String.Double),
        ],
    }
