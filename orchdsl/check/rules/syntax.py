"""E001: syntax (reported by the parser; registered here for its documentation), and W210:
ignore comments that name no rule."""

import re

from orchdsl.lang.diagnostics import Severity, suggest
from orchdsl.lang.source import Span
from orchdsl.check.rules import Finding, rule


@rule("E001", "syntax", checked=False)
def syntax(ctx):
    """The file does not follow the grammar of the language (docs/reference.md): a misspelt
    keyword, a missing brace or quote, an unknown escape in a string, a reserved word used as a
    name, an unknown notify event or overlap/catchup mode, a malformed condition, reference or
    interpolation.

    The message says what was expected where, in plain words, with a hint where one is known
    (``did you mean "extractor"?``). Every syntax error of a file is reported, each at its own
    place, up to ten; an error that follows from an earlier one is not.

    Bad:
        phase "Extract" {
            task crm extracter run "python extract.py"
        }

    Good:
        phase "Extract" {
            task crm extractor run "python extract.py"
        }
    """
    return ()


@rule("W210", "unknown-ignore-code", Severity.WARNING)
def unknown_ignore_code(ctx):
    """An ``# orchdsl: ignore[...]`` comment names a code that is no rule (a typo like
    ``W2O6`` silences nothing). Codes are separated by commas or spaces; a bare
    ``# orchdsl: ignore`` silences every rule on its line.

    Bad:
        task old writer run "python old.py" disabled  # orchdsl: ignore[W2O5]

    Good:
        task old writer run "python old.py" disabled  # orchdsl: ignore[W205]
    """
    from orchdsl.check.linter import unknown_ignored_codes
    from orchdsl.check.rules import REGISTRY

    for comment, code in unknown_ignored_codes(ctx.document.comments, REGISTRY):
        shown = f'"{code}"' if code else "nothing"
        where = _code_span(comment, code)
        help, fix = suggest(code, REGISTRY, where) if where else (None, None)
        yield Finding(comment.span, f"ignore comment names {shown}, which is no rule",
                      help or "see orchdsl lint --list-rules", fix=fix)


def _code_span(comment, code: str) -> Span | None:
    """Where ``code`` is written in the comment's brackets (as written: ``w2o5`` for W2O5)."""
    opening = comment.text.find("[")
    found = re.compile(rf"(?<![A-Za-z0-9]){re.escape(code)}(?![A-Za-z0-9])", re.I).search(
        comment.text, opening + 1) if code and opening >= 0 else None
    if found is None:
        return None
    start, end, span = found.start(), found.end(), comment.span
    return Span(span.path, span.line, span.column + start, span.line, span.column + end,
                span.start + start, span.start + end)
