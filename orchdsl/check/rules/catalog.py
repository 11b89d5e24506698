"""The lint rule index in Markdown, generated from the rules' docstrings.

``python -m orchdsl.check.rules.catalog > docs/lint-rules.md`` (a test keeps the file in step).
"""

from __future__ import annotations

import re

from orchdsl.check.rules import Rule, all_rules

HEADER = """\
# Lint rules

Generated from the rules' docstrings by `python -m orchdsl.check.rules.catalog`; `orchdsl lint
--explain CODE` prints the same text. Codes are stable. Errors (`E`) make `orchdsl lint` exit 1;
warnings (`W`) do only with `--strict`. Silence one line with a trailing
`# orchdsl: ignore[CODE]` (syntax errors, `E001`, cannot be silenced).

| code | name | severity | what it finds |
|---|---|---|---|
"""


def markdown() -> str:
    rules = list(all_rules().values())
    rows = [f"| [{r.code}](#{r.code.lower()}) | `{r.slug}` | {r.severity.value} | "
            f"{_summary(r)} |" for r in rules]
    sections = [_section(r) for r in rules]
    return HEADER + "\n".join(rows) + "\n\n" + "\n".join(sections)


def _summary(rule: Rule) -> str:
    first = rule.doc.split("\n\n", 1)[0].replace("\n", " ")
    return first.split(". ")[0].rstrip(".").replace("|", "\\|") + "."


def _section(rule: Rule) -> str:
    body = re.sub(r"^(Bad|Good):\n((?:    .*\n?|\n)+)", _fence, rule.doc + "\n", flags=re.M)
    return f"## {rule.code}\n\n`{rule.slug}`, {rule.severity.value}\n\n{body.rstrip()}\n"


def _fence(match: re.Match) -> str:
    code = "\n".join(line[4:] for line in match.group(2).rstrip("\n").split("\n"))
    return f"{match.group(1)}:\n\n```orch\n{code}\n```\n\n"


if __name__ == "__main__":
    print(markdown(), end="")
