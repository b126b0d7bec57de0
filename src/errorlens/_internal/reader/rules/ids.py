"""``request_id`` and ``correlation_id``: the body first, then the headers."""

from __future__ import annotations

from typing import Any

from errorlens._internal.reader.evidence import Chain, Evidence
from errorlens._internal.reader.keys import (
    CORRELATION,
    DETAILS,
    DOC_TEXT,
    H_CORRELATION,
    H_REQUEST_ID,
    LEAD,
    NAMING,
    P_REQUEST_ID,
    REQUEST_ID,
    role_of,
)
from errorlens._internal.reader.node import NodeScan
from errorlens._internal.reader.values import as_id

__all__ = ["CORRELATION_RULES", "REQUEST_ID_RULES"]


def body_request_id(ev: Evidence) -> str | None:
    return as_id(ev.body.merged[REQUEST_ID])


def lead_entry_request_id(ev: Evidence) -> str | None:
    # An entry's bare "id" is the entry's own (JSON:API), not the request's.
    lead = ev.body.lead
    if lead is None or lead.ranks[REQUEST_ID] == NAMING:
        return None
    return as_id(lead.values[REQUEST_ID])


def details_request_id(ev: Evidence) -> str | None:
    scan = ev.body.details_scan
    return as_id(scan.values[REQUEST_ID]) if scan is not None else None


def wrapper_details_request_id(ev: Evidence) -> str | None:
    # {"error": {...}, "meta": {"request_id": ...}}: the wrapper's own details (its
    # "meta") hold the request's id beside the error node, which has details of its own.
    body = ev.body
    for scan in body.scans[:-1]:
        details = scan.values[DETAILS]
        if isinstance(details, dict) and details is not body.details:
            found = as_id(NodeScan(details, body.xml).values[REQUEST_ID])
            if found is not None:
                return found
    return None


def header_request_id(ev: Evidence) -> str | None:
    return ev.facts.request_id


def page_reference(ev: Evidence) -> str | None:
    # A proxy's page: "Reference #18.2d351ab8.1557333295.a4e16ab", "Ray ID: 8f1b...".
    return ev.page.reference


def source_request_id(ev: Evidence) -> str | None:
    return ev.parts.request_id


# Name/value pairs: [{"code": "correlation_id", "message": "26eebb32-..."}] (Airwallex),
# [{"name": "RequestId", "value": ...}]: the name is read as a key would be.
_PAIR_NAMES = ("code", "name", "key")
_PAIR_VALUES = ("message", "value")
_PAIRS_READ = 16


def _paired(details: Any, role: int, xml: bool) -> str | None:
    if not isinstance(details, list):
        return None
    for entry in details[:_PAIRS_READ]:
        if not isinstance(entry, dict):
            continue
        name = next((entry[k] for k in _PAIR_NAMES if isinstance(entry.get(k), str)), None)
        if name is not None and role_of(name, xml)[0] == role:
            value = next((entry[k] for k in _PAIR_VALUES if entry.get(k) is not None), None)
            found = as_id(value)
            if found is not None:
                return found
    return None


def details_pair_request_id(ev: Evidence) -> str | None:
    return _paired(ev.body.details, REQUEST_ID, ev.body.xml)


def details_pair_correlation_id(ev: Evidence) -> str | None:
    return _paired(ev.body.details, CORRELATION, ev.body.xml)


def body_correlation_id(ev: Evidence) -> str | None:
    return as_id(ev.body.merged[CORRELATION])


def details_correlation_id(ev: Evidence) -> str | None:
    scan = ev.body.details_scan
    return as_id(scan.values[CORRELATION]) if scan is not None else None


def header_correlation_id(ev: Evidence) -> str | None:
    return ev.facts.correlation_id


REQUEST_ID_RULES = Chain(
    (body_request_id, 1 << REQUEST_ID),
    (lead_entry_request_id, LEAD),
    (details_request_id, 1 << DETAILS),
    (wrapper_details_request_id, 1 << DETAILS),
    (details_pair_request_id, 1 << DETAILS),
    (header_request_id, H_REQUEST_ID),
    (page_reference, DOC_TEXT),
    (source_request_id, P_REQUEST_ID),
)
CORRELATION_RULES = Chain(
    (body_correlation_id, 1 << CORRELATION),
    (details_correlation_id, 1 << DETAILS),
    (details_pair_correlation_id, 1 << DETAILS),
    (header_correlation_id, H_CORRELATION),
)
