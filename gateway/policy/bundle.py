"""The policy set: every Rego module and data file of the policy directory, with its revision.

Loading follows OPA's own directory convention (``opa run /policies``), so that the embedded engine
and an OPA server that mounts the same directory see the same documents:

- every ``*.rego`` file is a module, named by its path relative to the directory (this is the
  file name in OPA's messages); ``*_test.rego`` modules are kept apart: they are loaded by
  ``policy test`` but never by an engine that takes decisions;
- every ``data.json`` is merged into ``data`` at its directory's path (``covenant/data.json`` is
  ``data.covenant``; a ``data.json`` in the root directory is merged at the root);
- folders named ``samples`` hold example decision inputs, not data, and are skipped, as are
  hidden files and folders (``.git``); ``data.yaml``/``data.yml`` are refused, because OPA would
  load them and this loader would not, and the two engines must see one truth.

The revision is a SHA-256 over every loaded file's relative path and exact bytes, so any change to
any policy or data file changes it; every decision and audit entry records it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import ConfigurationError
from gateway.jsontypes import Json, JsonObject

SAMPLES_DIR = "samples"
DATA_FILE = "data.json"
TEST_SUFFIX = "_test.rego"
# The engines add ``data.gateway_meta.revision`` so that a server can be asked which revision it
# holds; policy data must not claim that name.
META_KEY = "gateway_meta"
_REFUSED_DATA_FILES = frozenset({"data.yaml", "data.yml"})

@dataclass(frozen=True, slots=True)
class PolicySet:
    """An immutable snapshot of a policy directory, as loaded by :func:`load_policy_set`."""

    directory: Path
    modules: Mapping[str, str]
    """Decision modules: relative path (``gateway/release/release.rego``) to source."""
    tests: Mapping[str, str]
    """Test modules (``*_test.rego``): relative path to source."""
    data: Mapping[str, Json]
    """The merged data document (``data.covenant``, ``data.catalogue``, ...)."""
    data_files: tuple[str, ...]
    """Relative paths of the ``data.json`` files, sorted."""
    revision: str
    """``sha256:`` and the hex digest over every loaded file (see the module docstring)."""

    @property
    def all_modules(self) -> dict[str, str]:
        """Decision and test modules together, as ``policy test`` loads them."""
        return {**self.modules, **self.tests}

    def data_document(self) -> JsonObject:
        """A fresh copy of the data an engine loads: the policy data plus ``gateway_meta``."""
        document = copy.deepcopy(dict(self.data))
        document[META_KEY] = {"revision": self.revision, "modules": sorted(self.modules)}
        return document

    @staticmethod
    def data_path_of(data_file: str) -> tuple[str, ...]:
        """The data path a ``data.json`` lands at: its directory's parts (root: empty)."""
        return tuple(Path(data_file).parent.parts)


def load_policy_set(directory: Path) -> PolicySet:
    """Read every policy and data file under ``directory``; refuse an empty or unreadable set.

    Errors are :class:`ConfigurationError` naming the file (and line and column for JSON), so a
    privacy officer can fix the file without reading code.
    """
    root = Path(directory)
    if not root.is_dir():
        raise ConfigurationError(f"{root}: beleidsmap bestaat niet of is geen map")
    modules: dict[str, str] = {}
    tests: dict[str, str] = {}
    data: JsonObject = {}
    data_files: list[str] = []
    digests: list[tuple[str, bytes]] = []
    for path in _policy_files(root):
        relative = path.relative_to(root).as_posix()
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"{path}: niet leesbaar ({exc.strerror})") from None
        digests.append((relative, raw))
        if path.name == DATA_FILE:
            _merge(data, PolicySet.data_path_of(relative), _parse_json(path, raw), path)
            data_files.append(relative)
            continue
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigurationError(f"{path}: geen geldige UTF-8 (byte {exc.start})") from None
        (tests if path.name.endswith(TEST_SUFFIX) else modules)[relative] = source
    if not modules:
        raise ConfigurationError(
            f"{root}: geen Rego-beleid gevonden; een lege beleidsset zou alles toestaan of "
            "alles weigeren zonder reden, en wordt daarom niet geladen"
        )
    if META_KEY in data:
        raise ConfigurationError(
            f"{root}: data.{META_KEY} is gereserveerd voor de gateway (beleidsrevisie)"
        )
    return PolicySet(
        directory=root,
        modules=modules,
        tests=tests,
        data=data,
        data_files=tuple(sorted(data_files)),
        revision=_revision(digests),
    )


def _policy_files(root: Path) -> list[Path]:
    """Every ``.rego`` and ``data.json`` file, skipping ``samples`` and hidden folders."""
    found: list[Path] = []
    for current, folders, files in os.walk(root):
        # Pruning in place keeps os.walk out of samples and hidden folders altogether.
        folders[:] = sorted(f for f in folders if f != SAMPLES_DIR and not f.startswith("."))
        for name in sorted(files):
            path = Path(current) / name
            if name.startswith("."):
                continue
            if name in _REFUSED_DATA_FILES:
                raise ConfigurationError(
                    f"{path}: schrijf beleidsdata als data.json; YAML-data wordt niet geladen"
                )
            if name.endswith(".rego") or name == DATA_FILE:
                found.append(path)
    return found


def _revision(files: list[tuple[str, bytes]]) -> str:
    """SHA-256 over the sorted (path, bytes) pairs, each length-prefixed so no two sets collide."""
    digest = hashlib.sha256(b"gateway-policy-revision-v1\n")
    for relative, raw in sorted(files):
        name = relative.encode("utf-8")
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(len(raw).to_bytes(8, "big") + raw)
    return "sha256:" + digest.hexdigest()


def _parse_json(path: Path, raw: bytes) -> Json:
    def refuse_duplicates(pairs: list[tuple[str, Json]]) -> JsonObject:
        seen: JsonObject = {}
        for key, value in pairs:
            if key in seen:
                raise ConfigurationError(f"{path}: sleutel {key!r} komt twee keer voor")
            seen[key] = value
        return seen

    def refuse_constant(name: str) -> Json:
        raise ConfigurationError(f"{path}: {name} is geen geldige JSON-waarde")

    try:
        text = raw.decode("utf-8")
        return json.loads(text, object_pairs_hook=refuse_duplicates, parse_constant=refuse_constant)
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"{path}: geen geldige UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{path}:{exc.lineno}:{exc.colno}: ongeldige JSON: {exc.msg}"
        ) from None


def _merge(data: JsonObject, at: tuple[str, ...], value: Json, source: Path) -> None:
    """Deep-merge ``value`` at path ``at``; two files that set the same leaf are refused."""
    if not at:
        if not isinstance(value, dict):
            raise ConfigurationError(f"{source}: data.json in de hoofdmap moet een object zijn")
        _merge_objects(data, value, (), source)
        return
    target = data
    for depth, key in enumerate(at[:-1]):
        child = target.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigurationError(
                f"{source}: data.{'.'.join(at[: depth + 1])} is al een waarde uit een ander "
                "data.json-bestand"
            )
        target = child
    last = at[-1]
    if last not in target:
        target[last] = value
    elif isinstance(target[last], dict) and isinstance(value, dict):
        _merge_objects(target[last], value, at, source)
    else:
        raise ConfigurationError(
            f"{source}: data.{'.'.join(at)} is al gezet door een ander data.json-bestand"
        )


def _merge_objects(into: JsonObject, value: JsonObject, at: tuple[str, ...], source: Path) -> None:
    for key, item in value.items():
        if key not in into:
            into[key] = item
        elif isinstance(into[key], dict) and isinstance(item, dict):
            _merge_objects(into[key], item, (*at, key), source)
        else:
            raise ConfigurationError(
                f"{source}: data.{'.'.join((*at, key))} is al gezet door een ander "
                "data.json-bestand"
            )
