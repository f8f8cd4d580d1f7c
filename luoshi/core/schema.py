"""The OpenAPI document states the errors each operation answers, with their bodies, so that a
client generated from it handles them (issue #12: 400/404/409 were undocumented):

* 400: a validation error (field → messages) or a bad filter or number;
* 401 without credentials (or with an expired token), 403 out of scope;
* 404 for an operation on one object;
* 409 (stale version, with the current one) and 428 (version missing) for a change to an
  existing object, which carries the version it read (core/api.version_of).
"""

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
STALE = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "current_version": {"type": "integer", "nullable": True},
    },
    "required": ["detail"],
}
# DRF answers a ValidationError as {field: [messages]} or, raised without a field, [messages].
INVALID = {
    "oneOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {"type": "string"}},
    ]
}

ERRORS = {
    "400": ("ValidationErrors", INVALID, "Invalid input: the messages name the field."),
    "401": ("ErrorDetail", DETAIL, "Not logged in, or the token is wrong or expired."),
    "403": ("ErrorDetail", DETAIL, "Outside the requester's scope or rights."),
    "404": ("ErrorDetail", DETAIL, "No such object within the requester's scope."),
    "409": ("StaleVersion", STALE, "Changed by someone else since it was read."),
    "428": ("ErrorDetail", DETAIL, "The version read (body or If-Match) is missing."),
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["400"]
        if self.get_auth():
            codes += ["401", "403"]
        on_one = "{" in self.path
        if on_one:
            codes.append("404")
        if on_one and self.method in WRITES:
            codes += ["409", "428"]
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code in responses:
                continue
            name, schema, description = ERRORS[code]
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
            )
            self.registry.register_on_missing(component)
            responses[code] = {
                "content": {"application/json": {"schema": component.ref}},
                "description": description,
            }
        return responses
