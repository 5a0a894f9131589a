"""What ships inside the package: data files and scenarios, found by name.

fragscope must work after ``pip install`` with nothing beside it, so every data set a
shipped scenario or command needs lives in ``fragscope/data`` and every shipped scenario in
``fragscope.scenarios``.  This module is the one place that knows where they are:

* **Data** is named ``builtin:NAME`` wherever a path is accepted (scenario keys, ``--set``,
  command options).  ``NAME`` is a throughput table (``simulation``, ``physical``), one of
  Gavel's traces (``small_test``, ``max_min_fairness``, ...) or an Alibaba list
  ``alibaba/<file stem>`` (``alibaba/openb_node_list_gpu_node``,
  ``alibaba/openb_pod_list_default``, ...; the CSVs ship gzipped).
* **Scenarios** are named by their path under ``scenarios/`` without ``.yaml``
  (``teach/tiny-packing``, ``alibaba-ab``, ``sweeps/sharing-ab``); a scenario argument that
  is not an existing file is looked up there.

Unknown names are :class:`InputError` listing the nearest shipped names.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import InputError

PREFIX = "builtin:"

# kind -> (folder under fragscope/data, file suffix, what the user is told it is)
_DATA_KINDS: dict[str, tuple[str, str, str]] = {
    "throughputs": ("", "_throughputs.json", "throughput table"),
    "trace": ("traces", ".trace", "Gavel trace"),
    "nodes": ("alibaba", ".csv.gz", "Alibaba node list"),
    "pods": ("alibaba", ".csv.gz", "Alibaba pod list"),
}
_THROUGHPUT_NAMES = {"simulation": "simulation_throughputs.json",
                     "physical": "physical_cluster_throughputs.json"}
# Alibaba trace variants: `fragscope fill --trace NAME` reads openb_pod_list_NAME
ALIBABA_NODES = "alibaba/openb_node_list_gpu_node"


def data_root() -> Path:
    """The package's data folder (a real folder: the wheel is not zip-safe)."""
    return Path(str(resources.files("fragscope") / "data"))


def is_builtin(value: object) -> bool:
    """Whether a path-like scenario value names packaged data (``builtin:NAME``)."""
    return isinstance(value, str) and value.startswith(PREFIX)


def _names(kind: str) -> list[str]:
    folder, suffix, _ = _DATA_KINDS[kind]
    if kind == "throughputs":
        return sorted(_THROUGHPUT_NAMES)
    root = data_root() / folder
    stems = sorted(p.name[: -len(suffix)] for p in root.glob(f"*{suffix}"))
    if kind == "nodes":
        stems = [s for s in stems if "_node_list_" in s]
    elif kind == "pods":
        stems = [s for s in stems if "_pod_list_" in s]
    return [f"{folder}/{s}" if kind in ("nodes", "pods") else s for s in stems]


def builtin_names(kind: str) -> list[str]:
    """Every ``builtin:`` name of one kind of data (``throughputs``, ``trace``, ``nodes``, ``pods``)."""
    if kind not in _DATA_KINDS:
        raise InputError("kind", f"unknown kind of packaged data {kind!r} (allowed: {', '.join(_DATA_KINDS)})")
    return [PREFIX + n for n in _names(kind)]


def _path_of(name: str, kind: str) -> Path:
    folder, suffix, _ = _DATA_KINDS[kind]
    if kind == "throughputs":
        return data_root() / _THROUGHPUT_NAMES[name]
    if kind == "trace":
        return data_root() / folder / f"{name}{suffix}"
    return data_root() / f"{name}{suffix}"          # name already starts with "alibaba/"


def builtin_data(value: str, kind: str, where: str = "") -> Path:
    """The packaged file that ``builtin:NAME`` names, or an InputError listing what exists.

    ``kind`` is ``throughputs``, ``trace``, ``nodes`` or ``pods``; ``where`` names the
    scenario key or option for the message.
    """
    name = value.removeprefix(PREFIX)
    if name in _names(kind):
        path = _path_of(name, kind)
        if path.is_file():
            return path
    what = _DATA_KINDS[kind][2]
    known = builtin_names(kind)
    near = difflib.get_close_matches(PREFIX + name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise InputError(where or value, f"unknown built-in {what} {value!r}{hint} "
                                     f"(allowed: {', '.join(known)})")


# ---------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class ShippedScenario:
    """One scenario that ships with the package."""

    name: str          # path under scenarios/ without .yaml, e.g. "teach/tiny-packing"
    path: Path
    description: str   # the file's `description:` (first sentence), or its first comment line


def _scenario_root() -> Path:
    return Path(str(resources.files("fragscope.scenarios")))


def _one_line(path: Path) -> str:
    """A scenario's one-line description, read without validating the whole file."""
    from .yaml_io import read_yaml
    try:
        data = read_yaml(path)
    except InputError:
        data = None
    text = ""
    if isinstance(data, dict):
        text = str(data.get("description") or "")
        if not text and isinstance(data.get("base"), str):   # a sweep file
            text = f"sweep over {', '.join(map(str, (data.get('grid') or {}).keys()))} on {data['base']}"
    if not text:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                text = line.lstrip("# ").strip()
                break
    text = " ".join(text.split())
    cut = text.find(". ")
    return text[: cut + 1] if 0 < cut < 140 else (text if len(text) <= 140 else text[:137] + "...")


def shipped_scenarios() -> list[ShippedScenario]:
    """Every shipped scenario (and sweep file), sorted by name."""
    root = _scenario_root()
    out = []
    for p in sorted(root.rglob("*.yaml")):
        name = p.relative_to(root).with_suffix("").as_posix()
        out.append(ShippedScenario(name, p, _one_line(p)))
    return out


def find_scenario(arg: str | Path, what: str = "scenario") -> Path:
    """The scenario file an argument names: an existing file, else a shipped scenario by name.

    ``teach/alibaba-1213``, ``teach/alibaba-1213.yaml`` and ``scenarios/teach/alibaba-1213``
    all name the shipped file; an unknown name is an InputError listing the nearest ones.
    """
    path = Path(arg).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        raise InputError(str(arg), f"is a folder, expected a {what} YAML file")
    name = Path(str(arg)).as_posix().removesuffix(".yaml").removeprefix("./").removeprefix("scenarios/")
    candidate = _scenario_root() / f"{name}.yaml"
    if name and ".." not in Path(name).parts and candidate.is_file():
        return candidate
    names = [s.name for s in shipped_scenarios()]
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
    near += [n for n in names if n.endswith("/" + name) and n not in near]
    hint = f"; nearest shipped: {', '.join(near)}" if near else ""
    raise InputError(str(arg), f"file not found, and no shipped {what} has that name{hint} "
                               "(`fragscope scenarios` lists them)")


def data_file(value: str, kind: str, where: str) -> Path:
    """A command-line data argument: ``builtin:NAME`` or a path (relative to the current folder)."""
    return builtin_data(value, kind, where) if is_builtin(value) else Path(value).expanduser()


def alibaba_trace(variant: str) -> tuple[Path, Path]:
    """The FGD paper's setting for one trace variant: the 1 213 GPU nodes and
    ``openb_pod_list_<variant>`` (``default``, ``cpu050``, ``gpushare40``, ...)."""
    pods = f"{PREFIX}alibaba/openb_pod_list_{variant}"
    if pods not in builtin_names("pods"):
        allowed = [n.rsplit("openb_pod_list_", 1)[1] for n in builtin_names("pods")]
        near = difflib.get_close_matches(variant, allowed, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise InputError("--trace", f"unknown Alibaba trace {variant!r}{hint} (allowed: {', '.join(allowed)})")
    return builtin_data(PREFIX + ALIBABA_NODES, "nodes"), builtin_data(pods, "pods")
