"""The cutover off LeanCloud: ``readiness`` (what ``lc_cutover_check`` reports, while the site
is still on LeanCloud and after) and ``steps`` (the data steps ``lc_cutover`` takes: captured
passwords put in place, LeanCloud sessions carried over), each idempotent.
"""
