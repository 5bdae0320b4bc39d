"""Extension modules executed once per process, handed to discord.py again at the next login.

discord.py executes an extension's module anew at every ``load_extension``, and its unload at
a bot's close drops the module and its submodules from ``sys.modules``: a bot started again in
the same process (the supervisor's restart, a test, the latency benchmark's logins) defined
every cog class, slash command and signature again, the largest part of what a bot added to
its login, and a module imported before (a bot's commands import the XP extension) existed
twice. :func:`executed_spec` gives discord.py a spec whose loader returns the module this
process imported or executed already, as long as none of its files changed since;
:func:`keep_imported` puts it back after an unload; a reload (:func:`forget`) and a changed
file execute the code anew.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class _SourceStamp:
    path: str
    modified_ns: int
    size: int


@dataclass(frozen=True)
class ExecutedExtension:
    """An extension's module and its submodules as executed, with their files' stamps."""

    spec: importlib.machinery.ModuleSpec
    modules: dict[str, ModuleType]
    stamps: tuple[_SourceStamp, ...]

    def unchanged(self) -> bool:
        """Whether every file of the extension is still the one executed."""
        for stamp in self.stamps:
            try:
                status = os.stat(stamp.path)
            except OSError:
                return False
            if (status.st_mtime_ns, status.st_size) != (stamp.modified_ns, stamp.size):
                return False
        return True


class _ExecutedLoader(importlib.abc.Loader):
    """Returns the module executed before instead of a new one, and executes nothing."""

    def __init__(self, executed: ExecutedExtension) -> None:
        self.executed = executed

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self.executed.modules[spec.name]

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.executed.spec  # the real spec, for a later reload's find_spec
        sys.modules.update(self.executed.modules)


_executed: dict[str, ExecutedExtension] = {}


def remember(name: str) -> None:
    """Keep the module ``name`` (just loaded as an extension) and its submodules for reuse."""
    module = sys.modules.get(name)
    spec = getattr(module, "__spec__", None)
    if module is None or spec is None:
        return
    # A copy, taken at once under the GIL: another thread may import meanwhile (the Grammar
    # Bot loads its engines in one while the fleet's other bots load their extensions), and
    # iterating sys.modules itself then stopped a bot with "dictionary changed size".
    modules = {
        key: value
        for key, value in sys.modules.copy().items()
        if key == name or key.startswith(f"{name}.")
    }
    stamps: list[_SourceStamp] = []
    for value in modules.values():
        path = getattr(value, "__file__", None)
        if path is None:
            continue
        try:
            status = os.stat(path)
        except OSError:
            return  # not a file on disk: executed anew each time
        stamps.append(_SourceStamp(path, status.st_mtime_ns, status.st_size))
    _executed[name] = ExecutedExtension(spec, modules, tuple(stamps))


def executed_spec(name: str) -> importlib.machinery.ModuleSpec | None:
    """A spec that hands back the module ``name`` as imported or executed before, or None to
    execute it (never imported here, or one of its files changed since)."""
    if name not in _executed and name in sys.modules:
        remember(name)  # imported already: the bot gets that module, not a second copy
    executed = _executed.get(name)
    if executed is None:
        return None
    if not executed.unchanged():
        del _executed[name]
        _drop_from_sys_modules(executed)
        return None
    return importlib.machinery.ModuleSpec(
        name,
        _ExecutedLoader(executed),
        origin=executed.spec.origin,
        is_package=executed.spec.submodule_search_locations is not None,
    )


def _drop_from_sys_modules(executed: ExecutedExtension) -> None:
    """Drop the modules :func:`keep_imported` put back: the package executed anew would
    otherwise import its old submodules from ``sys.modules`` and run stale code."""
    for key, module in executed.modules.items():
        if sys.modules.get(key) is module:
            del sys.modules[key]


def keep_imported(name: str) -> None:
    """Put ``name`` and its submodules back into ``sys.modules`` once discord.py's unload
    dropped them: an import in between finds the module the next load reuses."""
    executed = _executed.get(name)
    if executed is not None:
        sys.modules.update(executed.modules)


def forget(name: str) -> None:
    """Execute ``name`` anew at its next load (a reload)."""
    _executed.pop(name, None)
