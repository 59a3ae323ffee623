"""django-allauth adapters: dashboard users are made by the operator, never by signing up.

Local accounts sign in with a password and TOTP. "Sign in with Microsoft" (allauth's microsoft
provider) connects to the existing dashboard user with the same email (email authentication with
auto-connect, trusted only for the verified domains in settings) and never creates a user: a
stranger with a Microsoft account gets allauth's "sign up closed" page.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: object) -> bool:
        return False
