"""``lint``: parse and check files, apply ``# orchdsl: ignore[CODE]`` comments, collect results.

Returns data only; ``orchdsl.cli`` prints it and picks the exit code.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Diagnostic
from orchdsl.lang.loader import Loader
from orchdsl.lang.parser import ParseResult
from orchdsl.lang.source import STDIN, SourceError

# "# orchdsl: ignore[W202]", "# orchdsl: ignore[W202, W205] reason", "# orchdsl: ignore"
_IGNORE = re.compile(r"#\s*orchdsl:\s*ignore(?:\s*\[([^\]]*)\]|(?=\s|$))")
_CODE = re.compile(r"[EW]\d{3}\Z")
ALL_CODES = "*"
# Folders a recursive walk never enters: version control, virtual environments, caches.
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages"})


@dataclass
class FileResult:
    path: str
    text: str
    diagnostics: list[Diagnostic]


@dataclass
class LintReport:
    files: list[FileResult] = field(default_factory=list)
    unreadable: list[SourceError] = field(default_factory=list)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    @property
    def errors(self) -> int:
        return sum(d.is_error for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(not d.is_error for d in self.diagnostics)


def lint_source(text: str, path: str = "<string>") -> list[Diagnostic]:
    """Lint one file's text (nested orchestrations are looked up relative to ``path``)."""
    from orchdsl.lang.parser import parse

    return lint_result(parse(text, path), Loader())


def lint_paths(paths: list[str], stdin_text: str | None = None,
               stdin_name: str | None = None) -> LintReport:
    """Lint files and folders (every ``*.orch`` below them); ``-`` is standard input, reported
    as ``stdin_name`` when given."""
    report = LintReport()
    loader = Loader(stdin_text, stdin_name)
    files, missing = discover(paths)
    report.unreadable.extend(missing)
    # Parse every named file first, so a file that another one nests is shown by the path it
    # was named by, not by the path the nesting file reaches it through.
    loaded = []
    for path in files:
        try:
            loaded.append(loader.load(path))
        except SourceError as exc:
            report.unreadable.append(exc)
    for result in loaded:
        report.files.append(FileResult(result.document.path, result.document.text,
                                       lint_result(result, loader)))
    return report


def lint_result(result: ParseResult, loader: Loader) -> list[Diagnostic]:
    from orchdsl.check.rules import all_rules
    from orchdsl.check.rules.context import LintContext

    found = list(result.diagnostics)
    document = result.document
    if document.orchestration is not None:
        context = LintContext(document, loader)
        for rule in all_rules().values():
            found.extend(rule.run(context))
    found = _without_ignored(found, document)
    found.sort(key=Diagnostic.sort_key)
    return found


def _without_ignored(found: list[Diagnostic], document: ast.Document) -> list[Diagnostic]:
    ignored = ignores(document.comments)
    if not ignored:
        return found
    return [d for d in found if d.code == "E001" or not _is_ignored(d, ignored)]


def _is_ignored(diagnostic: Diagnostic, ignored: dict[int, set[str]]) -> bool:
    codes = ignored.get(diagnostic.span.line, ())
    return ALL_CODES in codes or diagnostic.code in codes


def ignores(comments: tuple[ast.Comment, ...]) -> dict[int, set[str]]:
    """Line -> codes silenced on it (``*`` for a bare ``# orchdsl: ignore``)."""
    found: dict[int, set[str]] = {}
    for comment in comments:
        match = _IGNORE.search(comment.text)
        if match:
            codes = match.group(1)
            found[comment.span.line] = (set(_ignored_codes(codes)) if codes is not None
                                        else {ALL_CODES})
    return found


def _ignored_codes(text: str) -> list[str]:
    return [c.upper() for c in re.split(r"[,\s]+", text) if c]


def unknown_ignored_codes(comments: tuple[ast.Comment, ...], known) -> list[tuple[ast.Comment, str]]:
    """(comment, code) for each code an ignore comment names that is no rule (see W210)."""
    found = []
    for comment in comments:
        match = _IGNORE.search(comment.text)
        if match and match.group(1) is not None:
            codes = _ignored_codes(match.group(1)) or [""]
            found.extend((comment, c) for c in codes if c not in known or not _CODE.match(c))
    return found


def discover(paths: list[str]) -> tuple[list[str], list[SourceError]]:
    """Files to lint: files as given (anything readable: a FIFO, /dev/stdin), folders walked
    for ``*.orch`` (each folder's files by name, then its subfolders by name; hidden folders
    and virtual environments skipped), ``-`` once.
    A folder holding no ``*.orch`` file is an error: a mistyped path must not pass CI."""
    files: list[str] = []
    problems: list[SourceError] = []
    for path in paths:
        if os.path.isdir(path):
            found = _walk(path)
            if not found:
                problems.append(SourceError(f"{path}: no .orch file in this folder"))
            files.extend(found)
        elif path == STDIN or os.path.lexists(path):
            files.append(path)  # reading it says what is wrong, if anything (a link loop)
        else:
            problems.append(SourceError(f"{path}: no such file or folder"))
    seen: set[str] = set()
    unique = [f for f in files if not (Loader.key(f) in seen or seen.add(Loader.key(f)))]
    return unique, problems


def _walk(folder: str) -> list[str]:
    found: list[str] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS
                         and not os.path.isfile(os.path.join(root, d, "pyvenv.cfg")))
        found.extend(os.path.join(root, n) for n in sorted(names) if n.endswith(".orch"))
    return found
