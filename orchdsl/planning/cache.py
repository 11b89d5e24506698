"""The plan cache: a run of a file that has not changed reuses its plan (docs/reference.md,
"The plan cache"), so ``orchdsl run`` of it loads neither the parser (lark) nor the graph
(networkx), and checks nothing again.

An entry is one file per ``(working directory, path as given)``, named by the sha256 of the
two, in ``$ORCHDSL_CACHE`` (empty: no cache) or ``$XDG_CACHE_HOME/orchdsl/plans``
(``~/.cache`` by default). It holds what the plan was made from, and the plan of the file with
every task selected and every param at its default (``planning.build.plan_file``):
- the code stamp: orchdsl's version, Python's, and the size and mtime of every source file of
  the stages that make a plan (lang, check, planning, compiler) and of lark's package;
- its inputs: the file and every nested file (path, real path, content hash), and the module
  of every ``call`` target that lint reads next to the file (where it is, content hash).
An entry is used only when all of these are as recorded; anything else is a miss, and the
file is compiled as if there were no cache. The entry is a pickle, so only one the user owns,
that nobody else may write, in a folder of the same kind, is ever read; entries are written
0600 into a 0700 folder, to a temporary file first and renamed, so a reader sees a whole
entry or none, and two runs racing on one entry each get the right plan. A broken, foreign or
unreadable entry is a miss and gets rewritten; a folder that cannot be written leaves runs
uncached. Nothing here raises.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from orchdsl.lang.modules import module_file
from orchdsl.planning.spec import CallAction, Plan

FORMAT = 1  # of an entry; a change of it is a miss like any other
CACHE_VARIABLE = "ORCHDSL_CACHE"
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # a larger plan is not kept
_BOM = b"\xef\xbb\xbf"
# The stages whose code decides what a file's plan is (and whether it has one).
_STAGES = ("lang", "check", "planning")


@dataclass(slots=True)
class FileInput:
    """An .orch file the plan was made from: as opened, where it really is, its text's hash
    (``Plan.file_hash``: of what was compiled, not of what is there when the entry is saved)."""

    path: str
    real: str
    digest: str


@dataclass(slots=True)
class ModuleInput:
    """A ``call`` target's module as lint looks it up (``lang.modules.module_file``): the
    file it found, None when none was there (creating one may make the file fail to lint)."""

    folder: str
    module: str
    path: str | None
    digest: str | None


def folder(environ: Mapping[str, str] = os.environ) -> str | None:
    """Where entries are kept; None when the cache is off (``ORCHDSL_CACHE=``)."""
    chosen = environ.get(CACHE_VARIABLE)
    if chosen is not None:
        return chosen or None
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "orchdsl", "plans")


def load(path: str, environ: Mapping[str, str] = os.environ) -> Plan | None:
    """The cached plan of ``path`` when nothing it was made from changed, else None."""
    try:
        entry = _entry(path, environ)
        if entry is None or not _ours(os.stat(os.path.dirname(entry))):
            return None
        fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            if not _ours(os.fstat(f.fileno()), entry=True):
                return None
            header = pickle.load(f)
            if not _current(header):
                return None
            plan = pickle.load(f)
    except Exception:  # noqa: BLE001 - a broken entry of any kind is a miss, never an error
        return None
    return plan if isinstance(plan, Plan) else None


def save(path: str, plan: Plan, environ: Mapping[str, str] = os.environ) -> None:
    """Keep ``plan`` (``plan_file``'s, every task selected) for the next run of ``path``."""
    try:
        entry = _entry(path, environ)
        if entry is None or not _ready(os.path.dirname(entry)):
            return
        data = pickle.dumps((FORMAT, code_stamp(), _inputs(plan)), pickle.HIGHEST_PROTOCOL) + \
            pickle.dumps(plan, pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - no entry, and the run goes on
        return
    if len(data) <= MAX_ENTRY_BYTES:
        _write(entry, data)


# -- where, and whose ------------------------------------------------------------------------


def _entry(path: str, environ: Mapping[str, str]) -> str | None:
    where = folder(environ)
    if where is None:
        return None
    key = hashlib.sha256(f"{os.getcwd()}\0{path}".encode("utf-8", "surrogateescape"))
    return os.path.join(where, key.hexdigest() + ".plan")


def _ours(info: os.stat_result, entry: bool = False) -> bool:
    """Owned by this user and writable by nobody else (a pickle runs what it says)."""
    if entry and not stat.S_ISREG(info.st_mode):
        return False
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _ready(where: str) -> bool:
    """Make the folder (0700) if need be; whether entries may be written there."""
    try:
        os.makedirs(where, mode=0o700, exist_ok=True)
        info = os.stat(where)
        if info.st_uid != os.geteuid():
            return False
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(where, 0o700)
        return os.access(where, os.W_OK | os.X_OK)
    except OSError:
        return False


def _write(entry: str, data: bytes) -> None:
    """Write to a temporary file of this process, then rename it over the entry (atomic:
    a racing reader sees the old entry or the new one, whole)."""
    temporary = f"{entry}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                     | os.O_CLOEXEC, 0o600)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temporary, entry)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


# -- what a plan was made from ---------------------------------------------------------------


@lru_cache(maxsize=1)
def code_stamp() -> tuple:
    """What identifies the code that makes plans: a plan made by other code is not used."""
    from orchdsl._version import __version__

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found: list[tuple[str, int, int]] = []
    for stage in _STAGES:
        _sources(os.path.join(root, stage), found)
    for extra in (os.path.join(root, "compiler.py"), _lark()):
        if extra:
            info = os.stat(extra)
            found.append((extra, info.st_size, info.st_mtime_ns))
    return (__version__, sys.version, sys.implementation.cache_tag, tuple(sorted(found)))


def _sources(where: str, found: list) -> None:
    with os.scandir(where) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    _sources(entry.path, found)
            elif entry.name.endswith((".py", ".lark")):
                info = entry.stat()
                found.append((entry.path, info.st_size, info.st_mtime_ns))


def _lark() -> str | None:
    """lark's ``__init__.py``, found without importing it (a new lark may parse otherwise)."""
    for entry in sys.path:
        candidate = os.path.join(entry or ".", "lark", "__init__.py")
        if os.path.isfile(candidate):
            return candidate
    return None


def _inputs(plan: Plan) -> tuple:
    """The files and modules ``plan`` and its nested plans were made from."""
    files: dict[str, FileInput] = {}
    modules: dict[tuple[str, str], ModuleInput] = {}
    stack = [plan]
    while stack:
        each = stack.pop()
        if each is None or each.path in files:
            continue
        files[each.path] = FileInput(each.path, os.path.realpath(each.path), each.file_hash)
        where = os.path.dirname(each.path) or "."  # where lint looks (check/rules/calls.py)
        for task in each.tasks:
            action = task.action
            if isinstance(action, CallAction) and (where, action.module) not in modules:
                found = module_file(where, action.module)
                modules[(where, action.module)] = ModuleInput(
                    where, action.module, found, _module_digest(found))
        stack.extend(each.children.values())
    return tuple(files.values()) + tuple(modules.values())


def _current(header) -> bool:
    """Whether an entry's header says its plan is still the file's plan."""
    if not (isinstance(header, tuple) and len(header) == 3 and header[0] == FORMAT):
        return False
    _, stamp, inputs = header
    if stamp != code_stamp():
        return False
    for each in inputs:
        if isinstance(each, FileInput):
            if os.path.realpath(each.path) != each.real or _text_digest(each.path) != each.digest:
                return False
        elif isinstance(each, ModuleInput):
            found = module_file(each.folder, each.module)
            if found != each.path or _module_digest(found) != each.digest:
                return False
        else:
            return False
    return True


def _text_digest(path: str) -> str | None:
    """The hash ``Plan.file_hash`` would have (of the text: without a byte-order mark)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return hashlib.sha256(data[3:] if data.startswith(_BOM) else data).hexdigest()


def _module_digest(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return "unreadable"
