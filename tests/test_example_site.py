"""The example site, live: ``manage.py migrate`` + ``runserver`` on a free port, driven over HTTP.

The story of issue 3's "Done when", as a person would follow the home page: request a code,
read it at ``/emulator/``, sign up, log in by password and by login code, reset the password,
change and verify a phone, all through ``/auth/phone/``, then see the profiles' verification
status in the admin as the demo admin.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests

from django_lc_phone.api.urls import urlpatterns as api_urls
from django_lc_phone.emulator import DEMO_APP_ID, DEMO_APP_KEY
from django_lc_phone.leancloud.wire import HEADER_ID, HEADER_SIGN, sign_header
from example_project.apps import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, "manage.py"]
CREATED_ADMIN = "Created the demo admin account"

ALICE_PHONE = "+8613800138000"
ALICE_NEW_PHONE = "+8613900139000"
BOB_PHONE = "+8613700137000"
# Every route of the phone API, e.g. "sms-code/", "phone/verify/".
API_ROUTES = {str(pattern.pattern) for pattern in api_urls}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh example site: its own SQLite files, and ``extra``.

    Nothing of the caller's own example-site configuration leaks in: with no ``extra``, the
    site runs on its embedded defaults (emulator mode, DEBUG on).
    """
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LEANCLOUD_", "DJANGO_", "EXAMPLE_", "EMULATOR_"))
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "EXAMPLE_DB": str(tmp / "example.sqlite3"),
        "EMULATOR_STATE": str(tmp / "emulator.sqlite3"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MANAGE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@dataclass
class Site:
    """A running example site."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    migrations: list[str]  # the output of each `migrate` run before the server started
    http: requests.Session
    env: dict[str, str]  # the server's environment, for management commands beside it

    def output(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``manage.py *args`` on the site's database and settings (fails if the command does)."""
        done = _manage(self.env, *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def post(self, path: str, body: Any = None, token: str | None = None) -> requests.Response:
        """A JSON POST to the site, signed in with ``token`` when given."""
        headers = {"Authorization": f"Token {token}"} if token else {}
        return self.http.post(self.url + path, json=body, headers=headers, timeout=10)

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        """A GET, signed in with ``token`` when given."""
        headers = {"Authorization": f"Token {token}"} if token else {}
        return self.http.get(self.url + path, headers=headers, timeout=10, **kwargs)


@contextlib.contextmanager
def running_site(tmp: Path, migrations: int = 1, **extra: str) -> Iterator[Site]:
    """A fresh example site on its embedded defaults (with ``extra`` environment variables),
    after ``migrations`` runs of migrate."""
    env = _env(tmp, **extra)
    outputs = []
    for _ in range(migrations):
        done = _manage(env, "migrate", "--noinput")
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done.stdout)
    port = _free_port()
    log = tmp / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    http = requests.Session()
    http.trust_env = False  # never through a proxy
    site = Site(f"http://127.0.0.1:{port}", process, log, outputs, http, env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                http.get(site.url + "/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(site.output()) from None
                time.sleep(0.2)
        yield site
    finally:
        http.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The site the tests share, migrated twice (creating the demo admin is idempotent)."""
    with running_site(tmp_path_factory.mktemp("example-site"), migrations=2) as running:
        yield running


# --- HTML ------------------------------------------------------------------------------------


class _Rows(HTMLParser):
    """The rows of every table in a page: each row a list of cell texts (an image gives its alt)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []
        elif tag == "img" and self._cell is not None:
            self._cell.append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(page: str) -> list[list[str]]:
    """The table rows of an HTML page."""
    parser = _Rows()
    parser.feed(page)
    return [row for row in parser.rows if row]


# --- the emulator's inbox --------------------------------------------------------------------


# The codes read so far (each test's site is new, and so are its numbers' codes).
_READ: set[tuple[str, str]] = set()


def read_code(site: Site, phone: str, purpose: str, timeout: float = 10.0) -> str:
    """The newest code for ``phone``, read off the inbox page and checked against the outbox.

    Login, reset and phone-change codes leave the site's request (no answer's timing tells who
    has an account), so the message may land a moment after the answer: wait for a code of
    ``purpose`` not read before, as a person waits for the SMS."""
    deadline = time.monotonic() + timeout
    while True:
        inbox = site.get("/emulator/")
        assert inbox.status_code == 200
        assert inbox.headers["Content-Type"].startswith("text/html")
        # Columns: time, number, code, type, purpose, text; newest first.
        row = next((row for row in table_rows(inbox.text) if row[1] == phone), None)
        if row is not None and row[4] == purpose and (phone, row[2]) not in _READ:
            break
        assert time.monotonic() < deadline, (phone, purpose, row)
        time.sleep(0.05)
    code = row[2]
    _READ.add((phone, code))
    assert re.fullmatch(r"[0-9]{6}", code), row
    assert code in row[5]  # the message text carries the code

    outbox = site.get("/emulator/v1/messages", params={"mobilePhoneNumber": phone})
    assert outbox.json()["messages"][-1]["code"] == code
    return code


def next_minute(site: Site) -> None:
    """Move the emulator's clock past LeanCloud's one-message-a-minute limit per number."""
    assert site.post("/emulator/v1/clock", {"advance": 61}).status_code == 200


def code_sent(answer: requests.Response) -> None:
    """A code request's answer: 202, and the same body whatever the number."""
    assert answer.status_code == 202, answer.text
    assert answer.json()["code"] == "code_sent"


def signed_in(answer: requests.Response, status: int = 200) -> dict[str, Any]:
    """The body of a sign-up or login answer, checked."""
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"token", "user", "created"}
    assert re.fullmatch(r"[0-9a-f]{40}", body["token"])  # DRF's authtoken
    assert set(body["user"]) == {"id", "username", "phone", "phone_verified", "lc_object_id"}
    return body


def error(answer: requests.Response, status: int, code: str) -> None:
    """An API error: the status and the stable code, in the documented shape."""
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code
    assert isinstance(answer.json()["detail"], str)


# --- the admin -------------------------------------------------------------------------------


def admin_session(site: Site) -> requests.Session:
    """A browser-like session logged into /admin/ as the demo admin."""
    browser = requests.Session()
    browser.trust_env = False
    form = browser.get(site.url + "/admin/login/", timeout=10)
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token is not None
    logged_in = browser.post(
        site.url + "/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": token.group(1),
            "username": DEMO_ADMIN_USERNAME,
            "password": DEMO_ADMIN_PASSWORD,
            "next": "/admin/",
        },
        timeout=10,
    )
    assert logged_in.status_code == 200
    assert logged_in.url == site.url + "/admin/", "the demo admin could not log in"
    return browser


def profile_rows(browser: requests.Session, site: Site, query: str = "") -> dict[str, list[str]]:
    """The phone profiles changelist: its rows by username."""
    page = browser.get(site.url + "/admin/lc_phone/phoneprofile/" + query, timeout=10)
    assert page.status_code == 200
    assert page.url == site.url + "/admin/lc_phone/phoneprofile/" + query  # no ?e=1 redirect
    rows: dict[str, list[str]] = {}
    for row in table_rows(page.text):
        for name in ("alice", "bob"):
            if name in row:
                rows[name] = row
    return rows


# --- tests -----------------------------------------------------------------------------------


def test_migrate_creates_the_demo_admin_once(site: Site) -> None:
    first, second = site.migrations
    assert f"{CREATED_ADMIN}: {DEMO_ADMIN_USERNAME} / {DEMO_ADMIN_PASSWORD}" in first
    assert CREATED_ADMIN not in second  # it exists: left alone


def test_home_page_explains_every_flow(site: Site) -> None:
    home = site.get("/")
    assert home.status_code == 200
    page = home.text
    for link in ('href="/api/docs/"', 'href="/emulator/"', 'href="/admin/"'):
        assert link in page
    assert DEMO_APP_ID in page
    assert DEMO_APP_KEY in page
    assert f"<code>{DEMO_ADMIN_USERNAME}</code>" in page
    assert f"<code>{DEMO_ADMIN_PASSWORD}</code>" in page
    # Copy-paste curl commands against this very site, for every flow but the CAPTCHA.
    curled = set(re.findall(re.escape(site.url) + r"/auth/phone/([a-z/-]+)", page))
    assert curled <= API_ROUTES
    assert API_ROUTES - curled == {"sms-code/verify/", "captcha/verify/"}
    assert "Authorization: Token $TOKEN" in page
    assert "-H 'Content-Type: application/json'" in page
    assert f"{site.url}/1.1/users" in page  # how to make a user whose phone is unverified
    assert f"{site.url}/emulator/v1/clock" in page  # how to skip the one-a-minute limit
    for route in API_ROUTES:  # the table of every endpoint
        assert f"<td><code>{route}</code></td>" in page


def _next_code(site: Site, last: str | None, timeout: float = 10.0) -> str:
    """The newest code in the outbox that is not ``last`` (a code is read once)."""
    deadline = time.monotonic() + timeout
    while True:
        messages = site.get("/emulator/v1/messages").json()["messages"]
        if messages and messages[-1]["code"] != last:
            return str(messages[-1]["code"])
        assert time.monotonic() < deadline, "no new code in the outbox"
        time.sleep(0.05)


def home_page_commands(page: str) -> list[str]:
    """The shell lines of the home page's code blocks, in order (comments left out)."""
    commands = []
    for block in re.findall(r"<pre>(.*?)</pre>", page, re.DOTALL):
        text = html.unescape(re.sub(r"<[^>]+>", "", block)).replace("\\\n", " ")
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_home_page_commands_work_as_written(tmp_path: Path) -> None:
    """Paste the home page's commands into a shell, reading each code from the outbox."""
    with running_site(tmp_path) as site:
        commands = home_page_commands(site.get("/").text)
        answer = tmp_path / "answer.json"
        env = {**os.environ}
        statuses = []
        for command in commands:
            if command.startswith("TOKEN="):  # "TOKEN=...   # the token of the answer"
                env["TOKEN"] = json.loads(answer.read_text())["token"]
                continue
            if "/emulator/v1/clock" in command or "/emulator/v1/reset" in command:
                continue  # the controls the page offers; used below as needed
            if "sms-code/" in command:
                next_minute(site)
            if "$CODE" in command:  # the newest code, once it has landed (sent after the answer)
                env["CODE"] = _next_code(site, env.get("CODE"))
            assert command.startswith("curl ")
            run = f"{command} --noproxy '*' -s -o {answer} -w '%{{http_code}}'"
            done = subprocess.run(
                ["bash", "-c", run], env=env, capture_output=True, text=True, timeout=30
            )
            assert done.returncode == 0, (command, done.stderr)
            statuses.append((command[:72], done.stdout))
    assert [status for _, status in statuses] == [
        "202",  # 1. request a code
        "200",  # 2. read it from the outbox
        "201",  # 3. sign up
        "200",  # me/
        "200",  # 4. log in by password
        "202",  # 5. a login code
        "200",  # log in with it
        "202",  # 6. a reset code
        "200",  # reset
        "200",  # log in with the new password
        "200",  # change it back, signed in, with the old one
        "202",  # 7. a code for the new number
        "200",  # change the phone
        "201",  # 8. Bob, straight on the emulator's LeanCloud API
        "200",  # Bob logs in, unverified
        "202",  # a verification code
        "200",  # verified
        "204",  # 9. log out
    ], statuses


def test_done_when_story(site: Site) -> None:
    # 1. Request a code (a national number: DEFAULT_REGION is CN), read it at /emulator/.
    code_sent(site.post("/auth/phone/sms-code/", {"phone": "13800138000"}))
    code = read_code(site, ALICE_PHONE, "generic")

    # 2. Sign up with it, choosing a username and a password.
    alice = signed_in(
        site.post(
            "/auth/phone/signup/",
            {"phone": ALICE_PHONE, "code": code, "username": "alice", "password": "first-pass-42"},
        ),
        status=201,
    )
    assert alice["created"] is True
    user = alice["user"]
    assert user["username"] == "alice"
    assert user["phone"] == ALICE_PHONE
    assert user["phone_verified"] is True
    assert re.fullmatch(r"[0-9a-f]{24}", user["lc_object_id"])
    token = alice["token"]
    assert site.get("/auth/phone/me/", token=token).json() == user
    error(site.get("/auth/phone/me/"), 401, "not_authenticated")
    # The code was spent.
    error(
        site.post("/auth/phone/signup/", {"phone": ALICE_PHONE, "code": code}), 400, "invalid_code"
    )

    # 3. Log in by password.
    login = signed_in(
        site.post("/auth/phone/login/", {"phone": ALICE_PHONE, "password": "first-pass-42"})
    )
    assert login["created"] is False
    assert login["user"] == user
    error(
        site.post("/auth/phone/login/", {"phone": ALICE_PHONE, "password": "wrong-pass-42"}),
        401,
        "invalid_credentials",
    )

    # 4. Log in by login code.
    next_minute(site)
    code_sent(site.post("/auth/phone/login/sms-code/", {"phone": ALICE_PHONE}))
    # A second code within the minute is refused, as by LeanCloud.
    throttled = site.post("/auth/phone/login/sms-code/", {"phone": ALICE_PHONE})
    error(throttled, 429, "sms_rate_limited")
    assert int(throttled.headers["Retry-After"]) > 0
    code = read_code(site, ALICE_PHONE, "login")
    login = signed_in(site.post("/auth/phone/login/", {"phone": ALICE_PHONE, "code": code}))
    assert login["user"] == user

    # 5. Reset the password: the old one stops working, the new one works.
    next_minute(site)
    code_sent(site.post("/auth/phone/password-reset/sms-code/", {"phone": ALICE_PHONE}))
    code = read_code(site, ALICE_PHONE, "reset_password")
    reset = site.post(
        "/auth/phone/password-reset/",
        {"phone": ALICE_PHONE, "code": code, "password": "second-pass-42"},
    )
    assert reset.status_code == 200, reset.text
    assert reset.json()["code"] == "password_reset"
    error(
        site.post("/auth/phone/login/", {"phone": ALICE_PHONE, "password": "first-pass-42"}),
        401,
        "invalid_credentials",
    )
    token = signed_in(
        site.post("/auth/phone/login/", {"phone": ALICE_PHONE, "password": "second-pass-42"})
    )["token"]

    # 6. Change the phone, signed in with the token.
    error(
        site.post("/auth/phone/phone/change/sms-code/", {"phone": ALICE_NEW_PHONE}),
        401,
        "not_authenticated",
    )
    code_sent(
        site.post("/auth/phone/phone/change/sms-code/", {"phone": ALICE_NEW_PHONE}, token=token)
    )
    code = read_code(site, ALICE_NEW_PHONE, "change_phone")
    changed = site.post(
        "/auth/phone/phone/change/", {"phone": ALICE_NEW_PHONE, "code": code}, token=token
    )
    assert changed.status_code == 200, changed.text
    new_token = changed.json()["token"]  # the change ended every token, the old one too
    assert changed.json() == {
        **user,
        "phone": ALICE_NEW_PHONE,
        "phone_verified": True,
        "token": new_token,
    }
    assert site.get("/auth/phone/me/", token=token).status_code == 401
    token = new_token
    assert site.get("/auth/phone/me/", token=token).json()["phone"] == ALICE_NEW_PHONE
    signed_in(
        site.post("/auth/phone/login/", {"phone": ALICE_NEW_PHONE, "password": "second-pass-42"})
    )
    error(
        site.post("/auth/phone/login/", {"phone": ALICE_PHONE, "password": "second-pass-42"}),
        401,
        "invalid_credentials",
    )

    # 7. A user with an unverified phone, made the way an older app did: straight on LeanCloud,
    #    with a username, a password and a phone (signed with the demo key, as a client would).
    stamp = int(time.time() * 1000)
    made = site.http.post(
        site.url + "/1.1/users",
        json={"username": "bob", "password": "bob-pass-42", "mobilePhoneNumber": BOB_PHONE},
        headers={HEADER_ID: DEMO_APP_ID, HEADER_SIGN: sign_header(DEMO_APP_KEY, stamp)},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    assert made.json()["mobilePhoneVerified"] is False
    bob = signed_in(
        site.post("/auth/phone/login/", {"phone": BOB_PHONE, "password": "bob-pass-42"})
    )
    assert bob["user"]["username"] == "bob"
    assert bob["user"]["phone_verified"] is False
    assert bob["user"]["lc_object_id"] == made.json()["objectId"]
    bob_token = bob["token"]

    # 8. The admin shows who has verified a phone: Alice has, Bob has not yet.
    browser = admin_session(site)
    rows = profile_rows(browser, site)
    assert "True" in rows["alice"]
    assert "False" in rows["bob"]
    assert user["lc_object_id"] in rows["alice"]
    assert {ALICE_NEW_PHONE, "+86139****9000"} & set(rows["alice"])  # the new number (or masked)
    assert set(profile_rows(browser, site, "?phone_verified__exact=0")) == {"bob"}

    # 9. Bob verifies his phone.
    code_sent(site.post("/auth/phone/phone/verify/sms-code/", token=bob_token))
    code = read_code(site, BOB_PHONE, "verify_phone")
    error(
        site.post("/auth/phone/phone/verify/", {"code": "000000"}, token=bob_token),
        400,
        "invalid_code",
    )
    verified = site.post("/auth/phone/phone/verify/", {"code": code}, token=bob_token)
    assert verified.status_code == 200, verified.text
    assert verified.json() == {**bob["user"], "phone_verified": True}
    assert site.get("/auth/phone/me/", token=bob_token).json()["phone_verified"] is True

    rows = profile_rows(browser, site)
    assert "True" in rows["bob"]
    assert set(profile_rows(browser, site, "?phone_verified__exact=1")) == {"alice", "bob"}
    assert profile_rows(browser, site, "?phone_verified__exact=0") == {}

    # 10. Log out: the token is revoked.
    assert site.post("/auth/phone/logout/", token=bob_token).status_code == 204
    error(site.get("/auth/phone/me/", token=bob_token), 401, "authentication_failed")

    # The console showed every code, with masked numbers only.
    output = site.output()
    assert f"+86137****7000: {code}" in output
    for phone in (ALICE_PHONE, ALICE_NEW_PHONE, BOB_PHONE):
        assert phone not in output


def test_captcha_and_code_check(site: Site) -> None:
    """The CAPTCHA's image is served by the site itself; its token unlocks a code request."""
    wrong = site.get("/auth/phone/captcha/").json()
    error(
        site.post(
            "/auth/phone/captcha/verify/",
            {"captcha_token": wrong["captcha_token"], "captcha_code": "nope"},
        ),
        400,
        "invalid_captcha",
    )

    challenge = site.get("/auth/phone/captcha/")
    assert challenge.status_code == 200
    token, image_url = challenge.json()["captcha_token"], challenge.json()["captcha_url"]
    assert image_url.startswith(site.url + "/1.1/captchaImage?")
    image = site.http.get(image_url, timeout=10)
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/svg+xml"
    answer = site.get(f"/emulator/v1/captchas/{token}").json()["captcha_code"]
    verified = site.post(
        "/auth/phone/captcha/verify/", {"captcha_token": token, "captcha_code": answer}
    )
    assert verified.status_code == 200, verified.text
    validate_token = verified.json()["validate_token"]

    phone = "+8613500135000"
    code_sent(
        site.post("/auth/phone/sms-code/", {"phone": phone, "validate_token": validate_token})
    )
    code = read_code(site, phone, "generic")
    checked = site.post("/auth/phone/sms-code/verify/", {"phone": phone, "code": code})
    assert checked.status_code == 200, checked.text
    assert checked.json()["code"] == "code_verified"
    again = site.post("/auth/phone/sms-code/verify/", {"phone": phone, "code": code})
    error(again, 400, "invalid_code")  # spent


def test_openapi_schema_and_swagger_ui(site: Site) -> None:
    schema = site.get("/api/schema/")
    assert schema.status_code == 200
    assert schema.headers["Content-Type"].startswith("application/vnd.oai.openapi")
    assert schema.text.startswith("openapi: 3")
    document = site.get("/api/schema/", params={"format": "json"}).json()
    assert set(document["paths"]) == {f"/auth/phone/{route}" for route in API_ROUTES}
    assert "tokenAuth" in document["components"]["securitySchemes"]

    docs = site.get("/api/docs/")
    assert docs.status_code == 200
    assert 'id="swagger-ui"' in docs.text
    assert "/api/schema/" in docs.text


def test_swagger_ui_references_nothing_outside_the_site(site: Site) -> None:
    """Finding 17: ``/api/docs/`` loaded ``swagger-ui-dist@latest`` from a CDN (a blank page
    offline, an unpinned version online). Its scripts, style and icon are now the installed
    drf-spectacular-sidecar's, served by the site."""
    page = site.get("/api/docs/").text
    assert not re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page, re.IGNORECASE)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert {asset.rsplit("/", 1)[-1] for asset in assets} >= {
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
    }
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        served = site.get(asset)
        assert served.status_code == 200, asset
        assert served.content, asset
        assert not served.headers["Content-Type"].startswith("text/html"), asset


def test_emulator_api_inbox_and_console(site: Site) -> None:
    """LeanCloud's own API at /1.1/, as a mobile SDK would call it, and the inbox and console."""
    phone = "+8613600136000"
    sent = site.http.post(
        site.url + "/1.1/requestSmsCode",
        json={"mobilePhoneNumber": phone},
        headers={HEADER_ID: DEMO_APP_ID, "X-LC-Key": DEMO_APP_KEY},
        timeout=10,
    )
    assert sent.status_code == 200
    assert sent.json() == {}
    code = read_code(site, phone, "generic")
    assert f"+86136****6000: {code}" in site.output()
    assert phone not in site.output()  # the console masks the number


def test_check_is_clean_in_emulator_mode(tmp_path: Path) -> None:
    done = _manage(_env(tmp_path), "check", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_real_leancloud_mode_needs_its_keys(tmp_path: Path) -> None:
    real = {"LEANCLOUD_SERVER_URL": "https://api.example.com"}
    missing = _manage(_env(tmp_path, **real), "check")
    assert missing.returncode != 0
    assert "lc_phone.E001" in missing.stderr
    assert "APP_ID, APP_KEY" in missing.stderr  # no demo defaults against a real server

    keys = {"LEANCLOUD_APP_ID": "real-app-id", "LEANCLOUD_APP_KEY": "real-app-key"}
    no_master = _manage(_env(tmp_path, **real, **keys), "check", "--fail-level", "WARNING")
    assert no_master.returncode != 0
    assert "lc_phone.W009" in no_master.stderr  # the admin's re-sync would fail

    env = _env(tmp_path, **real, **keys, LEANCLOUD_MASTER_KEY="real-master-key")
    done = _manage(env, "check", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "real-master-key" not in done.stdout + done.stderr
    # The site serves no emulator then: its WSGI app is Django's own.
    probe = subprocess.run(
        [sys.executable, "-c", "import example_project.wsgi as w; print(w.application)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert "WSGIHandler" in probe.stdout
    # And the home page says so, with no emulator links.
    home = _manage(
        env,
        "shell",
        "-c",
        "from django.test import Client; "
        "print(Client().get('/', HTTP_HOST='127.0.0.1').content.decode())",
    )
    assert home.returncode == 0, home.stderr
    assert "LeanCloud mode" in home.stdout
    assert "https://api.example.com" in home.stdout
    assert "real-app-key" not in home.stdout
    assert 'href="/emulator/"' not in home.stdout
    assert "/1.1/users" not in home.stdout
    assert "http://127.0.0.1/auth/phone/sms-code/" in home.stdout


def test_no_demo_admin_without_debug(tmp_path: Path) -> None:
    env = _env(tmp_path, DJANGO_DEBUG="0")
    # Without EXAMPLE_REDIS_URL the limits live in LocMemCache, which a site without DEBUG may
    # not use (check lc_phone.E012); this test is about the demo admin.
    done = _manage(env, "migrate", "--noinput", "--skip-checks")
    assert done.returncode == 0, done.stdout + done.stderr
    assert CREATED_ADMIN not in done.stdout
    count = _manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; print(get_user_model().objects.count())",
    )
    assert count.returncode == 0, count.stderr
    assert count.stdout.split()[-1] == "0"
