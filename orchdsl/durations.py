"""How every command words a length of time, in one place.

Two wordings, one for each kind of time:
- ``written``: a duration the user configured (``timeout``, ``backoff``, a job timeout), in
  the file's own syntax, so a message can be pasted back into the file: ``500ms``, ``1m30s``.
- ``measured``: a time something took or waited: ``0.25s``, ``12.3s``, ``1m05s``, ``2h03m``.
"""

from __future__ import annotations

UNITS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


def written(seconds: float | None) -> str:
    """``1.5`` -> ``1s500ms``, ``5400`` -> ``1h30m``, ``0`` -> ``0s``: the language's syntax."""
    milliseconds = round((seconds or 0) * 1000)
    if milliseconds == 0:
        return "0s"
    parts = []
    for unit, size in UNITS.items():
        count, milliseconds = divmod(milliseconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def measured(seconds: float | None) -> str:
    """A measured time: two decimals under 10 s, one under a minute, then ``1m05s``,
    ``2h03m``; ``-`` when there is none."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s"
