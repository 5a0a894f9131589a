"""The sweep file's ``grid``: axes, named variants and blocks, checked and expanded.

A grid is one **block** — a mapping of axes, every combination of their values — or a
list of blocks, whose points are the union of each block's product (so a second block
can run a subset of the loads, or on another base scenario, without the wasteful full
product).  An axis is either

* a **plain axis**: a dotted scenario key and a list of values
  (``workload.generate.lam: [60, 30]``) — each value is one ``--set key=value``; or
* a **variant axis**: any name and a mapping ``label -> {scenario key: value, ...}``
  (``arm: {off: {sharing: false}, on: {sharing: true, lp_capacity: demand}}``) — each
  label is one value of the axis and applies all its overrides at once; the label is
  what results.parquet and the report show.  A label may also set ``base``: the base
  scenario of the points that take it (a path relative to the sweep file, or a shipped
  scenario's name), which is how one sweep covers two clusters.

Every block must name the same axes (one results column per axis); a label used in two
blocks must mean the same overrides there.  A scenario key may be set by one axis only,
so no point silently depends on the order of its overrides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ...model.errors import InputError

#: Results columns a variant axis may not be named after (they would collide).
RESERVED = frozenset({"point", "index", "seed", "status", "error", "wall_s", "base"})


@dataclass(frozen=True)
class Axis:
    """One axis of one block: the values the results show and what each one sets."""

    name: str
    labels: tuple[Any, ...]                          # plain values, or variant labels
    settings: tuple[tuple[tuple[str, Any], ...], ...]  # per label: (scenario key, value) pairs
    bases: tuple[Path | None, ...]                   # per label: the base scenario it selects
    base_labels: tuple[str | None, ...]              # ... as written in the sweep file
    variant: bool

    def keys(self) -> set[str]:
        """Every scenario key this axis sets (for the one-axis-per-key check)."""
        return {k for pairs in self.settings for k, _ in pairs}

    def sets_base(self) -> bool:
        return any(b is not None for b in self.bases)


Block = tuple[Axis, ...]
#: Resolves a path-like override value against the sweep file's folder.
ResolveFn = Callable[[str, Any], Any]
#: Resolves a base scenario as written (relative path or shipped name) to its file.
BaseFn = Callable[[str, str], Path]


def _dotted(key: Any) -> bool:
    return isinstance(key, str) and bool(key) and all(key.split("."))


def _distinct(values: list, source: str, where: str) -> None:
    if len({json.dumps(v, sort_keys=True, default=str) for v in values}) != len(values):
        raise InputError(source, f"key '{where}': a value is listed twice")


def _plain_axis(key: Any, values: Any, where: str, source: str, resolve: ResolveFn) -> Axis:
    if not _dotted(key):
        raise InputError(source, f"key '{where}': {key!r} is not a dotted scenario key")
    if not isinstance(values, list) or not values:
        raise InputError(source, f"key '{where}': expected a non-empty list of values "
                         f"(or a mapping of named variants), got {values!r}")
    _distinct(values, source, where)
    vals = tuple(resolve(key, v) for v in values)
    return Axis(key, vals, tuple(((key, v),) for v in vals), (None,) * len(vals),
                (None,) * len(vals), False)


def _variant_axis(name: str, variants: dict, where: str, source: str, resolve: ResolveFn,
                  find_base: BaseFn) -> Axis:
    if not variants:
        raise InputError(source, f"key '{where}': expected at least one named variant")
    if name in RESERVED:
        raise InputError(source, f"key '{where}': a variant axis cannot be named '{name}' "
                         f"(reserved: {', '.join(sorted(RESERVED))})")
    labels, settings, bases, base_labels = [], [], [], []
    for label, over in variants.items():
        if not isinstance(label, str) or not label:
            raise InputError(source, f"key '{where}': variant label {label!r} is not a string "
                             "(YAML reads unquoted on/off/yes/no/true/false as booleans and "
                             "digits as numbers: quote the label)")
        here = f"{where}.{label}"
        if over is None:
            over = {}
        if not isinstance(over, dict):
            raise InputError(source, f"key '{here}': expected a mapping of scenario keys to "
                             f"values (e.g. {{sharing: true}}), got {over!r}")
        pairs = []
        base_label = None
        for k, v in over.items():
            if k == "seed":
                raise InputError(source, f"key '{here}.seed': give seeds with the top-level "
                                 "'seeds' key")
            if k == "base":
                if not isinstance(v, str) or not v:
                    raise InputError(source, f"key '{here}.base': expected a scenario file "
                                     "(relative to the sweep file) or a shipped scenario name")
                base_label = v
                continue
            if not _dotted(k):
                raise InputError(source, f"key '{here}': {k!r} is not a dotted scenario key")
            pairs.append((k, resolve(k, v)))
        labels.append(label)
        settings.append(tuple(pairs))
        base_labels.append(base_label)
        bases.append(find_base(base_label, f"{here}.base") if base_label else None)
    return Axis(name, tuple(labels), tuple(settings), tuple(bases), tuple(base_labels), True)


def _block(raw: Any, where: str, source: str, resolve: ResolveFn, find_base: BaseFn) -> Block:
    if not isinstance(raw, dict):
        raise InputError(source, f"key '{where}': expected a mapping of axes (a scenario key "
                         "to a list of values, or a name to a mapping of named variants)")
    axes = []
    for key, values in raw.items():
        here = f"{where}.{key}"
        if key == "seed":
            raise InputError(source, f"key '{here}': give seeds with the top-level 'seeds' key")
        if isinstance(values, dict):
            if not isinstance(key, str) or not key:
                raise InputError(source, f"key '{here}': {key!r} is not an axis name")
            axes.append(_variant_axis(key, values, here, source, resolve, find_base))
        else:
            axes.append(_plain_axis(key, values, here, source, resolve))
    owner: dict[str, str] = {}
    for ax in axes:
        for k in sorted(ax.keys()):
            if k in owner:
                raise InputError(source, f"key '{where}.{ax.name}': sets '{k}', which axis "
                                 f"'{owner[k]}' also sets (a key may vary along one axis only)")
            owner[k] = ax.name
    setters = [ax.name for ax in axes if ax.sets_base()]
    if len(setters) > 1:
        raise InputError(source, f"key '{where}': axes {setters[0]!r} and {setters[1]!r} both "
                         "set 'base' (one axis may choose the base scenario)")
    return tuple(axes)


def parse_grid(raw: Any, source: str, resolve: ResolveFn, find_base: BaseFn) -> tuple[Block, ...]:
    """The grid's blocks, each checked; one mapping is one block, a list is a union."""
    if raw is None:
        raw = {}
    if isinstance(raw, dict):
        blocks = [_block(raw, "grid", source, resolve, find_base)]
    elif isinstance(raw, list) and raw:
        blocks = [_block(b, f"grid[{i}]", source, resolve, find_base) for i, b in enumerate(raw)]
    else:
        raise InputError(source, "key 'grid': expected a mapping of axes, or a non-empty list of "
                         "such mappings (blocks: the union of their products)")
    first = blocks[0]
    names = [ax.name for ax in first]
    for i, block in enumerate(blocks[1:], start=1):
        have = [ax.name for ax in block]
        if set(have) != set(names):
            missing = [n for n in names if n not in have] or [n for n in have if n not in names]
            raise InputError(source, f"key 'grid[{i}]': every block must name the same axes "
                             f"({', '.join(names) or 'none'}); this one "
                             f"{'lacks' if set(names) - set(have) else 'adds'} '{missing[0]}'")
        blocks[i] = tuple(sorted(block, key=lambda ax: names.index(ax.name)))
    _check_consistent(blocks, source)
    return tuple(blocks)


def _check_consistent(blocks: list[Block], source: str) -> None:
    """An axis is plain or variant in every block, and a label means one thing."""
    seen: dict[tuple[str, str], tuple] = {}
    kind: dict[str, bool] = {}
    for i, block in enumerate(blocks):
        for ax in block:
            if kind.setdefault(ax.name, ax.variant) != ax.variant:
                raise InputError(source, f"key 'grid[{i}].{ax.name}': a variant axis in one block "
                                 "and a list of values in another")
            if not ax.variant:
                continue
            for label, pairs, base in zip(ax.labels, ax.settings, ax.bases):
                meaning = (pairs, base)
                if seen.setdefault((ax.name, label), meaning) != meaning:
                    raise InputError(source, f"key 'grid[{i}].{ax.name}.{label}': the label means "
                                     "other overrides in an earlier block (reuse one definition, "
                                     "e.g. with a YAML anchor &name / *name)")


def axis_values(blocks: tuple[Block, ...]) -> dict[str, list]:
    """Every axis and its values over all blocks, in order of first appearance (the
    ``grid`` of sweep.json: what the report iterates over)."""
    out: dict[str, list] = {}
    for block in blocks:
        for ax in block:
            vals = out.setdefault(ax.name, [])
            for v in ax.labels:
                if not any(_same(v, w) for w in vals):
                    vals.append(v)
    return out


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def variants(blocks: tuple[Block, ...]) -> dict[str, dict[str, dict[str, Any]]]:
    """What each variant label sets (sweep.json's ``variants``; ``base`` as written)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for block in blocks:
        for ax in block:
            if ax.variant:
                labels = out.setdefault(ax.name, {})
                for label, pairs, base in zip(ax.labels, ax.settings, ax.base_labels):
                    labels[label] = ({"base": base} if base else {}) | dict(pairs)
    return out
