"""The JSON Schema of a scenario document, as exported to ``models/scenario.schema.json``.

Regenerate with ``python -m procure.schema.export models/scenario.schema.json``;
a test fails when the file and the code disagree.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from procure.schema.scenario import Scenario


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of :class:`~procure.schema.Scenario`."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_text() -> str:
    return json.dumps(scenario_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # pragma: no cover
    target = sys.argv[1] if len(sys.argv) > 1 else "models/scenario.schema.json"
    with open(target, "w", encoding="utf-8") as fh:
        fh.write(schema_text())
