"""lint's diagnostics as LSP diagnostics, and their fixes as quick fixes.

Each keeps lint's code (``E001``, ``W202``) with a link to the rule's section of the generated
``docs/lint-rules.md`` (``RULES_URL``, docs/editors.md), its message with the ``help:`` line and
notes (a note is also related information at its place), and its severity. A diagnostic whose
``Fix`` is known (``orchdsl.lang.diagnostics``) is offered as a quick fix that makes its edits.
"""

from __future__ import annotations

from lsprotocol import types

from orchdsl.lang.diagnostics import Diagnostic, Severity
from orchdsl.lsp.analysis import Analysis
from orchdsl.lsp.convert import to_range

# The rule index of orchdsl's repository, one section per code, anchored by the code in lower
# case (GitHub's anchor for "## E104"): a stable address for every version of the rules.
RULES_URL = "https://github.com/orchdsl/orchdsl/blob/main/docs/lint-rules.md"
SOURCE = "orchdsl"


def rule_url(code: str) -> str:
    return f"{RULES_URL}#{code.lower()}"


def to_lsp(analysis: Analysis) -> list[types.Diagnostic]:
    return [_diagnostic(analysis, d) for d in analysis.diagnostics]


def _diagnostic(analysis: Analysis, d: Diagnostic) -> types.Diagnostic:
    from pygls.uris import from_fs_path

    message = d.message + "".join(f"\nnote: {n.message}: {n.span}" for n in d.notes)
    if d.help:
        message += f"\nhelp: {d.help}"
    related = [types.DiagnosticRelatedInformation(
        location=types.Location(uri=analysis.buffer.uri if n.span.path == analysis.buffer.path
                                else from_fs_path(n.span.path) or n.span.path,
                                range=to_range(analysis.lines, n.span)
                                if n.span.path == analysis.buffer.path else _start()),
        message=n.message) for n in d.notes]
    return types.Diagnostic(
        range=to_range(analysis.lines, d.span), message=message, source=SOURCE, code=d.code,
        severity=(types.DiagnosticSeverity.Error if d.severity is Severity.ERROR
                  else types.DiagnosticSeverity.Warning),
        code_description=types.CodeDescription(href=rule_url(d.code)),
        related_information=related or None)


def _start() -> types.Range:
    return types.Range(types.Position(0, 0), types.Position(0, 0))


def quick_fixes(analysis: Analysis, wanted: types.Range,
                shown: list[types.Diagnostic]) -> list[types.CodeAction]:
    """A quick fix for each fixable diagnostic of this version that touches ``wanted`` (the
    editor's selection or cursor line) and that the editor still shows, when it says which."""
    actions = []
    published = {(d.code, _key(d.range)) for d in shown}
    for d, lsp in zip(analysis.diagnostics, to_lsp(analysis)):
        if d.fix is None or not _touches(lsp.range, wanted):
            continue
        if shown and (d.code, _key(lsp.range)) not in published:
            continue
        edits = [types.TextEdit(range=to_range(analysis.lines, e.span), new_text=e.text)
                 for e in d.fix.edits]
        change = types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(
                uri=analysis.buffer.uri, version=analysis.buffer.version), edits=edits)
        actions.append(types.CodeAction(
            title=f"{d.fix.title} ({d.code})", kind=types.CodeActionKind.QuickFix,
            diagnostics=[lsp], is_preferred=True,
            edit=types.WorkspaceEdit(document_changes=[change])))
    return actions


def _key(r: types.Range) -> tuple[int, int, int, int]:
    return (r.start.line, r.start.character, r.end.line, r.end.character)


def _touches(a: types.Range, b: types.Range) -> bool:
    return _key(a)[:2] <= _key(b)[2:] and _key(b)[:2] <= _key(a)[2:]
