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
    "redact_structure",
    "redact_text",
    "redact_url",
    "redact_values",
    "redact_values_in",
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

# Header names whose values are credentials, as they appear in text.
_HEADER_NAME_SOURCE = (
    r"(?i:\b(?:proxy-authorization|authorization|set-cookie|cookie|x-api-key|api-key|"
    r"x-goog-api-key|ocp-apim-subscription-key|x-auth-token|x-amz-security-token))"
)
_HEADER_PREFIX = re.compile(_HEADER_NAME_SOURCE + r"""["']?\s*[:=]\s*["']?""")
# Urls inside free text (exception messages: requests' "... for url: https://...").
_URL_IN_TEXT = re.compile(r"""\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>]+""")

# Well-known credential formats, each with the lowercase literals one of which must
# occur in a text for the pattern to be worth running: most messages hold none, and
# then redaction costs a few substring checks.
_TOKEN_PATTERNS: list[tuple[str, tuple[str, ...]]] = [
    # Authorization header values written out in text.
    (r"(?i:\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*", ("bearer ",)),
    # "Basic"/"Token"/"Digest" are also plain words: only a value with a digit counts.
    (
        r"(?i:\b(?:basic|token|digest)\s+)(?=[A-Za-z\-._~+/]*[0-9])[A-Za-z0-9\-._~+/]{8,}=*",
        ("basic ", "token ", "digest "),
    ),
    # OpenAI / Anthropic / generic "sk-" keys, Stripe secret/restricted/publishable keys.
    (
        r"\b(?:sk|rk|pk)[-_](?:ant-|proj-|live_|test_|svcacct-|admin-)?[A-Za-z0-9\-_]{12,}",
        ("sk-", "sk_", "rk-", "rk_", "pk-", "pk_"),
    ),
    (r"\bwhsec_[A-Za-z0-9]{8,}", ("whsec_",)),
    # Slack tokens and webhooks.
    (r"\bxox[abposr]-[A-Za-z0-9-]{10,}", ("xox",)),
    (r"hooks\.slack\.com/services/[A-Za-z0-9/]+", ("hooks.slack.com",)),
    # GitHub and GitLab tokens.
    (r"\bgh[pousr]_[A-Za-z0-9]{20,}", ("gh",)),
    (r"\bgithub_pat_[A-Za-z0-9_]{20,}", ("github_pat_",)),
    (r"\bglpat-[A-Za-z0-9\-_]{16,}", ("glpat-",)),
    # AWS access key ids.
    (
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
        ("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"),
    ),
    # Google API keys.
    (r"\bAIza[0-9A-Za-z\-_]{35}\b", ("aiza",)),
    # JSON Web Tokens.
    (r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}", ("eyj",)),
    # key=value pairs whose key is secret-named, in text (query strings, log lines). The
    # pattern starts at the "=" (a literal the regex engine scans for fast); the key
    # before it is judged by ``is_secret_name`` in ``_assignment``.
    (r"=[^\s&#\"']+", ("=",)),
    # userinfo in urls inside text.
    (r"(?<=://)[^\s/@:]+:[^\s/@]+(?=@)", ("@",)),
    # Credential headers written out in text: "Authorization: ...", "'Cookie': '...'" (a
    # repr of a headers dict). The value runs to the closing quote or the line's end.
    (
        _HEADER_NAME_SOURCE + r"""["']?\s*[:=]\s*["']?[^"'\r\n]+""",
        ("authoriz", "cookie", "api-key", "auth-token", "security-token"),
    ),
]

_compiled: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(source), triggers) for source, triggers in _TOKEN_PATTERNS
]
_ASSIGNMENT = next(p for p, triggers in _compiled if triggers == ("=",))
# (trigger, pattern index) in one flat tuple: one substring check each, in a tight loop.
_triggers: tuple[tuple[str, int], ...] = tuple(
    (trigger, index) for index, (_, triggers) in enumerate(_compiled) for trigger in triggers
)


_KEY_BEFORE = re.compile(r"[A-Za-z0-9_\-.]{1,40}$")


def _assignment(match: re.Match[str]) -> str:
    start = match.start()
    key = _KEY_BEFORE.search(match.string, max(0, start - 40), start)
    if key is not None and is_secret_name(key.group(0)):
        return "=" + REDACTED
    return match.group(0)


def _keep_prefix(match: re.Match[str]) -> str:
    text = match.group(0)
    header = _HEADER_PREFIX.match(text)
    if header is not None:
        return header.group(0) + REDACTED
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
    lower = text.lower()
    done = -1
    for trigger, index in _triggers:
        if index != done and trigger in lower:
            pattern = _compiled[index][0]
            text = pattern.sub(_assignment if pattern is _ASSIGNMENT else _keep_prefix, text)
            done = index
    if "://" in text and "?" in text:
        text = _URL_IN_TEXT.sub(_redact_query_in_match, text)
    return text


def _redact_query_in_match(match: re.Match[str]) -> str:
    # Query parameters the token patterns do not know by name (``X-Amz-Credential``,
    # ``code_verifier``, ``session_id``...) are judged by ``is_secret_name``. Only the
    # secret values change: the rest of the url stays byte for byte.
    url = match.group(0)
    start = url.find("?")
    if start < 0:
        return url
    end = url.find("#", start)
    query = url[start + 1 :] if end < 0 else url[start + 1 : end]
    pairs = query.split("&")
    changed = False
    for index, pair in enumerate(pairs):
        name, eq, value = pair.partition("=")
        if eq and value and value != REDACTED and is_secret_name(name):
            pairs[index] = name + "=" + REDACTED
            changed = True
    if not changed:
        return url
    rest = "" if end < 0 else url[end:]
    return url[: start + 1] + "&".join(pairs) + rest


def add_pattern(pattern: str | re.Pattern[str]) -> None:
    """Also redact ``pattern`` (a regular expression) wherever errorlens writes text.

    >>> add_pattern(r"acct_[0-9]{6,}")  # doctest: +SKIP

    .. versionadded:: 0.1.0
    """
    global _triggers  # noqa: PLW0603 - rebuilt once per added pattern
    compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
    # A user pattern has no known trigger: the empty string is in every text.
    _compiled.append((compiled, ("",)))
    _triggers = (*_triggers, ("", len(_compiled) - 1))


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
    query = redact_query(parts.query) if parts.query else parts.query
    if netloc is parts.netloc and query is parts.query:
        return redact_text(url)
    return redact_text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def redact_query(query: str) -> str:
    """A query string with the values of secret-named parameters replaced.

    Returns ``query`` itself when no parameter name is secret.
    """
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(is_secret_name(k) for k, _ in pairs):
        return urlencode([(k, REDACTED if is_secret_name(k) else v) for k, v in pairs], safe="[]")
    return query


def redact_values(text: str, values: Iterable[str]) -> str:
    """``text`` with each of ``values`` (secrets found elsewhere) replaced."""
    for value in values:
        if len(value) >= 6 and value in text:
            text = text.replace(value, REDACTED)
    return text


# How deep errorlens follows nested dicts and lists before it gives up on a value.
_STRUCTURE_DEPTH = 12


def scrub(value: Any, secrets: list[str]) -> Any:
    """A JSON-safe value with secret-named keys' values replaced; collects them.

    The values collected into ``secrets`` are also removed from the value's other text
    (a message that echoes the password sent beside it).
    """
    found = len(secrets)
    value = _scrub(value, secrets, 0)
    return redact_values_in(value, secrets) if len(secrets) > found else value


def _scrub(value: Any, secrets: list[str], depth: int) -> Any:
    if depth > _STRUCTURE_DEPTH:
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
                out[key] = _scrub(v, secrets, depth + 1)
        return out
    if isinstance(value, list):
        return [_scrub(v, secrets, depth + 1) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_values_in(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` (nested dicts and lists) with each of ``secrets`` replaced in its text.

    Only those values change (no token formats): for text that is redacted already.
    Returns ``value`` itself when nothing changed.
    """
    secrets = tuple(secrets)
    return _values_in(value, secrets, 0) if secrets else value


def _values_in(value: Any, secrets: tuple[str, ...], depth: int) -> Any:
    if isinstance(value, str):
        return redact_values(value, secrets)
    if depth > _STRUCTURE_DEPTH:
        return value
    if isinstance(value, dict):
        out = {key: _values_in(item, secrets, depth + 1) for key, item in value.items()}
        return value if all(out[key] is item for key, item in value.items()) else out
    if isinstance(value, list):
        items = [_values_in(item, secrets, depth + 1) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


_trigger_scan: tuple[object, re.Pattern[str] | None] | None = None


def might_hold_secret(text: str) -> bool:
    """False when no redaction pattern can match ``text``: one scan of its lowercase.

    Cheaper than :func:`redact_text` on text that holds nothing, which is most text.
    """
    global _trigger_scan  # noqa: PLW0603 - rebuilt when add_pattern changes the triggers
    scan = _trigger_scan
    if scan is None or scan[0] is not _triggers:
        literals = sorted({trigger for trigger, _ in _triggers}, key=len, reverse=True)
        # A user pattern has the empty trigger: every text may match it. "://" (with a
        # "?") starts the url pass of redact_text.
        pattern = (
            None
            if "" in literals
            else re.compile("|".join(re.escape(literal) for literal in [*literals, "://"]))
        )
        scan = _trigger_scan = (_triggers, pattern)
    return scan[1] is None or scan[1].search(text.lower()) is not None


def redact_structure(value: Any, secrets: list[str]) -> Any:
    """``value`` (a log event: nested dicts and lists) with nothing secret left in it.

    Values under secret-named keys become ``[REDACTED]`` and are also removed wherever
    else they appear; text loses token formats, url credentials and each value of
    ``secrets`` (to which the values found are added). Other objects are replaced by
    their redacted ``repr`` only when that repr held a secret. Returns ``value`` itself
    when nothing changed.

    >>> redact_structure({"password": "hunter2hunter2", "event": "hunter2hunter2 rejected"}, [])
    {'password': '[REDACTED]', 'event': '[REDACTED] rejected'}
    """
    _collect_named(value, secrets, 0)
    return _redact_structure(value, secrets, 0)


def _collect_named(value: Any, secrets: list[str], depth: int) -> None:
    if depth > _STRUCTURE_DEPTH or len(secrets) >= 64:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and is_secret_name(key):
                if isinstance(item, str) and item != REDACTED and item not in secrets:
                    secrets.append(item)
            elif isinstance(item, dict | list | tuple):
                _collect_named(item, secrets, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, dict | list | tuple):
                _collect_named(item, secrets, depth + 1)


def _redact_structure(value: Any, secrets: list[str], depth: int) -> Any:
    if isinstance(value, str):
        cleaned = redact_text(value)
        if secrets:
            cleaned = redact_values(cleaned, secrets)
        return cleaned if cleaned != value else value
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth > _STRUCTURE_DEPTH:
        return "\u2026"
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        changed = False
        for key, item in value.items():
            if (
                isinstance(key, str)
                and item is not None
                and item != ""
                and not isinstance(item, bool)
                and is_secret_name(key)
            ):
                cleaned_item: Any = REDACTED
            else:
                cleaned_item = _redact_structure(item, secrets, depth + 1)
            changed = changed or cleaned_item is not item
            out[key] = cleaned_item
        return out if changed else value
    if isinstance(value, list | tuple):
        items = [_redact_structure(item, secrets, depth + 1) for item in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    try:
        shown = repr(value)
    except Exception:
        return "<unrepresentable>"
    cleaned = _redact_structure(shown, secrets, depth + 1)
    return cleaned if cleaned is not shown else value
