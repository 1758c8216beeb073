"""A tiny ToolBench-50-shaped folder: 2 APIs (one string-matched, one judged), 4 items."""

import json
from pathlib import Path

RAPID = json.dumps(
    {
        "description": "Convert a number to words",
        "required_parameters": [
            {"name": "number", "type": "NUMBER", "description": "the number", "default": "1"}
        ],
        "optional_parameters": [
            {"name": "lang", "type": "STRING", "description": "", "default": "en"},
            {"name": "upper", "type": "BOOLEAN", "description": "", "default": ""},
        ],
    }
)
PROSE = 'Add days to a date. Your input should be a json: {{"date" : string, "days" : integer}}'


def make_toolbench(folder: Path) -> Path:
    folder.mkdir(parents=True)

    def test_item(query: str, api: str, args: dict) -> dict:
        return {"query": query, "action": api, "action_input": json.dumps(args)}

    files = {
        "API_list.json": ["add_date", "Numbers%%Words"],
        "string_match_APIs.json": ["add_date"],
        "API_descriptions.json": {
            "add_date": PROSE,
            "Numbers%%Words": RAPID,
            "search": "Search the web.",
        },
        "api2neighbors.json": {
            "add_date": ["add_date", "search"],
            "Numbers%%Words": ["Numbers%%Words", "add_date"],
        },
        "tool_test.json": {
            "add_date": [
                test_item(
                    "10 days after 2024-01-01?", "add_date", {"date": "2024-01-01", "days": 10}
                ),
                test_item(
                    "3 days after 2024-02-01?", "add_date", {"date": "2024-02-01", "days": 3}
                ),
            ],
            "Numbers%%Words": [
                test_item("42 in words", "Numbers%%Words", {"number": 42}),
                test_item("7 in French words", "Numbers%%Words", {"number": 7, "lang": "fr"}),
            ],
        },
    }
    for name, data in files.items():
        (folder / name).write_text(json.dumps(data))
    return folder
