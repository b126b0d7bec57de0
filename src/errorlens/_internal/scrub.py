"""Keep secrets out of everything errorlens emits: one set of patterns, one walker.

Every output (log lines, span attributes, OpenTelemetry log bodies, Sentry events and
breadcrumbs, the console) cleans what it writes here. Text loses well-known token
formats, secret assignments (``api_key="..."``, ``"password": "..."``,
``password: ...``, JSON escaped inside a string) and url credentials
(:func:`redact_text`); JSON-like values are walked once, with bounded depth and size,
and lose the values of secret-named keys (:func:`redact_structure`).

Redaction fails closed: a value the walker cannot judge (one whose ``__eq__``,
``__bool__`` or ``__repr__`` raises) is replaced, never written as it is. Users add
their own text patterns with :func:`add_pattern`.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from errorlens._internal.state import STATE, on_reset

__all__ = [
    "BY_SHAPE",
    "PLAIN",
    "REDACTED",
    "SECRET",
    "add_pattern",
    "credential_shaped",
    "hides",
    "is_plain_key",
    "is_secret_name",
    "key_kind",
    "redact_repeated",
    "redact_structure",
    "redact_text",
    "redact_url",
    "redact_values",
    "redact_values_in",
    "scrub",
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
_SEPARATORS = str.maketrans("", "", "-_. ")

# Header names whose values are credentials, as they appear in text.
_HEADER_NAME_SOURCE = (
    r"(?i:\b(?:proxy-authorization|authorization|set-cookie|cookie|x-api-key|api-key|"
    r"x-goog-api-key|ocp-apim-subscription-key|x-auth-token|x-amz-security-token|"
    r"private-token))"
)
# "Authorization: ..." as plain text; a quoted name ("Authorization": ...) is a JSON or
# repr key, judged with its quoted value by the quoted-pair pattern.
_HEADER_PREFIX = re.compile(_HEADER_NAME_SOURCE + r"""\s*[:=]\s*["']?""")
# Urls inside free text (exception messages: requests' "... for url: https://...").
_URL_IN_TEXT = re.compile(r"""\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>]+""")
# The key just before "=" (or before a quoted pair's colon), percent-encoding allowed.
_KEY_BEFORE = re.compile(r"([A-Za-z0-9_\-.%]{1,48})[ \t]*$")

Replace = Callable[[re.Match[str]], str]


def _keep_prefix(match: re.Match[str]) -> str:
    text = match.group(0)
    header = _HEADER_PREFIX.match(text)
    if header is not None:
        return header.group(0) + REDACTED
    lower = text.lower()
    for prefix in ("bearer ", "basic ", "token ", "digest "):
        if lower.startswith(prefix):
            return text[: len(prefix)] + REDACTED
    return REDACTED


def _assignment(match: re.Match[str]) -> str:
    # key=value, key="value", key = 'value': the key before "=" decides; the quotes and
    # what surrounds them stay, so a traceback's source line remains readable.
    start = match.start()
    key = _KEY_BEFORE.search(match.string, max(0, start - 56), start)
    if key is None or not is_secret_name(unquote(key.group(1))):
        return match.group(0)
    value = match.group(2)
    quote = value[0] if value[0] in "\"'" else ""
    return "=" + match.group(1) + quote + REDACTED + quote


def _quoted_pair(match: re.Match[str]) -> str:
    # "password": "...", 'client_secret': '...' (JSON, a dict's repr).
    if not is_secret_name(match.group(2)):
        return match.group(0)
    value = match.group(4)
    quote = value[0] if value[0] in "\"'" else ""
    return match.group(0)[: match.start(4) - match.start()] + quote + REDACTED + quote


# The key just before ":", perhaps closing a quote (a JSON text escaped inside a string:
# \"password\": \"...\").
_KEY_BEFORE_COLON = re.compile(r"""([A-Za-z0-9_\-.%]{1,48})(?:\\?["'])?[ \t]*$""")
_ALREADY = (REDACTED, '"' + REDACTED, "'" + REDACTED, '\\"' + REDACTED)


def _colon_pair(match: re.Match[str]) -> str:
    # password: ..., \"client_secret\": \"...\" (text, YAML, escaped JSON). Prose says
    # "token: expired" and source code {"Authorization": auth} too: a bare value
    # counts only when it looks like a credential.
    start = match.start()
    key = _KEY_BEFORE_COLON.search(match.string, max(0, start - 60), start)
    value = match.group(2)
    if key is None or value.startswith(_ALREADY) or not is_secret_name(unquote(key.group(1))):
        return match.group(0)
    quote = value[:2] if value.startswith('\\"') else value[0] if value[0] in "\"'" else ""
    if not quote and not _looks_like_credential(value):
        return match.group(0)
    return ":" + match.group(1) + quote + REDACTED + quote


def _looks_like_credential(value: str) -> bool:
    return len(value) >= 12 or (len(value) >= 4 and any(c.isdigit() for c in value))


def _userinfo(match: re.Match[str]) -> str:
    return REDACTED + "@"


# Well-known credential formats, each with the lowercase literals one of which must
# occur in a text for the pattern to be worth running (most messages hold none, and
# then redaction costs a few substring checks), and how a match is replaced.
_TOKEN_PATTERNS: list[tuple[str, tuple[str, ...], Replace]] = [
    # Authorization header values written out in text.
    (r"(?i:\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*", ("bearer",), _keep_prefix),
    # "Basic"/"Token"/"Digest" are also plain words: only a value with a digit counts.
    (
        r"(?i:\b(?:basic|token|digest)\s+)(?=[A-Za-z\-._~+/]*[0-9])[A-Za-z0-9\-._~+/]{8,}=*",
        ("basic", "token", "digest"),
        _keep_prefix,
    ),
    # OpenAI / Anthropic / generic "sk-" keys, Stripe secret/restricted/publishable keys.
    (
        r"\b(?:sk|rk|pk)[-_](?:ant-|proj-|live_|test_|svcacct-|admin-)?[A-Za-z0-9\-_]{12,}",
        ("sk-", "sk_", "rk-", "rk_", "pk-", "pk_"),
        _keep_prefix,
    ),
    (r"\bwhsec_[A-Za-z0-9]{8,}", ("whsec_",), _keep_prefix),
    # Slack tokens and webhooks.
    (r"\bxox[abposr]-[A-Za-z0-9-]{10,}", ("xox",), _keep_prefix),
    (r"hooks\.slack\.com/services/[A-Za-z0-9/]+", ("hooks.slack.com",), _keep_prefix),
    # GitHub and GitLab tokens.
    (r"\bgh[pousr]_[A-Za-z0-9]{20,}", ("gh",), _keep_prefix),
    (r"\bgithub_pat_[A-Za-z0-9_]{20,}", ("github_pat_",), _keep_prefix),
    (r"\bglpat-[A-Za-z0-9\-_]{16,}", ("glpat-",), _keep_prefix),
    # AWS access key ids.
    (
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
        ("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"),
        _keep_prefix,
    ),
    # Google API keys.
    (r"\bAIza[0-9A-Za-z\-_]{35}\b", ("aiza",), _keep_prefix),
    # JSON Web Tokens.
    (
        r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}",
        ("eyj",),
        _keep_prefix,
    ),
    # key=value pairs whose key is secret-named (query strings, log lines, keyword
    # arguments on a traceback's source line); ``_assignment`` judges the key.
    (
        # The "=" comes first, so the engine can search for it; the look-behind
        # after it rules out "==", "!=", "<=" and ">=" as the start did.
        r"""=(?<![=!<>]=)(?!=)([ \t]*)("[^"\r\n]*"|'[^'\r\n]*'|[^\s&#"',;()]+)""",
        ("=",),
        _assignment,
    ),
    # "key": "value" pairs (JSON, a dict's repr) whose key is secret-named.
    (
        r"""(["'])([A-Za-z0-9_\-.]{1,48})\1([ \t]*:[ \t]*)"""
        r"""("(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*'|-?[0-9][\w.+-]*)""",
        ('":', "':", '" :', "' :"),
        _quoted_pair,
    ),
    # key: value pairs whose key is secret-named, the key bare, quoted or escaped-quoted
    # (``password: hunter2``, ``\"token\": \"...\"``); not "://" nor "::". Every secret
    # name holds one of the triggers.
    (
        r""":(?![/:])([ \t]*)(\\"(?:[^"\\\r\n]|\\[^"\r\n])*\\"|"(?:[^"\\\r\n]|\\.)*"|"""
        r"""'(?:[^'\\\r\n]|\\.)*'|[^\s"',;()\[\]{}<>\\]+)""",
        (
            "auth",
            "cookie",
            "key",
            "pass",
            "pwd",
            "secret",
            "token",
            "sig",
            "cred",
            "session",
            "verifier",
        ),
        _colon_pair,
    ),
    # userinfo in urls inside text: everything before the authority's last "@", so
    # neither a bare token (https://TOKEN@host) nor an "@" inside a password leaks.
    (r"(?<=://)[^\s/?#]*@", ("@",), _userinfo),
    # Credential headers written out in text: "Authorization: ...". The value runs to a
    # quote or the line's end.
    (
        _HEADER_NAME_SOURCE + r"""\s*[:=]\s*["']?[^"'\r\n]+""",
        ("authoriz", "cookie", "api-key", "auth-token", "security-token", "private-token"),
        _keep_prefix,
    ),
]

# The reader keys its caches of redacted text on len(_compiled): add_pattern grows it.
_compiled: list[tuple[re.Pattern[str], tuple[str, ...], Replace]] = [
    (re.compile(source), triggers, replace) for source, triggers, replace in _TOKEN_PATTERNS
]
# (trigger, pattern index) in one flat tuple: one substring check each, in a tight loop.
_triggers: tuple[tuple[str, int], ...] = tuple(
    (trigger, index) for index, (_, triggers, _r) in enumerate(_compiled) for trigger in triggers
)


def _one_of(literals: Iterable[str]) -> str:
    """A regular expression for any of ``literals``, as a tree of their common
    prefixes: the engine tries one branch per character, not one per literal."""
    tree: dict[str, Any] = {}
    for literal in literals:
        node = tree
        for char in literal:
            node = node.setdefault(char, {})
        node[""] = {}
    return _branches(tree)


def _branches(node: dict[str, Any]) -> str:
    if "" in node:  # a literal ends here: the shortest one is match enough
        return ""
    parts = [re.escape(char) + _branches(rest) for char, rest in sorted(node.items())]
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


# The patterns that redact only under a secret-named key (``key=value``, ``"key":
# value``, ``key: value``), with whether that key is percent-decoded first. Such a key, folded as
# is_secret_name folds it, holds a secret name or suffix; and it is a run of the text
# itself (replacements add "[REDACTED]" and brackets, which no key holds), so the
# text folded the same way holds one too. A text without any (and without "%", which
# decoding may turn into anything) is not worth the pattern: most "=" are not secrets.
_KEYED: dict[int, bool] = {
    index: replace is not _quoted_pair
    for index, (_, _, replace) in enumerate(_compiled)
    if replace in (_assignment, _quoted_pair, _colon_pair)
}


def _secret_fragments() -> re.Pattern[str]:
    words = _SECRET_NAMES | set(_SECRET_SUFFIXES)
    # A word holding a shorter one ("apikey" holds "key") adds nothing to the search.
    shortest = sorted(w for w in words if not any(o != w and o in w for o in words))
    return re.compile(_one_of(shortest))


_SECRET_FRAGMENT = _secret_fragments()


def redact_text(text: str) -> str:
    """``text`` with every known credential format replaced by ``[REDACTED]``."""
    if len(text) <= _JUDGED_TEXT_MAX and not _judged(text):
        return text  # nothing to redact (module names, source lines: judged once)
    scan = _trigger_pattern()
    lower = text.lower()
    due = [] if scan is not None and scan.search(lower) is None else list(_due(lower))
    for index in due:
        pattern, _, replace = _compiled[index]
        text = pattern.sub(replace, text)
    if "://" in text and "?" in text:
        text = _URL_IN_TEXT.sub(_redact_query_in_match, text)
    return text


def _due(lower: str) -> Iterator[int]:
    """The patterns worth running, in order, on a text whose lowercase is ``lower``:
    one of their triggers is in it (and, for a keyed pattern, a secret name)."""
    done = -1
    folded: str | None = None
    for trigger, index in _triggers:
        if index == done or trigger not in lower:
            continue
        done = index
        decoded = _KEYED.get(index)
        if decoded is not None:
            if folded is None:
                folded = lower.translate(_SEPARATORS)
            if _SECRET_FRAGMENT.search(folded) is None and not (decoded and "%" in lower):
                continue
        yield index


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
        if eq and value and value != REDACTED and is_secret_name(unquote(name)):
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
    _compiled.append((compiled, ("",), _whole))
    _triggers = (*_triggers, ("", len(_compiled) - 1))
    _new_memos()  # a text judged clean, or redacted, before may hold this pattern


def pattern_count() -> int:
    """How many patterns redaction has: caches of redacted text key on it."""
    return len(_compiled)


def _whole(match: re.Match[str]) -> str:
    return REDACTED


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True for header, parameter and key names that carry credentials."""
    folded = name.lower().translate(_SEPARATORS)
    return folded in _SECRET_NAMES or folded.endswith(_SECRET_SUFFIXES)


# How a key of a JSON-like value names what it holds: a credential whatever the value
# (``password``, ``SignatureProvided``), a credential only when the value has the
# shape of one (``key``: an API key, or S3's object key ``photos/puppy.jpg``;
# ``StringToSign``: what was signed, not the signature), or nothing secret.
PLAIN, BY_SHAPE, SECRET = 0, 1, 2
_BY_SHAPE_NAMES = frozenset({"key", "sig"})
_BY_SHAPE_WORDS = frozenset({"sign"})
_SECRET_WORDS = frozenset({"signature", "password", "passwd", "secret", "credential"})
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@functools.lru_cache(maxsize=4096)
def key_kind(name: str) -> int:
    """:data:`SECRET`, :data:`BY_SHAPE` or :data:`PLAIN`, from the words of ``name``."""
    folded = name.lower().translate(_SEPARATORS)
    words = {word.lower() for word in _WORDS.findall(name)}
    if folded in _BY_SHAPE_NAMES:
        return BY_SHAPE
    if is_secret_name(name) or not words.isdisjoint(_SECRET_WORDS):
        return SECRET
    return BY_SHAPE if not words.isdisjoint(_BY_SHAPE_WORDS) else PLAIN


# How many keys judged plain are remembered (lines repeat their keys).
_PLAIN_KEYS_MAX = 4096


def is_plain_key(key: str) -> bool:
    """Whether the key ``name`` is :data:`PLAIN`; a plain key is remembered in
    ``STATE.plain_keys``, which every output's hot path reads first."""
    if key_kind(key) != PLAIN:
        return False
    plain_keys = STATE.plain_keys
    if len(plain_keys) < _PLAIN_KEYS_MAX:
        plain_keys.add(key)
    return True


_CLASS_OF = {**dict.fromkeys("0123456789", 1), **dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 2)}


def credential_shaped(value: str) -> bool:
    """Whether ``value`` looks like a key, token or signature rather than a name or a path.

    One opaque run (no space, no dot of a file name or a host), at least 16 characters,
    whose letters and digits change class (digit, upper, lower) often, as random
    strings do and words, dates and paths do not: ``wJalrXUtnFEMI/K7MDENG/...`` is
    one, ``photos/2006/February/sample.jpg`` and ``invoices/2024/03/INV-000123`` are not.
    """
    if len(value) < 16 or "." in value or any(c.isspace() for c in value[:4096]):
        return False
    classes = [_CLASS_OF.get(c, 3) for c in value[:256] if c.isalnum()]
    changes = sum(1 for a, b in itertools.pairwise(classes) if a != b)
    return len(classes) >= 12 and changes >= 0.2 * len(classes)


def hides(name: Any, value: Any) -> bool:
    """Whether the value under the key ``name`` is a secret (see :func:`key_kind`)."""
    if type(name) is not str:
        if not isinstance(name, str):
            return False
        name = str(name)
    kind = key_kind(name)
    if kind == PLAIN or _left_as_is(value):
        return False
    if kind == BY_SHAPE:
        return type(value) is str and credential_shaped(value)
    return True


# Bytes written out as hex pairs ("47 45 54 0a ..."), as S3 echoes what it signed: the
# text they spell is judged like any other.
_HEX_BYTES = re.compile(r"[0-9a-fA-F]{2}(?: [0-9a-fA-F]{2}){7,}")


def _hex_hides_secret(text: str) -> bool:
    if text[2:3] != " " or _HEX_BYTES.fullmatch(text) is None:
        return False
    spelled = bytes.fromhex(text).decode("utf-8", "replace")
    return redact_text(spelled) != spelled


def redact_repeated(text: str) -> str:
    """:func:`redact_text`, remembered for texts that repeat."""
    if len(text) <= _REPEATED_TEXT_MAX:
        return _redact_remembered(text)
    return redact_text(text)


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


_trigger_scan: tuple[object, re.Pattern[str] | None] | None = None


def _trigger_pattern() -> re.Pattern[str] | None:
    """One search for every trigger; None when a user pattern (its trigger is the
    empty string) may match any text. Rebuilt when add_pattern changes the triggers."""
    global _trigger_scan  # noqa: PLW0603 - rebuilt when add_pattern changes the triggers
    scan = _trigger_scan
    if scan is None or scan[0] is not _triggers:
        literals = {trigger for trigger, _ in _triggers}
        pattern = None if "" in literals else re.compile(_one_of(literals))
        scan = _trigger_scan = (_triggers, pattern)
    return scan[1]


def might_hold_secret(text: str) -> bool:
    """False when :func:`redact_text` would leave ``text`` as it is: one scan of its
    lowercase (and, when it holds "=" or a quoted key, one for a secret name).

    Cheaper than :func:`redact_text` on text that holds nothing, which is most text.
    Log messages repeat ("order placed"): short texts are judged once.
    """
    if len(text) <= _JUDGED_TEXT_MAX:
        return _judged(text)
    return _holds_secret(text)


def _holds_secret(text: str) -> bool:
    scan = _trigger_pattern()
    if scan is None:
        return True  # a user pattern may match any text
    # "://" (with a "?") starts the url pass of redact_text.
    lower = text.lower()
    return "://" in lower or (
        scan.search(lower) is not None and next(_due(lower), None) is not None
    )


# Texts that come back again and again, each cache an lru_cache bounded in count and in
# text length: whether a short text might hold a secret (log messages, field values,
# module names), and what redact_text made of a text (the frames of a traceback raised
# on the same path, a vendor's fixed message; at most about 2 MiB in all). Made anew
# when a pattern is added (what redaction gives changes) and when errorlens forgets
# what it remembered (unconfigure(), a forked child): made anew rather than cleared, so
# that a text judged meanwhile with the old patterns lands in the old cache, which
# nobody reads any more.
_JUDGED_MAX = 2048
_JUDGED_TEXT_MAX = 256
_REPEATED_MAX = 1024
_REPEATED_TEXT_MAX = 2048


def _new_memos() -> None:
    global _judged, _redact_remembered  # noqa: PLW0603 - the caches are made anew
    _judged = functools.lru_cache(maxsize=_JUDGED_MAX)(_holds_secret)
    _redact_remembered = functools.lru_cache(maxsize=_REPEATED_MAX)(redact_text)


_judged: functools._lru_cache_wrapper[bool]
_redact_remembered: functools._lru_cache_wrapper[str]
_new_memos()
on_reset(_new_memos)


# -- the walker: one bounded pass over JSON-like values ---------------------------------

# How deep and how many containers and objects one walk visits before the rest is
# elided: a wide cycle (a dict that holds itself fifty times) ends in bounded time.
_MAX_DEPTH = 12
_MAX_NODES = 5000
_MAX_SECRETS = 64
_BYTES_SHOWN = 4096
ELIDED = "\u2026"
UNREPRESENTABLE = "<unrepresentable>"
_SCALARS = (bool, int, float)


def _left_as_is(value: Any) -> bool:
    """Values under a secret-named key that are kept: nothing, or a flag.

    Judged by type alone: a value's own ``__eq__`` or ``__bool__`` may raise.
    """
    if value is None or type(value) is bool:
        return True
    return type(value) in (str, list, dict, tuple) and len(value) == 0


class _Walk:
    """One walk: the budget left, the secrets met, and how text is cleaned."""

    __slots__ = ("budget", "clean_text", "secrets")

    def __init__(self, clean_text: Callable[[str], str], secrets: list[str]) -> None:
        self.budget = _MAX_NODES
        self.clean_text = clean_text
        self.secrets = secrets

    def value(self, value: Any, depth: int) -> Any:
        if type(value) is str:
            cleaned = self.clean_text(value)
            if cleaned == value:
                hex_pairs = len(value) >= 23 and value[2:3] == " "
                return REDACTED if hex_pairs and _hex_hides_secret(value) else value
            return cleaned
        if value is None or isinstance(value, _SCALARS):
            return value
        self.budget -= 1
        if depth > _MAX_DEPTH or self.budget < 0:
            return ELIDED
        if isinstance(value, Mapping):
            return self.mapping(value, depth)
        if isinstance(value, list | tuple | set | frozenset):
            return self.sequence(value, depth)
        if isinstance(value, bytes | bytearray):
            text = bytes(value[:_BYTES_SHOWN]).decode("utf-8", "replace")
            cleaned = self.clean_text(text)
            return value if cleaned == text and len(value) <= _BYTES_SHOWN else cleaned
        return self.other(value, depth)

    def mapping(self, value: Mapping[Any, Any], depth: int) -> Any:
        try:
            items = list(value.items())
        except Exception:
            return REDACTED  # a mapping that will not show its items: not judged, not sent
        out: dict[Any, Any] = {}
        changed = False
        for key, item in items:
            if hides(key, item):
                if type(item) is str and item != REDACTED and len(self.secrets) < _MAX_SECRETS:
                    self.secrets.append(item)
                cleaned: Any = REDACTED
            else:
                cleaned = self.value(item, depth + 1)
            changed = changed or cleaned is not item
            out[key] = cleaned
        return out if changed or not isinstance(value, dict) else value

    def sequence(self, value: Any, depth: int) -> Any:
        try:
            items = list(value)
        except Exception:
            return REDACTED
        cleaned = [self.value(item, depth + 1) for item in items]
        if type(value) in (list, tuple) and all(
            a is b for a, b in zip(cleaned, items, strict=True)
        ):
            return value
        return tuple(cleaned) if isinstance(value, tuple) else cleaned

    def other(self, value: Any, depth: int) -> Any:
        # Outputs show other objects by their repr (an exception's holds its url): the
        # object stays when its repr is clean, else the cleaned repr replaces it.
        try:
            shown = repr(value)
        except Exception:
            return UNREPRESENTABLE
        if type(shown) is not str:
            return UNREPRESENTABLE
        cleaned = self.clean_text(shown)
        return value if cleaned == shown else cleaned


def _walk(value: Any, secrets: list[str]) -> Any:
    def clean(text: str) -> str:
        text = redact_text(text)
        return redact_values(text, secrets) if secrets else text

    found = len(secrets)
    cleaned = _Walk(clean, secrets).value(value, 0)
    if len(secrets) > found:
        # Values met under secret-named keys leave the text met before them as well.
        cleaned = redact_values_in(cleaned, secrets[found:])
    return cleaned


def redact_structure(value: Any, secrets: list[str]) -> Any:
    """``value`` (nested mappings, lists, text, objects) with nothing secret left in it.

    Values under secret-named keys become ``[REDACTED]`` and are also removed wherever
    else they appear; text loses token formats, url credentials and each value of
    ``secrets`` (to which the values found are added). Other objects are replaced by
    their redacted ``repr`` only when that repr held a secret, by a placeholder when it
    cannot be made. The walk is bounded (depth 12, a few thousand containers): what lies
    beyond is elided. Returns ``value`` itself when nothing changed.

    >>> from errorlens._internal.scrub import redact_structure
    >>> redact_structure({"password": "hunter2hunter2", "event": "hunter2hunter2 rejected"}, [])
    {'password': '[REDACTED]', 'event': '[REDACTED] rejected'}
    """
    return _walk(value, secrets)


def scrub(value: Any, secrets: list[str]) -> Any:
    """:func:`redact_structure`, for a vendor's details (the values found go to ``secrets``)."""
    return _walk(value, secrets)


def redact_values_in(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` (nested dicts and lists) with each of ``secrets`` replaced in its text.

    Only those values change (no token formats): for text that is redacted already.
    Returns ``value`` itself when nothing changed.
    """
    found = tuple(secrets)
    if not found:
        return value
    return _Walk(lambda text: redact_values(text, found), []).value(value, 0)
