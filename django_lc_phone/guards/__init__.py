"""What stands between the internet and the SMS bill and the accounts: the limits (``limits``,
the policy: which budgets a flow spends) on their primitives (``windows``, one Redis round trip
each in ``redis``), the circuit breakers around remote calls (``breaker``), and who is asking
(``identity``: the client's canonical address and keyed digests)."""
