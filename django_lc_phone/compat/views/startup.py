"""What unmodified SDKs call beside the phone flows once their API domain points at the site:
the server date (``date``) and the old analytics module's policy and upload, answered and dropped.

Each needs the app's keys like every compat call. Nothing here reads or writes a user, and
nothing is logged: these calls carry no phone and are not auth events.
"""

from __future__ import annotations

from typing import Final

from ...guards.windows import clock
from ...leancloud import protocol
from ..http import Answer, Call, endpoint

# The analytics policy that turns reporting off: the Objective-C SDK before 13.0 stores it and
# reads its ``enable`` at later launches before collecting anything [objc-sdk AVAnalyticsImpl.m].
ANALYTICS_OFF: Final = {"enable": False}


@endpoint("GET")
def server_date(call: Call) -> Answer:
    """``GET /1.1/date``: ``{"__type": "Date", "iso": ...}``, the site's time (the SDKs'
    ``getServerDate`` calls)."""
    # The limits' clock, the one X-LC-Sign timestamps are checked against (SIGN_MAX_AGE): a
    # client that corrects its clock from this answer then signs inside the window.
    return Answer(protocol.date_value(clock()))


@endpoint("GET")
def analytics_policy(call: Call, app_id: str) -> Answer:
    """``GET /1.1/statistics/apps/<appId>/sendPolicy``: ``{"enable": false}``, so an old
    iOS SDK's analytics stops collecting (any app id: the keys were checked already)."""
    return Answer(dict(ANALYTICS_OFF))


@endpoint("POST")
def analytics_collect(call: Call) -> Answer:
    """``POST /1.1/stats/collect``: ``{}``, the upload dropped unread. The old iOS SDK keeps a
    queued upload after a network error or a 5xx and resends it; a success deletes it."""
    return Answer({})
