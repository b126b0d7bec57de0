"""Keep secrets out of everything errorlens emits.

Three mechanisms, used by every output: secret-named headers are dropped, urls lose
their userinfo and secret query values, and text loses well-known token formats.
Users add their own text patterns with :func:`add_pattern`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "REDACTED",
    "add_pattern",
    "is_secret_name",
    "redact_text",
    "redact_url",
]

REDACTED = "[REDACTED]"

# Names (headers, query parameters, JSON keys) whose values are credentials, compared
# with separators and case folded away: "X-Api-Key" -> "xapikey".
_SECRET_NAMES = frozenset(
    {
        "authorization",
        "proxyauthorization",
        "cookie",
        "setcookie",
        "auth",
        "key",
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "sig",
        "signature",
        "apikey",
        "credential",
        "credentials",
        "sessionid",
        "codeverifier",
        "xgoogapikey",
        "ocpapimsubscriptionkey",
        "xamzsecuritytoken",
        "xamzsignature",
        "xamzcredential",
    }
)
_SECRET_SUFFIXES = (
    "password",
    "passwd",
    "secret",
    "apikey",
    "accesskey",
    "privatekey",
    "secretkey",
    "token",
    "signature",
    "credential",
    "credentials",
    "cookie",
    "sessionid",
)
_name_cache: dict[str, bool] = {}
_SEPARATORS = str.maketrans("", "", "-_. ")

# Well-known credential formats. Each pattern keeps a short recognisable prefix so a
# reader still sees what kind of secret was there.
_TOKEN_PATTERNS: list[str] = [
    # Authorization header values written out in text.
    r"(?i:\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*",
    # "Basic"/"Token"/"Digest" are also plain words: only a value with a digit counts.
    r"(?i:\b(?:basic|token|digest)\s+)(?=[A-Za-z\-._~+/]*[0-9])[A-Za-z0-9\-._~+/]{8,}=*",
    # OpenAI / Anthropic / generic "sk-" keys, Stripe secret/restricted/publishable keys.
    r"\b(?:sk|rk|pk)[-_](?:ant-|proj-|live_|test_|svcacct-|admin-)?[A-Za-z0-9\-_]{12,}",
    r"\b(?:sk|rk|pk|whsec)_(?:live|test)_[A-Za-z0-9]{8,}",
    # Slack tokens and webhooks.
    r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    r"hooks\.slack\.com/services/[A-Za-z0-9/]+",
    # GitHub tokens.
    r"\bgh[pousr]_[A-Za-z0-9]{20,}",
    r"\bgithub_pat_[A-Za-z0-9_]{20,}",
    # GitLab personal tokens.
    r"\bglpat-[A-Za-z0-9\-_]{16,}",
    # AWS access key ids.
    r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
    # Google API keys.
    r"\bAIza[0-9A-Za-z\-_]{35}\b",
    # JSON Web Tokens.
    r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}",
    # key=value pairs with a secret name, in text (query strings, log lines).
    r"(?i:(?<![A-Za-z0-9])(?:api[-_]?key|apikey|access[-_]?token|refresh[-_]?token|"
    r"client[-_]?secret|password|passwd|secret|token|signature|sig|key)=)[^\s&#\"']+",
    # userinfo in urls inside text.
    r"(?<=://)[^\s/@:]+:[^\s/@]+(?=@)",
]

_compiled: re.Pattern[str] = re.compile("|".join(f"(?:{p})" for p in _TOKEN_PATTERNS))
# A cheap pre-check: no candidate prefix anywhere means no regex work at all.
_HINT = re.compile(
    r"(?i)bearer|basic|token|digest|sk[-_]|rk[-_]|pk[-_]|whsec|xox|hooks\.|gh[pousr]_|"
    r"github_pat|glpat|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|AIza|eyJ|=|://"
)


def _keep_prefix(match: re.Match[str]) -> str:
    text = match.group(0)
    lower = text.lower()
    for prefix in ("bearer ", "basic ", "token ", "digest "):
        if lower.startswith(prefix):
            return text[: len(prefix)] + REDACTED
    eq = text.find("=")
    if 0 < eq < 40 and not text.startswith("eyJ"):
        return text[: eq + 1] + REDACTED
    return REDACTED


def redact_text(text: str) -> str:
    """``text`` with every known credential format replaced by ``[REDACTED]``."""
    if not _HINT.search(text):
        return text
    return _compiled.sub(_keep_prefix, text)


def add_pattern(pattern: str | re.Pattern[str]) -> None:
    """Also redact ``pattern`` (a regular expression) wherever errorlens writes text.

    .. versionadded:: 0.1.0
    """
    global _compiled, _HINT  # noqa: PLW0603 - one compiled alternation shared by all outputs
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    re.compile(source)  # fail here, at configuration time, if it is not valid
    _TOKEN_PATTERNS.append(source)
    _compiled = re.compile("|".join(f"(?:{p})" for p in _TOKEN_PATTERNS))
    # A user pattern may match anything: the pre-check can no longer rule text out.
    _HINT = re.compile("")


def is_secret_name(name: str) -> bool:
    """True for header, parameter and key names that carry credentials."""
    known = _name_cache.get(name)
    if known is not None:
        return known
    folded = name.lower().translate(_SEPARATORS)
    secret = folded in _SECRET_NAMES or folded.endswith(_SECRET_SUFFIXES)
    if len(_name_cache) < 4096:
        _name_cache[name] = secret
    return secret


def redact_url(url: str) -> str:
    """``url`` without userinfo, with secret query values replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_name(k) for k, _ in pairs):
            query = urlencode(
                [(k, REDACTED if is_secret_name(k) else v) for k, v in pairs], safe="[]"
            )
    if netloc is parts.netloc and query is parts.query:
        return redact_text(url)
    return redact_text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def redact_values(text: str, values: Iterable[str]) -> str:
    """``text`` with each of ``values`` (secrets found elsewhere) replaced."""
    for value in values:
        if len(value) >= 6 and value in text:
            text = text.replace(value, REDACTED)
    return text


def scrub(value: Any, secrets: list[str], depth: int = 0) -> Any:
    """A JSON-safe value with secret-named keys' values replaced; collects them."""
    if depth > 12:
        return None
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k)
            if is_secret_name(key) and v not in (None, "", [], {}):
                if isinstance(v, str):
                    secrets.append(v)
                out[key] = REDACTED
            else:
                out[key] = scrub(v, secrets, depth + 1)
        return out
    if isinstance(value, list):
        return [scrub(v, secrets, depth + 1) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
