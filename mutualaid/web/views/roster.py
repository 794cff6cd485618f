"""Roster import: upload a village roster (csv/xlsx), follow the import with a live progress bar (htmx polls the
job), and download the error report (the file's rows with an error column)."""

from __future__ import annotations

from django import forms
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy

from mutualaid.enrolment import actions
from mutualaid.enrolment import permissions as perms
from mutualaid.enrolment.models import ImportJob, ImportStatus, Village
from mutualaid.web import nav
from mutualaid.web.access import allowed, perform, render, town_code, town_page

nav.register(nav.NavItem("roster", "花名册导入", "web-roster", order=35, rule=perms.IMPORT_ROSTER))


class RosterForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("花名册文件（CSV 或 XLSX）"))
    village_code = forms.ChoiceField(label=gettext_lazy("只导入该村（村协管员必选）"), required=False)


def _villages(request) -> list[tuple[str, str]]:
    codes = perms.visible_villages(request.user, perms.IMPORT_ROSTER, town_code(request))
    villages = Village.objects.order_by("code")
    if codes is not None:
        villages = villages.filter(code__in=codes)
    return [(v.code, f"{v.name}（{v.code}）") for v in villages]


def _jobs(request):
    codes = perms.visible_villages(request.user, perms.IMPORT_ROSTER, town_code(request))
    jobs = ImportJob.objects.order_by("-created_at")
    return jobs if codes is None else jobs.filter(village_code__in=codes)


@town_page(perms.IMPORT_ROSTER)
def roster(request):
    form = RosterForm(request.POST or None, request.FILES or None)
    whole_town = (
        allowed(request, perms.IMPORT_ROSTER)
        and perms.visible_villages(request.user, perms.IMPORT_ROSTER, town_code(request)) is None
    )
    choices = _villages(request)
    form.fields["village_code"].choices = ([("", "全镇")] if whole_town else []) + choices
    if request.method == "POST" and form.is_valid():
        village = form.cleaned_data["village_code"] or None
        if not allowed(request, perms.IMPORT_ROSTER, village):
            raise Http404("未找到页面")
        upload = form.cleaned_data["file"]
        job = perform(
            form,
            lambda: actions.submit_roster_import(
                upload.name, upload.read(), village_code=village, actor=request.user
            ),
        )
        if job is not None:
            return redirect("web-roster-job", pk=job.pk)
    return render(request, "web/town/roster.html", {"form": form, "jobs": _jobs(request)[:20]})


def _job(request, pk: int) -> ImportJob:
    job = _jobs(request).filter(pk=pk).first()
    if job is None:
        raise Http404("未找到页面")
    return job


@town_page(perms.IMPORT_ROSTER)
def roster_job(request, pk: int):
    job = _job(request, pk)
    finished = job.status in (ImportStatus.DONE, ImportStatus.FAILED)
    percent = int(job.rows_done * 100 / job.rows_total) if job.rows_total else (100 if finished else 0)
    context = {"job": job, "finished": finished, "percent": percent}
    template = "web/town/partials/roster_job.html" if request.htmx else "web/town/roster_job.html"
    return render(request, template, context)


@town_page(perms.IMPORT_ROSTER)
def roster_errors(request, pk: int):
    job = _job(request, pk)
    if not job.error_report:
        raise Http404("未找到页面")
    name = (job.error_report.name or "").rsplit("/", 1)[-1]
    return FileResponse(job.error_report.open("rb"), as_attachment=True, filename=name)
