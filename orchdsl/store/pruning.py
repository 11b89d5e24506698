"""Which jobs a prune removes (docs/language.md, "The job store": retention), in SQL both back
ends understand."""

from __future__ import annotations

import os

FINISHED = "state NOT IN ('waiting', 'processing')"


def doomed(db, rule) -> list[int]:
    """The ids of the top-level finished jobs the rule removes, and of the nested jobs they
    ran (a nested job goes with its parent, never on its own)."""
    files = [os.path.abspath(f) for f in rule.files]
    where = [FINISHED, "parent_job IS NULL"]
    args: list = []
    if files:
        where.append(f"file IN ({','.join('?' * len(files))})")
        args += files
    top = set()
    if rule.before is not None:
        top |= {r[0] for r in db.execute(
            f"SELECT id FROM jobs WHERE {' AND '.join(where)} AND coalesce(finished_at, "
            "created_at) < ?", [*args, rule.before.isoformat()])}
    if rule.keep_last is not None:
        top |= {r[0] for r in db.execute(
            f"SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY file ORDER BY id DESC) "
            f"AS newer FROM jobs WHERE {' AND '.join(where)}) AS ranked WHERE newer > ?",
            [*args, rule.keep_last])}
    return sorted(top | _nested_under(db, top))


def _nested_under(db, parents: set[int]) -> set[int]:
    found, frontier = set(), set(parents)
    while frontier:
        marks = ",".join("?" * len(frontier))
        children = {r[0] for r in db.execute(
            f"SELECT id FROM jobs WHERE parent_job IN ({marks}) AND {FINISHED}", list(frontier))}
        frontier = children - found
        found |= children
    return found
