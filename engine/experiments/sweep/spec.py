"""The sweep file: read and validate it into a :class:`SweepSpec` and its grid points.

Everything that decides *which* runs a sweep makes lives here (the grid's axes, named
variants and blocks are parsed in :mod:`.grid`): the allowed keys, seed ranges, path
values resolved against the sweep file's folder, each point's base scenario, its
``--set`` overrides and its folder name (a hash of the base scenario's bytes and the
overrides, so a changed base or grid never reuses an old point's results).

A sweep that uses neither variants nor blocks gives exactly the points, overrides,
folder names and ``sweep.json`` it gave before they existed.
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

from ...model.yaml_io import parse_scalar, read_yaml
from ...model.errors import InputError
from .grid import Block, axis_values, parse_grid, variants

#: Version of sweep.json and point.json; a point.json of another version is not reused.
SWEEP_FORMAT = 1
_SWEEP_KEYS = ("name", "description", "base", "grid", "seeds", "set", "arms")
# Scenario keys whose values are paths: relative values in a sweep file resolve
# against the sweep file's folder (not the folder the sweep is started from).
_PATH_KEYS = ("cluster.nodes_csv", "throughputs.file", "workload.trace", "workload.pods.file")


@dataclass(frozen=True)
class Point:
    """One grid point: its overrides (``key=value`` strings, as ``--set`` takes them)."""

    index: int
    values: dict[str, Any]        # axis -> value or variant label (grid order), plus "seed"
    overrides: tuple[str, ...]    # fixed `set` overrides, then the axes', then seed
    folder: str                   # points/<folder>
    base: Path | None = None      # its base scenario (None: the sweep's `base`)


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file."""

    source: str
    name: str
    description: str
    base: Path                    # absolute path of the base scenario (the first point's if
    base_label: str | None        # the file has no top-level `base`); as written, or None
    grid: tuple[tuple[str, tuple[Any, ...]], ...]   # every axis and its values, all blocks
    seeds: tuple[int, ...]
    fixed: tuple[tuple[str, Any], ...]
    points: tuple[Point, ...] = field(default=())
    blocks: tuple[Block, ...] = field(default=())
    arms: str | None = None       # the axis the report compares (each value vs the first)
    decisions: bool = False       # each point also writes decisions.parquet (sweep --decisions)

    def point_base(self, point: Point) -> Path:
        """The base scenario a point runs on (variants may choose another than ``base``)."""
        return point.base or self.base

    def describe(self) -> dict[str, Any]:
        """What ``sweep.json`` records: enough for the report to know the axes.  The keys
        ``variants``, ``blocks`` and ``arms`` appear only when the file uses them."""
        out = {"format": SWEEP_FORMAT, "name": self.name, "description": self.description,
               "base": self.base_label, "grid": {k: list(v) for k, v in self.grid},
               "seeds": list(self.seeds), "set": {k: v for k, v in self.fixed},
               "points": len(self.points)}
        named = variants(self.blocks)
        if named:
            out["variants"] = named
        if len(self.blocks) > 1:
            out["blocks"] = [{ax.name: list(ax.labels) for ax in b} for b in self.blocks]
        if self.arms is not None:
            out["arms"] = self.arms
        return out


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


def _find_base(label: str, folder: Path, source: str, key: str) -> Path:
    """A base scenario as written: a file relative to the sweep file (or absolute), else
    a shipped scenario's name (``study/fork-6200``), so a shipped sweep can name a
    scenario in another folder of the package without ``../``.  Never a file relative
    to the folder the sweep is started from."""
    from ...model.packaged import find_scenario
    written = Path(label).expanduser()
    path = (written if written.is_absolute() else folder / written).resolve()
    if path.is_file():
        return path
    found = None
    if not written.is_absolute() and not written.exists():   # find_scenario would try the cwd
        try:
            found = find_scenario(label)
        except InputError:
            pass
    if found is None:
        raise InputError(source, f"key '{key}': scenario file not found: {path} (nor a shipped "
                         "scenario of that name; `fragscope scenarios` lists them)")
    return found.resolve()


def _arms(raw: Any, grid: dict[str, list], blocks: tuple[Block, ...], source: str) -> str | None:
    """The axis the report compares: ``arms`` if given, else the last variant axis."""
    if raw is None:
        named = [ax.name for ax in (blocks[0] if blocks else ()) if ax.variant]
        return named[-1] if named else None
    if not isinstance(raw, str) or raw not in grid:
        raise InputError(source, f"key 'arms': expected the name of a grid axis "
                         f"({', '.join(grid) or 'the grid has none'}), got {raw!r}")
    if len(grid[raw]) < 2:
        raise InputError(source, f"key 'arms': axis '{raw}' has one value; arms need at least two")
    return raw


def _point_overrides(axes: Block, combo: tuple, source: str, blocked: bool,
                     block_index: int) -> list[str]:
    """The ``key=value`` overrides of one combination of an axis' labels."""
    over = []
    for ax, label in zip(axes, combo):
        i = next(j for j, v in enumerate(ax.labels) if type(v) is type(label) and v == label)
        for k, v in ax.settings[i]:
            where = (f"grid[{block_index}]." if blocked else "grid.") + (
                f"{ax.name}.{label}.{k}" if ax.variant else k)
            over.append(f"{k}={_yaml_text(v, source, where)}")
    return over


def _expand(blocks: tuple[Block, ...], base: Path | None, fixed_over: list[str],
            seeds: tuple[int, ...], source: str) -> list[Point]:
    """Every point, block after block (each block's product in axis order, seeds
    innermost): its base, its overrides and its folder name (hash of the base's bytes
    and the overrides).  A point listed by two blocks is an error."""
    hashes: dict[Path, str] = {}
    points: list[Point] = []
    seen: dict[str, int] = {}
    blocked = len(blocks) > 1
    for bi, axes in enumerate(blocks):
        keys = [ax.name for ax in axes]
        chooser = next((j for j, ax in enumerate(axes) if ax.sets_base()), None)
        for combo in itertools.product(*(ax.labels for ax in axes), seeds):
            values = dict(zip(keys + ["seed"], combo))
            point_base = base
            if chooser is not None:
                ax = axes[chooser]
                point_base = ax.bases[ax.labels.index(combo[chooser])] or base
            if point_base is None:
                where = (f"grid[{bi}]." if blocked else "grid.") + (
                    f"{axes[chooser].name}.{combo[chooser]}" if chooser is not None else "")
                raise InputError(source, "key 'base': missing; the base scenario YAML (relative to "
                                 "this file)" + (f", or a 'base' in variant '{where.rstrip('.')}'"
                                                 if chooser is not None else ""))
            over = tuple(fixed_over + _point_overrides(axes, combo[:-1], source, blocked, bi)
                         + [f"seed={combo[-1]}"])
            if point_base not in hashes:
                hashes[point_base] = hashlib.sha256(point_base.read_bytes()).hexdigest()
            digest = hashlib.sha256(json.dumps({"base": hashes[point_base], "overrides": over})
                                    .encode()).hexdigest()
            key = json.dumps(values, sort_keys=True, default=str)
            if key in seen:
                raise InputError(source, f"key 'grid[{bi}]': repeats a point of block "
                                 f"{seen[key]} ({_slug(values)})")
            seen[key] = bi
            points.append(Point(len(points), values, over, f"{digest[:8]}-{_slug(values)}",
                                point_base))
    return points


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
    if base_label is not None and (not isinstance(base_label, str) or not base_label):
        raise InputError(source, "key 'base': expected the base scenario YAML (relative to this "
                         "file) or a shipped scenario name")
    base = _find_base(base_label, folder, source, "base") if base_label else None
    blocks = parse_grid(data.get("grid", {}), source,
                        lambda k, v: _resolve_path_value(k, v, folder),
                        lambda label, key: _find_base(label, folder, source, key))
    grid = axis_values(blocks)
    fixed_raw = data.get("set", {}) or {}
    if not isinstance(fixed_raw, dict):
        raise InputError(source, "key 'set': expected a mapping of scenario keys to values")
    set_by_grid = {k for b in blocks for ax in b for k in ax.keys()}
    fixed = []
    for key, value in fixed_raw.items():
        if not isinstance(key, str) or key == "seed" or key in set_by_grid:
            raise InputError(source, f"key 'set.{key}': {'use seeds' if key == 'seed' else 'also in grid'}")
        fixed.append((key, _resolve_path_value(key, value, folder)))
    seeds = _seeds(data.get("seeds", [0]), source)
    arms = _arms(data.get("arms"), grid, blocks, source)

    fixed_over = [f"{k}={_yaml_text(v, source, 'set.' + k)}" for k, v in fixed]
    points = _expand(blocks, base, fixed_over, seeds, source)
    first_base = base if base is not None else (points[0].base if points else None)
    if first_base is None:
        raise InputError(source, "key 'base': missing; the base scenario YAML (relative to this file)")
    return SweepSpec(source, name, description, first_base, base_label,
                     tuple((k, tuple(v)) for k, v in grid.items()), seeds, tuple(fixed),
                     tuple(points), blocks, arms)
