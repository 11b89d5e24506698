"""``--param name=value``: values for the params a file declares (docs/language.md)."""

from __future__ import annotations

from typing import Mapping, Sequence



class ParamError(ValueError):
    """A param value that is malformed or names no declared param (a usage error, exit 2)."""


def parse_params(pairs: Sequence[str], declared: Sequence[str]) -> dict[str, str]:
    """``--param`` flags, ``["name=value", ...]`` -> {name: value}; raises ParamError."""
    values: dict[str, str] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParamError(f'--param "{pair}": expected name=value')
        values[name] = value
        _check(name, declared, f"--param {name}")
    return values


def check_params(values: Mapping[str, str], declared: Sequence[str]) -> dict[str, str]:
    """Params given from Python (``orchdsl.run(path, params={...})``); raises ParamError."""
    for name, value in values.items():
        if not isinstance(value, str):
            raise ParamError(f"param {name!r}: its value must be a string, not "
                             f"{type(value).__name__}")
        _check(name, declared, f"param {name!r}")
    return dict(values)


def _check(name: str, declared: Sequence[str], shown: str) -> None:
    if name not in declared:
        from orchdsl.lang.diagnostics import did_you_mean  # for the error only

        hint = did_you_mean(name, declared)
        known = f"declared: {', '.join(declared)}" if declared else "the file declares none"
        raise ParamError(f"{shown}: no such param ({hint or known})")
