"""Vendor names and the few rules the generic reader cannot infer.

A vendor is named from the SDK that raised, else the request's host, else a header
only one vendor sends. Users teach errorlens about their in-house APIs with
:func:`register_vendor`: a host, key aliases for the generic reader, and retry codes.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from errorlens._internal.state import on_reset

__all__ = ["VendorRule", "register_vendor", "unregister_vendor", "vendor_for_host"]

# Registrable names whose vendor is known by another name.
_ALIASES = {
    "amazonaws": "aws",
    "aws": "aws",
    "cloudfront": "aws",
    "googleapis": "google",
    "google": "google",
    "windows": "azure",
    "azure": "azure",
    "azure-api": "azure",
    "azurewebsites": "azure",
    "microsoftonline": "azure",
    "microsoft": "microsoft",
    # Platforms whose customers' API hosts sit under a domain not named after them.
    "myshopify": "shopify",
}
# Hosts that never name a vendor: loopback, private zones and RFC 2606 names (matched
# whole or as a parent domain: "myexample.net" is a registrable name of its own).
_RESERVED_NAMES = frozenset(
    {"local", "localhost", "internal", "test", "example", "invalid"}
    | {"example.com", "example.org", "example.net"}
)
_RESERVED_SUFFIXES = tuple("." + name for name in _RESERVED_NAMES)
# Second-level suffixes under which the registrable name is one label further left.
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "edu", "ne", "or"})


@dataclass(frozen=True)
class VendorRule:
    """What errorlens should know about one API it cannot read unaided.

    ``hosts`` are host names or suffixes (``"api.inhouse.example"``,
    ``".inhouse.example"``). ``keys`` maps a record field (``"code"``, ``"message"``,
    ``"request_id"``, ``"type"``, ``"details"``, ``"retry_after"``) to extra body keys
    the generic reader should treat as that field. ``retryable_codes`` and
    ``permanent_codes`` override the status-based retry decision for those codes.

    .. versionadded:: 0.1.0
    """

    name: str
    hosts: tuple[str, ...] = ()
    keys: Mapping[str, Iterable[str]] = field(default_factory=dict)
    retryable_codes: frozenset[str] = frozenset()
    permanent_codes: frozenset[str] = frozenset()


_rules: dict[str, VendorRule] = {}
_lock = threading.Lock()
# Caches of what the rules said (vendors of urls): emptied when a rule comes or goes.
_dependents: list[Callable[[], None]] = []


def depends_on_rules(clear: Callable[[], None]) -> None:
    """Call ``clear`` whenever a vendor rule is registered or removed."""
    _dependents.append(clear)


def _rules_changed() -> None:
    for clear in _dependents:
        clear()


def register_vendor(
    name: str,
    *,
    hosts: Iterable[str] = (),
    keys: Mapping[str, Iterable[str]] | None = None,
    retryable_codes: Iterable[str] = (),
    permanent_codes: Iterable[str] = (),
) -> VendorRule:
    """Teach errorlens about an API: its hosts, its key names, its retry codes.

    >>> register_vendor("billing", hosts=[".billing.internal"],
    ...                 keys={"code": ["err_no"], "message": ["err_text"]})  # doctest: +SKIP

    .. versionadded:: 0.1.0
    """
    from errorlens._internal.reader import keys as _keys

    role_names = {
        "code": _keys.CODE,
        "type": _keys.TYPE,
        "message": _keys.MESSAGE,
        "details": _keys.DETAILS,
        "request_id": _keys.REQUEST_ID,
        "correlation_id": _keys.CORRELATION,
        "retry_after": _keys.RETRY_AFTER,
        "retryable": _keys.RETRYABLE,
    }
    rule = VendorRule(
        name=name.lower(),
        hosts=tuple(h.lower() for h in hosts),
        keys={k: tuple(v) for k, v in (keys or {}).items()},
        retryable_codes=frozenset(retryable_codes),
        permanent_codes=frozenset(permanent_codes),
    )
    for role_name, aliases in rule.keys.items():
        if role_name not in role_names:
            raise ValueError(f"unknown record field {role_name!r}; use one of {sorted(role_names)}")
        for alias in aliases:
            _keys.add_alias(alias, role_names[role_name])
    with _lock:
        _rules[rule.name] = rule
    _rules_changed()
    return rule


def unregister_vendor(name: str) -> None:
    """Forget a rule added by :func:`register_vendor` (its key aliases stay known)."""
    with _lock:
        _rules.pop(name.lower(), None)
    _rules_changed()


def rule_for(vendor: str | None) -> VendorRule | None:
    if vendor is None or not _rules:
        return None
    return _rules.get(vendor)


def host_of(url: str | None) -> str | None:
    """The lowercase host of ``url``, or None when it has none or does not parse."""
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def vendor_for_url(url: str | None) -> str | None:
    host = host_of(url)
    return vendor_for_host(host) if host else None


def vendor_for_host(host: str) -> str | None:
    """The vendor id of a host: ``api.openai.com`` -> ``openai``."""
    host = host.lower().rstrip(".")
    for rule in _rules.values():
        for pattern in rule.hosts:
            if host == pattern.lstrip(".") or (pattern.startswith(".") and host.endswith(pattern)):
                return rule.name
    return _registrable_name(host)


# An application calls a few hosts: each one's name is worked out once.
@lru_cache(maxsize=1024)
def _registrable_name(host: str) -> str | None:
    if not host or host in _RESERVED_NAMES or host.endswith(_RESERVED_SUFFIXES):
        return None
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) < 2:
        return None
    # Known multi-label services first: "x.blob.core.windows.net" -> windows -> azure.
    for label in reversed(labels[:-1]):
        if label in _ALIASES:
            return _ALIASES[label]
    index = len(labels) - 2
    if labels[index] in _SECOND_LEVEL and len(labels[-1]) == 2 and index > 0:
        index -= 1
    name = labels[index]
    return _ALIASES.get(name, name) or None


on_reset(_registrable_name.cache_clear)
