"""JSON Schema from Python type hints: the part of a tool's definition the model must obey."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union

_SCALARS: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


class UnsupportedType(TypeError):
    """A type hint that has no JSON Schema equivalent here."""


def _json_type_of(value: Any) -> str:
    for python_type, json_type in (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (type(None), "null"),
    ):
        if isinstance(value, python_type):
            return json_type
    raise UnsupportedType(f"Literal value {value!r} is not a JSON scalar")


def _allow_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None`: keep the simple `{"type": [..., "null"]}` form where possible."""
    kind = schema.get("type")
    if isinstance(kind, str) and "anyOf" not in schema:
        out = {**schema, "type": [kind, "null"]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


def type_to_schema(hint: Any) -> dict[str, Any]:
    """The JSON Schema of one parameter's type hint.

    Supported: str, int, float, bool, None, Any, Literal[...], list[X], tuple[X, ...], set[X],
    dict[str, X], X | None / Optional[X], and unions of these.
    """
    if hint is Any:
        return {}
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    if hint in (list, tuple, set, frozenset):
        return {"type": "array"}
    if hint is dict:
        return {"type": "object"}

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Literal:
        kinds = sorted({_json_type_of(v) for v in args})
        schema: dict[str, Any] = {"enum": list(args)}
        schema["type"] = kinds[0] if len(kinds) == 1 else kinds
        return schema
    if origin in (Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        inner = (
            type_to_schema(members[0])
            if len(members) == 1
            else {"anyOf": [type_to_schema(m) for m in members]}
        )
        return _allow_null(inner) if len(members) < len(args) else inner
    if origin in (list, set, frozenset):
        return {"type": "array", "items": type_to_schema(args[0])} if args else {"type": "array"}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": type_to_schema(args[0])}
        return {
            "type": "array",
            "prefixItems": [type_to_schema(a) for a in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if origin is dict:
        if args and args[0] is not str:
            raise UnsupportedType("dict keys must be str (JSON object keys are strings)")
        if len(args) == 2 and args[1] is not Any:
            return {"type": "object", "additionalProperties": type_to_schema(args[1])}
        return {"type": "object"}
    if origin is typing.Annotated:
        return type_to_schema(args[0])
    raise UnsupportedType(f"type hint {hint!r} has no JSON Schema equivalent")
