"""Replace secret values by ``***`` in text a task prints (LANGUAGE.md 7: in task output too).

Output arrives in chunks, so a secret may be cut between two reads: ``Masker`` keeps back the
end of a chunk that could be the start of a secret until the next chunk says.
"""

from __future__ import annotations

import re

from orchdsl.interpolate import MASK


class Masker:
    def __init__(self, secrets):
        # Longest first, so a secret that contains another is masked whole. Values shorter
        # than 3 characters would mask half of every log; they are masked only whole-word.
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        long_ones = [re.escape(v) for v in values if len(v) >= 3]
        short_ones = [rf"\b{re.escape(v)}\b" for v in values if len(v) < 3]
        self._pattern = re.compile("|".join(long_ones + short_ones)) if values else None
        self._longest = max((len(v) for v in values), default=0)
        self._multiline = any("\n" in v for v in values)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def mask(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern else text

    def stream(self) -> StreamMasker:
        return StreamMasker(self)


class StreamMasker:
    """Masks a stream of chunks; ``feed`` returns what is safe to show so far."""

    def __init__(self, masker: Masker):
        self._masker = masker
        self._held = ""

    def feed(self, chunk: str) -> str:
        if not self._masker:
            return chunk
        text = self._masker.mask(self._held + chunk)
        # Hold back a tail that may be the start of a secret finished by the next chunk. A
        # secret without a line break cannot cross one, so whole lines are always safe.
        cut = len(text) - (self._masker._longest - 1)
        if not self._masker._multiline:
            cut = max(cut, text.rfind("\n") + 1)
        cut = max(cut, 0)
        self._held = text[cut:]
        return text[:cut]

    def close(self) -> str:
        rest, self._held = self._masker.mask(self._held), ""
        return rest
