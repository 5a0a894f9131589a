"""Claims on sweep points, so that sweeps running at once into one folder share the work.

Two ``--only`` parts of a long sweep may run at the same time into one ``--out`` (and a
user may start the same sweep twice by mistake).  Before a driver hands a point to a
worker it claims the point: ``points/<folder>/.claim``, created whole and exclusively, holding
the driver's host and process id.  Another driver finding a claim leaves the point to
its holder, unless the holder is gone: a claim by a process of this host that no longer
runs is stale (the sweep was killed) and is taken over.  A claim from another host (a
shared folder) cannot be checked and is left alone; the summary names it, and deleting
the ``.claim`` file releases it.  A driver removes its claims when their points are
written or when it stops.  Two drivers taking over one stale claim at the same moment
may both run the point: the results are the same (runs are deterministic), only the
work is done twice, as it was for every shared point before claims.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

CLAIM_FILE = ".claim"


@dataclass
class Claims:
    """The claims one sweep driver holds in a sweep folder's ``points/``."""

    points: Path
    held: set[str] = field(default_factory=set)
    host: str = field(default_factory=socket.gethostname)

    def take(self, folder: str) -> bool:
        """Claim point ``folder``; False if a live driver holds it."""
        path = self.points / folder / CLAIM_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        # The claim appears whole or not at all: written to a temporary file, then
        # hard-linked to its name (which fails if the name exists).  So another driver
        # never reads a claim half-written and takes it for a damaged, stale one.
        # (".part", not ".tmp": a sweep starting beside this one removes the .tmp files a
        # killed sweep left, and must not remove this one mid-claim)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{CLAIM_FILE}.", suffix=".part")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(json.dumps({"host": self.host, "pid": os.getpid()}))
            for _ in range(2):
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    if self.holder(folder) is not None:
                        return False
                    try:   # stale: its driver is gone; take it over
                        path.unlink()
                    except FileNotFoundError:
                        pass
                    continue
                self.held.add(folder)
                return True
            return False
        finally:
            os.unlink(tmp)

    def holder(self, folder: str) -> str | None:
        """Who holds a live claim on ``folder`` ("pid P on host H"), or None (no claim,
        or a stale one)."""
        path = self.points / folder / CLAIM_FILE
        try:
            data = json.loads(path.read_text())
            host, pid = str(data["host"]), int(data["pid"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None   # damaged (claims are never seen half-written): treat as stale
        if host == self.host and not process_alive(pid):
            return None
        return f"pid {pid} on host {host}"

    def release(self, folder: str) -> None:
        """Drop the claim on ``folder`` (its point is written, or this driver stops)."""
        if folder in self.held:
            self.held.discard(folder)
            try:
                (self.points / folder / CLAIM_FILE).unlink()
            except FileNotFoundError:
                pass

    def release_all(self) -> None:
        for folder in list(self.held):
            self.release(folder)


def process_alive(pid: int) -> bool:
    """True if a process with id ``pid`` runs on this host."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True    # it exists, owned by someone else
    except OSError:
        return False
    return True
