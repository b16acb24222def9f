"""Loading and saving scenario documents (YAML or JSON).

YAML is parsed with a safe loader that also refuses anchors and aliases (a
"billion laughs" document cannot expand), and files larger than
:data:`MAX_BYTES` are refused before parsing. Every failure becomes a
:class:`~procure.errors.ScenarioError` that names the offending field.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from procure.errors import Problem, ScenarioError
from procure.schema.scenario import Scenario

MAX_BYTES = 64 * 1024 * 1024
"""Largest scenario file accepted (64 MiB)."""


class _NoAliasSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases instead of expanding them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*ref) are not allowed in scenarios", event.start_mark
            )
        node = super().compose_node(parent, index)
        if node is not None and getattr(node, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "YAML anchors (&ref) are not allowed in scenarios", node.start_mark
            )
        return node


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from_validation(err: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into path-named problems quoting the offending value."""
    problems: list[Problem] = []
    for e in err.errors(include_url=False):
        path = _loc(tuple(e["loc"]))
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
            problems.append(Problem(path, f"{msg} (got {value!r})"))
    return problems


def scenario_from_data(data: Any, source: str | None = None) -> Scenario:
    """Validate a parsed document into a :class:`Scenario`."""
    if not isinstance(data, Mapping):
        raise ScenarioError(
            [Problem("", f"the document must be a mapping, got {type(data).__name__}")], source
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(problems_from_validation(err), source) from None


def parse_text(text: str, fmt: str, source: str | None = None) -> Any:
    """Parse YAML or JSON text; syntax errors become a :class:`ScenarioError`."""
    try:
        if fmt == "json":
            return json.loads(text)
        return yaml.load(text, Loader=_NoAliasSafeLoader)
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise ScenarioError([Problem("", f"malformed {fmt.upper()}: {err}")], source) from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load and validate a scenario from a ``.yaml``/``.yml`` or ``.json`` file."""
    p = Path(path)
    src = str(p)
    if not p.is_file():
        raise ScenarioError([Problem("", f"no such file: {src}")], src)
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise ScenarioError(
            [Problem("", f"file is {size} bytes; the limit is {MAX_BYTES} bytes")], src
        )
    fmt = "json" if p.suffix.lower() == ".json" else "yaml"
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError([Problem("", f"not UTF-8 text: {err}")], src) from None
    return scenario_from_data(parse_text(text, fmt, src), src)


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
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    else:
        text = json.dumps(data, indent=1)
    atomic_write_text(path, text)
