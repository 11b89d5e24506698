"""Quote a value for the place it takes in a ``/bin/sh`` command.

``shlex.quote`` is right only outside quotes: ``echo '${p}'`` would become
``echo ''x; touch PWNED''`` and run the second command. So the command's literal text is read
as sh reads quotes, and each value is quoted for the state at its place:
- outside quotes: ``shlex.quote``;
- inside double quotes: backslash before ``\\ " $ `` and the backtick;
- inside single quotes: close them, add the ``shlex.quote``d value, reopen them.
``$(...)`` and backticks open a new unquoted context, as in sh.
"""

from __future__ import annotations

import shlex

UNQUOTED, SINGLE, DOUBLE = "unquoted", "single", "double"


class QuoteState:
    """Follows sh's quoting through literal text, one piece at a time."""

    def __init__(self):
        self.stack = [UNQUOTED]
        self._escaped = False

    @property
    def state(self) -> str:
        return self.stack[-1]

    def feed(self, text: str) -> None:
        i = 0
        while i < len(text):
            char = text[i]
            state = self.stack[-1]
            if self._escaped:
                self._escaped = False
            elif state == SINGLE:
                if char == "'":
                    self.stack.pop()
            elif char == "\\":
                self._escaped = True
            elif char == "$" and text.startswith("$(", i):
                self.stack.append(UNQUOTED)  # command substitution: quoting starts afresh
                i += 1
            elif char == ")" and len(self.stack) > 1 and state == UNQUOTED:
                self.stack.pop()
            elif state == DOUBLE:
                if char == '"':
                    self.stack.pop()
            elif char == "'":
                self.stack.append(SINGLE)
            elif char == '"':
                self.stack.append(DOUBLE)
            i += 1


def quote_for(value: str, state: str) -> str:
    if state == DOUBLE:
        return "".join("\\" + c if c in '\\"$`' else c for c in value)
    if state == SINGLE:
        return "'" + shlex.quote(value) + "'"
    return shlex.quote(value)
