"""``amesim schema``: the JSON Schema of scenario files, for editor autocompletion."""

from __future__ import annotations

import argparse
import json

from ..scenario.model import Scenario


def scenario_json_schema() -> dict:
    schema = Scenario.model_json_schema()
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
