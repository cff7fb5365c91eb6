"""The runtime store on Redis: each step is one Lua script, so it is atomic and one round trip."""

from __future__ import annotations

import json
import math

import orjson
import redis

from hosts.runtime import Admission, Quota, Store, Verdict, Window, new_token

# KEYS[1] rate-limit bucket, KEYS[2] nonce. ARGV: limit, bucket ms, nonce ms.
ADMIT = """
local limit = tonumber(ARGV[1])
if limit >= 0 then
  local hits = redis.call('INCR', KEYS[1])
  if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  if hits > limit then
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl < 0 then ttl = tonumber(ARGV[2]) end
    return {1, tostring(ttl / 1000), 0, ''}
  end
end
if redis.call('SET', KEYS[2], '', 'NX', 'PX', ARGV[3]) then return {0, '', 0, ''} end
return {0, '', 1, redis.call('GET', KEYS[2]) or ''}
"""

# KEYS[1] log, KEYS[2] nonce ('' for none), KEYS[3] rate bucket, KEYS[4..] one per limit.
# ARGV: now, refuse, allow reason, record JSON, log max, nonce ms, claim (1/0), rate limit (-1: none), rate ms,
# then per limit: kind, name, limit, seconds.
ATTEMPT = """
local now = tonumber(ARGV[1])
if ARGV[7] == '1' then
  local rate = tonumber(ARGV[8])
  if rate >= 0 then
    local hits = redis.call('INCR', KEYS[3])
    if hits == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[9]) end
    if hits > rate then
      local ttl = redis.call('PTTL', KEYS[3])
      if ttl < 0 then ttl = tonumber(ARGV[9]) end
      return {0, '', '', 'rate', tostring(ttl / 1000)}
    end
  end
  local prior = redis.call('GET', KEYS[2])
  if prior then return {0, '', '', 'replay', prior} end
end
local reason = ARGV[2]
local retry = nil
local count = #KEYS - 3
local function arg(i, j) return ARGV[9 + (i - 1) * 4 + j] end
if reason == '' then
  for i = 1, count do
    local key, kind, name, limit, secs = KEYS[3 + i], arg(i, 1), arg(i, 2), tonumber(arg(i, 3)), tonumber(arg(i, 4))
    if kind == 'w' then
      local inside, oldest = 0, nil
      for _, stamp in ipairs(redis.call('LRANGE', key, 0, limit - 1)) do
        local t = tonumber(stamp)
        if t > now - secs then inside = inside + 1; oldest = t end
      end
      if inside >= limit then reason = name; retry = oldest + secs - now; break end
    else
      local hits = tonumber(redis.call('GET', key) or '0')
      if hits >= limit then
        local ttl = redis.call('PTTL', key)
        reason = name; retry = (ttl > 0) and (ttl / 1000) or secs; break
      end
    end
  end
  if reason == '' then
    for i = 1, count do
      local key, kind, limit, secs = KEYS[3 + i], arg(i, 1), tonumber(arg(i, 3)), tonumber(arg(i, 4))
      if kind == 'w' then
        redis.call('LPUSH', key, ARGV[1])
        redis.call('LTRIM', key, 0, limit - 1)
        redis.call('PEXPIRE', key, math.ceil(secs * 1000))
      elseif redis.call('INCR', key) == 1 then
        redis.call('PEXPIRE', key, math.ceil(secs * 1000))
      end
    end
    reason = ARGV[3]
  end
end
local allowed = reason == ARGV[3]
local answer = '"allow":' .. (allowed and 'true' or 'false') .. ',"reason":"' .. reason .. '","retry_after":' ..
  (retry and string.format('%d', math.max(1, math.ceil(retry))) or 'null') .. '}'
if ARGV[4] ~= '' then
  redis.call('RPUSH', KEYS[1], ARGV[4] .. ',' .. answer)
  redis.call('LTRIM', KEYS[1], -tonumber(ARGV[5]), -1)
end
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], '{' .. answer, 'PX', ARGV[6]) end
return {allowed and 1 or 0, reason, retry and tostring(retry) or '', '', ''}
"""

# KEYS[1] log, KEYS[2] the records taken aside, KEYS[3] their token. ARGV: max items, a new token.
TAKE = """
local token = redis.call('GET', KEYS[3])
if token then
  local leased_until = tonumber(redis.call('GET', KEYS[4]) or '0')
  if tonumber(ARGV[3]) < leased_until then return {'', {}} end
  redis.call('SET', KEYS[4], tonumber(ARGV[3]) + tonumber(ARGV[4]))
  return {token, redis.call('LRANGE', KEYS[2], 0, -1)}
end
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return {'', {}} end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('DEL', KEYS[2])
for i = 1, #items, 1000 do  -- unpack() has a stack limit
  redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items)))
end
redis.call('SET', KEYS[3], ARGV[2])
redis.call('SET', KEYS[4], tonumber(ARGV[3]) + tonumber(ARGV[4]))
return {ARGV[2], items}
"""

# KEYS[1] the records taken aside, KEYS[2] their token. ARGV: the token done with.
DONE = """
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[1], KEYS[2]) end
"""


# KEYS: the ids, ARGV[1] how long they stay seen (ms). 1 for each id not seen before. One call for a batch:
# a pipeline of a SET per id cost 15 µs an event in redis-py's packing, the script 4.
CLAIM_IDS = """
local claimed = {}
for i, key in ipairs(KEYS) do
  claimed[i] = redis.call('SET', key, 1, 'NX', 'PX', ARGV[1]) and 1 or 0
end
return claimed
"""


class RedisStore(Store):
    def __init__(self, url: str, *, prefix: str):
        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self._admit = self.client.register_script(ADMIT)
        self._attempt = self.client.register_script(ATTEMPT)
        self._take = self.client.register_script(TAKE)
        self._done = self.client.register_script(DONE)
        self._claim_ids = self.client.register_script(CLAIM_IDS)

    def _k(self, key: str) -> str:
        return self.prefix + key

    def admit(self, *, rate: Quota | None, nonce: str, nonce_ttl: float, now: float) -> Admission:
        keys = [self._k(rate.key if rate else "rate:none"), self._k(f"nonce:{nonce}")]
        args = [rate.limit if rate else -1, math.ceil((rate.resets_in if rate else 1) * 1000), math.ceil(nonce_ttl * 1000)]
        limited, retry, replayed, prior = self._admit(keys=keys, args=args)
        if limited:
            return Admission(retry_after=float(retry))
        return Admission(prior=prior.decode() if replayed else None)

    def attempt(self, *, limits, refuse, allow_reason, record, log, log_max, nonce, nonce_ttl, now, claim=False,
                rate=None) -> Verdict:
        keys = [self._k(f"log:{log}"), self._k(f"nonce:{nonce}") if nonce else "",
                self._k(rate.key if rate else "rate:none")]
        # The record without its closing brace: the script appends the answer's fields (reason codes are
        # plain words, so no escaping is needed there).
        args = [repr(now), refuse or "", allow_reason, json.dumps(record)[:-1] if record else "", log_max,
                math.ceil(nonce_ttl * 1000), "1" if claim else "0", rate.limit if rate else -1,
                math.ceil((rate.resets_in if rate else 1) * 1000)]
        for limit in limits:
            keys.append(self._k(limit.key))
            window = isinstance(limit, Window)
            args += ["w" if window else "q", limit.name, limit.limit, repr(float(limit.seconds if window else limit.resets_in))]
        allowed, reason, retry, stop, detail = self._attempt(keys=keys, args=args)
        if stop == b"rate":
            return Verdict(False, "", None, stopped=Admission(retry_after=float(detail)))
        if stop == b"replay":
            return Verdict(False, "", None, stopped=Admission(prior=detail.decode()))
        return Verdict(bool(allowed), reason.decode(), float(retry) if retry else None)

    def append(self, log: str, item: dict) -> None:
        # orjson: an event batch is some 200 KB of JSON, which json.dumps took 2 µs an event to write.
        self.client.rpush(self._k(f"log:{log}"), orjson.dumps(item))

    def take(self, log: str, max_items: int, *, lease: float = 0, now: float = 0) -> tuple[str, list[dict]]:
        keys = [self._k(f"log:{log}"), self._k(f"taken:{log}"), self._k(f"taken-token:{log}"),
                self._k(f"taken-lease:{log}")]
        token, items = self._take(keys=keys, args=[max_items, new_token(), repr(float(now)), repr(float(lease))])
        return token.decode(), [orjson.loads(item) for item in items]

    def done(self, log: str, token: str) -> None:
        self._done(keys=[self._k(f"taken:{log}"), self._k(f"taken-token:{log}")], args=[token])

    def claim_ids(self, ids: list[str], ttl: float, now: float) -> list[bool]:
        if not ids:
            return []
        claimed = self._claim_ids(keys=[self._k(f"seen:{key}") for key in ids], args=[math.ceil(ttl * 1000)])
        return [bool(c) for c in claimed]

    def counter(self, key: str) -> int:
        return int(self.client.get(self._k(key)) or 0)

    def increment(self, key: str) -> int:
        return self.client.incr(self._k(key))

    def clear(self) -> None:
        keys = list(self.client.scan_iter(match=self.prefix + "*", count=1000))
        if keys:
            self.client.delete(*keys)
