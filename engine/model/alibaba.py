"""Readers for the Alibaba ``cluster-trace-gpu-v2023`` node and pod lists.

The FGD paper's experiments (``fgd.md`` §4) read these CSVs through a converter that
turns each row into a Kubernetes object.  We read them directly, but apply the same
normalisation the converter does, so that everything downstream (the target workload
M, placement, fragmentation) sees the same numbers the reference simulator saw:

* ``gpu_milli`` is clamped to [0, 1000] (it is *per GPU*: 1000 = one whole GPU);
* a pod with ``num_gpu == 0`` gets no GPU request at all (milli 0, no model list);
* ``gpu_spec`` empty/NaN means "any GPU model", otherwise it is a ``|``-separated list
  of allowed models; empty entries are dropped and the list is re-joined, because
  the model string is part of the task-type key of M.

All quantities are integers (milli-CPU, MiB, milli-GPU).  Bad input raises
:class:`fragscope.model.errors.InputError` naming ``file:line`` and what is allowed; these
functions never let a raw ``ValueError``/``KeyError`` escape.
"""

from __future__ import annotations

import csv
import gzip
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .units import MILLI

NODE_COLUMNS = ("sn", "cpu_milli", "memory_mib", "gpu", "model")
POD_COLUMNS = ("name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli")
POD_OPTIONAL_INT_COLUMNS = ("creation_time", "deletion_time", "scheduled_time")
POD_OPTIONAL_STR_COLUMNS = ("gpu_spec", "qos", "pod_phase")
_NAN_STRINGS = {"", "nan", "none", "null"}


@dataclass(frozen=True, eq=False)
class NodeList:
    """A node list: one entry per server, index = position in the file."""

    source: str
    names: tuple[str, ...]
    cpu_milli: np.ndarray      # int64, allocatable milli-CPU
    memory_mib: np.ndarray     # int64, allocatable MiB
    gpu_count: np.ndarray      # int64, GPUs on the node (0 for CPU-only nodes)
    model: tuple[str, ...]     # GPU model ("" for CPU-only nodes)

    def __len__(self) -> int:
        return len(self.names)

    @property
    def total_gpus(self) -> int:
        return int(self.gpu_count.sum())


@dataclass(frozen=True, eq=False)
class PodList:
    """A pod (task) list in file order.

    ``gpu_spec`` is normalised ("" = any model).  Optional columns absent from the
    file (the ``multigpu*`` lists have only the first five) are ``None``; missing
    times inside a present column are -1.
    """

    source: str
    names: tuple[str, ...]
    cpu_milli: np.ndarray      # int64
    memory_mib: np.ndarray     # int64
    num_gpu: np.ndarray        # int64, GPU count k
    gpu_milli: np.ndarray      # int64, per-GPU milli g (0 for CPU-only pods)
    gpu_spec: tuple[str, ...]
    qos: tuple[str, ...] | None = None
    pod_phase: tuple[str, ...] | None = None
    creation_time: np.ndarray | None = None
    deletion_time: np.ndarray | None = None
    scheduled_time: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.names)

    @property
    def total_gpu_milli(self) -> int:
        """Total GPU request, Σ k·g, in milli-GPU."""
        return int((self.num_gpu * self.gpu_milli).sum())


# --------------------------------------------------------------------------- helpers

def normalise_gpu_spec(spec: str) -> str:
    """Canonical model-list string: ``|``-joined non-empty entries ("" = any model)."""
    if spec is None or spec.strip().lower() in _NAN_STRINGS:
        return ""
    return "|".join(part.strip() for part in spec.split("|") if part.strip())


def _open(path: str | Path, what: str):
    """Open a CSV for reading, turning OS errors into :class:`InputError`."""
    p = Path(path)
    src = str(p)
    if not p.is_file():
        raise InputError(src, f"{what} file not found")
    try:
        if p.suffix == ".gz":   # the packaged lists ship gzipped (fragscope/data/alibaba)
            fh = gzip.open(p, "rt", newline="", encoding="utf-8")
        else:
            fh = open(p, newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(src, f"cannot read {what} file: {exc.strerror or exc}") from None
    return src, fh


def _parse_int(text: str, src: str, line: int, column: str, allowed: str) -> int:
    """Whole number from a CSV field; accepts ``12000`` and ``12000.0``."""
    t = text.strip()
    try:
        return int(t)
    except ValueError:
        pass
    try:
        f = float(t)
    except ValueError:
        f = math.nan
    if math.isfinite(f) and f.is_integer():
        return int(f)
    shown = t if t else "(empty)"
    raise InputError(f"{src}:{line}", f"column {column}: {shown!r} is not a whole number; "
                                      f"allowed: {allowed}")


def _read_table(path: str | Path, required: tuple[str, ...], what: str):
    src, fh = _open(path, what)
    with fh:
        try:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise InputError(src, f"{what} file is empty; it needs a header with columns "
                                      f"{', '.join(required)}")
            header = [h.strip().lstrip("\ufeff") for h in header]
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(src, f"missing column(s) {', '.join(missing)}; a {what} needs "
                                      f"columns {', '.join(required)} (found: {', '.join(header)})")
            rows = []
            for row in reader:
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(header):
                    raise InputError(f"{src}:{reader.line_num}",
                                     f"expected {len(header)} fields like the header, got {len(row)}")
                rows.append((reader.line_num, row))
        except UnicodeDecodeError:
            raise InputError(src, f"{what} file is not UTF-8 text") from None
        except csv.Error as exc:
            raise InputError(src, f"malformed CSV: {exc}") from None
    if not rows:
        raise InputError(src, f"{what} file has a header but no rows")
    return src, {h: i for i, h in enumerate(header)}, rows


# --------------------------------------------------------------------------- readers

def read_node_list(path: str | Path) -> NodeList:
    """Read an ``openb_node_list_*.csv`` (columns sn, cpu_milli, memory_mib, gpu, model)."""
    src, col, rows = _read_table(path, NODE_COLUMNS, "node list")
    names, cpu, mem, gpu, model = [], [], [], [], []
    seen: dict[str, int] = {}
    for line, row in rows:
        name = row[col["sn"]].strip()
        if not name:
            raise InputError(f"{src}:{line}", "column sn: empty node name; every node needs a name")
        if name in seen:
            raise InputError(f"{src}:{line}", f"column sn: node name {name!r} already used on "
                                              f"line {seen[name]}; names must be unique")
        seen[name] = line
        c = _parse_int(row[col["cpu_milli"]], src, line, "cpu_milli", "a whole number >= 0 (milli-CPU)")
        m = _parse_int(row[col["memory_mib"]], src, line, "memory_mib", "a whole number >= 0 (MiB)")
        g = _parse_int(row[col["gpu"]], src, line, "gpu", "a whole number 0..64 (GPUs on the node)")
        for value, column, allowed in ((c, "cpu_milli", ">= 0"), (m, "memory_mib", ">= 0")):
            if value < 0:
                raise InputError(f"{src}:{line}", f"column {column}: {value} is negative; allowed: {allowed}")
        if not 0 <= g <= 64:
            raise InputError(f"{src}:{line}", f"column gpu: {g} is out of range; allowed: 0..64 GPUs")
        mod = row[col["model"]].strip()
        if mod.lower() in _NAN_STRINGS:
            mod = ""
        if "|" in mod:
            raise InputError(f"{src}:{line}", f"column model: {mod!r} contains '|'; a node has one GPU model")
        names.append(name)
        cpu.append(c)
        mem.append(m)
        gpu.append(g)
        model.append(mod)
    return NodeList(src, tuple(names), np.asarray(cpu, np.int64), np.asarray(mem, np.int64),
                    np.asarray(gpu, np.int64), tuple(model))


def read_pod_list(path: str | Path) -> PodList:
    """Read an ``openb_pod_list_*.csv`` (11 columns, or the first 5 for ``multigpu*``).

    Applies the converter's normalisation (module docstring).  Rejects what the
    simulator could not represent: negative CPU/memory, a GPU count without any GPU
    milli, and fractional multi-GPU requests (``num_gpu > 1`` with ``gpu_milli < 1000``).
    """
    src, col, rows = _read_table(path, POD_COLUMNS, "pod list")
    n = len(rows)
    names: list[str] = []
    cpu = np.empty(n, np.int64)
    mem = np.empty(n, np.int64)
    num = np.empty(n, np.int64)
    milli = np.empty(n, np.int64)
    spec: list[str] = []
    has = {c: c in col for c in POD_OPTIONAL_INT_COLUMNS + POD_OPTIONAL_STR_COLUMNS}
    times = {c: np.full(n, -1, np.int64) for c in POD_OPTIONAL_INT_COLUMNS if has[c]}
    strs: dict[str, list[str]] = {c: [] for c in ("qos", "pod_phase") if has[c]}
    seen: dict[str, int] = {}
    for i, (line, row) in enumerate(rows):
        name = row[col["name"]].strip()
        if not name:
            raise InputError(f"{src}:{line}", "column name: empty pod name; every pod needs a name")
        if name in seen:
            raise InputError(f"{src}:{line}", f"column name: pod name {name!r} already used on "
                                              f"line {seen[name]}; names must be unique")
        seen[name] = line
        c = _parse_int(row[col["cpu_milli"]], src, line, "cpu_milli", "a whole number >= 0 (milli-CPU)")
        m = _parse_int(row[col["memory_mib"]], src, line, "memory_mib", "a whole number >= 0 (MiB)")
        k = _parse_int(row[col["num_gpu"]], src, line, "num_gpu", "a whole number >= 0 (GPU count)")
        g = _parse_int(row[col["gpu_milli"]], src, line, "gpu_milli", "a whole number (milli-GPU per GPU, 0..1000)")
        if c < 0 or m < 0 or k < 0:
            bad = "cpu_milli" if c < 0 else "memory_mib" if m < 0 else "num_gpu"
            raise InputError(f"{src}:{line}", f"column {bad}: negative value; allowed: a whole number >= 0")
        g = min(max(g, 0), MILLI)                       # the converter's clamp
        s = normalise_gpu_spec(row[col["gpu_spec"]]) if has["gpu_spec"] else ""
        if k == 0:
            g, s = 0, ""                                # no GPU annotations for CPU-only pods
        elif g == 0:
            raise InputError(f"{src}:{line}", f"num_gpu is {k} but gpu_milli is 0; a GPU pod needs "
                                              f"gpu_milli in 1..1000 (or num_gpu 0 for a CPU-only pod)")
        elif k > 1 and g < MILLI:
            raise InputError(f"{src}:{line}", f"num_gpu {k} with gpu_milli {g}: fractional requests "
                                              f"are single-GPU only; allowed: num_gpu 1 with gpu_milli "
                                              f"1..1000, or num_gpu >= 2 with gpu_milli 1000")
        names.append(name)
        cpu[i], mem[i], num[i], milli[i] = c, m, k, g
        spec.append(s)
        for tc, arr in times.items():
            t = row[col[tc]].strip()
            if t.lower() not in _NAN_STRINGS:
                v = _parse_int(t, src, line, tc, "empty or a whole number of seconds >= 0")
                if v < 0:
                    raise InputError(f"{src}:{line}", f"column {tc}: {v} is negative; allowed: "
                                                      f"empty or seconds >= 0")
                arr[i] = v
        for sc, lst in strs.items():
            lst.append(row[col[sc]].strip())
    return PodList(src, tuple(names), cpu, mem, num, milli, tuple(spec),
                   qos=tuple(strs["qos"]) if "qos" in strs else None,
                   pod_phase=tuple(strs["pod_phase"]) if "pod_phase" in strs else None,
                   creation_time=times.get("creation_time"),
                   deletion_time=times.get("deletion_time"),
                   scheduled_time=times.get("scheduled_time"))
