"""Aliyun SMS (阿里云短信服务, dysmsapi 2017-05-25) behind the SMS interface of ``mutualaid.platform.sms``.

Select it with ``SMS_BACKEND=mutualaid.platform.sms_aliyun.AliyunSmsBackend``. Aliyun only sends approved
templates under an approved signature (签名), so a message's text is matched against ``SMS_ALIYUN_TEMPLATES``
(first match wins; the pattern's named groups become the template's parameters) and falls back to
``SMS_ALIYUN_DEFAULT_TEMPLATE`` (a notice template with one parameter ``${content}``). Settings:

    SMS_ALIYUN_ACCESS_KEY_ID / SMS_ALIYUN_ACCESS_KEY_SECRET   the RAM user's AccessKey
    SMS_ALIYUN_SIGN_NAME                                     the approved signature, e.g. 乡村互助
    SMS_ALIYUN_TEMPLATES         JSON list of {"code": "SMS_123", "pattern": "...(?P<code>\\d{6})..."}
    SMS_ALIYUN_DEFAULT_TEMPLATE  template code for texts no pattern matches (unset: such a text is refused)
    SMS_ALIYUN_ENDPOINT          https://dysmsapi.aliyuncs.com/ (tests point it at a local stub)
    SMS_ALIYUN_REGION            cn-hangzhou
    SMS_ALIYUN_MAX_ATTEMPTS / SMS_ALIYUN_BACKOFF_SECONDS / SMS_ALIYUN_TIMEOUT_SECONDS   3 / 0.5 / 5

Requests are RPC style, signed with HMAC-SHA1 (SignatureVersion 1.0): the sorted, percent-encoded parameters,
``POST&%2F&<encoded query>``, keyed with ``<AccessKeySecret>&``.

Retries: network failures, HTTP 5xx and the provider's transient codes are retried with exponential backoff. A
retry never sends twice: every attempt of one message carries the same ``OutId``, and before sending again the
adapter asks ``QuerySendDetails`` whether a message with that OutId was already accepted (a timed-out request may
have been sent); if so, it stops there. Definite refusals (bad number, template, signature, balance, the
per-number rate limit) raise ``AliyunSmsRejected`` at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from django.conf import settings

from mutualaid.platform.sms import SmsBackend

logger = logging.getLogger(__name__)

API_VERSION = "2017-05-25"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
CHINA = timezone(timedelta(hours=8))
# Codes worth another attempt; anything else that is not OK is a definite refusal.
TRANSIENT_CODES = frozenset(
    {"isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY_TEMPORARY", "Throttling", "Throttling.User",
     "ServiceUnavailable", "InternalError", "isv.SYSTEM_BUSY"}
)  # fmt: skip


class AliyunSmsError(Exception):
    """The message was not sent. ``code`` is the provider's code (or ``NETWORK`` / ``HTTP_<status>``)."""

    def __init__(self, code: str, message: str = "", *, request_id: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code, self.message, self.request_id = code, message, request_id


class AliyunSmsRejected(AliyunSmsError):
    """A definite refusal: retrying the same request cannot succeed."""


class AliyunSmsUnavailable(AliyunSmsError):
    """Every attempt failed transiently; nothing was sent (checked by OutId)."""


@dataclass(frozen=True)
class Template:
    code: str
    pattern: re.Pattern | None  # None: the default template, the whole text as ``content``


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's signature wants it (space %20, ``*`` %2A, ``~`` kept)."""
    return urllib.parse.quote(str(value), safe="-_.~")


def string_to_sign(method: str, params: dict[str, str]) -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def sign(method: str, params: dict[str, str], secret: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _setting(name: str, default: Any = None) -> Any:
    value = getattr(settings, name, None)
    return default if value in (None, "") else value


def _templates() -> list[Template]:
    configured = _setting("SMS_ALIYUN_TEMPLATES", [])
    if isinstance(configured, str):
        configured = json.loads(configured)
    templates = [Template(entry["code"], re.compile(entry["pattern"], re.S)) for entry in configured]
    default = _setting("SMS_ALIYUN_DEFAULT_TEMPLATE")
    if default:
        templates.append(Template(default, None))
    return templates


def template_for(text: str) -> tuple[str, dict[str, str]]:
    """The template code and parameters for a message's text."""
    for template in _templates():
        if template.pattern is None:
            return template.code, {"content": text}
        match = template.pattern.search(text)
        if match:
            return template.code, {k: v for k, v in match.groupdict().items() if v is not None}
    raise AliyunSmsRejected("NO_TEMPLATE", "没有与短信内容匹配的短信模板（SMS_ALIYUN_TEMPLATES）")


class AliyunSmsBackend(SmsBackend):
    def __init__(self, *, sleep=time.sleep):
        self.access_key_id = _setting("SMS_ALIYUN_ACCESS_KEY_ID")
        self.access_key_secret = _setting("SMS_ALIYUN_ACCESS_KEY_SECRET")
        self.sign_name = _setting("SMS_ALIYUN_SIGN_NAME")
        if not (self.access_key_id and self.access_key_secret and self.sign_name):
            raise AliyunSmsError(
                "NOT_CONFIGURED",
                "SMS_ALIYUN_ACCESS_KEY_ID, SMS_ALIYUN_ACCESS_KEY_SECRET and SMS_ALIYUN_SIGN_NAME must be set",
            )
        self.endpoint = _setting("SMS_ALIYUN_ENDPOINT", DEFAULT_ENDPOINT)
        self.region = _setting("SMS_ALIYUN_REGION", "cn-hangzhou")
        self.max_attempts = max(1, int(_setting("SMS_ALIYUN_MAX_ATTEMPTS", 3)))
        self.backoff = float(_setting("SMS_ALIYUN_BACKOFF_SECONDS", 0.5))
        self.timeout = float(_setting("SMS_ALIYUN_TIMEOUT_SECONDS", 5))
        self.sleep = sleep

    # --- the interface ---
    def send(self, phone: str, text: str) -> None:
        self.send_template(phone, *template_for(text))

    def send_template(self, phone: str, template_code: str, params: dict[str, str], out_id: str = "") -> str:
        """Send one templated message; returns the provider's BizId. ``out_id`` is the idempotency key (one
        is made when not given); every attempt carries it."""
        out_id = out_id or uuid.uuid4().hex
        request = {
            "Action": "SendSms",
            "PhoneNumbers": phone,
            "SignName": self.sign_name,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "OutId": out_id,
        }
        sent_on = datetime.now(CHINA).strftime("%Y%m%d")
        last: AliyunSmsError | None = None
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                self.sleep(self.backoff * 2 ** (attempt - 2))
                already = self._sent_before(phone, out_id, sent_on)
                if already is not None:
                    logger.info("SMS OutId %s was accepted by the first attempt; not sending again", out_id)
                    return already
            try:
                body = self._call(request)
            except AliyunSmsRejected:
                raise
            except AliyunSmsError as exc:
                last = exc
                logger.warning("SMS attempt %s/%s failed: %s", attempt, self.max_attempts, exc)
                continue
            return str(body.get("BizId") or "")
        assert last is not None
        # One last look: the final attempt may have been accepted although its answer was lost.
        already = self._sent_before(phone, out_id, sent_on)
        if already is not None:
            return already
        raise AliyunSmsUnavailable(last.code, last.message, request_id=last.request_id)

    # --- the provider's API ---
    def _sent_before(self, phone: str, out_id: str, sent_on: str) -> str | None:
        """The BizId of a message with this OutId already accepted today, else None. When the query itself fails
        we cannot know whether the message went out, and we do not send again: ``AliyunSmsUnavailable``."""
        try:
            body = self._call(
                {"Action": "QuerySendDetails", "PhoneNumber": phone, "SendDate": sent_on, "PageSize": "50",
                 "CurrentPage": "1"}
            )  # fmt: skip
        except AliyunSmsError as exc:
            raise AliyunSmsUnavailable(
                "DELIVERY_UNKNOWN", f"could not check OutId {out_id}: {exc}", request_id=exc.request_id
            ) from exc
        details = (body.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        for detail in details:
            if detail.get("OutId") == out_id:
                return str(detail.get("BizId") or "")
        return None

    def signed_params(self, request: dict[str, str], method: str = "POST") -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id,
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            **request,
        }
        params["Signature"] = sign(method, params, self.access_key_secret)
        return params

    def _call(self, request: dict[str, str]) -> dict:
        data = urllib.parse.urlencode(self.signed_params(request), quote_via=urllib.parse.quote).encode()
        http_request = urllib.request.Request(
            self.endpoint, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        try:
            with urllib.request.urlopen(http_request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            body = _json(raw)
            code = body.get("Code") or f"HTTP_{exc.code}"
            error_class = AliyunSmsError if exc.code >= 500 or code in TRANSIENT_CODES else AliyunSmsRejected
            raise error_class(code, body.get("Message", ""), request_id=body.get("RequestId", "")) from exc
        except (OSError, TimeoutError) as exc:  # refused, reset, timed out
            raise AliyunSmsError("NETWORK", str(exc)) from exc
        body = _json(raw)
        code = body.get("Code")
        if code == "OK":
            return body
        message, request_id = body.get("Message", ""), body.get("RequestId", "")
        if code in TRANSIENT_CODES or code is None:
            raise AliyunSmsError(code or "BAD_RESPONSE", message, request_id=request_id)
        raise AliyunSmsRejected(code, message, request_id=request_id)


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
