"""Public pages without login at the town's address, exports, the village PDF, and the privacy scan of them all."""

from __future__ import annotations

import io
import json

from django.db import connection
from django.test import Client

from mutualaid.disclosure import actions
from mutualaid.disclosure.rules import privacy_findings
from mutualaid.enrolment.models import Member


def public_outputs(town, disclosure) -> dict[str, str]:
    """Every public output of a disclosure, as text (the PDF's text read back)."""
    from pypdf import PdfReader

    client = Client()
    base = f"/t/{town.code}/disclosure/"
    out: dict[str, str] = {}
    for path in ("", f"{disclosure.label}/", f"{disclosure.label}.csv", f"{disclosure.label}.json"):
        response = client.get(base + path)
        assert response.status_code == 200, (path, response.status_code)
        out[path] = response.content.decode("utf-8")
    for village in {s["village_code"] for s in disclosure.content["subsidies"]}:
        page = client.get(f"{base}{disclosure.label}/village/{village}/")
        assert page.status_code == 200
        out[f"village {village}"] = page.content.decode()
        pdf = client.get(f"{base}{disclosure.label}/village/{village}.pdf")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(pdf.content))
        out[f"pdf {village}"] = "\n".join(p.extract_text() for p in reader.pages)
    connection.set_tenant(town)
    return out


def full_names() -> set[str]:
    return set(Member.objects.values_list("name", flat=True))


def test_pages_exports_and_pdf_are_public_and_clean(published, scheme):
    outputs = public_outputs(scheme.town, published)
    page = outputs[f"{published.label}/"]
    assert "互助资金公示" in page and "王*山" in page and "<script" not in page
    assert "http://" not in page.replace("http://testserver", "") and "https://" not in page
    assert json.loads(outputs[f"{published.label}.json"])["reconciled"] is True
    assert "王*山" in outputs[f"{published.label}.csv"]
    assert any("石盘村" in text and "王*山" in text for key, text in outputs.items() if key.startswith("pdf"))
    for key, text in outputs.items():
        assert privacy_findings(text, full_names()) == [], key


def test_drafts_and_unknown_months_are_404(march, scheme):
    actions.generate_draft(__import__("datetime").date(2023, 3, 1), actor=None)
    client = Client()
    assert client.get(f"/t/{scheme.town.code}/disclosure/2023-03/").status_code == 404
    assert client.get(f"/t/{scheme.town.code}/disclosure/2023-13/").status_code == 404
    assert client.get(f"/t/{scheme.town.code}/disclosure/2023-03.csv").status_code == 404


def test_objection_form_answers_the_same_for_any_phone(published, scheme):
    client = Client()
    url = f"/t/{scheme.town.code}/disclosure/{published.label}/objection/"
    member = client.post(url, {"step": "code", "phone": "13900001111"})
    stranger = client.post(url, {"step": "code", "phone": "13700009999"})
    assert member.status_code == stranger.status_code == 200
    assert (
        "如手机号正确，验证码已发送" in member.content.decode()
        and "如手机号正确" in stranger.content.decode()
    )
    bad = client.post(
        url,
        {
            "step": "submit",
            "claim": str(published.content["subsidies"][0]["no"]),
            "reason": "理由",
            "phone": "13700009999",
            "code": "1",
        },
    )
    assert bad.status_code == 400 and "验证码错误" in bad.content.decode()
