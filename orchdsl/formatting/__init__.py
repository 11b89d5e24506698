"""``orchdsl fmt``: the canonical layout of a file, and the rewrites that move its tasks."""
