"""``amesim schema``: the JSON Schema of scenario files, for editor autocompletion."""

from __future__ import annotations

import argparse
import json

from ..scenario.model import Scenario

#: Models whose YAML also accepts a bare number (their "before" validators expand it).
NUMBER_SHORTHANDS = ("Quantity", "Dist", "Schedule")


def _allow_number_shorthands(schema: dict) -> None:
    """Let editors accept ``7800`` where a Quantity, Dist or Schedule mapping may stand.

    pydantic cannot see the before-validators, so the generated schema would flag valid
    files. Each such definition becomes ``anyOf: [number, <the mapping>]``; a Schedule also
    takes a Quantity mapping (``{value: 3, source: ...}``) as its base.
    """
    defs = schema.get("$defs", {})
    for name in NUMBER_SHORTHANDS:
        if name not in defs:
            continue
        defs[f"{name}Mapping"] = defs.pop(name)
        options: list[dict] = [{"type": "number"}, {"$ref": f"#/$defs/{name}Mapping"}]
        if name == "Schedule" and "QuantityMapping" in defs:
            options.insert(1, {"$ref": "#/$defs/QuantityMapping"})
        defs[name] = {"anyOf": options, "description": defs[f"{name}Mapping"].get("description", "")}


def scenario_json_schema() -> dict:
    """The JSON Schema of a complete scenario file (files with ``extends`` may be partial)."""
    schema = Scenario.model_json_schema()
    _allow_number_shorthands(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "amesim scenario"
    schema.setdefault("properties", {})["extends"] = {
        "type": "string",
        "description": "Base scenario file (relative path) whose values this file overrides.",
    }
    return schema


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False))
    return 0
