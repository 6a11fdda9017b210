"""The OpenAPI 3 document of /api/v1 (written by hand, checked by schemathesis in the tests)."""

from __future__ import annotations

from fundmatch import __version__, vocab


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}

ERROR = {
    "type": "object",
    "required": ["error", "message", "status"],
    "properties": {
        "error": STRING,
        "message": STRING,
        "status": INTEGER,
        "errors": {"type": "object", "additionalProperties": STRING},
    },
}

PROGRAM = {
    "type": "object",
    "required": ["source", "source_id", "title", "url", "level", "regions", "key"],
    "properties": {
        "key": STRING,
        "source": STRING,
        "source_id": STRING,
        "title": STRING,
        "url": STRING,
        "level": {"type": "string", "enum": vocab.LEVEL.codes},
        "regions": {"type": "array", "items": STRING},
        "summary": _nullable(STRING),
        "description": _nullable(STRING),
        "funding_types": {"type": "array", "items": STRING},
        "applicant_types": {"type": "array", "items": STRING},
        "topics": {"type": "array", "items": STRING},
        "subtopics": {"type": "array", "items": STRING},
        "funder": _nullable(STRING),
        "funding_rate_min": _nullable(NUMBER),
        "funding_rate_max": _nullable(NUMBER),
        "funding_rate_financially_weak": _nullable(NUMBER),
        "amount_min_eur": _nullable(NUMBER),
        "amount_max_eur": _nullable(NUMBER),
        "deadlines": {
            "type": "array",
            "items": {"type": "object", "properties": {"date": STRING, "kind": STRING, "note": _nullable(STRING)}},
        },
        "rolling": _nullable({"type": "boolean"}),
        "status": STRING,
        "legal_basis": _nullable(STRING),
        "contact": _nullable({"type": "object"}),
        "links": {"type": "array", "items": STRING},
        "keywords": {"type": "array", "items": STRING},
        "source_updated": _nullable(STRING),
        "last_seen": _nullable(STRING),
        "first_seen": STRING,
    },
}

MUNICIPALITY = {
    "type": "object",
    "required": ["id", "name", "land"],
    "properties": {
        "id": INTEGER,
        "name": STRING,
        "ags": _nullable(STRING),
        "land": STRING,
        "kind": STRING,
        "population": _nullable(INTEGER),
        "financially_weak": {"type": "boolean"},
        "contact_name": _nullable(STRING),
        "contact_email": _nullable(STRING),
        "contact_phone": _nullable(STRING),
        "address": _nullable(STRING),
        "strategies": {
            "type": "array",
            "items": {"type": "object", "properties": {"id": INTEGER, "title": STRING, "measures": INTEGER}},
        },
    },
}

MUNICIPALITY_INPUT = {
    "type": "object",
    "required": ["name", "land"],
    "properties": {
        "name": STRING,
        "land": {"type": "string", "enum": [land.code for land in vocab.LAENDER]},
        "ags": STRING,
        "kind": {"type": "string", "enum": vocab.MUNICIPALITY_TYPE.codes},
        "population": STRING,
        "financially_weak": STRING,
        "contact_name": STRING,
        "contact_email": STRING,
        "contact_phone": STRING,
        "address": STRING,
    },
}

MEASURE = {
    "type": "object",
    "required": ["id", "strategy_id", "title", "land"],
    "properties": {
        "id": INTEGER,
        "strategy_id": INTEGER,
        "title": STRING,
        "description": _nullable(STRING),
        "handlungsfeld": _nullable(STRING),
        "land": STRING,
        "applicant_type": STRING,
        "cost_eur": _nullable(NUMBER),
        "planned_start": _nullable(STRING),
        "time_horizon": _nullable(STRING),
        "goal": _nullable(STRING),
    },
}

MEASURE_INPUT = {
    "type": "object",
    "required": ["title"],
    "properties": {
        "title": STRING,
        "description": STRING,
        "handlungsfeld": STRING,
        "applicant_type": STRING,
        "cost_eur": STRING,
        "planned_start": STRING,
        "time_horizon": STRING,
        "goal": STRING,
    },
}

MATCHES = {
    "type": "object",
    "required": ["format", "version", "catalogue_version", "results"],
    "properties": {
        "format": {"type": "string", "enum": ["fundmatch-matches"]},
        "version": INTEGER,
        "catalogue_version": STRING,
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["measure_id", "matches"],
                "properties": {
                    "measure_id": STRING,
                    "matches": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["source", "source_id", "title", "score", "eligibility", "reasons"],
                            "properties": {
                                "source": STRING,
                                "source_id": STRING,
                                "title": STRING,
                                "url": STRING,
                                "score": {"type": "number", "minimum": 0, "maximum": 1},
                                "components": {"type": "object", "additionalProperties": NUMBER},
                                "eligibility": {"type": "string", "enum": ["eligible", "check", "ineligible"]},
                                "reasons": {"type": "array", "items": STRING},
                                "matched_terms": {"type": "array", "items": STRING},
                                "concepts": {"type": "array", "items": STRING},
                                "next_deadline": _nullable(STRING),
                            },
                        },
                    },
                },
            },
        },
    },
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


COMMON = {"401": _error("nicht angemeldet"), "404": _error("nicht gefunden")}
DOCX = {
    "description": "DOCX-Entwurf",
    "content": {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
            "schema": {"type": "string", "format": "binary"}
        }
    },
}


def document() -> dict:
    ref = {name: {"$ref": f"#/components/schemas/{name}"} for name in ("Program", "Municipality", "Measure", "Matches")}
    facets = [  # an empty value means "no filter", as in the page's form
        {"name": name, "in": "query", "required": False, "schema": {"type": "string", "enum": ["", *codes]}}
        for name, codes in (
            ("level", vocab.LEVEL.codes),
            ("land", [land.code for land in vocab.LAENDER]),
            ("applicant_type", vocab.APPLICANT_TYPE.codes),
            ("funding_type", vocab.FUNDING_TYPE.codes),
            ("topic", vocab.TOPIC.codes),
            ("status", vocab.STATUS.codes),
            ("sort", ["relevance", "deadline", "title"]),
        )
    ]
    top = {"name": "top", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 200}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "fundmatch API",
            "version": __version__,
            "description": "Förderprogramme, Kommunen, Maßnahmen, Treffer und Entwürfe. Anmeldung mit "
            "`Authorization: Bearer <Token>` (fundmatch users token).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": ERROR,
                "Program": PROGRAM,
                "Municipality": MUNICIPALITY,
                "Measure": MEASURE,
                "Matches": MATCHES,
            },
        },
        "paths": {
            "/api/v1/programs": {
                "get": {
                    "summary": "Katalog durchsuchen",
                    "operationId": "searchPrograms",
                    "parameters": [
                        {"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 500}},
                        {
                            "name": "page",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
                        },
                        *facets,
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["total", "programs"],
                                "properties": {
                                    "q": STRING,
                                    "sort": STRING,
                                    "page": INTEGER,
                                    "pages": INTEGER,
                                    "total": INTEGER,
                                    "programs": {"type": "array", "items": ref["Program"]},
                                },
                            }
                        ),
                        "400": _error("ungültiger Filter"),
                        **COMMON,
                    },
                }
            },
            "/api/v1/programs/{source}/{source_id}": {
                "get": {
                    "summary": "Ein Programm mit Änderungshistorie",
                    "operationId": "getProgram",
                    "parameters": [
                        {"name": "source", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": "source_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["program", "history"],
                                "properties": {
                                    "program": ref["Program"],
                                    "history": {"type": "array", "items": {"type": "object"}},
                                },
                            }
                        ),
                        **COMMON,
                    },
                }
            },
            "/api/v1/municipalities": {
                "get": {
                    "summary": "Kommunen",
                    "operationId": "listMunicipalities",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {"municipalities": {"type": "array", "items": ref["Municipality"]}},
                            }
                        ),
                        **COMMON,
                    },
                },
                "post": {
                    "summary": "Kommune anlegen",
                    "operationId": "createMunicipality",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": MUNICIPALITY_INPUT}}},
                    "responses": {
                        "201": _json(ref["Municipality"], "angelegt"),
                        "400": _error("kein JSON"),
                        "422": _error("Eingaben ungültig"),
                        **COMMON,
                    },
                },
            },
            "/api/v1/municipalities/{municipality_id}": {
                "get": {
                    "summary": "Eine Kommune",
                    "operationId": "getMunicipality",
                    "parameters": [_id("municipality_id")],
                    "responses": {"200": _json(ref["Municipality"]), **COMMON},
                }
            },
            "/api/v1/municipalities/{municipality_id}/strategies": {
                "post": {
                    "summary": "Strategie anlegen",
                    "operationId": "createStrategy",
                    "parameters": [_id("municipality_id")],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["title"],
                                    "properties": {
                                        "title": STRING,
                                        "goals": STRING,
                                        "handlungsfelder": {"type": "array", "items": STRING},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {
                                "type": "object",
                                "required": ["id", "title"],
                                "properties": {
                                    "id": INTEGER,
                                    "title": STRING,
                                    "handlungsfelder": {"type": "array", "items": STRING},
                                    "goals": {"type": "array", "items": STRING},
                                },
                            },
                            "angelegt",
                        ),
                        "400": _error("kein JSON"),
                        "422": _error("Eingaben ungültig"),
                        **COMMON,
                    },
                }
            },
            "/api/v1/strategies/{strategy_id}/measures": {
                "get": {
                    "summary": "Maßnahmen einer Strategie",
                    "operationId": "listMeasures",
                    "parameters": [_id("strategy_id")],
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"measures": {"type": "array", "items": ref["Measure"]}}}
                        ),
                        **COMMON,
                    },
                },
                "post": {
                    "summary": "Maßnahme anlegen",
                    "operationId": "createMeasure",
                    "parameters": [_id("strategy_id")],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": MEASURE_INPUT}}},
                    "responses": {
                        "201": _json(ref["Measure"], "angelegt"),
                        "400": _error("kein JSON"),
                        "422": _error("Eingaben ungültig"),
                        **COMMON,
                    },
                },
            },
            "/api/v1/measures/{measure_id}": {
                "get": {
                    "summary": "Eine Maßnahme",
                    "operationId": "getMeasure",
                    "parameters": [_id("measure_id")],
                    "responses": {"200": _json(ref["Measure"]), **COMMON},
                }
            },
            "/api/v1/measures/{measure_id}/matches": {
                "get": {
                    "summary": "Treffer einer Maßnahme",
                    "operationId": "getMatches",
                    "parameters": [
                        _id("measure_id"),
                        top,
                        {"name": "include_ineligible", "in": "query", "required": False, "schema": {"type": "boolean"}},
                    ],
                    "responses": {
                        "200": _json(ref["Matches"]),
                        "400": _error("ungültiger Parameter"),
                        "409": _error("Katalog noch leer"),
                        "422": _error("Maßnahme ohne suchbaren Text"),
                        **COMMON,
                    },
                }
            },
            "/api/v1/match": {
                "post": {
                    "summary": "Treffer für Maßnahmen im Austauschformat",
                    "operationId": "match",
                    "parameters": [top],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": {
                        "200": _json(ref["Matches"]),
                        "400": _error("ungültiger Parameter"),
                        "409": _error("Katalog noch leer"),
                        "422": _error("ungültige Maßnahmen"),
                        "401": COMMON["401"],
                    },
                }
            },
            "/api/v1/measures/{measure_id}/decisions": {
                "get": {
                    "summary": "Bewertungen",
                    "operationId": "listDecisions",
                    "parameters": [_id("measure_id")],
                    "responses": {
                        "200": _json({"type": "object", "properties": {"decisions": {"type": "array"}}}),
                        **COMMON,
                    },
                },
                "post": {
                    "summary": "Programm bewerten oder vormerken",
                    "operationId": "decide",
                    "parameters": [_id("measure_id")],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["program", "decision"],
                                    "properties": {
                                        "program": STRING,
                                        "decision": {"type": "string", "enum": vocab.MATCH_DECISION.codes},
                                        "note": STRING,
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json({"type": "object", "properties": {"decisions": {"type": "array"}}}),
                        "400": _error("kein JSON"),
                        "422": _error("ungültige Bewertung"),
                        **COMMON,
                    },
                },
            },
            "/api/v1/measures/{measure_id}/draft": {
                "get": {
                    "summary": "DOCX-Entwurf",
                    "operationId": "getDraft",
                    "parameters": [
                        _id("measure_id"),
                        {"name": "program", "in": "query", "required": True, "schema": {"type": "string"}},
                        {"name": "template", "in": "query", "required": False, "schema": {"type": "string"}},
                    ],
                    "responses": {"200": DOCX, "400": _error("ungültige Anfrage"), **COMMON},
                }
            },
            "/api/v1/sources": {
                "get": {
                    "summary": "Quellen und ihre Läufe",
                    "operationId": "listSources",
                    "responses": {
                        "200": _json({"type": "object", "properties": {"sources": {"type": "array"}}}),
                        **COMMON,
                    },
                }
            },
        },
    }
