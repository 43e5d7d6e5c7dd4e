"""The OpenAPI 3.1 description of every JSON API of the platform: Open311 GeoReport v2, the report page's lookups,
the exposure board's API and map, the area boundaries, the health and readiness checks, the staff console's point
lookup and maps, and this description itself.

Kept true by tests/portal/test_openapi.py: real responses are validated against it, and every JSON route in the
URL map must be described here. English only (integrators' documentation); the data itself follows ``locale``.
"""
from flask import url_for

from portal.notify import public_url
from portal.registry.models import AreaLevel

VERSION = "1.0.0"


def nullable(schema):
    """``schema`` or null (OpenAPI 3.1 = JSON Schema 2020-12: a list of types)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema["type"]
    return dict(schema, type=[kind, "null"] if isinstance(kind, str) else [*kind, "null"])


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties, required=None, **extra):
    """A closed object: every property listed, the ``required`` ones (default: all) always present."""
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, "additionalProperties": False, **extra}


def array(items, xml_item=None, xml_name=None, **extra):
    schema = {"type": "array", "items": items, **extra}
    if xml_name:
        schema["xml"] = {"name": xml_name, "wrapped": True}
    if xml_item:
        schema["items"] = {"allOf": [items], "xml": {"name": xml_item}}
    return schema


STRING, INTEGER, NUMBER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
W3C = {"type": "string", "format": "date-time", "description": "W3C datetime with the city's offset (+08:00)"}
LOCALE = {"name": "locale", "in": "query", "required": False, "description": "Language of texts and errors.",
          "schema": {"type": "string", "enum": ["zh_Hans", "zh_Hant", "en"], "default": "zh_Hans"}}
JURISDICTION = {"name": "jurisdiction_id", "in": "query", "required": False,
                "description": "Only needed where the deployment serves several cities (OPEN311_JURISDICTION_ID).",
                "schema": STRING}
FORMAT = {"name": "format", "in": "path", "required": True, "schema": {"type": "string", "enum": ["json", "xml"]}}
LANG = {"name": "lang", "in": "query", "required": False, "description": "Language of the labels.",
        "schema": {"type": "string", "enum": ["zh_Hans", "zh_Hant", "en"]}}


GEOMETRY = {"type": "object", "description": "GeoJSON Polygon or MultiPolygon, in the tiles' coordinate system",
            "properties": {"type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
                           "coordinates": {"type": "array"}}, "required": ["type", "coordinates"]}
LATITUDE = {"type": "number", "minimum": -90, "maximum": 90}
LONGITUDE = {"type": "number", "minimum": -180, "maximum": 180}


def area_collection(feature_schema):
    return obj({"type": {"type": "string", "enum": ["FeatureCollection"]}, "features": array(ref(feature_schema))})


def area_feature(**extra_properties):
    """A GeoJSON feature of one area (its id the area's id), with ``extra_properties`` beside code, name, population."""
    return obj({"type": {"type": "string", "enum": ["Feature"]}, "id": INTEGER,
                "properties": obj({"code": STRING, "name": STRING, "population": nullable(INTEGER),
                                   **extra_properties}),
                "geometry": GEOMETRY})


def _schemas():
    open311_error = obj({"code": INTEGER, "description": STRING}, xml={"name": "error"})
    attribute_value = obj({"key": STRING, "name": STRING}, xml={"name": "value"})
    attribute = obj({
        "variable": BOOLEAN, "code": STRING,
        "datatype": {"type": "string", "enum": ["string", "number", "datetime", "text", "singlevaluelist",
                                                "multivaluelist"]},
        "required": BOOLEAN, "datatype_description": nullable(STRING), "order": INTEGER, "description": STRING,
        "values": array(attribute_value, xml_name="values"),
    }, required=["variable", "code", "datatype", "required", "datatype_description", "order", "description"],
        xml={"name": "attribute"})
    ref_named = obj({"id": INTEGER, "name": STRING})
    ref_linked = obj({"id": INTEGER, "name": STRING, "url": {"type": "string", "format": "uri"}})
    coded = obj({"code": STRING, "label": STRING})
    photo = obj({"id": INTEGER, "stage": {"type": "string", "enum": ["before", "after"]},
                 "url": {"type": "string", "format": "uri"}, "thumbnail_url": {"type": "string", "format": "uri"}})
    item_fields = {
        "id": INTEGER, "url": {"type": "string", "format": "uri"}, "kind": coded, "title": STRING,
        "area": nullable(ref("BoardRef")), "unit": nullable(ref("BoardLinkedRef")),
        "category": nullable(ref("BoardRef")), "place": nullable(STRING), "found_on": {"type": "string",
                                                                                       "format": "date"},
        "deadline": nullable({"type": "string", "format": "date"}), "status": nullable(ref("Coded")),
        "archived": BOOLEAN, "published_at": nullable({"type": "string", "format": "date-time"}),
        "updated_at": {"type": "string", "format": "date-time"},
        "thumbnail_url": nullable({"type": "string", "format": "uri"}), "linked_reports": INTEGER, "me_too": INTEGER,
        "share_image_url": {"type": "string", "format": "uri"},
    }
    detail_fields = dict(item_fields, **{
        "language": STRING, "description": nullable(STRING), "location_text": nullable(STRING),
        "correction_note": nullable(STRING),
        "photos": obj({"before": array(ref("BoardPhoto")), "after": array(ref("BoardPhoto"))}),
        "entries": array(obj({"reported_on": {"type": "string", "format": "date"}, "milestone": ref("Coded"),
                              "text": nullable(STRING), "photos": array(ref("BoardPhoto"))})),
    })
    return {
        "Open311Errors": array(ref("Open311Error"), xml_name="errors",
                               description="Every problem at once, each with the HTTP status as its code."),
        "Open311Error": open311_error,
        "Discovery": obj({
            "changeset": STRING, "contact": STRING, "key_service": STRING,
            "endpoints": array(obj({"specification": STRING, "url": STRING, "changeset": STRING,
                                    "type": {"type": "string", "enum": ["production", "test"]},
                                    "formats": array(STRING, xml_item="format", xml_name="formats")},
                                   xml={"name": "endpoint"}), xml_name="endpoints"),
        }, xml={"name": "discovery"}),
        "Services": array(ref("Service"), xml_name="services"),
        "Service": obj({"service_code": STRING, "service_name": STRING, "description": STRING,
                        "metadata": BOOLEAN, "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
                        "keywords": STRING, "group": STRING}, xml={"name": "service"}),
        "ServiceDefinition": obj({"service_code": STRING, "attributes": array(ref("Attribute"),
                                                                              xml_name="attributes")},
                                 xml={"name": "service_definition"}),
        "Attribute": attribute,
        "AttributeValue": attribute_value,
        "ServiceRequests": array(ref("ServiceRequest"), xml_name="service_requests"),
        "ServiceRequest": obj({
            "service_request_id": {"type": "string", "description": "The case number (工单号)",
                                   "pattern": r"^\d{8}-\d{4,6}$"},
            "status": {"type": "string", "enum": ["open", "closed"]},
            "status_notes": nullable(STRING), "service_name": STRING, "service_code": STRING,
            "description": nullable({"type": "string", "description": "The redacted start of the description; "
                                                                      "null for a case filed anonymously"}),
            "agency_responsible": nullable(STRING), "service_notice": nullable(STRING),
            "requested_datetime": W3C, "updated_datetime": W3C, "expected_datetime": nullable(W3C),
            "address": nullable(STRING), "lat": nullable(NUMBER), "long": nullable(NUMBER),
            "media_url": nullable({"type": "string", "format": "uri"}),
        }, xml={"name": "request"}),
        "PostedRequests": array(ref("PostedRequest"), xml_name="service_requests"),
        "PostedRequest": obj({"service_request_id": STRING, "service_notice": nullable(STRING),
                              "account_id": nullable(STRING), "token": STRING}, xml={"name": "request"}),
        "Tokens": array(ref("Token"), xml_name="service_requests"),
        "Token": obj({"service_request_id": STRING, "token": STRING}, xml={"name": "request"}),
        "Coded": coded,
        "BoardRef": ref_named,
        "BoardLinkedRef": ref_linked,
        "BoardPhoto": photo,
        "BoardItem": obj(item_fields),
        "BoardItemDetail": obj(detail_fields),
        "BoardItemList": obj({
            "language": STRING, "page": INTEGER, "per_page": INTEGER,
            "next": nullable({"type": "string", "format": "uri"}), "prev": nullable({"type": "string",
                                                                                     "format": "uri"}),
            "ignored_filters": array(STRING), "items": array(ref("BoardItem"))}),
        "JsonError": obj({"error": INTEGER, "message": STRING}, required=["error", "message"],
                         additionalProperties=True),
        "Categories": obj({"categories": array(obj({"id": INTEGER, "name": STRING, "group": STRING,
                                                    "group_id": INTEGER, "urgent": BOOLEAN}))}),
        "Points": obj({"points": array(obj({"id": INTEGER, "code": STRING, "name": STRING, "area": STRING,
                                            "address": STRING, "url": STRING}))}),
        "SimilarCases": obj({"cases": array(obj({
            "number": STRING, "state": STRING, "category": STRING, "excerpt": STRING, "reported_at": STRING,
            "me_too_count": INTEGER, "distance_m": nullable(INTEGER), "me_too_url": STRING}))}),
        "Health": obj({"status": {"type": "string", "enum": ["ok"]}}),
        "Readiness": obj({"status": {"type": "string", "enum": ["ok", "unavailable"]},
                          "checks": {"type": "object", "additionalProperties": STRING,
                                     "description": "Each check: \"ok\" or a short reason (no host, no error text)"},
                          "failed": array(STRING, minItems=1)}, required=["status", "checks"]),
        "BoardMap": obj({"items": array(obj({
            "lat": LATITUDE, "lng": LONGITUDE, "title": STRING,
            "subtitle": {"type": "string", "description": "The rectification status; empty without a deadline"},
            "url": STRING}), maxItems=2000)}),
        "AreaBoundaries": area_collection("AreaFeature"),
        "AreaFeature": area_feature(),
        "CaseMap": obj({
            "clusters": array(obj({"lat": LATITUDE, "lng": LONGITUDE, "count": {"type": "integer", "minimum": 1}})),
            "cases": array(obj({
                "lat": LATITUDE, "lng": LONGITUDE, "count": {"type": "integer", "enum": [1]}, "number": STRING,
                "state": STRING, "state_label": STRING, "category": STRING,
                "light": nullable({"type": "string", "enum": ["green", "amber", "red"]}), "next": nullable(STRING),
                "url": STRING}), maxItems=500),
            "total": {"type": "integer", "minimum": 0}}),
        "MapError": obj({"error": STRING}),
        "LeaderMap": obj({
            "areas": area_collection("ScorecardAreaFeature"),
            "points": array({"type": "array", "prefixItems": [LATITUDE, LONGITUDE, {"type": "integer", "minimum": 1}],
                             "minItems": 3, "maxItems": 3}, description="[latitude, longitude, cases]"),
            "per_resident": {"type": "boolean", "description": "value is per 10,000 residents (else a count)"}}),
        "ScorecardAreaFeature": area_feature(
            value=nullable({"type": "number", "description": "Cases per 10,000 residents, or the count"}),
            count={"type": "integer", "minimum": 0}, label=STRING),
        "ConsolePoints": array(obj({"code": STRING, "name": STRING, "area": STRING})),
        "SurveyDefinition": obj({"format": STRING, "version": INTEGER, "survey": {"type": "object"},
                                 "sections": array(obj({"title": STRING, "title_zh_hant": nullable(STRING),
                                                        "title_en": nullable(STRING),
                                                        "questions": array({"type": "object"})})),
                                 "areas": array(obj({"area": STRING, "quota": nullable(INTEGER),
                                                     "quota_action": STRING, "population": nullable(INTEGER)}))}),
    }


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
            "schemas": _schemas(),
            "securitySchemes": {"staffSession": {"type": "apiKey", "in": "cookie", "name": "session"}},
        },
    }
