"""The converted text in ``fmt``'s canonical layout, linting clean.

Lint findings that describe the Keboola configuration as it is (a disabled task, a schedule
with no error notification, one task per phase) are kept on purpose: each line that has one
gets ``# orchdsl: ignore[CODE] as in Keboola`` (docs/import-keboola.md, "Lint"). Anything else
the linter finds is a bug of the importer.
"""

from __future__ import annotations

from orchdsl.importers.keboola.findings import OutputInvalid

# Warnings that say what the Keboola configuration says (docs/lint-rules.md).
KEPT = frozenset({"W201", "W202", "W203", "W204", "W205", "W206", "W207", "W208", "W209"})
REASON = "as in Keboola"


def finish(text: str, path: str) -> str:
    formatted = _formatted(text, path)
    silenced = _silenced(formatted, path)
    if silenced != formatted:
        formatted = _formatted(silenced, path)
    from orchdsl import lint

    left = lint(formatted, path)
    if left:
        first = left[0]
        raise OutputInvalid(f"line {first.span.line}: {first.code} {first.message}")
    return formatted


def _formatted(text: str, path: str) -> str:
    from orchdsl.formatting.formatter import Outcome, format_text

    result = format_text(text, path)
    if result.outcome is not Outcome.FORMATTED:
        first = result.diagnostics[0] if result.diagnostics else None
        where = f"line {first.span.line}: {first.message}" if first else result.outcome.value
        raise OutputInvalid(f"the converted text does not parse ({where})")
    return result.text


def _silenced(text: str, path: str) -> str:
    from orchdsl import lint

    codes: dict[int, list[str]] = {}
    for diagnostic in lint(text, path):
        if diagnostic.code in KEPT and diagnostic.code not in codes.get(diagnostic.span.line, []):
            codes.setdefault(diagnostic.span.line, []).append(diagnostic.code)
    if not codes:
        return text
    lines = text.split("\n")
    for line, found in codes.items():
        lines[line - 1] += f"  # orchdsl: ignore[{', '.join(sorted(found))}] {REASON}"
    return "\n".join(lines)
