"""Loading and saving scenario documents (YAML or JSON).

Whatever the input, loading either returns a validated scenario or raises a
:class:`~procure.errors.ScenarioError` (never another exception) whose message
names the offending field or place and quotes the offending value, cut to
:data:`~procure.errors.QUOTE_LIMIT` characters. The limits:

- files larger than :data:`MAX_BYTES` are refused before they are read;
- files must be UTF-8 text (a UTF-8 byte-order mark is accepted);
- YAML is parsed with libyaml's C safe loader when PyYAML has it (the pure-Python
  safe loader otherwise), and anchors (``&ref``) and aliases (``*ref``) are
  refused from the parser's events, before anything is built, so a "billion
  laughs" document cannot expand;
- collections nested deeper than :data:`MAX_DEPTH` levels are refused, well below
  Python's recursion limit: JSON from a scan of the text before parsing; YAML from
  the events as they are composed (pure-Python loader) or read (C loader, whenever
  the text holds an ``&`` or ``*``), else on the data the C loader built, whose
  composer is C code bounded by libyaml's own limit of 1 000 levels;
- integers with more than :data:`MAX_INT_DIGITS` digits are refused before they
  are converted (no valid field comes near; Python refuses more than 4 300).
"""

from __future__ import annotations

import gc
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from procure.errors import Problem, ScenarioError, quote
from procure.schema.scenario import Scenario

MAX_BYTES = 64 * 1024 * 1024
"""Largest scenario file accepted (64 MiB)."""

MAX_DEPTH = 64
"""Deepest nesting of collections (mappings, lists) accepted in a document.

A scenario needs 6 levels (``logistics.lift[0].entitlements``); 64 leaves room for
any extension and keeps every recursive step of loading and validation (the YAML
composer takes 2 to 3 Python frames per level) far below Python's recursion limit
(1 000 frames)."""

MAX_INT_DIGITS = 1000
"""Longest integer literal accepted, in digits. Every valid value has at most 13
digits (money is capped at 1e12) and no float holds more than 309; refusing longer
literals before converting them keeps conversion time bounded (it grows with the
square of the digit count) and stays below Python's own limit of 4 300 digits."""

_NO_ALIAS = "YAML aliases (*ref) are not allowed (each value is written out in full)"
_NO_ANCHOR = "YAML anchors (&ref) are not allowed (each value is written out in full)"
_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels"


# ---------------------------------------------------------------------------------------
# paths and messages


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}\Z")


_UNION_TAG = re.compile(r"(literal|dict|list|tuple|set|constrained-\w+|function-\w+)\[.*\]\Z",
                        re.DOTALL)


def _loc(loc: tuple[int | str, ...], keep_last: bool = True) -> str:
    """``programs[2].unit_cost`` from a pydantic location. Keys that are not plain
    words (empty, long, with dots, spaces or control characters) are quoted in
    brackets, so every path names its place: ``programs[0]['']``. The union branch
    pydantic names inside a path (``key.literal['gdp']``) is left out (the last part
    too unless ``keep_last``: there it may be a user's unknown key)."""
    out = ""
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(part, str) and (not last or not keep_last) and _UNION_TAG.match(part):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            out += " (the key)"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{quote(part)}]"
    return out


def _key_path(path: str, key: object) -> str:
    """The path of ``key`` in the mapping at ``path`` (same style as :func:`_loc`)."""
    if isinstance(key, str) and _PLAIN_KEY.match(key):
        return f"{path}.{key}" if path else key
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    return f"{path}[{quote(key)}]"


def problems_from_validation(err: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into path-named problems quoting the offending value."""
    problems: list[Problem] = []
    for e in err.errors(include_url=False):
        path = _loc(tuple(e["loc"]), keep_last=e["type"] in ("extra_forbidden", "missing"))
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "value_error" and not path:
            # cross-reference checks already name their paths, one per line
            problems += [Problem("", line) for line in msg.splitlines()]
            continue
        value = e.get("input")
        if isinstance(value, bool) and e["type"].startswith("string"):
            problems.append(Problem(path, f"{msg} (got {value!r}: YAML reads bare NO, yes, on, "
                                          "off as booleans; quote the value, e.g. \"NO\")"))
            continue
        if e["type"] == "missing":
            problems.append(Problem(path, "field required"))
        elif e["type"] == "extra_forbidden":
            problems.append(Problem(path, "unknown field"))
        elif isinstance(value, (Mapping, list)):
            problems.append(Problem(path, msg))
        else:
            problems.append(Problem(path, f"{msg} (got {quote(value)})"))
    return problems


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a document is built.

    Building millions of containers triggers a full collection again and again, each
    over every object built so far: on a 64 MiB YAML scenario that is three quarters
    of the parse time and half the validation time. A parsed document and its
    validated models are trees (aliases are refused), so the pause leaves no garbage
    behind; the collector's previous state is restored."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def scenario_from_data(data: Any, source: str | None = None) -> Scenario:
    """Validate a parsed document into a :class:`Scenario`."""
    if not isinstance(data, Mapping):
        raise ScenarioError(
            [Problem("", f"the document must be a mapping, got {type(data).__name__}")], source
        )
    try:
        with _gc_paused():  # millions of model objects on a large file: see _gc_paused
            return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(problems_from_validation(err), source) from None
    except RecursionError:  # last resort: parse_text refuses such nesting before this
        raise ScenarioError([Problem("", _TOO_DEEP)], source) from None


# ---------------------------------------------------------------------------------------
# integers too long to convert


class _Refused(Exception):
    """A document refused while parsing (the message says why); parse_text reports it."""


@dataclass(frozen=True)
class _HugeInt:
    """Stands in for an integer literal longer than :data:`MAX_INT_DIGITS` while a
    document is built; :func:`_huge_int_problems` then reports it by path."""

    digits: int
    line: int | None = None  # 1-based line in a YAML document, when known


def _children(value: Any) -> Iterator[tuple[Any, Any]]:
    """(key or index, child) of a container built by a parser; nothing for a scalar."""
    if isinstance(value, Mapping):
        yield from value.items()
    elif isinstance(value, (list, tuple)):
        yield from enumerate(value)
    elif isinstance(value, (set, frozenset)):
        yield from ((i, v) for i, v in enumerate(sorted(value, key=repr)))


def _huge_int_problems(data: Any, limit: int = 10) -> list[Problem]:
    """Every :class:`_HugeInt` in ``data`` (values and mapping keys), by path; an
    iterative walk, so any nesting is fine."""
    out: list[Problem] = []

    def report(path: str, h: _HugeInt) -> None:
        at = f" (line {h.line})" if h.line is not None else ""
        out.append(Problem(path, f"integer with {h.digits} digits{at}: more than "
                                 f"{MAX_INT_DIGITS} digits are not accepted"))

    stack: list[tuple[str, Any]] = [("", data)]
    while stack and len(out) < limit:
        path, value = stack.pop()
        if isinstance(value, _HugeInt):
            report(path, value)
            continue
        items = list(_children(value))
        for key, child in reversed(items):
            if isinstance(key, _HugeInt):
                report(path, key)
                key = f"<{key.digits}-digit integer>"
            if isinstance(child, (_HugeInt, Mapping, list, tuple, set, frozenset)):
                sub = (f"{path}[{key}]" if isinstance(value, (list, tuple, set, frozenset))
                       else _key_path(path, key))
                stack.append((sub, child))
    return out


def _digit_count(literal: str) -> int:
    return sum(ch.isdigit() for ch in literal)


# ---------------------------------------------------------------------------------------
# YAML


def _yaml_int_or_marker(loader: Any, node: Any) -> Any:
    """``!!int`` constructor that refuses literals longer than :data:`MAX_INT_DIGITS`."""
    value = str(node.value)
    if len(value) > MAX_INT_DIGITS:
        digits = _digit_count(value)
        if digits > MAX_INT_DIGITS:
            loader.huge_ints += 1
            return _HugeInt(digits, node.start_mark.line + 1)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_object_guarded(base: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``construct_object`` so that a scalar it cannot convert (``!!float abc``,
    the date 2026-02-30) becomes a :class:`yaml.constructor.ConstructorError` with its
    line and column, not a bare ``ValueError``."""

    def construct_object(self: Any, node: Any, deep: bool = False) -> Any:
        try:
            return base(self, node, deep)
        except (ValueError, TypeError, OverflowError, AttributeError, IndexError) as exc:
            what = (f"the value {quote(node.value)}" if isinstance(node, yaml.ScalarNode)
                    else "a value")
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {what} as {node.tag}: {exc}", node.start_mark
            ) from None

    return construct_object


class _NoAliasSafeLoader(yaml.SafeLoader):
    """Pure-Python SafeLoader that refuses anchors, aliases and deep nesting while it
    composes (from each node's event, before the node is built)."""

    huge_ints = 0
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        mark: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, _NO_ALIAS, mark)
        if getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, _NO_ANCHOR, mark)
        if not isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, _TOO_DEEP, mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    construct_object = _construct_object_guarded(yaml.SafeLoader.construct_object)


_NoAliasSafeLoader.add_constructor("tag:yaml.org,2002:int", _yaml_int_or_marker)

_CLoader: type[Any] | None = getattr(yaml, "CSafeLoader", None)


if _CLoader is not None:

    class _NoAliasCSafeLoader(_CLoader):  # type: ignore[misc, valid-type]
        """libyaml's C safe loader (C parser and composer, Python constructors); anchors,
        aliases and depth are checked as :func:`_load_yaml` says."""

        huge_ints = 0
        construct_object = _construct_object_guarded(yaml.CSafeLoader.construct_object)

    _NoAliasCSafeLoader.add_constructor("tag:yaml.org,2002:int", _yaml_int_or_marker)
    _FAST_LOADER: type[Any] = _NoAliasCSafeLoader
else:  # pragma: no cover - PyYAML wheels include libyaml
    _FAST_LOADER = _NoAliasSafeLoader
_FAST_DUMPER: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _check_events(text: str, loader_cls: type[Any]) -> None:
    """Refuse anchors, aliases and nesting deeper than :data:`MAX_DEPTH` from the parser's
    events, before any node is composed. Raises :class:`yaml.YAMLError`."""
    parser = loader_cls(text)
    try:
        depth = 0
        scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
        opening = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
        closing = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
        end = yaml.StreamEndEvent
        get = parser.get_event
        while True:
            event = get()
            cls = type(event)
            if cls is scalar:
                if event.anchor is not None:
                    raise yaml.composer.ComposerError(None, None, _NO_ANCHOR,
                                                      event.start_mark)
            elif cls in opening:
                if event.anchor is not None:
                    raise yaml.composer.ComposerError(None, None, _NO_ANCHOR,
                                                      event.start_mark)
                depth += 1
                if depth > MAX_DEPTH:
                    raise yaml.composer.ComposerError(None, None, _TOO_DEEP, event.start_mark)
            elif cls in closing:
                depth -= 1
            elif cls is alias:
                raise yaml.composer.ComposerError(None, None, _NO_ALIAS, event.start_mark)
            elif cls is end or event is None:
                return
    finally:
        parser.dispose()


def _load_yaml(text: str, loader_cls: type[Any]) -> tuple[Any, int]:
    """The single document in ``text`` and the count of over-long integers in it.

    The pure-Python loader checks anchors, aliases and depth on each node's event as it
    composes. With the C loader, whose composer cannot be hooked, the events are read
    once beforehand (:func:`_check_events`) whenever the text holds an ``&`` or a
    ``*``: YAML has no anchor or alias without them. Otherwise the document is built
    directly (libyaml itself refuses nesting beyond 1 000 levels, its composer is C
    code and PyYAML's constructor is iterative: nothing recurses in Python) and
    :func:`_data_depth` checks the depth before the data is returned. That saves the
    event pass, a quarter of the load time of a large file.
    """
    checked = loader_cls is _NoAliasSafeLoader
    if not checked and ("&" in text or "*" in text):
        _check_events(text, loader_cls)
        checked = True
    loader = loader_cls(text)
    try:
        data = loader.get_single_data()
        huge = int(loader.huge_ints)
    finally:
        loader.dispose()
    if not checked and _data_depth(data) > MAX_DEPTH:
        raise _Refused(_TOO_DEEP)
    return data, huge


def _data_depth(data: Any) -> int:
    """Nesting depth of parsed data (a mapping of scalars is 1), by an iterative walk
    that stops as soon as the depth passes :data:`MAX_DEPTH`."""
    nested = (dict, list, tuple, set, frozenset)
    best = 0
    stack: list[tuple[Any, int]] = [(data, 1)] if type(data) in nested else []
    pop, push = stack.pop, stack.append
    while stack:
        value, depth = pop()
        if depth > best:
            best = depth
            if best > MAX_DEPTH:
                break
        children = value.values() if type(value) is dict else value
        for child in children:
            if type(child) in nested:
                push((child, depth + 1))
    return best


# ---------------------------------------------------------------------------------------
# JSON

_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_BRACKETS = np.frombuffer(b"[{]}", dtype=np.uint8)


def _json_depth(text: str) -> int:
    """The deepest nesting of brackets in a JSON text outside its strings (the nesting
    depth of a valid document; for an invalid one, whatever the brackets say: the
    parser refuses it anyway)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0
    bare = _JSON_STRING.sub('""', text).encode("utf-8", "replace")
    b = np.frombuffer(bare, dtype=np.uint8)
    brackets = b[np.isin(b, _BRACKETS)]
    if not brackets.size:
        return 0
    step = np.where(np.isin(brackets, _OPEN), 1, -1).astype(np.int32)
    return int(np.cumsum(step, dtype=np.int32).max())


def _load_json(text: str) -> tuple[Any, int]:
    """The document in ``text`` and the count of over-long integers in it."""
    if _json_depth(text) > MAX_DEPTH:
        raise _Refused(_TOO_DEEP)
    huge = 0

    def parse_int(literal: str) -> Any:
        nonlocal huge
        if len(literal) > MAX_INT_DIGITS and _digit_count(literal) > MAX_INT_DIGITS:
            huge += 1
            return _HugeInt(_digit_count(literal))
        return int(literal)

    return json.loads(text, parse_int=parse_int), huge


def parse_text(text: str, fmt: str, source: str | None = None) -> Any:
    """Parse YAML or JSON text into plain data; any failure (syntax, anchors and aliases,
    nesting beyond :data:`MAX_DEPTH`, integers beyond :data:`MAX_INT_DIGITS` digits)
    becomes a :class:`ScenarioError`."""
    try:
        with _gc_paused():
            if fmt == "json":
                data, huge = _load_json(text)
            else:
                data, huge = _load_yaml(text, _FAST_LOADER)
    except (yaml.YAMLError, json.JSONDecodeError, _Refused) as err:
        raise ScenarioError([Problem("", f"malformed {fmt.upper()}: {_cap(str(err))}")],
                            source) from None
    except RecursionError:  # last resort: the depth checks above come first
        raise ScenarioError([Problem("", f"malformed {fmt.upper()}: {_TOO_DEEP}")],
                            source) from None
    except (ValueError, TypeError, OverflowError, UnicodeError, LookupError,
            AttributeError) as err:  # a constructor failing outside construct_object
        raise ScenarioError([Problem("", f"malformed {fmt.upper()}: {_cap(str(err))}")],
                            source) from None
    if huge:
        raise ScenarioError(_huge_int_problems(data), source)
    return data


def _cap(message: str, limit: int = 600) -> str:
    return message if len(message) <= limit else f"{message[:limit]}… ({len(message)} characters)"


# ---------------------------------------------------------------------------------------
# files

_BOMS = ((b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"),
         (b"\xfe\xff", "UTF-16"), (b"\xff\xfe", "UTF-16"))


def _decode(raw: bytes, src: str, error: type[ScenarioError] = ScenarioError) -> str:
    """UTF-8 text of a file (a leading UTF-8 byte-order mark is dropped)."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            raise error([Problem("", f"the file is {name} text (it starts with a "
                                             f"{name} byte-order mark); save it as UTF-8")], src)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        bad = raw[err.start:err.start + 4]
        raise error([Problem("", f"not UTF-8 text: byte {bad[:1].hex(' ')} at line "
                                         f"{line} (byte {err.start}) cannot be decoded; save "
                                         "the file as UTF-8")], src) from None


def _read(p: Path, src: str, error: type[ScenarioError] = ScenarioError,
          what: str = "scenario file") -> bytes:
    """The bytes of the document ``p``; every failure is an ``error`` (a
    :class:`ScenarioError`, or one of its kinds: a sweep spec's, a game file's)."""
    if "\x00" in src:
        raise error([Problem("", f"cannot read {quote(src)}: the path holds a NUL "
                                         "character")], quote(src))
    try:
        if p.is_dir():
            raise error([Problem("", f"{src} is a directory, not a {what}")],
                                src)
        if not p.exists():
            raise error([Problem("", f"no such file: {src}")], src)
        if not p.is_file():
            raise error([Problem("", f"{src} is not a regular file")], src)
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise error(
                [Problem("", f"file is {size} bytes; the limit is {MAX_BYTES} bytes")], src
            )
        with p.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise error([Problem("", f"cannot read {src}: {reason}")], src) from None
    except ValueError as err:  # e.g. a NUL character in the path
        raise error([Problem("", f"cannot read {quote(src)}: {err}")], src) from None
    if len(raw) > MAX_BYTES:  # grew since stat
        raise error([Problem("", f"file is over the limit of {MAX_BYTES} bytes")], src)
    return raw


def read_document(path: str | os.PathLike[str], *,
                  error: type[ScenarioError] = ScenarioError,
                  what: str = "scenario file") -> str:
    """The UTF-8 text of an input document (a scenario, a sweep spec, a game file), with
    the same limits and messages for all: missing, a directory, unreadable, over
    :data:`MAX_BYTES`, not UTF-8 (or another byte-order mark) are each one ``error``
    naming the file."""
    p = Path(path)
    src = str(p)
    return _decode(_read(p, src, error, what), src, error)


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load and validate a scenario from a ``.yaml``/``.yml``, ``.json`` or ``.xlsx``
    (scenario workbook, :mod:`procure.workbook`) file.

    Raises :class:`ScenarioError` for anything wrong with the file or its content:
    missing, a directory, unreadable, over :data:`MAX_BYTES`, not UTF-8, malformed,
    or invalid (a workbook's problems as a :class:`~procure.errors.WorkbookError`
    naming sheet, row and column)."""
    p = Path(path)
    if p.suffix.lower() == ".xlsx":
        from procure.workbook import read_scenario

        return read_scenario(p)
    src = str(p)
    raw = _read(p, src)
    fmt = "json" if p.suffix.lower() == ".json" else "yaml"
    return scenario_from_data(parse_text(_decode(raw, src), fmt, src), src)


def scenario_to_data(scenario: Scenario) -> dict[str, Any]:
    """A plain, JSON-compatible dict of the scenario (defaults omitted)."""
    return scenario.model_dump(mode="json", exclude_defaults=True)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_scenario(scenario: Scenario, path: str | os.PathLike[str]) -> None:
    """Write a scenario as YAML (``.yaml``/``.yml``) or JSON (anything else), atomically."""
    data = scenario_to_data(scenario)
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        # libyaml's emitter when PyYAML has it: the same text, several times faster
        text = yaml.dump(data, Dumper=_FAST_DUMPER, sort_keys=False, allow_unicode=True,
                         width=100)
    else:
        text = json.dumps(data, indent=1)
    atomic_write_text(path, text)
