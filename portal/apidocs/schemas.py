"""The schemas of the OpenAPI description (``components.schemas``) and the JSON Schema building blocks and shared
parameters that the schemas and the paths (``portal.apidocs.openapi``) are written with.
"""


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


def schemas():
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

