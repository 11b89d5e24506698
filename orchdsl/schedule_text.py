"""The text of a cron expression: its fields and the hours it names (no croniter needed)."""

from __future__ import annotations

ALIASES = {
    "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


def cron_fields(expression: str) -> list[str] | None:
    """The 5 or 6 fields of a cron (aliases expanded), or None when the count is wrong."""
    text = expression.strip()
    if text.startswith("@"):
        text = ALIASES.get(text.lower(), "")
    fields = text.split()
    return fields if len(fields) in (5, 6) else None


def hours_of(fields: list[str]) -> frozenset[int] | None:
    """The hours a cron fires in, or None when it fires in every hour or cannot be read."""
    hour = fields[2] if len(fields) == 6 else fields[1]
    found: set[int] = set()
    try:
        for part in hour.split(","):
            part, _, step = part.partition("/")
            if part.startswith(("*", "H")):
                return None  # all day long (``*/2`` too): not a choice of a night hour
            if "-" in part:
                low, high = (int(x) for x in part.split("-", 1))
            else:
                low = high = int(part)
                if step:
                    high = 23
            found.update(range(low, high + 1, int(step) if step else 1))
    except ValueError:
        return None
    return frozenset(h for h in found if 0 <= h <= 23) or None
