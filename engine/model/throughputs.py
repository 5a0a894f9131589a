"""Gavel's throughput tables: steps per second by (model, scale factor) and GPU type.

Only the isolated ("null") entries drive the simulator; co-located pair entries are
kept out because no shipped policy packs pairs.  Values are stored exactly as read
from JSON so that LP coefficients match Gavel bit for bit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

_KEY = re.compile(r"^\('(.*)', (\d+)\)$")

JobKey = tuple[str, int]


@dataclass
class ThroughputTable:
    """Isolated throughput per GPU type: ``table[gpu_type][(model, scale_factor)]``."""

    source: str
    table: dict[str, dict[JobKey, float]] = field(default_factory=dict)

    @property
    def gpu_types(self) -> list[str]:
        """GPU types with rows, alphabetical (Gavel's column order)."""
        return sorted(self.table)

    def get(self, gpu_type: str, key: JobKey) -> float:
        """Isolated throughput, 0.0 when the table has no row (cannot run there)."""
        return self.table.get(gpu_type, {}).get(key, 0.0)

    def has_job_type(self, key: JobKey) -> bool:
        return any(key in rows for rows in self.table.values())

    def with_alias(self, name: str, base: str, scale: float) -> "ThroughputTable":
        """A copy where ``name`` is ``base`` scaled by ``scale`` (for GPU models without rows)."""
        if base not in self.table:
            raise InputError(self.source, f"alias {name!r}: base GPU type {base!r} has no rows "
                             f"(known: {', '.join(self.gpu_types)})")
        new = ThroughputTable(self.source, dict(self.table))
        new.table[name] = {k: v * scale for k, v in self.table[base].items()}
        return new


def builtin_path(name: str) -> Path:
    """Path of a table shipped inside the package (``simulation`` or ``physical``)."""
    from .packaged import builtin_data
    return builtin_data(name, "throughputs", "throughputs.file")


_CACHE: dict[str, ThroughputTable] = {}


def load_throughputs(path: str | Path) -> ThroughputTable:
    """Read a Gavel throughput JSON (``scheduler/simulation_throughputs.json`` schema).

    Tables are cached per resolved path: they are read-only and loading the 1.2 MB
    JSON costs more than a whole small simulation.
    """
    path = Path(path)
    key = str(path.resolve())
    if key in _CACHE:
        return _CACHE[key]
    src = str(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(src, "throughput file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(src, f"cannot read throughput file ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{src}:{exc.lineno}", f"not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise InputError(src, "expected a JSON object keyed by GPU type")
    table: dict[str, dict[JobKey, float]] = {}
    for gpu_type, rows in raw.items():
        if "unconsolidated" in gpu_type:
            continue  # multi-server variants; Gavel's simulator never reads them
        if not isinstance(rows, dict):
            raise InputError(src, f"GPU type {gpu_type!r}: expected an object of job types")
        parsed: dict[JobKey, float] = {}
        for job_key, entry in rows.items():
            m = _KEY.match(job_key)
            if m is None:
                raise InputError(src, f"GPU type {gpu_type!r}: job key {job_key!r} is not of the "
                                 "form \"('<model>', <scale factor>)\"")
            if not isinstance(entry, dict) or not isinstance(entry.get("null"), (int, float)):
                raise InputError(src, f"GPU type {gpu_type!r}, job {job_key}: missing numeric "
                                 "\"null\" (isolated throughput) entry")
            parsed[(m.group(1), int(m.group(2)))] = entry["null"]
        table[gpu_type] = parsed
    result = ThroughputTable(src, table)
    _CACHE[key] = result
    return result
