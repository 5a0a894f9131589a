"""The sweep file: read and validate it into a :class:`SweepSpec` and its grid points.

Everything that decides *which* runs a sweep makes lives here: the allowed keys, seed
ranges, path values resolved against the sweep file's folder, each point's ``--set``
overrides and its folder name (a hash of the base scenario and the overrides, so a
changed base or grid never reuses an old point's results).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ...core.yaml_io import parse_scalar, read_yaml
from ...errors import InputError

#: Version of sweep.json and point.json; a point.json of another version is not reused.
SWEEP_FORMAT = 1
_SWEEP_KEYS = ("name", "description", "base", "grid", "seeds", "set")
# Scenario keys whose values are paths: relative values in a sweep file resolve
# against the sweep file's folder (not the folder the sweep is started from).
_PATH_KEYS = ("cluster.nodes_csv", "throughputs.file", "workload.trace", "workload.pods.file")


@dataclass(frozen=True)
class Point:
    """One grid point: its overrides (``key=value`` strings, as ``--set`` takes them)."""

    index: int
    values: dict[str, Any]        # grid key -> value (grid order), plus "seed"
    overrides: tuple[str, ...]    # fixed `set` overrides, then the grid's, then seed
    folder: str                   # points/<folder>


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file."""

    source: str
    name: str
    description: str
    base: Path                    # absolute path of the base scenario
    base_label: str               # as written in the sweep file
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    seeds: tuple[int, ...]
    fixed: tuple[tuple[str, Any], ...]
    points: tuple[Point, ...] = field(default=())

    def describe(self) -> dict[str, Any]:
        """What ``sweep.json`` records: enough for the report to know the axes."""
        return {"format": SWEEP_FORMAT, "name": self.name, "description": self.description,
                "base": self.base_label, "grid": {k: list(v) for k, v in self.grid},
                "seeds": list(self.seeds), "set": {k: v for k, v in self.fixed},
                "points": len(self.points)}


def _yaml_text(value: Any, source: str, key: str) -> str:
    """The value as a YAML scalar that ``--set`` parses back to the same value."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30).strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")].strip()
    if parse_scalar(text, source) != value:
        raise InputError(source, f"key '{key}': value {value!r} cannot be passed as an override")
    return text


def _resolve_path_value(key: str, value: Any, folder: Path) -> Any:
    """Paths in a sweep file are relative to it: data paths, and the file of a plug-in
    named ``file.py:Class`` (``placement`` / ``policy``)."""
    if not isinstance(value, str):
        return value
    if key in ("placement", "policy") and ":" in value:
        target, _, cls = value.rpartition(":")
        if not target.endswith(".py"):
            return value
        p = Path(target).expanduser()
        return f"{p if p.is_absolute() else (folder / p).resolve()}:{cls}"
    prefix = ""
    if key == "workload.generate.mix" and value.startswith("openb:"):
        prefix, value = "openb:", value[len("openb:"):]
    elif key not in _PATH_KEYS or value.startswith("builtin:"):
        return prefix + value
    p = Path(value).expanduser()
    return prefix + str(p if p.is_absolute() else (folder / p).resolve())


def _seeds(raw: Any, source: str) -> tuple[int, ...]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = [raw]
    if isinstance(raw, str):
        m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", raw)
        if not m or int(m.group(1)) > int(m.group(2)):
            raise InputError(source, f"key 'seeds': expected a list of integers or a range like "
                             f"'0-2', got {raw!r}")
        raw = list(range(int(m.group(1)), int(m.group(2)) + 1))
    if (not isinstance(raw, list) or not raw
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in raw)):
        raise InputError(source, f"key 'seeds': expected a non-empty list of integers >= 0 "
                         f"(or a range like '0-2'), got {raw!r}")
    if len(set(raw)) != len(raw):
        raise InputError(source, "key 'seeds': a seed is listed twice")
    return tuple(raw)


def _slug(values: dict[str, Any]) -> str:
    """A readable folder-name part: short key=value pairs, filesystem-safe."""
    short = {}
    lasts = [k.rsplit(".", 1)[-1] for k in values]
    for k in values:
        last = k.rsplit(".", 1)[-1]
        short[k] = last if lasts.count(last) == 1 else k
    parts = []
    for k, v in values.items():
        text = json.dumps(v) if not isinstance(v, str) else v
        parts.append(f"{short[k]}={text}")
    slug = re.sub(r"[^A-Za-z0-9._=,+-]", "_", ",".join(parts))
    return slug[:120]


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; every problem is one :class:`InputError`
    naming the file and the key.  Scenario keys themselves are checked per point
    (a bad override fails its points, not the sweep)."""
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raise InputError(source, "is a folder, expected a sweep YAML file")
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(source, "expected a mapping with keys " + ", ".join(_SWEEP_KEYS))
    for k in data:
        if k not in _SWEEP_KEYS:
            import difflib
            hint = difflib.get_close_matches(str(k), _SWEEP_KEYS, n=1)
            dym = f"; did you mean '{hint[0]}'?" if hint else ""
            raise InputError(source, f"unknown key '{k}' (allowed: {', '.join(_SWEEP_KEYS)}){dym}")
    folder = path.resolve().parent
    name = data.get("name", path.stem)
    description = data.get("description", "")
    if not isinstance(name, str) or not isinstance(description, str):
        raise InputError(source, "keys 'name' and 'description' must be strings")
    base_label = data.get("base")
    if not isinstance(base_label, str) or not base_label:
        raise InputError(source, "key 'base': missing; the base scenario YAML (relative to this file)")
    base = Path(base_label).expanduser()
    base = (base if base.is_absolute() else folder / base).resolve()
    if not base.is_file():
        raise InputError(source, f"key 'base': scenario file not found: {base}")
    grid_raw = data.get("grid", {}) or {}
    if not isinstance(grid_raw, dict):
        raise InputError(source, "key 'grid': expected a mapping of scenario keys to lists of values")
    grid = []
    for key, values in grid_raw.items():
        if not isinstance(key, str) or not key or any(not p for p in key.split(".")):
            raise InputError(source, f"key 'grid': {key!r} is not a dotted scenario key")
        if key == "seed":
            raise InputError(source, "key 'grid.seed': give seeds with the top-level 'seeds' key")
        if not isinstance(values, list) or not values:
            raise InputError(source, f"key 'grid.{key}': expected a non-empty list of values, "
                             f"got {values!r}")
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) != len(values):
            raise InputError(source, f"key 'grid.{key}': a value is listed twice")
        grid.append((key, tuple(_resolve_path_value(key, v, folder) for v in values)))
    fixed_raw = data.get("set", {}) or {}
    if not isinstance(fixed_raw, dict):
        raise InputError(source, "key 'set': expected a mapping of scenario keys to values")
    fixed = []
    for key, value in fixed_raw.items():
        if not isinstance(key, str) or key == "seed" or key in grid_raw:
            raise InputError(source, f"key 'set.{key}': {'use seeds' if key == 'seed' else 'also in grid'}")
        fixed.append((key, _resolve_path_value(key, value, folder)))
    seeds = _seeds(data.get("seeds", [0]), source)

    base_hash = hashlib.sha256(base.read_bytes()).hexdigest()
    fixed_over = [f"{k}={_yaml_text(v, source, 'set.' + k)}" for k, v in fixed]
    keys = [k for k, _ in grid]
    points = []
    for i, combo in enumerate(itertools.product(*(vals for _, vals in grid), seeds)):
        values = dict(zip(keys + ["seed"], combo))
        over = tuple(fixed_over + [f"{k}={_yaml_text(v, source, 'grid.' + k)}"
                                   for k, v in zip(keys, combo[:-1])] + [f"seed={combo[-1]}"])
        digest = hashlib.sha256(json.dumps({"base": base_hash, "overrides": over}).encode()).hexdigest()
        points.append(Point(i, values, over, f"{digest[:8]}-{_slug(values)}"))
    return SweepSpec(source, name, description, base, base_label, tuple(grid), seeds, tuple(fixed),
                     tuple(points))
