"""Which files the scheduler holds, and whether they changed.

Changes are found by looking, not by being told: every ``--watch-interval`` (2 s by default)
the folders given are walked again for ``*.orch`` files and each known file and the nested
files it runs are ``stat``-ed. A change of size, modification time or inode (an editor's
save-by-rename) makes the daemon read the file again; a file whose text did not change is
not recompiled. 100 files holding 1,000 schedules cost 0.13-0.2% of a core that way
(bench/bench_scheduler.py). inotify would save that, but is Linux-only and misses changes on
network file systems, where pipelines often live.
"""

from __future__ import annotations

import os

Fingerprint = tuple  # ((path, mtime_ns, size, inode) or (path, None), ...)


def fingerprint(paths) -> Fingerprint:
    found = []
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            found.append((path, None))
        else:
            found.append((path, stat.st_mtime_ns, stat.st_size, stat.st_ino))
    return tuple(found)


def exists(path: str) -> bool:
    return os.path.isfile(path)


def orch_files(arguments: list[str]) -> list[str]:
    """The files named and the ``*.orch`` files below the folders named, as the paths will be
    shown (relative stays relative). A named file is kept even when it is gone: it is watched
    for coming back."""
    from orchdsl.check.linter import discover

    files = []
    for argument in arguments:
        if os.path.isdir(argument):
            files.extend(discover([argument])[0])
        else:
            files.append(argument)
    return files
