"""Answers checked against the served OpenAPI schema by a strict OpenAPI 3.0 validator, as generated clients
read it (schemathesis's own checks were more lenient about `nullable`)."""

from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4


def schema_problems(schema: dict, body, component: str) -> list[str]:
    """What in `body` the component `component` of `schema` refuses ("path: message"), [] when nothing."""
    registry = Registry().with_resource("urn:schema", Resource.from_contents(schema, default_specification=DRAFT4))
    validator = OAS30Validator({"$ref": f"urn:schema#/components/schemas/{component}"}, registry=registry)
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(body)]
