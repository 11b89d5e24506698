"""The words of the language (docs/reference.md, "Lexical elements"): reserved words, which
never name anything, and the words that are keywords only where they stand."""

from __future__ import annotations

RESERVED = frozenset("""orchestration description schedule notify concurrency timeout fail_fast
    param secret phase task run call extractor transformation writer application retries
    backoff continue_on_failure disabled cwd env needs when matrix""".split())
EVENTS = ("error", "warning", "success", "processing", "fixed")
OVERLAP_MODES = ("queue", "skip")
CATCHUP_MODES = ("none", "last")
# Keywords only where they stand: in a schedule, a notification, a matrix, a task's options and
# a condition. A task, param or secret may be called any of these.
CONTEXTUAL = ("timezone", "overlap", "catchup", "after", "to", "from", "on", "and", "or", "not",
              "true", "false", "succeeded", "failed", "always")
