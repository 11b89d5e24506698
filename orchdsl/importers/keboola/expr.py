"""Conditions (docs/reference.md, "Conditions") as values (``succeeded(a, b)``, ``not``, ``and``, ``or``,
comparisons), with the few simplifications that keep converted conditions readable, and their
text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Call:
    """``succeeded(...)``, ``failed(...)`` or ``always()``; refs are task names."""

    function: str
    refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class Group:
    """``and`` or ``or`` of two or more operands."""

    operator: str
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    left: str  # operands as written: params.limit, "text", 12
    operator: str
    right: str


Expr = Call | Not | Group | Compare
ALWAYS = Call("always")
_PRECEDENCE = {"or": 1, "and": 2}


def both(*operands: Expr) -> Expr:
    """``a and b``, without ``always()`` parts, repeats, or a ``not failed(x)`` next to a
    ``succeeded(x, ...)`` that already implies it."""
    flat = _flatten("and", operands)
    kept = [o for o in flat if o != ALWAYS and not _implied(o, flat)]
    unique = list(dict.fromkeys(kept))
    if not unique:
        return ALWAYS
    return unique[0] if len(unique) == 1 else Group("and", tuple(unique))


def either(operands: list[Expr]) -> Expr | None:
    """``a or b``; None (never) for no operand at all."""
    unique = list(dict.fromkeys(_flatten("or", operands)))
    if not unique:
        return None
    if ALWAYS in unique:
        return ALWAYS
    return unique[0] if len(unique) == 1 else Group("or", tuple(unique))


def _flatten(operator: str, operands) -> list[Expr]:
    flat: list[Expr] = []
    for operand in operands:
        if isinstance(operand, Group) and operand.operator == operator:
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    return flat


def _implied(operand: Expr, among: list[Expr]) -> bool:
    if not (isinstance(operand, Not) and isinstance(operand.operand, Call)
            and operand.operand.function == "failed" and operand.operand.refs):
        return False
    refs = set(operand.operand.refs)
    return any(isinstance(o, Call) and o.function == "succeeded" and refs <= set(o.refs)
               for o in among)


def text(expr: Expr, outer: int = 0) -> str:
    if isinstance(expr, Call):
        return f"{expr.function}({', '.join(expr.refs)})"
    if isinstance(expr, Compare):
        return f"{expr.left} {expr.operator} {expr.right}"
    if isinstance(expr, Not):
        inner = text(expr.operand, 3)
        return f"not {inner}"
    level = _PRECEDENCE[expr.operator]
    joined = f" {expr.operator} ".join(text(o, level) for o in expr.operands)
    return f"({joined})" if level < outer else joined
