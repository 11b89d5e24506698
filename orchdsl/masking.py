"""Replace secret values by ``***`` in every text that leaves the runner: what tasks print,
failure reasons, outputs, notifications (docs/language.md, "Secrets").

Output arrives in chunks, so a secret may be cut between two reads: ``Masker`` keeps back the
end of a chunk that could be the start of a secret until the next chunk says.
"""

from __future__ import annotations

import re

MASK = "***"


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

    def mask_optional(self, text: str | None) -> str | None:
        return None if text is None else self.mask(text)

    def stream(self) -> StreamMasker:
        return StreamMasker(self)


class StreamMasker:
    """Masks a stream of chunks; ``feed`` returns what is safe to show so far.

    The held-back tail is kept *unmasked*: masking it early could hide part of a longer secret
    that contains a shorter one (a URL holding a password), and the rest of the longer one
    would then show. A cut never falls inside a match."""

    def __init__(self, masker: Masker):
        self._masker = masker
        self._held = ""

    def feed(self, chunk: str) -> str:
        masker = self._masker
        if not masker:
            return chunk
        raw = self._held + chunk
        cut = len(raw) - (masker._longest - 1)
        if not masker._multiline:
            cut = max(cut, raw.rfind("\n") + 1)  # a secret without a line break cannot cross one
        cut = max(cut, 0)
        for match in masker._pattern.finditer(raw):
            if match.start() >= cut:
                break
            if match.end() > cut:
                cut = match.start()
                break
        self._held = raw[cut:]
        return masker.mask(raw[:cut])

    def close(self) -> str:
        rest, self._held = self._masker.mask(self._held), ""
        return rest
