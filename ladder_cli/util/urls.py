"""Database URLs as the tool shows them: the password masked, and scrubbed from any text.

libpq reads more URL shapes than :func:`urllib.parse.urlsplit` does (a ``#``, ``?`` or
``@`` in the password, several hosts, ``key=value`` strings), so each function here finds
the password the way libpq would before it hides it.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, urlsplit, urlunsplit


def mask_url(url: str, *, hide_password: bool = False) -> str:
    """The URL with its password replaced by ``***`` (or removed): safe to print."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises for several hosts or a port that is no number
    except ValueError:
        return _mask_raw(url, hide_password=hide_password)
    authority = url.partition("://")[2].partition("/")[0]
    if "://" not in url or parts.fragment or ("@" in authority and "@" not in parts.netloc):
        # libpq reads a '#' or '?' in the password as part of it; urlsplit ends the host there
        return _mask_raw(url, hide_password=hide_password)
    if parts.password is None and "password" not in unquote(parts.query).lower():
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    if parts.password is not None:
        user = user if hide_password else f"{user}:***"
    netloc = f"{user}@{host}" if user else host
    query = _mask_query(parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


#: libpq's ``password=`` keyword, in a ``key=value`` string or a URL's query; group 2 is
#: the value (quoted, or up to the next ``&`` or blank).
_PASSWORD_PARAM: Final = re.compile(r"(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)")
#: Something that looks like a URL inside a message.
_URL_IN_TEXT: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")


def _mask_query(query: str) -> str:
    return "&".join(
        "password=***" if unquote(p).lower().startswith("password=") else p
        for p in query.split("&")
        if p
    )


def _split_userinfo(url: str) -> tuple[str, str | None, str] | None:
    """``(scheme, userinfo, rest)`` of a URL as libpq reads it, None for a string that
    is no URL (a ``key=value`` one).

    There is no fragment; the userinfo runs to the last '@' before the path (or, with a
    '/' in the password, before the query), so a '#', '?' or '@' in it stays in it.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    cut = rest.rfind("@", 0, rest.find("/") if "/" in rest else len(rest))
    if cut < 0:
        cut = rest.rfind("@", 0, rest.find("?") if "?" in rest else len(rest))
    if cut < 0:
        return scheme, None, rest
    return scheme, rest[:cut], rest[cut + 1 :]


def _mask_raw(url: str, *, hide_password: bool) -> str:
    """Mask a URL that urlsplit misreads (a '#' or '?' in the password, several hosts),
    or the ``password=`` of a ``key=value`` string."""
    split = _split_userinfo(url)
    if split is None:
        return _PASSWORD_PARAM.sub(r"\1***", url)
    scheme, userinfo, rest = split
    user = ""
    if userinfo is not None:
        user, colon, _ = userinfo.partition(":")
        if colon and not hide_password:
            user = f"{user}:***"
        user = _PASSWORD_PARAM.sub(r"\1***", user)
    where, question, query = rest.partition("?")
    masked = f"{where}?{_mask_query(query)}" if question else where
    return f"{scheme}://{user}@{masked}" if user else f"{scheme}://{masked}"


def url_user(url: str) -> str | None:
    """The user name in ``url``'s userinfo, percent-decoded (None when there is none)."""
    split = _split_userinfo(url)
    if split is None or not split[1]:
        return None
    return unquote(split[1].partition(":")[0]) or None


def url_secrets(url: str) -> list[str]:
    """Every spelling of the password in ``url`` that an error message might echo.

    The userinfo's password (as written and percent-decoded, found the way libpq splits a
    URL even when urlsplit cannot) and any ``password=`` parameter; longest first, so
    replacing them in order never leaves a piece of one behind.
    """
    found: set[str] = set()
    split = _split_userinfo(url)
    if split is not None and split[1] is not None:
        _user, colon, password = split[1].partition(":")
        if colon:
            found.add(password)
    for text in (url, unquote(url)):
        found.update(match.group(2).strip("'") for match in _PASSWORD_PARAM.finditer(text))
    found |= {unquote(s) for s in found}
    return sorted((s for s in found if s), key=len, reverse=True)


def scrub(text: str, url: str | None) -> str:
    """``text`` without ``url``'s password, and without the rest of the message mangled.

    Structural first: the URL itself, and anything in the text that looks like a URL, are
    shown masked (their password field, or ``password=`` parameter, becomes ``***``; user,
    host and database stay), as are ``password=`` keywords. Elsewhere the password is
    replaced only where it stands as a whole token, so a one-letter or an everyday password
    (``p``, ``postgres``) does not eat the letters of other words. A password equal to the
    user name is no secret from anyone who reads the masked URL, so that word is left alone.
    """
    if not url:
        return text
    secrets = url_secrets(url)
    if url in text:
        text = text.replace(url, mask_url(url))
    user = url_user(url)
    tokens = [
        re.compile(rf"(?<!\w){re.escape(secret)}(?!\w)") for secret in secrets if secret != user
    ]

    def plain(part: str) -> str:
        part = _PASSWORD_PARAM.sub(r"\1***", part)
        for token in tokens:
            part = token.sub("***", part)
        return part

    out, last = [], 0
    for found in _URL_IN_TEXT.finditer(text):
        out.append(plain(text[last : found.start()]))
        out.append(mask_url(found.group()))
        last = found.end()
    out.append(plain(text[last:]))
    return "".join(out)
