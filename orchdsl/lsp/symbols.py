"""The outline: the orchestration, its phases and their tasks, and its params, secrets and
schedules (LSP document symbols)."""

from __future__ import annotations

from lsprotocol import types

from orchdsl.lang import ast
from orchdsl.lsp.analysis import Analysis
from orchdsl.lsp.convert import to_range

Kind = types.SymbolKind


def outline(analysis: Analysis) -> list[types.DocumentSymbol]:
    orchestration = analysis.orchestration
    if orchestration is None:
        return []
    children = [_clause(analysis, c) for c in orchestration.clauses]
    return [_symbol(analysis, orchestration.name.value, Kind.Module, orchestration,
                    orchestration.name, "orchestration", [c for c in children if c])]


def _clause(analysis: Analysis, clause) -> types.DocumentSymbol | None:
    if isinstance(clause, ast.Phase):
        tasks = [_symbol(analysis, t.name.text, Kind.Function, t, t.name,
                         t.kind.value if t.kind else "task") for t in clause.tasks]
        when = f"when {clause.when.text}" if clause.when else f"{len(clause.tasks)} tasks"
        return _symbol(analysis, clause.name.value, Kind.Namespace, clause, clause.name, when,
                       tasks)
    if isinstance(clause, ast.Param):
        return _symbol(analysis, clause.name.text, Kind.Variable, clause, clause.name,
                       f"param = {clause.default.raw}")
    if isinstance(clause, ast.Secret):
        return _symbol(analysis, clause.name.text, Kind.Constant, clause, clause.name, "secret")
    if isinstance(clause, ast.Schedule):
        return _symbol(analysis, clause.cron.value, Kind.Event, clause, clause.cron,
                       f"schedule in {clause.timezone}")
    return None


def _symbol(analysis: Analysis, name: str, kind, node, name_node, detail: str,
            children=None) -> types.DocumentSymbol:
    return types.DocumentSymbol(name=name or "(unnamed)", kind=kind, detail=detail,
                                range=to_range(analysis.lines, node.span),
                                selection_range=to_range(analysis.lines, name_node.span),
                                children=children)
