"""A JSON Schema (draft 2020-12) validator for the keywords the project's
schemas use, standard library only (no pip here): type, const, enum,
properties, required, additionalProperties (false), items, minItems,
minimum, minLength, pattern, oneOf and local $ref ("#/$defs/NAME").
An unknown keyword is an error, so a schema cannot silently use more than
this checks."""
import json
import re

_TYPES = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
}
_ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs"}
_KEYWORDS = {"type", "const", "enum", "properties", "required", "additionalProperties",
             "items", "minItems", "minimum", "minLength", "pattern", "oneOf", "$ref"}


def _is_type(value, name):
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def _same(a, b):
    # JSON equality: 1 != true.
    return type(a) is type(b) and a == b or (
        _is_type(a, "number") and _is_type(b, "number") and a == b)


def errors(instance, schema, root=None, path="$"):
    """Every violation of `schema` by `instance`, as "PATH: message"."""
    root = root if root is not None else schema
    out = []
    unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
    if unknown:
        raise ValueError("%s: unsupported schema keywords %s" % (path, sorted(unknown)))
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError("unsupported $ref " + ref)
        out += errors(instance, root["$defs"][ref[len("#/$defs/"):]], root, path)
    if "type" in schema and not _is_type(instance, schema["type"]):
        return out + ["%s: %r is not of type %s" % (path, instance, schema["type"])]
    if "const" in schema and not _same(instance, schema["const"]):
        out.append("%s: %r is not %r" % (path, instance, schema["const"]))
    if "enum" in schema and not any(_same(instance, e) for e in schema["enum"]):
        out.append("%s: %r is not one of %r" % (path, instance, schema["enum"]))
    if "minimum" in schema and _is_type(instance, "number") and instance < schema["minimum"]:
        out.append("%s: %r < %r" % (path, instance, schema["minimum"]))
    if isinstance(instance, str):
        if len(instance) < schema.get("minLength", 0):
            out.append("%s: %r is too short" % (path, instance))
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            out.append("%s: %r does not match %s" % (path, instance, schema["pattern"]))
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                out.append("%s: missing %r" % (path, key))
        props = schema.get("properties", {})
        for key, value in instance.items():
            if key in props:
                out += errors(value, props[key], root, "%s.%s" % (path, key))
            elif schema.get("additionalProperties", True) is False:
                out.append("%s: unexpected property %r" % (path, key))
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            out.append("%s: fewer than %d items" % (path, schema["minItems"]))
        if "items" in schema:
            for i, item in enumerate(instance):
                out += errors(item, schema["items"], root, "%s[%d]" % (path, i))
    if "oneOf" in schema:
        matching = [s for s in schema["oneOf"] if not errors(instance, s, root, path)]
        if len(matching) != 1:
            out.append("%s: matches %d of the oneOf schemas" % (path, len(matching)))
    return out


def load(path):
    with open(path) as f:
        return json.load(f)
