"""The JSON Schemas in ``models/``: the scenario document (``scenario.schema.json``), the
sweep specification (``sweep.schema.json``), the run record's summary
(``run_record.schema.json``) and the cooperative game file (``game.schema.json``).

Regenerate them with ``python -m procure.schema.export``; a test fails when a file and
the code disagree.
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


def sweep_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of :class:`~procure.schema.sweep.SweepSpec`."""
    from procure.schema.sweep import SweepSpec

    schema = SweepSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def sweep_schema_text() -> str:
    return json.dumps(sweep_json_schema(), indent=2, sort_keys=True) + "\n"


def game_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a game file (:class:`~procure.schema.game.GameFile`).
    What the schema cannot say (every coalition once, only known players, at most 20
    players) is checked when the file is loaded."""
    from procure.schema.game import GameFile

    schema = GameFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def game_schema_text() -> str:
    return json.dumps(game_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # pragma: no cover
    from procure.run.record import run_summary_schema_text

    folder = sys.argv[1] if len(sys.argv) > 1 else "models"
    for name, text in (("scenario.schema.json", schema_text()),
                       ("sweep.schema.json", sweep_schema_text()),
                       ("run_record.schema.json", run_summary_schema_text()),
                       ("game.schema.json", game_schema_text())):
        with open(f"{folder}/{name}", "w", encoding="utf-8") as fh:
            fh.write(text)
