"""The built-in CAPTCHA (``django_lc_phone.providers.local.captcha``): an image no parser reads,
and tokens that carry their challenge, so asking for one stores nothing and each is good for one
try."""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import CacheHandler
from django.test import override_settings
from rest_framework.test import APIClient

from django_lc_phone import exceptions as domain
from django_lc_phone.guards import windows as ratelimit
from django_lc_phone.providers.local.captcha import ImageCaptcha, render_svg
from tests.app._api import assert_error, lc_phone_settings, post, url
from tests.limiter import FakeClock

# The token format captcha/verify/ and compat's verifyCaptcha accept.
TOKEN = re.compile(r"[A-Za-z0-9]{4,64}")
# The characters the CAPTCHA draws (glyphs.ALPHABET; spelt out so this module also runs
# against code from before the stroke font).
ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
# Answers that cover every character of the alphabet, and a few repeats.
ANSWERS = [ALPHABET[i : i + 4] for i in range(0, len(ALPHABET) - 3, 3)] + ["AAAA", "8888", "MWMW"]


def _svg(url: str) -> str:
    assert url.startswith("data:image/svg+xml;base64,")
    return base64.b64decode(url.split(",", 1)[1]).decode()


def _skeleton(svg: str) -> str:
    """The markup with every number blanked: what is left when the coordinates are gone."""
    return re.sub(r"[0-9]+(?:\.[0-9]+)?", "#", svg)


def _regex_solvers() -> list[Any]:
    """Ways a script reads an SVG CAPTCHA's answer with regular expressions."""

    def text_elements(svg: str) -> str:
        return "".join(re.findall(r"<text[^>]*>\s*([^<]*?)\s*</text>", svg))

    def tag_contents(svg: str) -> str:
        return "".join(re.findall(r">\s*([0-9A-Za-z])\s*<", svg))

    def labels(svg: str) -> str:
        found = re.search(r'(?:aria-label|title|alt|data-[a-z-]+)="([^"]*)"', svg)
        return found.group(1) if found else ""

    def letters_in_the_markup(svg: str) -> str:
        return "".join(re.findall(f"[{ALPHABET}]", svg))

    def runs_of_four(svg: str) -> str:
        found = re.search(f"(?<![A-Za-z])[{ALPHABET}]{{4}}(?![A-Za-z])", svg.upper())
        return found.group(0) if found else ""

    return [text_elements, tag_contents, labels, letters_in_the_markup, runs_of_four]


@pytest.fixture
def local() -> Iterator[None]:
    with lc_phone_settings(PROVIDER="local"):
        yield


# --- the image --------------------------------------------------------------------------------


def test_a_regex_solver_never_reads_the_answer() -> None:
    """Finding 4: the SVG carried its characters as ``<text>``; one regular expression solved
    every challenge. Now no regular expression over the markup gives the answer."""
    solved = Counter[str]()
    for answer in ANSWERS * 3:
        svg = render_svg(answer)
        for solver in _regex_solvers():
            if solver(svg).upper() == answer:
                solved[solver.__name__] += 1
    assert solved == Counter()


def test_the_challenge_is_that_image(captcha_answers: dict[str, str]) -> None:
    challenge = ImageCaptcha().challenge()
    svg = _svg(challenge.url)
    assert _skeleton(svg) == _skeleton(render_svg(captcha_answers[challenge.token]))


def test_the_image_names_the_answer_nowhere() -> None:
    """Finding 4: no text, no font, no character in the file; the coordinates are distorted
    themselves (no transform attribute to undo)."""
    for answer in ANSWERS:
        svg = render_svg(answer)
        assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
        assert svg.endswith("</svg>")
        assert answer not in svg
        for absent in ("<text", "font", "transform", "<use", "<symbol", "<desc", "<title"):
            assert absent not in svg, absent


def test_the_markup_is_the_same_whatever_the_answer() -> None:
    """Finding 4: the elements, their order and their attributes do not depend on the answer:
    with the numbers blanked, every image is the same text."""
    skeletons = {_skeleton(render_svg(answer)) for answer in ANSWERS for _ in range(3)}
    assert len(skeletons) == 1
    [skeleton] = skeletons
    assert re.findall(r"<(\w+)", skeleton) == ["svg", "rect", "g", *["polyline"] * 13]


def test_two_images_of_one_answer_differ() -> None:
    """Each image has its own distortion, decoys and stroke order."""
    first, second = render_svg("AB3X"), render_svg("AB3X")
    assert first != second
    points = [set(re.findall(r'points="([^"]*)"', svg)) for svg in (first, second)]
    assert not points[0] & points[1]  # not even one stroke drawn alike


def test_every_character_has_two_strokes_of_its_own() -> None:
    from django_lc_phone.providers.local.captcha.glyphs import ALPHABET as DRAWN
    from django_lc_phone.providers.local.captcha.glyphs import GLYPHS, STROKES

    assert DRAWN == ALPHABET
    assert sorted(GLYPHS) == sorted(ALPHABET)
    assert {len(strokes) for strokes in GLYPHS.values()} == {STROKES}
    drawings = [tuple(strokes) for strokes in GLYPHS.values()]
    assert len(set(drawings)) == len(drawings)


def test_every_stroke_has_as_many_points() -> None:
    counts = {len(p.split()) for p in re.findall(r'points="([^"]*)"', render_svg("MW8Q"))}
    assert len(counts) == 1


# --- the tokens -------------------------------------------------------------------------------


def test_a_challenge_writes_to_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 1: every anonymous ``captcha/`` stored its answer in the limits' cache, without
    bound, so asking for challenges could evict lockouts and cooldowns. Issuing one now
    touches no cache at all: the token carries the challenge."""

    def no_cache(self: CacheHandler, alias: str) -> Any:
        raise AssertionError(f"the cache {alias!r} was used")

    with monkeypatch.context() as patched:
        patched.setattr(CacheHandler, "__getitem__", no_cache)
        challenge = ImageCaptcha().challenge()
    assert TOKEN.fullmatch(challenge.token)


def _entries() -> int:
    """How many keys the limits' cache holds (this run's, on Redis)."""
    store: Any = ratelimit.cache()
    client = getattr(store, "_cache", None)
    if hasattr(client, "get_client"):
        redis = client.get_client(write=False)  # type: ignore[union-attr]
        return sum(1 for _ in redis.scan_iter(match=f"{store.key_prefix}:*"))
    return len(client)  # type: ignore[arg-type]


def test_asking_for_challenges_does_not_grow_the_cache(api: APIClient, local: None) -> None:
    """Finding 1: a hundred anonymous ``GET captcha/`` cost the cache what one does."""
    assert api.get(url("captcha/")).status_code == 200
    after_one = _entries()
    for _ in range(100):
        assert api.get(url("captcha/")).status_code == 200
    assert _entries() == after_one


def test_the_token_carries_its_expiry_and_fits_what_verify_accepts(
    captcha_answers: dict[str, str], limiter_clock: FakeClock
) -> None:
    tokens = [ImageCaptcha().challenge().token for _ in range(20)]
    assert len(set(tokens)) == 20
    for token in tokens:
        assert TOKEN.fullmatch(token)
        assert int(token[24:32], 16) - limiter_clock() == pytest.approx(300, abs=1)


def test_a_right_answer_in_any_case_gives_a_validate_token(
    captcha_answers: dict[str, str],
) -> None:
    verifier = ImageCaptcha()
    challenge = verifier.challenge()
    answer = captcha_answers[challenge.token]
    validate_token = verifier.verify(challenge.token, f"  {answer.lower()} ")
    assert re.fullmatch(r"[0-9a-f]{48}", validate_token)


def test_each_attempt_costs_one_cache_entry_until_the_token_expires(
    captcha_answers: dict[str, str],
) -> None:
    verifier = ImageCaptcha()
    challenge = verifier.challenge()
    before = _entries()
    with pytest.raises(domain.InvalidCaptcha):
        verifier.verify(challenge.token, "????")
    assert _entries() == before + 1
    with pytest.raises(domain.CaptchaSpent):
        verifier.verify(challenge.token, captcha_answers[challenge.token])
    assert _entries() == before + 1


def test_a_spent_challenge_says_so(captcha_answers: dict[str, str]) -> None:
    """Finding 18: a challenge answered before said "the answer is wrong"."""
    verifier = ImageCaptcha()
    challenge = verifier.challenge()
    answer = captcha_answers[challenge.token]
    verifier.verify(challenge.token, answer)
    with pytest.raises(domain.CaptchaSpent):  # right answers too: one try per challenge
        verifier.verify(challenge.token, answer)
    wrong = verifier.challenge()
    with pytest.raises(domain.InvalidCaptcha) as first:
        verifier.verify(wrong.token, "????")
    assert type(first.value) is domain.InvalidCaptcha
    with pytest.raises(domain.CaptchaSpent):
        verifier.verify(wrong.token, captcha_answers[wrong.token])


def test_an_expired_challenge_says_so(
    captcha_answers: dict[str, str], limiter_clock: FakeClock
) -> None:
    """Finding 18: an expired challenge said "the answer is wrong"."""
    verifier = ImageCaptcha()
    challenge = verifier.challenge()
    limiter_clock.advance(299)
    live = verifier.challenge()
    limiter_clock.advance(2)
    with pytest.raises(domain.CaptchaExpired):
        verifier.verify(challenge.token, captcha_answers[challenge.token])
    verifier.verify(live.token, captcha_answers[live.token])  # issued later: still good


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:24] + f"{int(t[24:32], 16) + 60:08x}" + t[32:],  # a later expiry
        lambda t: "0" * 24 + t[24:],  # another id
        lambda t: t[:32] + "0" * 32,  # another MAC
        lambda t: t[:24] + "ffffffff" + t[32:],  # an expiry no token from here has
        lambda t: t.upper(),
        lambda t: t[:-1],
        lambda t: "f" * 32,  # the old format
    ],
)
def test_a_token_changed_or_not_from_here_is_refused_as_a_wrong_answer(
    captcha_answers: dict[str, str], forge: Any
) -> None:
    verifier = ImageCaptcha()
    challenge = verifier.challenge()
    with pytest.raises(domain.InvalidCaptcha) as refused:
        verifier.verify(forge(challenge.token), captcha_answers[challenge.token])
    assert type(refused.value) is domain.InvalidCaptcha


def test_a_token_from_a_site_with_another_secret_key_is_refused(
    captcha_answers: dict[str, str],
) -> None:
    verifier = ImageCaptcha()
    with override_settings(SECRET_KEY="another-site-entirely-" * 3):
        challenge = verifier.challenge()
    with pytest.raises(domain.InvalidCaptcha):
        verifier.verify(challenge.token, captcha_answers[challenge.token])


# --- what clients see -------------------------------------------------------------------------


def test_the_api_tells_wrong_spent_and_expired_apart(
    api: APIClient, local: None, limiter_clock: FakeClock
) -> None:
    """Finding 18: ``captcha/verify/`` answered ``invalid_captcha`` ("The CAPTCHA answer is
    wrong.") for a spent or expired challenge too; now each says what to do."""
    token = api.get(url("captcha/")).json()["captcha_token"]
    body = {"captcha_token": token, "captcha_code": "????"}
    wrong = post(api, "captcha/verify/", body)
    assert_error(wrong, 400, "invalid_captcha")
    assert wrong.json()["detail"] == "The CAPTCHA answer is wrong."
    # Any second answer, the right one too: the challenge was spent by the first.
    spent = post(api, "captcha/verify/", {**body, "captcha_code": "ABCD"})
    assert_error(spent, 400, "captcha_spent")
    assert spent.json()["detail"] == "This CAPTCHA was already answered. Ask for a new one."

    old = api.get(url("captcha/")).json()["captcha_token"]
    limiter_clock.advance(301)
    expired = post(api, "captcha/verify/", {"captcha_token": old, "captcha_code": "ABCD"})
    assert_error(expired, 400, "captcha_expired")
    assert expired.json()["detail"] == "This CAPTCHA has expired. Ask for a new one."


def test_the_api_takes_a_right_answer_once(
    api: APIClient, local: None, captcha_answers: dict[str, str]
) -> None:
    token = api.get(url("captcha/")).json()["captcha_token"]
    body = {"captcha_token": token, "captcha_code": captcha_answers[token]}
    verified = post(api, "captcha/verify/", body)
    assert verified.status_code == 200, verified.content
    assert set(verified.json()) == {"validate_token"}
    assert_error(post(api, "captcha/verify/", body), 400, "captcha_spent")


def test_the_api_answers_in_chinese(api: APIClient, local: None) -> None:
    token = api.get(url("captcha/")).json()["captcha_token"]
    body = {"captcha_token": token, "captcha_code": "????"}
    post(api, "captcha/verify/", body)
    spent = post(api, "captcha/verify/", body, HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert_error(spent, 400, "captcha_spent")
    assert re.search(r"[\u4e00-\u9fff]", spent.json()["detail"])
