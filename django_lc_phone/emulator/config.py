"""The emulator's settings: credentials, LeanCloud console switches, SMS limits and templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

# Documented demo credentials: the emulator, the example site and the docs share them.
DEMO_APP_ID: Final = "lcphoneDemoAppId0-gzGzoHsz"
DEMO_APP_KEY: Final = "lcphoneDemoAppKey000000"
DEMO_MASTER_KEY: Final = "lcphoneDemoMasterKey000"


@dataclass(frozen=True)
class SmsLimits:
    """LeanCloud's documented per-number SMS limits (§5.1 of the reference), in seconds."""

    resend_interval: float = 10  # app level: code 1 "SMS request too fast"
    signature_interval: float = 60  # signature level, any type: 601
    verification_per_day: int = 10  # rolling 24 h: 601
    notification_per_day: int = 15
    voice_interval: float = 30
    voice_per_hour: int = 3
    voice_per_day: int = 5


@dataclass(frozen=True)
class CodeTtls:
    """Code lifetimes in minutes: 10 by default, 6 for change-phone (§5.2)."""

    default: int = 10
    change_phone: int = 6
    max_ttl: int = 30


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything that shapes the emulator's answers. Switch names follow LeanCloud's console."""

    app_id: str = DEMO_APP_ID
    app_key: str = DEMO_APP_KEY
    master_key: str = DEMO_MASTER_KEY
    app_name: str = "LeanCloud Emulator"
    # 启用通用的短信验证码服务: when off, only master-key calls may use requestSmsCode.
    generic_sms_enabled: bool = True
    # 图形验证码服务 and 强制短信验证服务使用图形验证码.
    captcha_enabled: bool = True
    captcha_required: bool = False
    # 已验证手机号码的用户，允许以短信验证码登录.
    sms_login_enabled: bool = True
    # 未验证手机号码的用户，禁止登录 (phone logins only).
    block_unverified_phone_login: bool = False
    # 未验证手机号码的用户，允许以短信重置密码.
    allow_unverified_reset: bool = False
    # New apps have _User find permission off: queries need the master key.
    user_find_requires_master: bool = True
    # Login lock: more than ``lock_failures`` failures within ``lock_window`` seconds.
    lock_failures: int = 6
    lock_window: float = 15 * 60
    limits: SmsLimits = field(default_factory=SmsLimits)
    ttls: CodeTtls = field(default_factory=CodeTtls)
    # Approved templates: name -> Handlebars text with {{{var}}}; {{{code}}} makes it a code SMS.
    templates: dict[str, str] = field(
        default_factory=lambda: {
            "Order_Notice": "Your order {{{order_id}}} ships on {{{date}}}.",
            "Login_Code": "Your {{{name}}} login code is {{{code}}}, valid {{{ttl}}} minutes.",
        }
    )
    signatures: tuple[str, ...] = ("LeanCloud",)
    # Console test numbers: phone -> fixed 6-digit code that always verifies and is reusable.
    test_numbers: dict[str, str] = field(default_factory=dict)
    captcha_ttl: int = 60
    validate_token_ttl: int = 10 * 60
    # Print each code to stdout (the server does; tests do not).
    echo_codes: bool = False
