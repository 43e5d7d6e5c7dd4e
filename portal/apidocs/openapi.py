"""The OpenAPI 3.1 description of every JSON API of the platform: Open311 GeoReport v2, the report page's lookups,
the exposure board's API and map, the area boundaries, the health and readiness checks, the staff console's point
lookup and maps, and this description itself.

Kept true by tests/portal/test_openapi.py: real responses are validated against it, and every JSON route in the
URL map must be described here. English only (integrators' documentation); the data itself follows ``locale``.
The schemas and the building blocks they are written with are in ``portal.apidocs.schemas``.
"""
from flask import url_for

from portal.apidocs.schemas import FORMAT, INTEGER, JURISDICTION, LANG, LOCALE, STRING, ref, schemas
from portal.notify import public_url
from portal.registry.models import AreaLevel

VERSION = "1.0.0"


def _content(schema_name, formats=("application/json",)):
    return {mime: {"schema": ref(schema_name)} for mime in formats}


def _open311(name, description, errors=(400, 404)):
    both = ("application/json", "text/xml")
    responses = {"200": {"description": description, "content": _content(name, both)}}
    texts = {400: "Wrong parameters, each named", 403: "No valid api_key", 404: "Not found",
             429: "Too many requests with this api_key"}
    for code in errors:
        responses[str(code)] = {"description": texts[code], "content": _content("Open311Errors", both)}
    return responses


def _json(name, description="OK", errors=()):
    responses = {"200": {"description": description, "content": _content(name)}}
    for code, text in errors:
        responses[str(code)] = {"description": text, "content": _content("JsonError")}
    return responses


def _query(name, description, schema=STRING):
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _paths():
    common = [LOCALE, JURISDICTION]
    board_filters = [_query("area", "Area id"), _query("unit", "Unit id"), _query("category", "Category id"),
                     _query("status", "pending, in_progress, done or overdue"),
                     _query("kind", "place, unit or praise"), _query("month", "YYYY-MM"), LANG]
    staff_errors = {"302": {"description": "Not signed in: to the sign-in page"},
                    "403": {"description": "Signed in without the permission", "content": _content("JsonError")}}
    tags311 = ["Open311 GeoReport v2"]
    post_fields = {
        "api_key": {"type": "string", "description": "The key issued to your system in the staff console"},
        "service_code": STRING, "lat": {"type": "string", "description": "WGS-84 degrees"},
        "long": {"type": "string", "description": "WGS-84 degrees"},
        "address_string": {"type": "string", "maxLength": 300,
                           "description": "The name of one of the city's places (points)"},
        "address_id": {"type": "string", "description": "A point's code (from its QR placard)"},
        "description": {"type": "string", "maxLength": 2000}, "media_url": {"type": "string", "maxLength": 500,
                                                                            "description": "Kept for staff; never "
                                                                                           "fetched or shown"},
        "email": STRING, "phone": STRING, "first_name": STRING, "last_name": STRING,
        "device_id": {"type": "string", "maxLength": 100}, "account_id": {"type": "string", "maxLength": 100},
        "idempotency_key": {"type": "string", "maxLength": 100,
                            "description": "The same key again answers with the request filed first"},
        "locale": {"type": "string", "enum": ["zh_Hans", "zh_Hant", "en"]},
    }
    return {
        "/open311/v2/discovery.{format}": {"get": {
            "tags": tags311, "operationId": "open311Discovery", "summary": "Service discovery",
            "parameters": [FORMAT, *common], "responses": _open311("Discovery", "This endpoint", errors=(400, 404))}},
        "/open311/v2/services.{format}": {"get": {
            "tags": tags311, "operationId": "open311Services", "summary": "The types of problem (categories)",
            "parameters": [FORMAT, *common], "responses": _open311("Services", "Services")}},
        "/open311/v2/services/{service_code}.{format}": {"get": {
            "tags": tags311, "operationId": "open311ServiceDefinition",
            "summary": "A category's extra questions as attributes",
            "parameters": [{"name": "service_code", "in": "path", "required": True, "schema": STRING}, FORMAT,
                           *common],
            "responses": _open311("ServiceDefinition", "Definition")}},
        "/open311/v2/requests.{format}": {
            "get": {
                "tags": tags311, "operationId": "open311Requests", "summary": "Service requests (cases), newest first",
                "parameters": [FORMAT, *common,
                               _query("service_request_id", "Comma-separated case numbers (at most 50); the other "
                                                            "filters are then ignored"),
                               _query("service_code", "One category"),
                               _query("start_date", "W3C datetime (default: 90 days before end_date)"),
                               _query("end_date", "W3C datetime (default: now)"),
                               _query("status", "open or closed", {"type": "string", "enum": ["open", "closed"]}),
                               _query("page", "From 1", {"type": "integer", "minimum": 1, "maximum": 10000}),
                               _query("page_size", "1 to 100 (default 50)",
                                      {"type": "integer", "minimum": 1, "maximum": 100})],
                "responses": _open311("ServiceRequests", "Requests", errors=(400, 404))},
            "post": {
                "tags": tags311, "operationId": "open311CreateRequest",
                "summary": "File a case (needs an API key; the same checks as the resident's form)",
                "parameters": [FORMAT, *common],
                "requestBody": {"required": True, "content": {
                    "application/x-www-form-urlencoded": {"schema": {
                        "type": "object", "properties": post_fields, "required": ["api_key", "service_code"],
                        "description": "Plus attribute[code]=value for each attribute of the service definition; "
                                       "one of address_id, lat and long, or address_string"}},
                    "multipart/form-data": {"schema": {
                        "type": "object", "properties": dict(post_fields, media={
                            "type": "array", "items": {"type": "string", "format": "binary"},
                            "description": "Photos (checked and stripped of EXIF like the form's)"}),
                        "required": ["api_key", "service_code"]}}}},
                "responses": _open311("PostedRequests", "Filed (or filed before, for a repeated key)",
                                      errors=(400, 403, 404, 429))}},
        "/open311/v2/requests/{service_request_id}.{format}": {"get": {
            "tags": tags311, "operationId": "open311Request", "summary": "One service request",
            "parameters": [{"name": "service_request_id", "in": "path", "required": True, "schema": STRING},
                           FORMAT, *common],
            "responses": _open311("ServiceRequests", "The request")}},
        "/open311/v2/tokens/{token}.{format}": {"get": {
            "tags": tags311, "operationId": "open311Token", "summary": "The request a POST's token stands for",
            "parameters": [{"name": "token", "in": "path", "required": True, "schema": STRING}, FORMAT, *common],
            "responses": _open311("Tokens", "The request")}},
        "/report/categories.json": {"get": {
            "tags": ["Report page"], "operationId": "reportCategories",
            "summary": "Categories matching q (简体, 繁體 or English)",
            "parameters": [_query("q", "Search text"), LANG], "responses": _json("Categories")}},
        "/report/points.json": {"get": {
            "tags": ["Report page"], "operationId": "reportPoints", "summary": "Places (points) matching q",
            "parameters": [_query("q", "Search text"), LANG], "responses": _json("Points")}},
        "/report/similar.json": {"get": {
            "tags": ["Report page"], "operationId": "reportSimilar",
            "summary": "Open cases of a category at a point, near a location or in an area",
            "parameters": [_query("category", "Category id"), _query("point", "Point id"),
                           _query("lat", "WGS-84"), _query("lng", "WGS-84"), _query("area", "Area id"), LANG],
            "responses": _json("SimilarCases")}},
        "/board/api/items": {"get": {
            "tags": ["Exposure board"], "operationId": "boardItems", "summary": "Published board items",
            "parameters": [_query("area", "Area id"), _query("unit", "Unit id"), _query("category", "Category id"),
                           _query("status", "pending, in_progress, done or overdue"),
                           _query("kind", "place, unit or praise"), _query("month", "YYYY-MM"),
                           _query("page", "From 1"), LANG],
            "responses": _json("BoardItemList")}},
        "/board/api/items/{item_id}": {"get": {
            "tags": ["Exposure board"], "operationId": "boardItem", "summary": "One published item",
            "parameters": [{"name": "item_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}, LANG],
            "responses": _json("BoardItemDetail", errors=((404, "No such item"), (410, "Taken down")))}},
        "/board/map.json": {"get": {
            "tags": ["Exposure board"], "operationId": "boardMap",
            "summary": "Published items with a public place (their point, else inside their area), newest first",
            "parameters": board_filters, "responses": _json("BoardMap")}},
        "/map/areas.json": {"get": {
            "tags": ["Maps"], "operationId": "areaBoundaries", "summary": "The active areas of a level with a boundary",
            "parameters": [_query("level", "Area level (default district)",
                                  {"type": "string", "enum": [level.value for level in AreaLevel]})],
            "responses": _json("AreaBoundaries", errors=((404, "No such level"),))}},
        "/healthz": {"get": {
            "tags": ["Operations"], "operationId": "health", "summary": "The process answers (liveness)",
            "responses": _json("Health")}},
        "/readyz": {"get": {
            "tags": ["Operations"], "operationId": "ready",
            "summary": "The database (at the migrations' head), Redis and the photo bucket answer (readiness)",
            "responses": {"200": {"description": "Ready", "content": _content("Readiness")},
                          "503": {"description": "Not ready: failed names the checks",
                                  "content": _content("Readiness")}}}},
        "/api/openapi.json": {"get": {
            "tags": ["Operations"], "operationId": "openapi", "summary": "This description",
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {
                "schema": {"type": "object"}}}}}}},
        "/console/cases/points.json": {"get": {
            "tags": ["Staff console"], "operationId": "consolePoints",
            "summary": "Points for the hotline console's place field (signed-in call takers)",
            "security": [{"staffSession": []}], "parameters": [_query("q", "Code or name")],
            "responses": dict(_json("ConsolePoints"), **{
                "302": {"description": "Not signed in: to the sign-in page"},
                "403": {"description": "Signed in without the permission", "content": _content("JsonError")}})}},
        "/console/cases/map.json": {"get": {
            "tags": ["Staff console"], "operationId": "consoleCaseMap",
            "summary": "Clusters and single cases inside bbox at zoom, with the case list's filters (signed-in staff)",
            "security": [{"staffSession": []}],
            "parameters": [_query("bbox", "west,south,east,north in the tiles' coordinate system"),
                           _query("zoom", "0 to 19", {"type": "integer", "minimum": 0, "maximum": 19}),
                           _query("q", "The case list's filters apply (state, area, category, dates, ...)")],
            "responses": dict(_json("CaseMap"), **staff_errors, **{
                "400": {"description": "bbox or zoom not usable", "content": _content("MapError")}})}},
        "/console/scorecards/map.json": {"get": {
            "tags": ["Staff console"], "operationId": "scorecardMap",
            "summary": "Cases per area (choropleth) and heat points for a period (signed-in leaders)",
            "security": [{"staffSession": []}],
            "parameters": [_query("period", "A period key, e.g. month:2026-11 (default: this month so far)"),
                           _query("area_level", "district, street, community or grid (default street)")],
            "responses": dict(_json("LeaderMap"), **staff_errors)}},
        "/console/surveys/{survey_id}/definition.json": {"get": {
            "tags": ["Staff console"], "operationId": "surveyDefinition",
            "summary": "A survey's definition as a file to import elsewhere (signed-in survey managers)",
            "security": [{"staffSession": []}],
            "parameters": [{"name": "survey_id", "in": "path", "required": True, "schema": INTEGER}],
            "responses": dict(_json("SurveyDefinition"), **{
                "302": {"description": "Not signed in: to the sign-in page"},
                "403": {"description": "Signed in without the permission", "content": _content("JsonError")},
                "404": {"description": "No such survey", "content": _content("JsonError")}})}},
    }


def description():
    """The whole description, with the server this request came to (PUBLIC_BASE_URL when set)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Minsheng (民声) APIs", "version": VERSION,
            "description": "Open311 GeoReport v2 for civic clients (reading needs no key; filing needs an API key "
                           "issued by the city's administrators), and the JSON APIs of the public pages. Cases are "
                           "published as a projection: nothing about the reporter, no query code, no staff note.",
        },
        "servers": [{"url": public_url(url_for("home.index")).rstrip("/") or "/"}],
        "tags": [{"name": "Open311 GeoReport v2", "externalDocs": {"url": "http://wiki.open311.org/GeoReport_v2"}},
                 {"name": "Report page"}, {"name": "Exposure board"}, {"name": "Maps"}, {"name": "Operations"},
                 {"name": "Staff console"}],
        "paths": _paths(),
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"staffSession": {"type": "apiKey", "in": "cookie", "name": "session"}},
        },
    }
