"""A Pygments lexer for ``.orch`` files, registered as the ``orch`` lexer through the
``pygments.lexers`` entry point: ``pygmentize -l orch``, Sphinx and MkDocs colour ``orch`` code.

Pygments loads this module for every highlighted block, so it imports Pygments and nothing of
orchdsl's heavier parts (lark, networkx). The word lists mirror docs/reference.md ("Lexical
elements"); a test holds them equal to the parser's.

Words that are keywords only where they stand (``timezone overlap catchup queue skip none
last`` after ``schedule``, the events, ``after`` and ``to`` after ``notify``, ``from`` in a
``matrix``, ``on`` before a label, and ``and or not true false succeeded failed always`` in a
condition) are coloured in small states entered by ``schedule``, ``notify``, ``needs``,
``matrix`` and ``when``; anywhere else they are plain names, so a task called ``last``,
``error`` or ``on`` is not shown as a keyword.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, default, include, words
from pygments.token import (Comment, Error, Keyword, Name, Number, Operator, Punctuation,
                            String, Whitespace)

__all__ = ["OrchLexer", "RESERVED", "EVENTS", "STATUS_FUNCTIONS"]

# A word ends where a name would: "phases" is a name, not "phase" + "s"; "load-2" is one name.
_END = r"(?![A-Za-z0-9_-])"
NAME = r"[A-Za-z_][A-Za-z0-9_-]*"

DECLARATIONS = ("orchestration", "phase", "task", "param", "secret", "matrix")
KINDS = ("extractor", "transformation", "writer", "application")
CLAUSES = ("description", "schedule", "notify", "concurrency", "timeout", "fail_fast", "run",
           "call", "retries", "backoff", "continue_on_failure", "disabled", "cwd", "env", "needs",
           "when")
RESERVED = frozenset(DECLARATIONS + KINDS + CLAUSES)
EVENTS = ("error", "warning", "success", "processing", "fixed")
SCHEDULE_OPTIONS = ("timezone", "overlap", "catchup")
SCHEDULE_MODES = ("queue", "skip", "none", "last")
STATUS_FUNCTIONS = ("succeeded", "failed", "always")

_NOT_RESERVED = rf"(?!(?:{'|'.join(sorted(RESERVED, key=len, reverse=True))}){_END})"
_DURATION_PART = r"[0-9]+(?:ms|[smhd])"
# A condition's reference (params.day, tasks.load.eu.outputs.x) and a matrix instance (load.eu).
REFERENCE = r"(?:params|env|tasks|job)(?:\.[A-Za-z0-9_-]+)+"
_DOTTED = rf"{NAME}(?:\.[A-Za-z0-9_-]+)*"
# What ${...} may hold: a param, secret or matrix value, env.X, an output, a job value.
_INTERPOLATED = (rf"env\.{NAME}|tasks\.{_DOTTED}\.outputs\.{NAME}|job\.(?:id|fire_time|fire_date)"
                 rf"|{NAME}")


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
            (r'r"""', String.Double, "raw-long-string"),
            (r'r"', String.Double, "raw-string"),
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
            (rf"(matrix)({_END}[ \t\r\n]+)({_NOT_RESERVED}{NAME})",
             bygroups(Keyword.Declaration, Whitespace, Name.Variable), "matrix"),
            (rf"(param|secret|env)({_END}[ \t\r\n]+)({_NOT_RESERVED}{NAME})",
             bygroups(Keyword.Declaration, Whitespace, Name.Variable)),
            (rf"schedule{_END}", Keyword, "schedule"),
            (rf"notify{_END}", Keyword, "notify"),
            (rf"needs{_END}", Keyword, "needs"),
            (rf"when{_END}", Keyword, "condition"),
            # on "<label>": "on" is a keyword only before a string (a task may be called on).
            (rf"(on)({_END}[ \t\r\n]*)(?=r?\")", bygroups(Keyword, Whitespace)),
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
        # matrix <name> = ["a", ...] or matrix <name> from tasks.<task>.outputs.<output>
        "matrix": [
            include("blank"),
            (rf"(from)({_END}[ \t\r\n]*)({REFERENCE})",
             bygroups(Keyword, Whitespace, Name.Variable), "#pop"),
            (r"=", Operator),
            (r"\[", Punctuation, ("#pop", "matrix-values")),
            default("#pop"),
        ],
        "matrix-values": [
            include("blank"),
            include("values"),
            (r",", Punctuation),
            (r"\]", Punctuation, "#pop"),
            default("#pop"),
        ],
        # when <condition>: or, and, not, comparisons, parentheses, literals, references, calls
        "condition": [
            include("blank"),
            (words(("and", "or", "not"), suffix=_END), Operator.Word),
            (words(("true", "false"), suffix=_END), Keyword.Constant),
            (rf"({'|'.join(STATUS_FUNCTIONS)})([ \t]*)(\()",
             bygroups(Name.Builtin, Whitespace, Punctuation), "call"),
            (rf"{REFERENCE}{_END}", Name.Variable),
            (r"==|!=|<=|>=|<|>", Operator),
            (r"[()]", Punctuation),
            include("values"),
            default("#pop"),
        ],
        # succeeded(<task or "phase">, ...)
        "call": [
            include("blank"),
            (rf"{_DOTTED}", Name.Function),
            (r'r?"', String.Double, "string"),
            (r",", Punctuation),
            (r"\)", Punctuation, "#pop"),
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
            include("interpolation"),
            (r'[^"\\$\n]+', String.Double),
            (r"\$", String.Double),
        ],
        # r"..." and r"""...""": no escapes, a backslash is itself; $${ is a literal ${
        "raw-string": [
            (r'"', String.Double, "#pop"),
            include("raw-body"),
            (r"\n", Error, "#pop"),
        ],
        "raw-long-string": [
            (r'"""', String.Double, "#pop"),
            include("raw-body"),
            (r'"', String.Double),
            (r"\n", String.Double),
        ],
        "raw-body": [
            (r"\$\$\{", String.Escape),
            include("interpolation"),
            (r'[^"$\n]+', String.Double),
            (r"\$", String.Double),
        ],
        "interpolation": [
            (rf"(\$\{{)({_INTERPOLATED})(\}})",
             bygroups(String.Interpol, Name.Variable, String.Interpol)),
            (r"\$\{[^}\"\n]*\}?", Error),  # not a name, or not closed
        ],
    }
