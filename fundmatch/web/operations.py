"""API operations declared beside their views, and the OpenAPI document generated from them.

Each JSON API view is registered with :meth:`Operations.route`, naming its query and body models and
its answers; the same declaration validates the request (German messages, field by field) and
becomes the view's entry in the OpenAPI 3.1 document, whose schemas are pydantic's JSON schemas of
the models. So the document cannot drift from what the API accepts and answers.

Why not a Flask integration such as spectree or flask-openapi3: both answer invalid input with
their own error bodies and English texts, and take over routing; fundmatch needs its German
field messages and its one error body, and has a dozen operations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from fundmatch.errors import InputError
from fundmatch.shapes import field_messages

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_RULE_PART = re.compile(r"<(?:(\w+):)?(\w+)>")


class InvalidBody(InputError):
    """A request body or query that does not fit its declared model; ``errors`` maps field → message."""

    http_status = 422

    def __init__(self, message: str, errors: dict[str, str] | None = None, status: int = 422):
        super().__init__(message)
        self.errors = errors or {}
        self.http_status = status


@dataclass(frozen=True)
class Answer:
    """One documented response: a model, a file type, or just a description."""

    description: str
    model: type[BaseModel] | None = None
    media_type: str = "application/json"


@dataclass(frozen=True)
class Operation:
    rule: str
    method: str
    operation_id: str
    summary: str
    answers: dict[int, Answer]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None


@dataclass
class Operations:
    """The API's operations; register views with :meth:`route`, build the document with :meth:`document`."""

    blueprint: Blueprint
    common: dict[int, Answer] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)

    def route(
        self,
        rule: str,
        method: str = "GET",
        *,
        summary: str,
        answers: dict[int, Answer],
        query: type[BaseModel] | None = None,
        body: type[BaseModel] | None = None,
    ) -> Callable[[Callable], Callable]:
        def register(view: Callable) -> Callable:
            operation_id = _camel(view.__name__)
            self.operations.append(Operation(rule, method, operation_id, summary, answers, query, body))
            self.blueprint.add_url_rule(rule, view.__name__, view, methods=[method])
            return view

        return register

    def document(self, *, title: str, version: str, description: str, prefix: str) -> dict[str, Any]:
        models = {m for op in self.operations for m in (op.query, op.body) if m is not None}
        models |= {a.model for op in self.operations for a in op.answers.values() if a.model is not None}
        models |= {a.model for a in self.common.values() if a.model is not None}
        ordered = sorted(models, key=lambda m: m.__name__)
        refs, definitions = models_json_schema(
            [(m, mode) for m in ordered for mode in ("validation", "serialization")],
            ref_template="#/components/schemas/{model}",
        )
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            path, parameters = _path(prefix + op.rule)
            entry: dict[str, Any] = {"summary": op.summary, "operationId": op.operation_id}
            if op.query is not None:
                parameters += _query_parameters(refs[(op.query, "validation")], definitions)
            if parameters:
                entry["parameters"] = parameters
            if op.body is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
                }
            answers = {**op.answers, **{code: a for code, a in self.common.items() if code not in op.answers}}
            entry["responses"] = {
                str(code): _response(a, refs[(a.model, "serialization")] if a.model is not None else None)
                for code, a in sorted(answers.items())
            }
            paths.setdefault(path, {})[op.method.lower()] = entry
        return {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version, "description": description},
            "servers": [{"url": "/"}],
            "security": [{"bearer": []}],
            "components": {
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                "schemas": definitions.get("$defs", {}),
            },
            "paths": paths,
        }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """A Flask rule as an OpenAPI path with its path parameters (ids are positive integers)."""
    parameters = []
    for converter, name in _RULE_PART.findall(rule):
        schema = {"type": "integer", "minimum": 1} if converter == "int" else {"type": "string", "minLength": 1}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _RULE_PART.sub(lambda m: "{" + m[2] + "}", rule), parameters


def _query_parameters(ref: dict[str, Any], definitions: dict[str, Any]) -> list[dict[str, Any]]:
    schema = definitions["$defs"][ref["$ref"].rsplit("/", 1)[1]]
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _query_schema(prop)}
        for name, prop in schema["properties"].items()
    ]


def _query_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is one value or absent: the null branch of a nullable field is dropped."""
    choices = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
    kept = {k: v for k, v in prop.items() if k in ("default", "description")}
    return {**choices[0], **kept} if len(choices) == 1 else {"anyOf": choices, **kept}


def _response(answer: Answer, schema: dict[str, Any] | None) -> dict[str, Any]:
    """``schema`` is the serialization schema of the answer's model, None for an answer without one."""
    if schema is None and answer.media_type != "application/json":
        schema = {"type": "string", "format": "binary"}
    if schema is None:
        return {"description": answer.description}
    return {"description": answer.description, "content": {answer.media_type: {"schema": schema}}}


def query(model: type[BaseModel]) -> Any:
    """The request's query parameters as ``model``; a 400 naming the parameter otherwise."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        errors = field_messages(exc)
        raise InvalidBody("; ".join(f"{k}: {v}" for k, v in errors.items()), errors, status=400) from None


def body(model: type[BaseModel]) -> Any:
    """The request's JSON body as ``model``; a 400 without a JSON object, a 422 naming each bad field."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidBody("Erwartet wird ein JSON-Objekt im Body (Content-Type: application/json).", status=400)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidBody("Eingaben ungültig", field_messages(exc)) from None
