"""The limiter's plans on Redis: one Lua script per plan, loaded once and run by ``EVALSHA``.

Through the generic cache API a window hit costs four round trips (``add``; ``incr``, which
Django's Redis backend makes an ``EXISTS`` and an ``INCRBY``; ``get``) and giving a slot back
two: a password login once made 12 round trips to Redis for its limits alone, the largest part
of its own cost in ``bench/``. Here all the checks of a request, and the circuit breakers'
state, are one script (atomic: no other client's command runs between its steps), and a
release with a success's own writes is one more. Values stay Django's own encoding (plain
integers for counters and times; anything else Django pickles, and Python decodes what the
script reads), so both paths read the same keys.

A script names its keys in ``KEYS``: on Redis Cluster they must share a slot, which
``windows.KEY_TAG`` (a hash tag in every key) ensures. Django's Redis backend and
:class:`~.cluster.RedisClusterCache` take this path; any other cache keeps the generic one.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

from django.core.cache import BaseCache
from django.core.cache.backends.redis import RedisCache

from .cluster import RedisClusterCache

# ARGV is a list of steps, each an opcode and its arguments (key arguments are KEYS indexes):
#   K known                                       the client is "known" if this key exists
#   W current previous limit if_known ttl escape reserve      take a window's slot
#   C previous current next now_ms period_ms ttl count even odd ladder_ttl periods_ms
#                                          take a cooldown's slot; with a count key (0: none),
#                                          a back-off: "periods_ms" are its waits, by commas
#   G current previous threshold token                        a CAPTCHA gate
#   V sent sent_previous verified verified_previous minimum ratio token
#                                          a CAPTCHA gate on the verified share of the sent
#   R key                                                     read a value (returned)
# It returns {refused step (1-based, 0: none), a window's count or when a cooldown ends (ms),
# known, reads}; a refusal, or an error (a key that holds no count), first gives back what the
# steps before it took. A token one step spent lets every later step that names it through (one
# CAPTCHA answers the whole request).
_RUN: Final = """
local known, taken, reads, step, i = false, {}, {}, 0, 1
local function undo()
  for j = #taken, 1, -1 do
    if taken[j][2] then redis.call('DEL', taken[j][1]) else redis.call('DECR', taken[j][1]) end
  end
end
local spent = {}
local function arg(n) return tonumber(ARGV[i + n]) end
local function spend(n)
  if n > 0 and not spent[n] then spent[n] = redis.call('DEL', KEYS[n]) == 1 end
  return n > 0 and spent[n]
end
local function total(a, b)
  return tonumber(redis.call('GET', KEYS[a]) or '0') + tonumber(redis.call('GET', KEYS[b]) or '0')
end
local function plan()
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'K' then
    known = redis.call('EXISTS', KEYS[arg(1)]) == 1
    i = i + 2
  elseif op == 'R' then
    reads[#reads + 1] = redis.call('GET', KEYS[arg(1)]) or ''
    i = i + 2
  else
    step = step + 1
    if op == 'W' then
      local current, previous = KEYS[arg(1)], KEYS[arg(2)]
      local limit = known and arg(4) or arg(3)
      local before = tonumber(redis.call('GET', previous) or '0')
      if not before then error('not a count') end -- before this step writes anything
      redis.call('SET', current, 0, 'EX', arg(5), 'NX')
      local count = redis.call('INCR', current)
      if count + before > limit and not spend(arg(6)) then
        redis.call('DECR', current)
        undo()
        return {step, count, known and 1 or 0, reads}
      end
      if ARGV[i + 7] == '1' then taken[#taken + 1] = {current, false} end
      i = i + 8
    elseif op == 'C' then
      local previous, current, following = KEYS[arg(1)], KEYS[arg(2)], KEYS[arg(3)]
      local now, period, count, ladder = arg(4), arg(5), arg(7), {}
      for ms in string.gmatch(ARGV[i + 11], '%d+') do ladder[#ladder + 1] = tonumber(ms) end
      if count > 0 then
        local hits = tonumber(redis.call('GET', KEYS[count]) or '0')
        local last = hits >= 2 and redis.call('GET', KEYS[arg(8 + hits % 2)])
        local grown = ladder[math.min(hits, #ladder)]
        if last and now - tonumber(last) < grown then
          undo()
          return {step, tonumber(last) + grown, known and 1 or 0, reads}
        end
      end
      if not redis.call('SET', current, ARGV[i + 4], 'EX', arg(6), 'NX') then
        undo()
        local held = redis.call('GET', current)
        return {step, held and tonumber(held) + period or '', known and 1 or 0, reads}
      end
      taken[#taken + 1] = {current, true} -- from here an error gives it back too
      local earlier, racing = redis.call('GET', previous), redis.call('GET', following)
      local other = ((earlier and now - tonumber(earlier) < period) and earlier) or racing
      if other then
        undo()
        return {step, tonumber(other) + period, known and 1 or 0, reads}
      end
      if count > 0 then
        redis.call('SET', KEYS[count], 0, 'EX', arg(10), 'NX')
        local hits = redis.call('INCR', KEYS[count])
        redis.call('SET', KEYS[arg(8 + hits % 2)], ARGV[i + 4], 'EX', arg(10))
        taken[#taken + 1] = {KEYS[count], false}
      end
      i = i + 12
    elseif op == 'G' then
      if total(arg(1), arg(2)) >= arg(3) and not spend(arg(4)) then
        undo()
        return {step, 0, known and 1 or 0, reads}
      end
      i = i + 5
    elseif op == 'V' then
      local sent = total(arg(1), arg(2))
      if sent >= arg(5) and total(arg(3), arg(4)) < arg(6) * sent and not spend(arg(7)) then
        undo()
        return {step, 0, known and 1 or 0, reads}
      end
      i = i + 8
    else
      error('unknown step ' .. tostring(op))
    end
  end
end
return {0, 0, known and 1 or 0, reads}
end
-- A key another client overwrote with what is not a count fails the script: what the steps
-- before took goes back (Redis undoes nothing of a failed script), then the error.
local ok, result = pcall(plan)
if ok then return result end
undo()
return redis.error_reply('lc_phone plan: ' .. tostring(result))
"""

# ARGV: D key (decrement if it still exists), X key (delete), S key value ttl (set),
# I key ttl (add one, creating the counter for ttl seconds).
_SETTLE: Final = """
local i = 1
while i <= #ARGV do
  local op, name = ARGV[i], KEYS[tonumber(ARGV[i + 1])]
  if op == 'D' then
    if redis.call('EXISTS', name) == 1 then redis.call('DECR', name) end
    i = i + 2
  elseif op == 'X' then
    redis.call('DEL', name)
    i = i + 2
  elseif op == 'I' then
    redis.call('SET', name, 0, 'EX', ARGV[i + 2], 'NX')
    redis.call('INCR', name)
    i = i + 3
  else
    redis.call('SET', name, ARGV[i + 2], 'EX', ARGV[i + 3])
    i = i + 4
  end
end
return 0
"""


def supports(store: BaseCache) -> TypeGuard[RedisCache]:
    """Whether ``store`` is Django's Redis backend or our Cluster one (other subclasses may
    store differently)."""
    return type(store) in (RedisCache, RedisClusterCache)


@dataclass
class Program:
    """A plan written for :data:`_RUN`: its keys (each once) and its steps."""

    known_key: str | None
    keys: list[str] = field(default_factory=list)
    argv: list[str | int] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.known_key is not None:
            self.argv += ["K", self._key(self.known_key)]

    def _key(self, name: str | None) -> int:
        """The 1-based ``KEYS`` index of ``name`` (0 for none)."""
        if name is None:
            return 0
        if name not in self._index:
            self.keys.append(name)
            self._index[name] = len(self.keys)
        return self._index[name]

    def window(
        self,
        current: str,
        previous: str,
        limit: int,
        if_known: int,
        ttl: int,
        escape: str | None,
        reserve: bool,
    ) -> None:
        """Take a slot of a window."""
        self.argv += ["W", self._key(current), self._key(previous), limit, if_known, ttl]
        self.argv += [self._key(escape), int(reserve)]

    def cooldown(
        self,
        keys: tuple[str, str, str],
        now: float,
        seconds: int,
        ttl: int,
        ladder: tuple[str, str, str] | None = None,
        periods: list[int] | None = None,
        ladder_ttl: int = 0,
    ) -> None:
        """Take a cooldown's slot (``keys``: the previous, this and the next window's); with
        ``ladder`` (the day's count, its even and odd hit times), a back-off of ``periods``."""
        self.argv += ["C", *(self._key(name) for name in keys)]
        self.argv += [int(now * 1000), seconds * 1000, ttl]
        self.argv += [self._key(name) for name in ladder or (None, None, None)]
        self.argv += [ladder_ttl, ",".join(str(p * 1000) for p in periods or ())]

    def share(
        self,
        sent: tuple[str, str],
        verified: tuple[str, str],
        minimum: int,
        ratio: float,
        token: str | None,
    ) -> None:
        """A CAPTCHA gate on the verified share of the sent (each: this window's key and the
        previous one's)."""
        self.argv += ["V", *(self._key(name) for name in (*sent, *verified))]
        self.argv += [minimum, repr(float(ratio)), self._key(token)]

    def gate(self, current: str, previous: str, threshold: int, token: str | None) -> None:
        """A CAPTCHA gate."""
        self.argv += ["G", self._key(current), self._key(previous), threshold, self._key(token)]

    def read(self, *names: str) -> None:
        """Read ``names`` (returned in order)."""
        for name in names:
            self.argv += ["R", self._key(name)]


@dataclass(frozen=True)
class Result:
    """What a program answered: the refusing step's index (0-based), its count or last hit,
    whether the client is known, and the values read (decoded; None when missing)."""

    refused: int | None
    value: int | None
    known: bool
    reads: list[object]


def run(store: RedisCache, program: Program) -> Result:
    """Run ``program`` in one round trip."""
    full = _full_keys(store, program.keys)
    client = _client(store)
    refused, value, known, reads = _call(client, "run", _RUN, full, program.argv)
    serializer = store._cache._serializer  # type: ignore[attr-defined]
    decoded = [_decoded(serializer, v) for v in reads]
    number = int(value) if value not in (b"", None) else None
    return Result(int(refused) - 1 if refused else None, number, bool(known), decoded)


def _decoded(serializer: Any, value: bytes) -> object:
    """A value the script read, in Django's encoding; None when missing or unreadable (a key
    something else wrote: the breaker's state, say, then reads as none)."""
    if value == b"":
        return None
    try:
        return serializer.loads(value)
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError):
        return None


def settle(
    store: RedisCache,
    give_back: list[tuple[str, bool]],
    forget: list[str],
    remember: list[tuple[str, int, int]],
    count: list[tuple[str, int]],
) -> None:
    """Give slots back (delete those marked so, decrement the rest if they still exist),
    delete ``forget``, set ``remember``, add one to ``count``: one round trip."""
    keys: list[str] = []
    argv: list[str | int | float] = []
    for name, delete in give_back:
        keys.append(name)
        argv += ["X" if delete else "D", len(keys)]
    for name in forget:
        keys.append(name)
        argv += ["X", len(keys)]
    for name, value, seconds in remember:
        keys.append(name)
        argv += ["S", len(keys), value, store.get_backend_timeout(seconds) or 1]
    for name, seconds in count:
        keys.append(name)
        argv += ["I", len(keys), store.get_backend_timeout(seconds) or 1]
    client = _client(store)
    full = _full_keys(store, keys)
    _call(client, "settle", _SETTLE, full, argv)


def _full_keys(store: RedisCache, names: Iterable[str]) -> list[str]:
    """The cache's keys for ``names`` (prefix and version), not validated: validation only
    warns about keys memcached would refuse, by reading every character of every key (about
    20 keys a login), and these are Redis keys this module builds from digests and numbers
    (windows.key)."""
    return [store.make_key(name) for name in names]


def _call(client: Any, name: str, source: str, keys: list[str], argv: list[Any]) -> Any:
    """Run script ``name``; ``ValueError`` when Redis refuses it (a key that holds no count,
    out of memory): the caller fails closed, as for the generic path's unreadable counts."""
    from redis.exceptions import ResponseError  # installed wherever this backend runs

    try:
        return _script(client, name, source)(keys=keys, args=argv, client=client)
    except ResponseError as error:
        raise ValueError(f"Redis refused the limits' script: {type(error).__name__}") from None


def _client(store: RedisCache) -> Any:
    """The backend's client for writes (Django makes a new one per call; this keeps one)."""
    backend = store._cache
    client = getattr(backend, "_lc_phone_client", None)
    if client is None:
        client = backend.get_client(write=True)
        backend._lc_phone_client = client  # type: ignore[attr-defined]
    return client


def _script(client: Any, name: str, source: str) -> Any:
    """The registered script ``name`` (``EVALSHA``, loaded again if the server lost it)."""
    scripts = client.__dict__.setdefault("_lc_phone_scripts", {})
    if name not in scripts:
        scripts[name] = client.register_script(source)
    return scripts[name]
