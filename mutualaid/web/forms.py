"""The console's forms: plain Django forms whose field names are the domain's, so typed errors land next to them."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from mutualaid.platform.validators import normalise_mobile


class LoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150)
    password = forms.CharField(label=gettext_lazy("密码"), widget=forms.PasswordInput)


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("手机号"), max_length=11, widget=forms.TextInput(attrs={"type": "tel"})
    )

    def clean_phone(self):
        try:
            return normalise_mobile(self.cleaned_data["phone"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.error_dict["phone"][0].messages[0]) from exc


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("短信验证码"), max_length=6, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("搜索"), required=False, max_length=64)
