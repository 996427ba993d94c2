#!/usr/bin/env python3
"""json_schema.py - hold JSON documents to the schemas of docs/json.md.

usage: json_schema.py DOC.md MANIFEST

DOC.md's fenced ```json blocks that have an "$id" are the schemas (one of
them, "provledger:defs", holds the shared "$defs"). MANIFEST has one line per
document: NAME<TAB>SCHEMA-ID<TAB>FILE. Prints "ok<TAB>NAME" or
"FAIL<TAB>NAME<TAB>WHY" per line, and first a line per schema problem (a
block that is not JSON, a $ref to nothing).

The validator is the part of JSON Schema 2020-12 that the page uses: type,
properties, required, additionalProperties, items, minItems, maxItems, enum,
const, pattern, minimum, maximum, anyOf, allOf, $ref to "#/$defs/NAME", and
the boolean schemas. Written here so the tests need no package beyond Python.
"""
import json
import re
import sys

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def blocks(text):
    for m in re.finditer(r"^```json\n(.*?)^```", text, re.S | re.M):
        yield m.group(1)


class Invalid(Exception):
    pass


class Validator:
    def __init__(self, defs):
        self.defs = defs

    def resolve(self, ref):
        if not ref.startswith("#/$defs/") or ref[8:] not in self.defs:
            raise Invalid("unresolvable $ref %s" % ref)
        return self.defs[ref[8:]]

    def check(self, s, v, path):
        if s is True:
            return
        if s is False:
            raise Invalid("%s: not allowed here" % path)
        if "$ref" in s:
            self.check(self.resolve(s["$ref"]), v, path)
        if "type" in s:
            ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(TYPES[t](v) for t in ts):
                raise Invalid("%s: %s is not of type %s" % (path, json.dumps(v)[:80], "/".join(ts)))
        if "const" in s and v != s["const"]:
            raise Invalid("%s: %s is not %s" % (path, json.dumps(v)[:80], json.dumps(s["const"])))
        if "enum" in s and v not in s["enum"]:
            raise Invalid("%s: %s is not one of %s" % (path, json.dumps(v)[:80], s["enum"]))
        if isinstance(v, str) and "pattern" in s and not re.search(s["pattern"], v):
            raise Invalid("%s: %r does not match %s" % (path, v[:80], s["pattern"]))
        if TYPES["number"](v):
            if "minimum" in s and v < s["minimum"]:
                raise Invalid("%s: %s < %s" % (path, v, s["minimum"]))
            if "maximum" in s and v > s["maximum"]:
                raise Invalid("%s: %s > %s" % (path, v, s["maximum"]))
        if isinstance(v, dict):
            for k in s.get("required", []):
                if k not in v:
                    raise Invalid("%s: lacks member %r" % (path, k))
            props = s.get("properties", {})
            for k, x in v.items():
                if k in props:
                    self.check(props[k], x, "%s.%s" % (path, k))
                elif "additionalProperties" in s:
                    self.check(s["additionalProperties"], x, "%s.%s" % (path, k))
        if isinstance(v, list):
            if "minItems" in s and len(v) < s["minItems"]:
                raise Invalid("%s: fewer than %d items" % (path, s["minItems"]))
            if "maxItems" in s and len(v) > s["maxItems"]:
                raise Invalid("%s: more than %d items" % (path, s["maxItems"]))
            if "items" in s:
                for i, x in enumerate(v):
                    self.check(s["items"], x, "%s[%d]" % (path, i))
        for sub in s.get("allOf", []):
            self.check(sub, v, path)
        if "anyOf" in s:
            why = []
            for sub in s["anyOf"]:
                try:
                    self.check(sub, v, path)
                    break
                except Invalid as e:
                    why.append(str(e))
            else:
                raise Invalid("%s: matches none of anyOf (%s)" % (path, "; ".join(why)))


def refs(s):
    if isinstance(s, dict):
        if "$ref" in s:
            yield s["$ref"]
        for x in s.values():
            yield from refs(x)
    elif isinstance(s, list):
        for x in s:
            yield from refs(x)


def main():
    doc, manifest = sys.argv[1], sys.argv[2]
    schemas, problems = {}, 0
    for i, b in enumerate(blocks(open(doc, encoding="utf-8").read())):
        try:
            s = json.loads(b)
        except ValueError as e:
            print("FAIL\tschema block %d of %s\tnot JSON: %s" % (i + 1, doc, e))
            problems += 1
            continue
        if isinstance(s, dict) and "$id" in s:
            schemas[s["$id"]] = s
    defs = schemas.get("provledger:defs", {}).get("$defs", {})
    v = Validator(defs)
    for sid, s in schemas.items():
        for r in refs(s):
            try:
                v.resolve(r)
            except Invalid as e:
                print("FAIL\tschema %s\t%s" % (sid, e))
                problems += 1
    for line in open(manifest, encoding="utf-8"):
        name, sid, path = line.rstrip("\n").split("\t")
        if sid not in schemas:
            print("FAIL\t%s\tdocs/json.md has no schema %s" % (name, sid))
            continue
        try:
            text = open(path, encoding="utf-8").read()
            if sid in ("provledger:error", "provledger:warning"):
                lines = [l for l in text.splitlines() if l.strip()]
                if not lines:
                    raise Invalid("stderr is empty")
                docs = [json.loads(l) for l in lines]
            else:
                docs = [json.loads(text)]
            for d in docs:
                v.check(schemas[sid], d, "$")
            print("ok\t%s" % name)
        except (ValueError, Invalid) as e:
            print("FAIL\t%s\t%s" % (name, str(e)[:600]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
