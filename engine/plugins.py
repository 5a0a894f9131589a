"""Plug-ins: how a name in a scenario or on the command line becomes a class.

Placements and allocation policies are both plug-ins, and the built-ins are plug-ins of
exactly the same kind: each kind has one :class:`Registry`, backed by an entry-point
group (``fragscope.placements``, ``fragscope.policies``) in which fragscope's own
``pyproject.toml`` registers the built-ins and any installed package may register more.
A name resolves, in this order:

* ``path/to/file.py:ClassName`` — a file of the user's own (relative to the scenario
  file, or to the current folder on the command line);
* ``package.module:ClassName`` — any importable module;
* an entry-point name of the kind's group (or a built-in's alias, e.g. ``best-fit``).

A resolved name is a :class:`PluginRef`: plain strings (the absolute file path, the
module, the class), so it pickles to worker processes, which load the class again.
Every failure — missing file, import error, missing class or method, bad parameters,
an exception inside the plug-in — is a :class:`PluginError` (an :class:`InputError`:
exit code 2) naming the plug-in, with the plug-in's own traceback lines and none of
fragscope's.
"""

from __future__ import annotations

import copyreg
import difflib
import functools
import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
import traceback
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable

from .model.errors import InputError
from .plugin_rng import call_plugin   # (installs the global random guard first)

_PACKAGE_DIR = str(Path(__file__).resolve().parent)

#: The plug-in contract this fragscope offers (docs/plugins.md "Contract versions"): 1 the
#: first; 2 adds a placement's ``filter`` and the policies' job context (work, arrival,
#: clock).  A plug-in may state ``contract_version = N``; a higher N than this is an error.
CONTRACT_VERSION = 2


@dataclass(frozen=True)
class PluginRef:
    """A resolved plug-in name: where its class lives, in picklable form."""

    kind: str          # "placement" or "policy"
    spec: str          # as the user wrote it
    module: str        # importable module name, or "" for a file
    file: str          # absolute path of a file plug-in, else ""
    cls: str           # class name
    entry: str = ""    # the entry-point name it was found under, if any

    @property
    def where(self) -> str:
        """How messages name the plug-in: ``file.py:Class`` or ``module:Class``."""
        return f"{self.file or self.module}:{self.cls}"

    @property
    def builtin(self) -> bool:
        return self.module.startswith("fragscope.")

    @property
    def canonical(self) -> str:
        """A spelling that resolves to the same class from any folder: the registered
        name, or ``/abs/path/file.py:Class``, or ``module:Class``."""
        return self.entry or f"{self.file or self.module}:{self.cls}"


class PluginError(InputError):
    """A plug-in that cannot be loaded or that failed: the message names it."""


@functools.lru_cache(maxsize=256)
def owns(ref: PluginRef) -> Callable[[str], bool]:
    """Whether a source file is the plug-in's own code: its file, its package's folder
    (fragscope's for a built-in, whose failure is fragscope's own)."""
    if ref.file:
        return lambda f: f == ref.file or str(Path(f).resolve()) == ref.file
    if ref.builtin:
        return lambda f: str(Path(f).resolve()).startswith(_PACKAGE_DIR)

    def mine(f: str) -> bool:
        mod = sys.modules.get(ref.module)   # (looked up when asked: it may not be imported yet)
        root = str(Path(getattr(mod, "__file__", "") or "").resolve().parent) if mod else ""
        path = str(Path(f).resolve())
        return bool(root) and path.startswith(root) and not path.startswith(_PACKAGE_DIR)
    return mine


def own_traceback(exc: BaseException, ref: PluginRef) -> str:
    """The frames of ``exc``'s traceback that are the plug-in's own code (its file, or its
    package), formatted like Python's; fragscope's and the interpreter's frames are left out."""
    mine = owns(ref)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if mine(f.filename)]
    text = "".join(traceback.format_list(frames))
    return text.rstrip("\n")


def failure(ref: PluginRef, what: str, exc: BaseException | None = None) -> PluginError:
    """A PluginError naming the plug-in; with ``exc``, its type, text and own frames;
    without, when ``what`` is about a method's answer (``score() must return …``), the
    plug-in's lines that return it (the value that was wrong came from one of them)."""
    msg = f"{ref.kind} plug-in {ref.where}: {what}"
    if exc is not None:
        msg += f": {type(exc).__name__}: {exc}"
        if isinstance(exc, SystemExit):
            msg += " (a plug-in must not end the process: raise an exception, or return)"
        tb = own_traceback(exc, ref)
        if tb:
            msg += "\n" + tb
    else:
        method = re.match(r"(\w+)\(\)", what)
        sites = return_sites(ref, method.group(1)) if method else ""
        if sites:
            msg += "\n" + sites
    return PluginError("", msg)


def return_sites(ref: PluginRef, method: str, limit: int = 3) -> str:
    """Where the plug-in's ``method`` returns (file, line, source), formatted like a
    traceback, for a contract violation: the answer was wrong, so nothing raised, but one
    of these lines made it.  "" when the method is not the plug-in's own code."""
    cls = _REGISTRIES[ref.kind]._classes.get(ref) if ref.kind in _REGISTRIES else None
    fn = inspect.unwrap(getattr(cls, method, None)) if cls is not None else None
    code = getattr(fn, "__code__", None)
    if code is None or not owns(ref)(code.co_filename):
        return ""
    import dis
    import linecache
    lines = sorted({ins.positions.lineno for ins in dis.get_instructions(code)
                    if ins.opname.startswith("RETURN") and ins.positions and ins.positions.lineno})
    out = []
    for n in lines[:limit]:
        text = linecache.getline(code.co_filename, n).strip()
        out.append(f'  File "{code.co_filename}", line {n}, in {code.co_name}' + (f"\n    {text}" if text else ""))
    return "\n".join(out)


def _owner(cls: type, name: str) -> type | None:
    for c in cls.__mro__:
        if name in vars(c):
            return c
    return None


def own_hook(obj: Any, hook: str, *methods: str) -> Any:
    """``obj``'s bound optional ``hook`` if it has one that answers for its ``methods``
    too — the class the hook comes from is the class each of ``methods`` comes from or a
    subclass of it — else None.  A subclass that overrides ``score`` (say) but inherits
    a built-in's fast hook has its ``score`` decide: the inherited hook answers for the
    built-in's method, not for the override.  Placements (``place_many`` for ``score``
    and ``pick_gpus``) and policies (``get_allocation`` for ``allocate``) use it alike."""
    cls = type(obj)
    where = _owner(cls, hook)
    if where is None:
        return None
    for m in methods:
        other = _owner(cls, m)
        if other is not None and not issubclass(where, other):
            return None
    return getattr(obj, hook)


def _file_module_name(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    return f"fragscope_plugin_{path.stem}_{digest}"


def _load_file(ref: PluginRef) -> Any:
    name = _file_module_name(Path(ref.file))
    mod = sys.modules.get(name)
    if mod is not None:
        return mod
    spec = importlib.util.spec_from_file_location(name, ref.file)
    if spec is None or spec.loader is None:
        raise failure(ref, "cannot be loaded as a Python file")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod          # before exec: dataclasses and pickling look it up
    try:
        call_plugin(owns(ref), spec.loader.exec_module, mod)   # (its import-time code is the plug-in's)
    except BaseException as exc:     # noqa: BLE001 - any error in the user's module is bad input
        del sys.modules[name]
        if isinstance(exc, KeyboardInterrupt):
            raise
        if isinstance(exc, SyntaxError):   # its traceback has no frame of the file: show the line
            where = f'  File "{exc.filename}", line {exc.lineno}\n    {(exc.text or "").strip()}'
            raise PluginError("", f"{ref.kind} plug-in {ref.where}: importing the file failed: "
                                  f"SyntaxError: {exc.msg}\n{where}") from None
        raise failure(ref, "importing the file failed", exc) from None
    return mod


_REGISTRIES: dict[str, "Registry"] = {}


def _rebuild(ref: PluginRef, state: dict) -> Any:
    """Unpickle an instance of a file plug-in: load the class from its file, restore."""
    cls = _REGISTRIES[ref.kind].load(ref)
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


class Registry:
    """The one registry of one kind of plug-in (placements or policies)."""

    def __init__(self, kind: str, group: str, required: str) -> None:
        self.kind, self.group, self.required = kind, group, required
        _REGISTRIES[kind] = self
        self._classes: dict[PluginRef, type] = {}
        self._eps: dict[str, Any] | None = None
        self._clashes: dict[str, list[Any]] = {}
        self._alias_map: dict[str, str] | None = None

    # ------------------------------------------------------------------ names
    def _entry_points(self) -> dict[str, Any]:
        """Name → entry point, read once per process (installed packages do not change
        while it runs).  A name two distributions register is kept apart in
        ``_clashes``: naming it is an error (:meth:`resolve`), and a built-in's name
        stays the built-in's for listing."""
        if self._eps is None:
            eps: dict[str, Any] = {}
            clashes: dict[str, list[Any]] = {}
            for ep in entry_points(group=self.group):
                prev = eps.get(ep.name)
                if prev is None:
                    eps[ep.name] = ep
                elif prev.value != ep.value:
                    clashes.setdefault(ep.name, [prev]).append(ep)
                    if _distribution(ep)[0] == "fragscope":
                        eps[ep.name] = ep
            self._eps, self._clashes = eps, clashes
        return self._eps

    def _clash(self, name: str, where: str) -> InputError:
        owners = self._clashes[name]
        said = " and by ".join(f"{d} {v} ({ep.value})" for ep in owners for d, v in [_distribution(ep)])
        builtin = any(_distribution(ep)[0] == "fragscope" for ep in owners)
        why = ("built-in names are reserved: rename the other package's entry point" if builtin else
               "rename one of them (or uninstall one)")
        return InputError(where or self.kind, f"{self.kind} {name!r} is registered (entry-point group "
                          f"{self.group}) by {said}: {why}")

    def names(self) -> tuple[str, ...]:
        """Every registered name (built-ins and installed packages), sorted."""
        return tuple(sorted(self._entry_points()))

    def _aliases(self) -> dict[str, str]:
        """Alternative spellings the registered classes declare (``aliases = (...)``)."""
        if self._alias_map is not None:
            return self._alias_map
        out: dict[str, str] = {}
        for name, ep in self._entry_points().items():
            try:
                cls = ep.load()
            except Exception:  # noqa: BLE001 - a broken third-party entry point is reported when named
                continue
            for alias in getattr(cls, "aliases", ()):
                out[str(alias).lower()] = name
        self._alias_map = out
        return out

    # ------------------------------------------------------------------ resolve
    def resolve(self, spec: str, base: Path | None = None, where: str = "") -> PluginRef:
        """The plug-in a name means (see the module docstring), or a PluginError."""
        if not isinstance(spec, str) or not spec.strip():
            raise InputError(where or self.kind, f"expected a {self.kind} name, got {spec!r}")
        text = spec.strip()
        if ":" in text:
            target, _, cls = text.rpartition(":")
            if not cls.isidentifier():
                raise InputError(where or text, f"{text!r}: expected FILE.py:ClassName or module:ClassName")
            if target.endswith(".py") or "/" in target or "\\" in target:
                path = Path(target).expanduser()
                if not path.is_absolute():
                    path = (base or Path.cwd()) / path
                path = path.resolve()
                ref = PluginRef(self.kind, text, "", str(path), cls)
                if not path.is_file():
                    raise failure(ref, "file not found")
                return ref
            return PluginRef(self.kind, text, target, "", cls)
        eps = self._entry_points()
        name = text if text in eps else self._aliases().get(text.lower(), text.lower())
        if name in self._clashes:
            raise self._clash(name, where)
        ep = eps.get(name)
        if ep is None:
            near = difflib.get_close_matches(text, list(eps), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise InputError(where or self.kind, f"unknown {self.kind} {text!r}{hint} (registered: "
                             f"{', '.join(sorted(eps))}; or FILE.py:ClassName, module:ClassName)")
        module, _, cls = ep.value.partition(":")
        return PluginRef(self.kind, text, module.strip(), "", cls.strip(), entry=name)

    def load(self, ref: PluginRef) -> type:
        """The class a reference names, checked for the required method."""
        cls = self._classes.get(ref)
        if cls is not None:
            return cls
        if ref.file:
            mod = _load_file(ref)
        else:
            try:
                mod = importlib.import_module(ref.module)
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, KeyboardInterrupt):
                    raise
                if isinstance(exc, ModuleNotFoundError) and exc.name and ref.module.startswith(exc.name):
                    raise failure(ref, f"no module named {exc.name!r}") from None
                raise failure(ref, "importing the module failed", exc) from None
        cls = getattr(mod, ref.cls, None)
        if cls is None:
            found = sorted(n for n, v in vars(mod).items() if inspect.isclass(v) and hasattr(v, self.required)
                           and getattr(v, "__module__", "") == mod.__name__)
            hint = f" (classes with {self.required}(): {', '.join(found)})" if found else ""
            raise failure(ref, f"no class {ref.cls!r} in {ref.file or ref.module}{hint}")
        if not inspect.isclass(cls):
            raise failure(ref, f"{ref.cls!r} is not a class")
        if not callable(getattr(cls, self.required, None)):
            raise failure(ref, f"class {ref.cls} has no {self.required}() method")
        need = getattr(cls, "contract_version", 1)
        if not isinstance(need, int) or isinstance(need, bool) or not 1 <= need <= CONTRACT_VERSION:
            raise failure(ref, f"contract_version = {need!r}: this fragscope offers plug-in contract versions 1 to "
                               f"{CONTRACT_VERSION} (docs/plugins.md 'Contract versions'); upgrade fragscope or "
                               f"ask for one it has")
        self._classes[ref] = cls
        if ref.file:
            # A class loaded from a file has no importable module in another process (the
            # UI's arm processes, ab's arm B, sweep workers): its instances pickle as
            # (reference, attributes) and are rebuilt from the file there.
            copyreg.pickle(cls, lambda obj, ref=ref: (_rebuild, (ref, vars(obj))))
        return cls

    def ref_of(self, cls: type) -> PluginRef | None:
        """The reference a loaded class came from (for messages), if it was loaded here."""
        for ref, c in self._classes.items():
            if c is cls:
                return ref
        return None

    def ref_for(self, obj: Any) -> PluginRef:
        """How messages name an instance: the reference its class was loaded from, else
        its module and class (an object built directly, e.g. in a test)."""
        cls = type(obj)
        return self.ref_of(cls) or PluginRef(self.kind, cls.__name__, cls.__module__, "", cls.__name__)

    def create(self, ref: PluginRef, params: dict | None = None) -> Any:
        """An instance, built with the scenario's keyword parameters."""
        cls = self.load(ref)
        params = dict(params or {})
        try:
            sig = inspect.signature(cls)
            sig.bind(**params)
        except TypeError as exc:
            raise failure(ref, f"bad parameters {params!r} for {cls.__name__}{_signature(cls)}: {exc}") from None
        except ValueError:
            pass   # no signature to check (a C type): let the call decide
        try:
            return call_plugin(owns(ref), cls, **params)
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise failure(ref, f"{cls.__name__}(**{params!r}) raised", exc) from None

    def display_name(self, ref: PluginRef, obj: Any = None) -> str:
        """What the UI and outputs call it: the class's ``name``, else the entry or class name."""
        name = getattr(obj if obj is not None else self.load(ref), "name", None)
        if isinstance(name, str) and name:
            return name
        return ref.entry or ref.cls


def identity(ref: PluginRef) -> dict[str, str]:
    """What a run records of a plug-in so a result says which code made it (summary.json
    ``plugins``, sweep points — a sweep re-runs a point whose plug-in changed): a file's
    sha256; for a module, the distribution it is installed from and its version (a
    built-in: ``fragscope`` and fragscope's version), else its file's sha256.  A file
    plug-in's own helpers (modules it imports) are not part of the hash."""
    out = {"spec": ref.spec if ref.file else ref.canonical}
    if ref.file:
        out["sha256"] = _sha256(Path(ref.file))
        return out
    dist = _module_distribution(ref.module.split(".")[0])
    if dist is not None:
        out["distribution"], out["version"] = dist
        return out
    spec = importlib.util.find_spec(ref.module)
    origin = getattr(spec, "origin", None) if spec is not None else None
    if origin and Path(origin).is_file():
        out["sha256"] = _sha256(Path(origin))
    return out


@functools.lru_cache(maxsize=None)
def _module_distribution(top: str) -> tuple[str, str] | None:
    """(name, version) of the installed distribution a top-level module comes from."""
    from importlib.metadata import packages_distributions, version
    dists = packages_distributions().get(top, [])
    return (dists[0], version(dists[0])) if dists else None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _distribution(ep: Any) -> tuple[str, str]:
    """(name, version) of the distribution an entry point comes from ("?" when unknown)."""
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "?", "?"
    return str(dist.metadata["Name"] or dist.name), str(dist.version)


def _signature(cls: type) -> str:
    try:
        return str(inspect.signature(cls))
    except (TypeError, ValueError):
        return "(...)"
