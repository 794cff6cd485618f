"""The Aliyun SMS adapter against a local stub of dysmsapi: the stub checks every request's HMAC-SHA1 signature
and common parameters, answers with the provider's error codes on cue, and keeps what it "sent"; retries back
off, and a retry after a lost answer never sends twice (OutId + QuerySendDetails)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mutualaid.platform.sms_aliyun import (
    AliyunSmsBackend,
    AliyunSmsError,
    AliyunSmsRejected,
    AliyunSmsUnavailable,
    sign,
    string_to_sign,
    template_for,
)

KEY_ID, SECRET = "LTAI-stub-key", "stub-secret-一二三"
PHONE = "13812345678"


class ProviderStub:
    """dysmsapi's SendSms / QuerySendDetails. ``script`` is what the next SendSms calls do: ``ok``,
    ``ok_slow`` (sends, then answers after the client gave up), ``http500``, or an error code."""

    def __init__(self):
        self.script: list[str] = []
        self.sent: list[dict] = []
        self.requests: list[dict] = []
        self.nonces: set[str] = set()
        self.slow_seconds = 1.0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                params = dict(
                    urllib.parse.parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
                )
                status, body, delay = stub.handle(params)
                if delay:
                    time.sleep(delay)
                raw = json.dumps(body, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, params: dict) -> tuple[int, dict, float]:
        self.requests.append(params)
        rid = f"req-{len(self.requests)}"
        signature = params.pop("Signature", "")
        if params.get("AccessKeyId") != KEY_ID:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "RequestId": rid}, 0
        if sign("POST", params, SECRET) != signature:
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched", "RequestId": rid}, 0  # fmt: skip
        if params.get("SignatureNonce") in self.nonces:
            return 400, {"Code": "SignatureNonceUsed", "RequestId": rid}, 0
        self.nonces.add(params["SignatureNonce"])
        time.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        assert (params["Version"], params["Format"], params["SignatureMethod"], params["SignatureVersion"]) == (
            "2017-05-25", "JSON", "HMAC-SHA1", "1.0",
        )  # fmt: skip
        if params["Action"] == "QuerySendDetails":
            found = [
                {"OutId": s["OutId"], "BizId": s["BizId"], "PhoneNum": s["PhoneNumbers"], "SendStatus": 3}
                for s in self.sent
                if s["PhoneNumbers"] == params["PhoneNumber"]
            ]
            return 200, {"Code": "OK", "RequestId": rid, "TotalCount": len(found), "SmsSendDetailDTOs": {"SmsSendDetailDTO": found}}, 0  # fmt: skip
        assert params["Action"] == "SendSms"
        step = self.script.pop(0) if self.script else "ok"
        if step == "http500":
            return 500, {"Code": "InternalError", "RequestId": rid}, 0
        if step not in ("ok", "ok_slow"):
            return 200, {"Code": step, "Message": "stub refusal", "RequestId": rid}, 0
        record = dict(params, BizId=f"biz-{len(self.sent) + 1}")
        self.sent.append(record)
        return (
            200,
            {"Code": "OK", "Message": "OK", "BizId": record["BizId"], "RequestId": rid},
            (self.slow_seconds if step == "ok_slow" else 0),
        )


@pytest.fixture
def stub(settings):
    provider = ProviderStub()
    settings.SMS_ALIYUN_ACCESS_KEY_ID = KEY_ID
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = SECRET
    settings.SMS_ALIYUN_SIGN_NAME = "乡村互助"
    settings.SMS_ALIYUN_ENDPOINT = provider.url
    settings.SMS_ALIYUN_TEMPLATES = json.dumps(
        [{"code": "SMS_CODE_1", "pattern": r"验证码(?:为|是)?[:：]?\s*(?P<code>\d{4,8})"}]
    )
    settings.SMS_ALIYUN_DEFAULT_TEMPLATE = "SMS_NOTICE_9"
    settings.SMS_ALIYUN_MAX_ATTEMPTS = 3
    settings.SMS_ALIYUN_BACKOFF_SECONDS = 0.01
    settings.SMS_ALIYUN_TIMEOUT_SECONDS = 0.4
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


def backend():
    pauses: list[float] = []
    return AliyunSmsBackend(sleep=pauses.append), pauses


def test_signature_matches_the_documented_example():
    # Aliyun's RPC signature document: DescribeRegions signed with the secret "testsecret".
    params = {
        "AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
    }  # fmt: skip
    assert string_to_sign("GET", params).startswith("GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions")
    assert "Timestamp%3D2016-02-23T12%253A46%253A24Z" in string_to_sign("GET", params)
    assert sign("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_templates_come_from_settings(stub):
    assert template_for("您的验证码为：483920，10 分钟内有效") == ("SMS_CODE_1", {"code": "483920"})
    assert template_for("大公镇已开通") == ("SMS_NOTICE_9", {"content": "大公镇已开通"})


def test_send_is_signed_and_carries_template_signature_and_out_id(stub):
    sms, pauses = backend()
    sms.send(PHONE, "您的验证码为：483920，10 分钟内有效")
    assert len(stub.sent) == 1 and pauses == []
    sent = stub.sent[0]
    assert sent["SignName"] == "乡村互助" and sent["TemplateCode"] == "SMS_CODE_1"
    assert json.loads(sent["TemplateParam"]) == {"code": "483920"} and len(sent["OutId"]) == 32


def test_a_wrong_secret_is_refused_by_the_provider_and_not_retried(stub, settings):
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "not-the-secret"
    sms, _ = backend()
    with pytest.raises(AliyunSmsRejected) as refused:
        sms.send(PHONE, "通知")
    assert refused.value.code == "SignatureDoesNotMatch" and len(stub.requests) == 1 and stub.sent == []


@pytest.mark.parametrize(
    "code", ["isv.MOBILE_NUMBER_ILLEGAL", "isv.BUSINESS_LIMIT_CONTROL", "isv.AMOUNT_NOT_ENOUGH"]
)
def test_definite_refusals_raise_at_once(stub, code):
    stub.script = [code]
    sms, pauses = backend()
    with pytest.raises(AliyunSmsRejected) as refused:
        sms.send(PHONE, "通知")
    assert refused.value.code == code and len(stub.requests) == 1 and pauses == []


def test_transient_errors_are_retried_with_backoff_and_send_once(stub):
    stub.script = ["http500", "isp.SYSTEM_ERROR", "ok"]
    sms, pauses = backend()
    sms.send(PHONE, "通知")
    assert len(stub.sent) == 1
    assert pauses == [0.01, 0.02]  # doubling
    actions = [r["Action"] for r in stub.requests]
    # before each new attempt the adapter asks whether the OutId was already accepted
    assert actions == ["SendSms", "QuerySendDetails", "SendSms", "QuerySendDetails", "SendSms"]
    out_ids = {r["OutId"] for r in stub.requests if r["Action"] == "SendSms"}
    assert len(out_ids) == 1  # one idempotency key for every attempt


def test_a_lost_answer_is_not_sent_twice(stub):
    stub.script = ["ok_slow"]  # the provider sends, the client times out before the answer
    sms, _ = backend()
    sms.send(PHONE, "通知")
    assert len(stub.sent) == 1
    assert [r["Action"] for r in stub.requests] == ["SendSms", "QuerySendDetails"]


def test_every_attempt_failing_raises_unavailable_and_sends_nothing(stub):
    stub.script = ["isp.SYSTEM_ERROR"] * 3
    sms, pauses = backend()
    with pytest.raises(AliyunSmsUnavailable) as failed:
        sms.send(PHONE, "通知")
    assert failed.value.code == "isp.SYSTEM_ERROR" and stub.sent == [] and len(pauses) == 2


def test_provider_down_is_a_network_error(settings):
    settings.SMS_ALIYUN_ACCESS_KEY_ID, settings.SMS_ALIYUN_ACCESS_KEY_SECRET = KEY_ID, SECRET
    settings.SMS_ALIYUN_SIGN_NAME, settings.SMS_ALIYUN_DEFAULT_TEMPLATE = "乡村互助", "SMS_NOTICE_9"
    settings.SMS_ALIYUN_ENDPOINT = "http://127.0.0.1:9/"  # discard port: refused
    settings.SMS_ALIYUN_MAX_ATTEMPTS, settings.SMS_ALIYUN_BACKOFF_SECONDS = 2, 0.01
    sms, _ = backend()
    with pytest.raises(AliyunSmsError) as failed:
        sms.send(PHONE, "通知")
    assert failed.value.code in ("NETWORK", "DELIVERY_UNKNOWN")


def test_unconfigured_backend_says_what_is_missing(settings):
    settings.SMS_ALIYUN_ACCESS_KEY_ID = None
    with pytest.raises(AliyunSmsError, match="SMS_ALIYUN_ACCESS_KEY_ID"):
        AliyunSmsBackend()
