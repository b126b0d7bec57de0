"""``request_id`` and ``correlation_id``: the body first, then the headers."""

from __future__ import annotations

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
)
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


def header_request_id(ev: Evidence) -> str | None:
    return ev.facts.request_id


def page_reference(ev: Evidence) -> str | None:
    # A proxy's page: "Reference #18.2d351ab8.1557333295.a4e16ab", "Ray ID: 8f1b...".
    return ev.page.reference


def source_request_id(ev: Evidence) -> str | None:
    return ev.parts.request_id


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
    (header_request_id, H_REQUEST_ID),
    (page_reference, DOC_TEXT),
    (source_request_id, P_REQUEST_ID),
)
CORRELATION_RULES = Chain(
    (body_correlation_id, 1 << CORRELATION),
    (details_correlation_id, 1 << DETAILS),
    (header_correlation_id, H_CORRELATION),
)
