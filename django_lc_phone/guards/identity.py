"""Who is asking: the client's address as one canonical key, and keyed digests of identifiers.

Limits count per client, so a client must not get a fresh budget by writing its address
another way. The address is parsed with ``ipaddress``: ``2001:DB8:1::1`` and
``2001:db8:1:0:0:0:0:1`` are one address, an IPv4-mapped IPv6 address (``::ffff:192.0.2.1``)
is the IPv4 address it carries, and every IPv6 address of one ``IPV6_PREFIX`` network (a /64
by default: what one subscriber gets) is one client. Digests are keyed with ``SECRET_KEY``,
so the cache and the logs hold no number or address that can be read back offline.
"""

from __future__ import annotations

import ipaddress
from typing import Final

from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from ..conf import get_settings

# The client key of a request that has no usable address (no request at all, or a
# REMOTE_ADDR that is not an IP address): all such requests share one budget.
UNKNOWN_CLIENT: Final = "-"


def digest(kind: str, value: str) -> str:
    """A keyed hash of a number or an address (SECRET_KEY-keyed: not reversible offline)."""
    return salted_hmac(f"django_lc_phone.limits.{kind}", value, algorithm="sha256").hexdigest()[:32]


def client_address(request: HttpRequest | None) -> str:
    """The client's address as written: ``REMOTE_ADDR``, or, behind ``TRUSTED_PROXIES``
    proxies, the address the outermost trusted proxy saw (as DRF's ``NUM_PROXIES``). Anything
    the client wrote into ``X-Forwarded-For`` itself is ignored."""
    if request is None:
        return UNKNOWN_CLIENT
    remote = str(request.META.get("REMOTE_ADDR") or UNKNOWN_CLIENT)
    proxies = get_settings().TRUSTED_PROXIES
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote


def canonical_client(address: str) -> str:
    """One key per client: an IPv4 address, an IPv6 network of ``IPV6_PREFIX`` bits, or
    :data:`UNKNOWN_CLIENT` for text that is no address."""
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return UNKNOWN_CLIENT
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        prefix = get_settings().IPV6_PREFIX
        return str(ipaddress.IPv6Network((ip, prefix), strict=False))
    return str(ip)


def client_key(request: HttpRequest | None) -> str:
    """The canonical client of ``request`` (see :func:`canonical_client`)."""
    return canonical_client(client_address(request))


def client_digest(request: HttpRequest | None) -> str:
    """The keyed digest of the request's client: what limits and audit lines carry."""
    return digest("ip", client_key(request))
