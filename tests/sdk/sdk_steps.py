"""Helpers the official-SDK flow scripts share (they run in the SDK's own virtual environment).

The scripts import this as a sibling module: the directory of a script run with ``python
path/to/script.py`` is first on ``sys.path``.
"""

import json
import os
import time
import urllib.parse
import urllib.request

from leancloud import LeanCloudError

SERVER = os.environ["LEANCLOUD_API_SERVER"]


def outbox(phone):
    """The messages sent to ``phone``, oldest first (the emulator's or the site's outbox)."""
    url = f"{SERVER}/emulator/v1/messages?mobilePhoneNumber={urllib.parse.quote(phone)}"
    with urllib.request.urlopen(url) as response:
        return json.load(response)["messages"]


_read = {}


def new_code(phone, purpose=None, timeout=10.0):
    """The code of the next message to ``phone`` (of ``purpose``) not read before.

    The site sends login, reset and verification codes outside the request that asked for
    them (so no answer's timing tells who has an account): the message may arrive a moment
    after the SDK call returns, so wait for it as a person waits for an SMS."""
    deadline = time.monotonic() + timeout
    while True:
        messages = [m for m in outbox(phone) if purpose is None or m["purpose"] == purpose]
        if len(messages) > _read.get((phone, purpose), 0):
            _read[(phone, purpose)] = len(messages)
            return messages[-1]["code"]
        if time.monotonic() > deadline:
            raise AssertionError(f"no new message for {phone} within {timeout} s")
        time.sleep(0.05)


def advance(seconds):
    """Move the server's clock past its resend limits."""
    request = urllib.request.Request(
        f"{SERVER}/emulator/v1/clock",
        data=json.dumps({"advance": seconds}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request).close()


def step(name, **facts):
    """Report one step as a JSON line."""
    print(json.dumps({"step": name, **facts}), flush=True)


def expect_error(code, call, *args):
    """Run ``call`` and return the LeanCloudError with ``code`` it must raise."""
    try:
        call(*args)
    except LeanCloudError as error:
        if error.code != code:
            raise AssertionError(f"expected LeanCloud code {code}, got {error.code}") from error
        return error
    raise AssertionError(f"expected LeanCloud code {code}, got success")
