"""Scenario validation: one :class:`Checker` per load, so every problem is one message.

The checker knows where the scenario came from (file, folder, the keys ``--set`` touched)
and turns a bad value into an :class:`InputError` naming the file, the dotted key and what
is allowed.  Relative paths resolve against the scenario file's folder; paths given with
``--set`` resolve against the current directory, where the user typed them;
``builtin:NAME`` names data shipped in the package.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from ..model.errors import InputError
from ..model.packaged import builtin_data, is_builtin
from ..model.cluster import GAVEL_TYPES

# which kind of packaged data a ``builtin:NAME`` value of each path key names
_PATH_KINDS = {"throughputs.file": "throughputs", "workload.trace": "trace",
               "cluster.nodes_csv": "nodes", "workload.generate.mix": "pods",
               "workload.pods.file": "pods"}



class Checker:
    """Validation context: where the scenario came from, for messages."""

    def __init__(self, source: str, base: Path, touched: set[str]) -> None:
        self.source, self.base, self.touched = source, base, touched

    def source_of(self, key: str) -> str:
        """Where the value of ``key`` came from: ``--set KEY`` when the command line set
        it (or a mapping holding it), else the scenario file.  A typo on the command line
        must not be blamed on a shipped scenario the user never edited."""
        for touched in self.touched:
            if key == touched or key.startswith(touched + "."):
                return f"--set {touched}"
        return self.source

    def err(self, key: str, msg: str) -> InputError:
        return InputError(self.source_of(key), f"key '{key}': {msg}")

    def mapping(self, value: Any, key: str, allowed: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            raise self.err(key, f"expected a mapping with keys {', '.join(allowed)}, "
                           f"got {type(value).__name__}")
        for k in value:
            if k not in allowed:
                hint = difflib.get_close_matches(str(k), allowed, n=1)
                dym = f"; did you mean '{hint[0]}'?" if hint else ""
                full = f"{key}.{k}" if key else str(k)
                raise InputError(self.source_of(full), f"unknown key '{full}' (allowed: "
                                 f"{', '.join(allowed)}){dym}")
        return value

    def integer(self, value: Any, key: str, lo: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.err(key, f"expected an integer, got {value!r}")
        if lo is not None and value < lo:
            raise self.err(key, f"must be >= {lo}, got {value}")
        return value

    def number(self, value: Any, key: str, lo: float | None = None, strict: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self.err(key, f"expected a number, got {value!r}")
        if lo is not None and (value <= lo if strict else value < lo):
            raise self.err(key, f"must be {'>' if strict else '>='} {lo}, got {value}")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.err(key, f"expected true or false, got {value!r}")
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.err(key, f"expected a string, got {value!r}")
        return value

    def choice(self, value: Any, key: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.err(key, f"{value!r} is not allowed (allowed: {', '.join(allowed)})")
        return value

    def window(self, value: Any, key: str) -> tuple[int, int]:
        if (not isinstance(value, list) or len(value) != 2
                or any(isinstance(v, bool) or not isinstance(v, int) for v in value)):
            raise self.err(key, f"expected [start, end] job IDs (two integers), got {value!r}")
        lo, hi = value
        if not 0 <= lo < hi:
            raise self.err(key, f"need 0 <= start < end, got [{lo}, {hi}]")
        return lo, hi

    def path(self, value: Any, key: str) -> Path:
        """A path value: ``builtin:NAME`` (packaged data, :mod:`.builtin`), or a file path
        relative to the scenario's folder (to the current folder when set by ``--set``)."""
        text = self.string(value, key)
        if is_builtin(text):
            return builtin_data(text, _PATH_KINDS[key], f"{self.source_of(key)}: key {key!r}")
        base = Path.cwd() if key in self.touched else self.base
        p = Path(text).expanduser()
        return p if p.is_absolute() else base / p

    def plugin(self, registry: Any, data: dict, key: str, default: str) -> tuple[Any, dict]:
        """A plug-in key (``placement``/``policy``) and its ``<key>_params`` mapping: the
        resolved reference (file specs relative to the scenario's folder, or to the
        current folder when set by ``--set``) and the parameters, checked by building
        one instance now so a bad parameter is reported at load."""
        spec = self.string(data.get(key, default), key)
        params = data.get(f"{key}_params", {}) or {}
        if key in self.touched and not any(t.startswith(f"{key}_params") for t in self.touched):
            params = {}   # --set placement=OTHER: the file's params were for the file's placement
        if not isinstance(params, dict):
            raise self.err(f"{key}_params", f"expected a mapping of keyword parameters, got {params!r}")
        base = Path.cwd() if key in self.touched else self.base
        ref = registry.resolve(spec, base, f"{self.source_of(key)}: key '{key}'")
        registry.create(ref, params)
        return ref, dict(params)

    def types_spec(self, value: Any, key: str, allow_int: bool) -> dict[str, int]:
        """'V:P:K' for v100:p100:k80 (or a single int for every type)."""
        if allow_int and isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                raise self.err(key, f"must be >= 1, got {value}")
            return {w: value for w in GAVEL_TYPES}
        parts = str(value).split(":") if isinstance(value, str) else []
        if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
            what = "an integer or " if allow_int else ""
            raise self.err(key, f"expected {what}'V:P:K' (v100:p100:k80 counts, e.g. '36:36:36'), "
                           f"got {value!r}")
        nums = [int(p) for p in parts]
        if allow_int and min(nums) < 1:
            raise self.err(key, f"GPUs per server must be >= 1, got {value!r}")
        return dict(zip(GAVEL_TYPES, nums))
