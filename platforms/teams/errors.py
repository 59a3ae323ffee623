"""Microsoft's error codes (Entra AADSTS, MSAL sub-errors, Graph, Bot Framework) -> situations.

Entra's ``error`` field is unreliable (the same AADSTS code comes with ``invalid_grant`` and with
``interaction_required``), and its description is prose that Microsoft rewords. So Mio decides on
the AADSTS numbers in ``error_codes`` first, then on ``suberror``; never on ``error`` or text.

One table holds every namespace, keyed so they cannot collide:
- ``"65001"``: an AADSTS number (Entra's token and authorize endpoints);
- ``"suberror:consent_required"``: Entra's sub-error, used when no AADSTS number is known;
- ``"graph:InvalidAuthenticationToken"``: a Microsoft Graph error code;
- ``"bot:BotNotInConversationRoster"``: a Bot Framework connector error code (Teams).

Every rule links the page that documents it. Related codes follow Entra's error reference: for
each primary code of provider-errors.md the neighbours that mean the same thing to an admin or
to the user are mapped too.
"""

from __future__ import annotations

from collections.abc import Iterable

from platforms.errors import ErrorRule, ErrorTable
from tokens.situations import Situation

# Entra's published list of AADSTS codes (descriptions, fixes).
AADSTS = "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes#aadsts-error-codes"
# Codes Microsoft documents only on its live lookup page (not in the reference table).
LOOKUP = "https://login.microsoftonline.com/error?code="
# MSAL's classification of interaction-required errors (the ``suberror`` values).
SUBERRORS = "https://learn.microsoft.com/en-us/dotnet/api/microsoft.identity.client.uirequiredexceptionclassification"
SUBERRORS_JS = "https://learn.microsoft.com/en-us/javascript/api/@azure/msal-node/interactionrequiredautherrorcodes"
GRAPH_ERRORS = "https://learn.microsoft.com/en-us/graph/errors"
DIRECTORY_ERRORS = "https://learn.microsoft.com/en-us/graph/resolve-auth-errors"
BOT_STATUS_CODES = (
    "https://learn.microsoft.com/en-us/microsoftteams/platform/bots/build-conversational-capability"
    "#status-codes-from-bot-conversational-apis"
)
# "If the bot is blocked or uninstalled, Teams returns a 403 response code with a subCode:
# MessageWritesBlocked"; and the aadObjectId fallback answers 403 ForbiddenOperationException
# when the bot is not installed in the user's personal scope.
BOT_PROACTIVE = (
    "https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/conversations/"
    "send-proactive-messages#understand-who-blocked-muted-or-uninstalled-a-bot"
)

S = Situation


def _aadsts(situation: Situation, codes: Iterable[int], doc: str = AADSTS) -> list[ErrorRule]:
    return [ErrorRule(str(code), situation, doc) for code in codes]


ENTRA_RULES: list[ErrorRule] = [
    # --- consent: nobody (or not the admin) approved Mio's permissions -------------------------
    # 65001 DelegationDoesNotExist; 65004 UserDeclinedConsent; 90094 AdminConsentRequired;
    # 90095 AdminConsentRequiredRequestAccess; 90008 TokenForItselfRequiresGraphPermission
    # ("the user or administrator hasn't consented"); 650056 "the admin has not consented in the
    # tenant" (its other causes are registration mistakes, but consent is the admin's fix first).
    *_aadsts(S.CONSENT_MISSING, [65001, 65004, 90094, 90095, 90008, 650056]),
    # --- Conditional Access and tenant security policies ---------------------------------------
    # 53000 DeviceNotCompliant, 53001 DeviceNotDomainJoined, 53002
    # ApplicationUsedIsNotAnApprovedApp, 53003 BlockedByConditionalAccess,
    # 530032 BlockedByConditionalAccessOnSecurityPolicy,
    # 530035 BlockedBySecurityDefaults, 50131 ConditionalAccessFailed, 50097
    # DeviceAuthenticationRequired, 50005 DevicePolicyError, 53011 user blocked due to risk,
    # 53004 ProofUpBlockedDueToRisk (MFA registration itself is blocked by risk policy: the user
    # cannot fix it, an admin must remediate the risk).
    *_aadsts(S.CA_BLOCKED, [53000, 53001, 53002, 53003, 530032, 530035, 50131, 50097, 50005]),
    *_aadsts(S.CA_BLOCKED, [53011, 53004]),
    # 530003 "Your device is required to be managed to access this resource" (device-based CA):
    # not in the reference table, documented on Microsoft's lookup page.
    ErrorRule("530003", S.CA_BLOCKED, f"{LOOKUP}530003"),
    # --- the app is disabled or gone from the customer's tenant --------------------------------
    # 7000112 UnauthorizedClientApplicationDisabled, 70001 UnauthorizedClient (app disabled),
    # 700016 UnauthorizedClient_DoesNotMatchRequest and 700011 AppNotFoundInOrgIdTenant (the
    # tenant's admin deleted Mio's enterprise app), 1000031 "can't be accessed at this time".
    *_aadsts(S.APP_DISABLED, [7000112, 70001, 700016, 700011, 1000031]),
    # --- the user ------------------------------------------------------------------------------
    # 50034 UserAccountNotFound, 51004 UserAccountNotInDirectory, 50020 user from the identity
    # provider does not exist in the tenant (a removed guest).
    *_aadsts(S.USER_DELETED, [50034, 51004, 50020]),
    *_aadsts(S.USER_DISABLED, [50057]),
    # --- the grant is revoked or needs a fresh sign-in -----------------------------------------
    # 50173 FreshTokenNeeded (tokens revoked), 50132 SsoArtifactInvalidOrExpired and 50133
    # SsoArtifactRevoked (session invalid after a password change or expiry), 70043
    # BadTokenDueToSignInFrequency (CA sign-in frequency: the user signs in again), 50089 flow
    # token expired, 70000 InvalidGrant (refresh token not valid), 54005 authorization code
    # already redeemed, 50085 refresh token needs social IdP login, 51006
    # ForceReauthDueToInsufficientAuth.
    *_aadsts(S.GRANT_REVOKED, [50173, 50132, 50133, 70043, 50089, 70000, 54005, 50085, 51006]),
    # --- multi-factor authentication -------------------------------------------------------------
    # 50076 UserStrongAuthClientAuthNRequired, 50079 UserStrongAuthEnrollmentRequired, 50072
    # UserStrongAuthEnrollmentRequiredInterrupt, 50074 UserStrongAuthClientAuthNRequiredInterrupt,
    # 50078 UserStrongAuthExpired, 50158 ExternalSecurityChallenge: all want the same user prompt.
    *_aadsts(S.MFA_ENROLLMENT_REQUIRED, [50076, 50079, 50072, 50074, 50078, 50158]),
    # --- the refresh token died of old age -------------------------------------------------------
    # 700082 ExpiredOrRevokedGrantInactiveToken (90 days unused), 70008 ExpiredOrRevokedGrant
    # ("expired due to inactivity"), 700084 fixed-lifetime (SPA) refresh token expired.
    *_aadsts(S.REFRESH_TOKEN_INACTIVE, [700082, 70008, 700084]),
    # --- passwords -------------------------------------------------------------------------------
    # 50055 InvalidPasswordExpiredPassword, 50144 InvalidPasswordExpiredOnPremPassword, 50135
    # PasswordChangeCompromisedPassword (a password change is required).
    *_aadsts(S.PASSWORD_EXPIRED, [50055, 50144, 50135]),
    # --- Entra is busy or briefly down: retry with backoff ------------------------------------
    # 50196 LoopDetected (too many identical requests: back off), 90055 TenantThrottlingError,
    # 50033 RetryableError, 90006 ExternalServerRetryableError, 90024 RequestBudgetExceededError,
    # 90033 MsodsServiceUnavailable, 90090 GraphRetryableError, 50087 SasRetryableError,
    # 90012 RequestTimeout.
    *_aadsts(S.TRANSIENT, [50196, 90055, 50033, 90006, 90024, 90033, 90090, 50087, 90012]),
    # --- Mio's own registration or request is wrong: the operator fixes it ----------------------
    # 7000215 invalid client secret, 7000222 expired client secret, 70002 InvalidClient,
    # 7000218 secret missing, 700025 public client with a secret, 50011 InvalidReplyTo (redirect
    # URI mismatch), 70004 InvalidRedirectUri, 700054 id_token response type not enabled, 70011
    # InvalidScope, 65005 MisconfiguredApplication (required resource access list), 7000114 app
    # not allowed to make on-behalf-of calls, 50194 app not multi-tenant, 90002 InvalidTenantName
    # (the authority Mio built from its tenant settings does not exist), 501481 PKCE verifier
    # mismatch (our flow state is broken).
    *_aadsts(
        S.OPERATOR_CONFIG,
        [7000215, 7000222, 70002, 7000218, 700025, 50011, 70004, 700054, 70011, 65005, 7000114],
    ),
    *_aadsts(S.OPERATOR_CONFIG, [50194, 90002, 501481]),
    # 900144 "The request body must contain the following parameter: '…'" and 90014
    # MissingRequiredField: Mio's own request lacks a parameter (scope, grant_type…).
    *_aadsts(S.OPERATOR_CONFIG, [900144, 90014]),
]

# Used only when none of the AADSTS numbers is known (MSAL's UiRequiredExceptionClassification).
SUBERROR_RULES: list[ErrorRule] = [
    ErrorRule("suberror:consent_required", S.CONSENT_MISSING, SUBERRORS),
    ErrorRule("suberror:user_password_expired", S.PASSWORD_EXPIRED, SUBERRORS),
    # BasicAction: "can be resolved by user interaction during the interactive flow".
    ErrorRule("suberror:basic_action", S.GRANT_REVOKED, SUBERRORS),
    ErrorRule("suberror:bad_token", S.GRANT_REVOKED, SUBERRORS_JS),
]

GRAPH_RULES: list[ErrorRule] = [
    # Expired, malformed or revoked-by-lifetime access token: refresh once and retry.
    ErrorRule("graph:InvalidAuthenticationToken", S.ACCESS_TOKEN_EXPIRED, GRAPH_ERRORS),
    ErrorRule("graph:unauthenticated", S.ACCESS_TOKEN_EXPIRED, GRAPH_ERRORS),
    # The token is fine but lacks a permission (scopes changed, consent reduced).
    ErrorRule("graph:Authorization_RequestDenied", S.INSUFFICIENT_SCOPE, DIRECTORY_ERRORS),
    ErrorRule("graph:accessDenied", S.INSUFFICIENT_SCOPE, GRAPH_ERRORS),
    ErrorRule("graph:ErrorAccessDenied", S.INSUFFICIENT_SCOPE, GRAPH_ERRORS),
    ErrorRule("graph:activityLimitReached", S.TRANSIENT, GRAPH_ERRORS),
    ErrorRule("graph:serviceNotAvailable", S.TRANSIENT, GRAPH_ERRORS),
    ErrorRule("graph:generalException", S.TRANSIENT, GRAPH_ERRORS),
]

BOT_RULES: list[ErrorRule] = [
    # The bot is not (or no longer) installed for the user, or the user blocked it: the bot
    # cannot reach them and the caller falls back to another channel (no admin triage).
    ErrorRule("bot:BotNotInConversationRoster", S.APP_UNINSTALLED, BOT_STATUS_CODES),
    ErrorRule("bot:ConversationBlockedByUser", S.APP_UNINSTALLED, BOT_STATUS_CODES),
    ErrorRule("bot:ForbiddenOperationException", S.APP_UNINSTALLED, BOT_STATUS_CODES),
    ErrorRule("bot:MessageWritesBlocked", S.APP_UNINSTALLED, BOT_PROACTIVE),
    ErrorRule("bot:BotDisabledByAdmin", S.APP_DISABLED, BOT_STATUS_CODES),
    ErrorRule("bot:BotNotRegistered", S.OPERATOR_CONFIG, BOT_STATUS_CODES),
    # "Invalid request payload provided by the bot" (a card Teams cannot take, a member id it
    # does not know), a message too big, the wrong cloud's host: Mio's own request is wrong.
    ErrorRule("bot:BadArgument", S.OPERATOR_CONFIG, BOT_STATUS_CODES),
    ErrorRule("bot:MessageSizeTooBig", S.OPERATOR_CONFIG, BOT_STATUS_CODES),
    ErrorRule("bot:InvalidBotApiHost", S.OPERATOR_CONFIG, BOT_STATUS_CODES),
    ErrorRule("bot:PreconditionFailed", S.TRANSIENT, BOT_STATUS_CODES),
    ErrorRule("bot:Throttled", S.TRANSIENT, BOT_STATUS_CODES),
    ErrorRule("bot:ServiceError", S.TRANSIENT, BOT_STATUS_CODES),
]

TEAMS_ERRORS = ErrorTable([*ENTRA_RULES, *SUBERROR_RULES, *GRAPH_RULES, *BOT_RULES])


def entra_situation(codes: Iterable[str | int], suberror: str = "") -> Situation:
    """The situation of an Entra error body: AADSTS numbers first, then the sub-error."""
    found = TEAMS_ERRORS.lookup(*[str(c) for c in codes])
    if found is None and suberror:
        found = TEAMS_ERRORS.lookup(f"suberror:{suberror}")
    return found or S.UNKNOWN
