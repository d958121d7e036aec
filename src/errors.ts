/**
 * @module The one catalogue of Stytch `error_type`s this server can answer with, each with
 * its HTTP status and default message. Services throw `AppError(type)`; `http/server.ts` is
 * the only place that turns one into a response body.
 */

interface CatalogueEntry {
  readonly status: number;
  readonly message: string;
}

export const ERROR_CATALOGUE = {
  // 400: the request itself is wrong
  bad_request: { status: 400, message: "The request could not be understood." },
  invalid_json: { status: 400, message: "The request body is not valid JSON." },
  missing_required_field: { status: 400, message: "A required field is missing." },
  invalid_field_type: { status: 400, message: "A field has the wrong type." },
  invalid_field_value: { status: 400, message: "A field has a value outside its allowed range." },
  invalid_organization_id: { status: 400, message: "The organization_id is not valid." },
  invalid_member_id: { status: 400, message: "The member_id is not valid." },
  invalid_organization_name: { status: 400, message: "organization_name must be 1 to 128 characters." },
  invalid_organization_slug: {
    status: 400,
    message: "organization_slug must be 2 to 128 characters of letters, digits, '-', '.', '_' or '~'.",
  },
  invalid_organization_external_id: {
    status: 400,
    message: "organization_external_id must be at most 128 characters of letters, digits, '.', '_', '-' or '|'.",
  },
  invalid_organization_settings: { status: 400, message: "The organization's settings are not a valid combination." },
  invalid_email_allowed_domains: { status: 400, message: "email_allowed_domains contains a domain that cannot be used." },
  invalid_email: { status: 400, message: "The email address is not valid." },
  invalid_phone_number: { status: 400, message: "The phone number must be in E.164 format, e.g. +14155550123." },
  invalid_roles: { status: 400, message: "A role id is not valid." },
  invalid_external_id: { status: 400, message: "external_id must be at most 128 characters of letters, digits, '.', '_', '-' or '|'." },
  invalid_search_query: { status: 400, message: "The search query is not valid." },
  invalid_cursor: { status: 400, message: "The cursor is not valid." },
  invalid_session_duration_minutes: {
    status: 400,
    message: "session_duration_minutes must be an integer from 5 to 527040.",
  },
  invalid_locale: { status: 400, message: "The locale is not supported." },
  no_session_arguments: { status: 400, message: "Please include exactly one of session_token or session_jwt." },
  too_many_session_arguments: { status: 400, message: "Please include exactly one of session_token or session_jwt." },
  no_session_revoke_arguments: {
    status: 400,
    message: "Please include exactly one of member_session_id, session_token, session_jwt or member_id.",
  },
  too_many_session_revoke_arguments: {
    status: 400,
    message: "Please include exactly one of member_session_id, session_token, session_jwt or member_id.",
  },
  no_member_selection_arguments: { status: 400, message: "Please include exactly one of member_id or email_address." },
  too_many_member_selection_arguments: { status: 400, message: "Please include exactly one of member_id or email_address." },
  invalid_intermediate_session_token_for_organization: {
    status: 400,
    message: "The intermediate_session_token was issued for another organization.",
  },
  unable_to_parse_session_jwt: { status: 400, message: "The session_jwt could not be parsed." },
  custom_claims_too_large: { status: 400, message: "Custom claims may not exceed 4 kilobytes." },
  reserved_claims_in_custom_claims: {
    status: 400,
    message: "Custom claims may not use the reserved claims iss, sub, aud, exp, nbf, iat, jti or scope.",
  },
  stytch_claims_in_custom_claims: { status: 400, message: "Custom claims may not use names under https://stytch.com/." },
  email_delivery_not_configured: {
    status: 400,
    message: "This live project cannot send email: the server has no SMTP_URL configured.",
  },
  sms_delivery_not_configured: {
    status: 400,
    message: "This live project cannot send SMS: the server has no Twilio or SMS webhook configured.",
  },
  // --- MFA (issue 4): SMS passcodes, TOTP, recovery codes. Statuses and choices: docs/mfa.md ---
  invalid_code: { status: 400, message: "The passcode must be 6 digits." },
  otp_code_not_found: {
    status: 404,
    message: "Wrong passcode. Try again (each passcode allows 5 tries) or send a new one.",
  },
  unable_to_auth_otp_code: {
    status: 401,
    message: "This passcode is used up: already accepted, expired, replaced by a newer one, or out of tries. Send a new one.",
  },
  member_phone_number_not_found: { status: 404, message: "The member has no MFA phone number: pass mfa_phone_number." },
  duplicate_member_phone_number_for_member: {
    status: 400,
    message: "The member already has a different MFA phone number. Delete it before setting another one.",
  },
  action_available_only_for_active_members: { status: 400, message: "Only active members (or members completing a login) can add an MFA factor." },
  action_available_only_once_primary_authentication_is_met: {
    status: 400,
    message: "The intermediate session has not met the organization's primary authentication requirements yet.",
  },
  operation_restricted_by_organization_mfa_methods: {
    status: 400,
    message: "The organization's allowed_mfa_methods do not include this MFA method.",
  },
  session_enforced_factor_matching_session_required: {
    status: 400,
    message:
      "The member already has an active MFA factor: pass an intermediate_session_token, session_token or session_jwt of this member that carries it.",
  },
  invalid_expiration: { status: 400, message: "The expiration is outside its allowed range of minutes." },
  active_totp_exists: {
    status: 400,
    message: "The member already has an active TOTP registration. Delete it before creating a new one.",
  },
  totp_not_found: { status: 404, message: "The member has no TOTP registration." },
  expired_totp: { status: 400, message: "The TOTP registration expired before it was verified. Create a new one." },
  invalid_totp_code: { status: 400, message: "The TOTP code must be 6 digits." },
  unable_to_authenticate_totp: { status: 401, message: "The TOTP code is incorrect." },
  totp_code_already_authenticated: {
    status: 401,
    message: "That TOTP code was already used; wait for the authenticator app's next code.",
  },
  recovery_code_used_as_totp_code: { status: 400, message: "This looks like a recovery code: use recovery_codes/recover." },
  totp_code_used_as_recovery_code: { status: 400, message: "This looks like a TOTP code: use totp/authenticate." },
  no_active_recovery_code_backed_factor: {
    status: 400,
    message: "The member has no verified TOTP registration, so it has no recovery codes.",
  },
  unable_to_authenticate_recovery_code: { status: 401, message: "The recovery code is incorrect or was already used." },
  user_lock_limit_reached: {
    status: 429,
    message: "Too many failed MFA attempts for this member. Try again later.",
  },
  // --- end MFA ---
  // 401/403: who is asking
  unauthorized_credentials: { status: 401, message: "The project id and secret do not match a project." },
  session_authorization_error: { status: 403, message: "The member session's roles do not grant this action on this resource." },
  session_authorization_tenancy_error: { status: 403, message: "The member session belongs to another organization." },
  // 404: what was asked for does not exist (in this project)
  route_not_found: { status: 404, message: "The requested endpoint does not exist." },
  project_not_found: { status: 404, message: "No such project." },
  organization_not_found: { status: 404, message: "No organization of this project has that id, slug or external id." },
  member_not_found: { status: 404, message: "No such member in this organization." },
  session_not_found: { status: 404, message: "No live session matches: it is unknown, revoked or expired." },
  intermediate_session_not_found: {
    status: 404,
    message: "Intermediate session could not be found: it is unknown, already used, or expired.",
  },
  // 405/409/413/415
  method_not_allowed: { status: 405, message: "The HTTP method is not allowed for this endpoint." },
  organization_slug_already_used: { status: 409, message: "The organization_slug is already used by another organization." },
  organization_external_id_already_used: {
    status: 409,
    message: "The organization_external_id is already used by another organization.",
  },
  duplicate_member_email: { status: 409, message: "A member with this email address already exists in the organization." },
  duplicate_member_external_id: { status: 409, message: "A member with this external_id already exists in the organization." },
  request_body_too_large: { status: 413, message: "The request body is too large." },
  unsupported_media_type: { status: 415, message: "Request bodies must be JSON (Content-Type: application/json)." },
  // 429/5xx
  too_many_requests: { status: 429, message: "Rate limit reached: wait for the time in Retry-After, then try again." },
  internal_server_error: { status: 500, message: "The server failed to handle this request; the request id identifies it in the logs." },
  service_unavailable: { status: 503, message: "The service is temporarily unavailable. Please retry." },

  // ---- Logins: email magic links, email OTP, passwords (issue 3) ----
  unable_to_auth_magic_link: {
    status: 401,
    message: "This magic link was already used or has expired; send a new one.",
  },
  magic_link_not_found: { status: 404, message: "No magic link matches this token; send a new one." },
  unable_to_auth_password_reset_token: {
    status: 401,
    message: "This password reset link is unknown, already used or expired; start a new reset.",
  },
  weak_password: { status: 400, message: "The new password is too weak: see passwords/strength_check for what it needs." },
  pkce_mismatch: { status: 400, message: "The pkce_code_verifier does not hash to the challenge given when the link was sent." },
  pkce_expected_code_verifier: {
    status: 400,
    message: "The link was sent with a PKCE challenge, so pkce_code_verifier is required.",
  },
  pkce_did_not_expect_code_verifier: {
    status: 400,
    message: "pkce_code_verifier was given, but the link was sent without a PKCE challenge.",
  },
  invalid_pkce_code_challenge: { status: 400, message: "The code challenge must be a base64url-encoded SHA-256 digest." },
  invalid_expiration_otp: { status: 400, message: "The passcode expiration must be an integer number of minutes from 2 to 15." },
  invalid_login_redirect_url: { status: 400, message: "login_redirect_url is not a valid http(s) URL." },
  invalid_signup_redirect_url: { status: 400, message: "signup_redirect_url is not a valid http(s) URL." },
  invalid_invite_redirect_url: { status: 400, message: "invite_redirect_url is not a valid http(s) URL." },
  invalid_password_reset_redirect_url: { status: 400, message: "reset_password_redirect_url is not a valid http(s) URL." },
  invalid_discovery_redirect_url: { status: 400, message: "discovery_redirect_url is not a valid http(s) URL." },
  no_match_for_provided_magic_link_url: {
    status: 400,
    message: "The redirect URL is not on this project's redirect URL list for this type (or TESSERA_REDIRECT_URLS for projects without one).",
  },
  email_jit_provisioning_not_allowed: {
    status: 400,
    message: "This organization does not allow new members to join by email (email_jit_provisioning is NOT_ALLOWED).",
  },
  invalid_email_for_jit_provisioning: {
    status: 400,
    message: "The email address's domain is not one of the organization's email_allowed_domains, so no member can be created for it.",
  },
  invalid_email_for_invites: { status: 400, message: "The organization's email_invites setting does not allow inviting this email address." },
  invalid_hash_type: {
    status: 400,
    message: "hash_type must be one of bcrypt, scrypt, argon_2i, argon_2id, pbkdf_2, md_5, sha_1, sha_512 or phpass.",
  },
  invalid_hash: { status: 400, message: "The password hash is not valid for its hash_type." },
  invalid_bcrypt_hash: { status: 400, message: "The bcrypt hash is not valid." },
  invalid_bcrypt_cost: { status: 400, message: "The bcrypt cost must be from 4 to 16." },
  invalid_md_5_hash: { status: 400, message: "The MD-5 hash must be 32 hexadecimal characters." },
  invalid_sha_1_hash: { status: 400, message: "The SHA-1 hash must be 40 hexadecimal characters." },
  invalid_base64_scrypt_hash: { status: 400, message: "The scrypt hash must be base64 encoded." },
  invalid_base64_scrypt_salt: { status: 400, message: "The scrypt salt must be base64 encoded." },
  invalid_scrypt_parameters: { status: 400, message: "scrypt_config (or a PHC encoded scrypt hash) is required, with valid r, p and key_length." },
  invalid_scrypt_n_parameter: { status: 400, message: "The scrypt N parameter must be a power of two greater than 1 and less than 262145." },
  scrypt_key_length_mismatch: { status: 400, message: "key_length differs from the length of the scrypt hash." },
  invalid_pbkdf_2_hash: { status: 400, message: "The PBKDF2 hash must be base64 encoded." },
  invalid_pbkdf_2_salt: { status: 400, message: "The PBKDF2 salt must be base64 encoded." },
  invalid_pbkdf_2_algorithm: { status: 400, message: "The PBKDF2 algorithm must be sha256 or sha512." },
  invalid_pbkdf_2_iteration_amount: { status: 400, message: "The PBKDF2 iteration amount must be from 1 to 10000000." },
  pbkdf_2_key_length_mismatch: { status: 400, message: "key_length differs from the length of the PBKDF2 hash." },
  invalid_argon_2_salt: { status: 400, message: "The argon2 salt must be at least 8 bytes." },
  argon_2_key_length_mismatch: { status: 400, message: "key_length differs from the length of the argon2 hash." },
  invalid_phpass_hash_format: { status: 400, message: "The phpass hash must be 34 characters of the portable format." },
  invalid_phpass_hash_prefix: { status: 400, message: "The phpass hash must start with $P$ or $H$." },
  // ---- end of logins block ----
  public_token_not_found: { status: 401, message: "The public token is unknown or was deleted." },
  invalid_rbac_role_id: { status: 400, message: "A role id is not defined by the RBAC policy." },
  invalid_rbac_custom_role: { status: 400, message: "An organization custom role is not valid." },
  no_default_login_redirect_url_set: { status: 400, message: "No login_redirect_url was given and the project has no default login redirect URL." },
  no_default_signup_redirect_url_set: { status: 400, message: "No signup_redirect_url was given and the project has no default signup redirect URL." },
  no_default_invite_redirect_url_set: { status: 400, message: "No invite_redirect_url was given and the project has no default invite redirect URL." },
  no_default_discovery_redirect_url_set: { status: 400, message: "No discovery_redirect_url was given and the project has no default discovery redirect URL." },
  no_password_reset_redirect_url: { status: 400, message: "No reset_password_redirect_url was given and the project has no default reset-password redirect URL." },
  // M2M clients (docs/m2m.md): management errors in Stytch's shape; the token endpoint answers its
  // four OAuth 2.0 errors (RFC 6749 §5.2) in the OAuth shape through the route's errorReply.
  duplicate_m2m_client_id: { status: 409, message: "An M2M client with this client_id already exists in the project." },
  m2m_client_not_found: { status: 404, message: "No M2M client of this project has that client_id." },
  m2m_client_already_rotating_secret: {
    status: 400,
    message: "The M2M client is already rotating its secret: complete or cancel that rotation first.",
  },
  m2m_client_not_rotating_secret: { status: 400, message: "The M2M client has no secret rotation in progress: start one first." },
  invalid_m2m_client_scope: {
    status: 400,
    message: "Each scope must be 1 to 128 printable ASCII characters without spaces, quotes or backslashes.",
  },
  too_many_m2m_client_scopes: { status: 400, message: "An M2M client may have at most 100 scopes." },
  m2m_client_invalid_client_id: {
    status: 400,
    message: "client_id must be 1 to 128 characters of letters, digits, '-', '_', '.' or '~'.",
  },
  m2m_client_invalid_client_name: { status: 400, message: "client_name must be at most 128 characters." },
  m2m_client_invalid_client_description: { status: 400, message: "client_description must be at most 1024 characters." },
  m2m_client_invalid_client_secret: {
    status: 400,
    message: "client_secret must be at most 256 printable ASCII characters without spaces.",
  },
  insecure_m2m_client_secret: {
    status: 400,
    message: "client_secret is too weak: use at least 8 characters and enough randomness (or let Tessera generate one).",
  },
  m2m_client_invalid_status: { status: 400, message: "status must be active or inactive." },
  m2m_search_missing_filter_name: { status: 400, message: "Every search operand needs a filter_name." },
  m2m_search_filter_name_must_be_string: { status: 400, message: "filter_name must be a string." },
  m2m_search_filter_name_not_recognized: { status: 400, message: "filter_name must be client_id, client_name or scopes." },
  m2m_search_missing_filter_value: { status: 400, message: "Every search operand needs a filter_value." },
  m2m_search_expected_array_of_strings: { status: 400, message: "filter_value must be a non-empty array of strings." },
  invalid_client: { status: 401, message: "Client authentication failed: unknown client, wrong secret, or inactive client." },
  invalid_scope: { status: 400, message: "A requested scope is not assigned to this client." },
  invalid_request: { status: 400, message: "The token request is malformed." },
  unsupported_grant_type: { status: 400, message: "grant_type must be client_credentials." },
  active_scim_connection_exists: { status: 400, message: "The organization already has a SCIM connection; it may have only one." },
  scim_connection_not_found: { status: 404, message: "No SCIM connection with this id exists in the organization." },
  no_active_scim_connection: { status: 404, message: "The organization has no SCIM connection." },
  scim_connection_not_rotating_token: { status: 400, message: "The SCIM connection has no token rotation under way." },
  invalid_scim_identity_provider: {
    status: 400,
    message: "identity_provider must be one of generic, okta, microsoft-entra, cyberark, jumpcloud, onelogin, pingfederate or rippling.",
  },
  invalid_scim_group_implicit_role_assignments: { status: 400, message: "Every SCIM group implicit role assignment needs a valid role_id and group_id." },
  // The hosted SCIM 2.0 server's refusals (answered in SCIM's error shape, scimType after the prefix).
  scim_unauthorized: { status: 401, message: "The bearer token is missing or not valid for this SCIM connection." },
  scim_not_found: { status: 404, message: "The SCIM resource does not exist." },
  scim_invalid_syntax: { status: 400, message: "The SCIM request is not valid." },
  scim_invalid_value: { status: 400, message: "A SCIM attribute has a value that cannot be used." },
  scim_invalid_filter: { status: 400, message: "The SCIM filter is not valid." },
  scim_no_target: { status: 400, message: "The PATCH path matches nothing." },
  scim_mutability: { status: 400, message: "The attribute cannot be changed." },
  scim_uniqueness: { status: 409, message: "A SCIM resource with this userName already exists." },
  // >>> sso
  saml_connection_not_found: { status: 404, message: "No SAML connection with this id exists in the organization." },
  oidc_connection_not_found: { status: 404, message: "No OIDC connection with this id exists in the organization." },
  external_connection_not_found: { status: 404, message: "No external SSO connection with this id exists in the organization." },
  sso_connection_not_found: { status: 404, message: "No SSO connection with this id exists in the organization." },
  cannot_delete_default_sso_connection: { status: 400, message: "The organization's default SSO connection cannot be deleted; choose another default first." },
  sso_connection_has_external_connections: {
    status: 400,
    message: "Other organizations log in through this connection (external connections); delete those first.",
  },
  saml_connection_email_mapping_required: { status: 400, message: "attribute_mapping needs an email key." },
  saml_connection_name_mapping_required: { status: 400, message: "attribute_mapping needs full_name, or both first_name and last_name." },
  saml_connection_no_nested_keys_in_attribute_mapping: { status: 400, message: "attribute_mapping values must be attribute names (strings), not objects." },
  oidc_connection_no_nested_keys_in_attribute_mapping: { status: 400, message: "attribute_mapping values must be claim names (strings), not objects." },
  saml_connection_attribute_mapping_missing_groups_key: {
    status: 400,
    message: "Group implicit role assignments need a groups key in attribute_mapping.",
  },
  saml_connection_idp_sso_url_invalid_format: { status: 400, message: "idp_sso_url must be an absolute URL." },
  saml_connection_idp_sso_url_not_https: { status: 400, message: "idp_sso_url must use https." },
  invalid_idp_entity_id: { status: 400, message: "idp_entity_id must not begin or end with whitespace." },
  invalid_x509_certificate: { status: 400, message: "x509_certificate must be one PEM-encoded X.509 certificate." },
  too_many_sso_verification_certificates: { status: 400, message: "A SAML connection holds at most 5 verification certificates; delete one first." },
  cannot_delete_last_sso_verification_key: { status: 400, message: "An active SAML connection must keep at least one verification certificate." },
  sso_verification_key_not_found: { status: 404, message: "The SAML connection has no verification certificate with this id." },
  saml_signing_private_key_format_not_supported: { status: 400, message: "signing_private_key must be a PKCS#1 PEM (BEGIN RSA PRIVATE KEY)." },
  saml_signing_private_key_invalid: { status: 400, message: "signing_private_key is not a usable RSA private key." },
  saml_encryption_private_key_format_not_supported: {
    status: 400,
    message: "saml_encryption_private_key must be a PKCS#1 PEM (BEGIN RSA PRIVATE KEY).",
  },
  saml_encryption_private_key_invalid: { status: 400, message: "saml_encryption_private_key is not a usable RSA private key." },
  too_many_encryption_certificates: { status: 400, message: "A SAML connection holds at most 5 encryption private keys; delete one first." },
  sso_encryption_private_key_not_found: { status: 404, message: "The SAML connection has no encryption private key with this id." },
  invalid_saml_metadata_url: { status: 400, message: "metadata_url must be an https URL whose metadata could be read." },
  invalid_xml_from_saml_metadata_url: { status: 400, message: "The document at metadata_url is not XML Tessera accepts (DTDs are refused)." },
  saml_connection_metadata_invalid_format: {
    status: 400,
    message: "The metadata names no IdP entity id, HTTP-Redirect SingleSignOnService and signing certificate.",
  },
  oidc_connection_issuer_url_invalid_format: { status: 400, message: "issuer must be an https URL." },
  oidc_connection_authorization_url_invalid_format: { status: 400, message: "authorization_url must be an https URL." },
  oidc_connection_token_url_invalid_format: { status: 400, message: "token_url must be an https URL." },
  oidc_connection_userinfo_url_invalid_format: { status: 400, message: "userinfo_url must be an https URL." },
  oidc_connection_jwks_url_invalid_format: { status: 400, message: "jwks_url must be an https URL." },
  external_connection_id_not_found: {
    status: 404,
    message: "external_organization_id and external_connection_id must name a SAML or OIDC connection of another organization.",
  },
  external_connection_not_active: { status: 400, message: "The external connection's underlying connection is not active yet." },
  duplicate_external_sso_connection: { status: 400, message: "The organization already has an external connection onto this connection." },
  sso_connection_not_active: { status: 400, message: "The SSO connection is not active yet: the IdP's details are incomplete." },
  missing_sso_connection_locator: { status: 400, message: "Give connection_id or organization_id." },
  too_many_sso_connection_locators: { status: 400, message: "Give connection_id or organization_id, not both." },
  no_sso_connection_exists_for_organization: { status: 404, message: "The organization has no default SSO connection (sso_default_connection_id)." },
  invalid_login_sso_url: { status: 400, message: "login_redirect_url is not a valid URL." },
  invalid_signup_sso_url: { status: 400, message: "signup_redirect_url is not a valid URL." },
  no_match_for_provided_sso_url: { status: 400, message: "The redirect URL is not on the project's allow-list." },
  missing_oidc_state_param: { status: 400, message: "The OIDC callback has no state parameter." },
  unsolicited_oidc_response: { status: 400, message: "The OIDC callback matches no SSO login started here (unknown, expired or already used)." },
  missing_oidc_csrf_cookie: { status: 400, message: "The browser did not send the cookie set when this SSO login started." },
  oidc_csrf_cookie_mismatch: { status: 400, message: "This SSO login was started in another browser." },
  oidc_auth_code_error: { status: 400, message: "The identity provider's authorization code or ID token could not be verified." },
  oidc_user_not_assigned_to_app_in_idp: { status: 400, message: "The identity provider refused the login (is the user assigned to the application?)." },
  expired_oidc_response: { status: 400, message: "The identity provider's ID token is expired." },
  oidc_invalid_userinfo: { status: 400, message: "The identity provider's userinfo response could not be used." },
  oidc_response_subject_mismatch: { status: 400, message: "The userinfo subject differs from the ID token's." },
  oidc_response_email_missing: { status: 400, message: "The identity provider sent no email address." },
  oidc_response_unverified_email: { status: 400, message: "The identity provider says the email address is not verified." },
  oidc_invalid_callback_request: { status: 400, message: "The OIDC connection's endpoints cannot be reached from here." },
  invalid_saml_response_email: { status: 400, message: "The SAML response carries no usable email address." },
  invalid_saml_response_groups: { status: 400, message: "The SAML response's groups attribute is not a list of strings." },
  invalid_connection_for_jit_provisioning: {
    status: 403,
    message: "No member has this email address, and the organization does not let this connection provision new members.",
  },
  sso_token_not_found: { status: 404, message: "The SSO token is unknown, expired or already used." },
  missing_saml_response: { status: 400, message: "The SAML callback has no SAMLResponse." },
  unsolicited_saml_response: { status: 400, message: "The SAML response answers no SSO login started here (unknown, expired or already used)." },
  missing_saml_csrf_cookie: { status: 400, message: "The browser did not send the cookie set when this SSO login started." },
  saml_csrf_cookie_mismatch: { status: 400, message: "This SSO login was started in another browser." },
  saml_idp_initiated_auth_disabled: { status: 400, message: "This connection does not accept IdP-initiated logins." },
  invalid_xml_saml_response: { status: 400, message: "The SAML response is not XML Tessera accepts (DTDs, comments and processing instructions are refused)." },
  missing_signature_saml_response: { status: 400, message: "The SAML assertion is not signed." },
  invalid_signature_saml_response: { status: 400, message: "The SAML signature does not verify against any of the connection's certificates." },
  failed_saml_response: { status: 400, message: "The identity provider reported a failed login." },
  invalid_issuer_saml_response: { status: 400, message: "The SAML response comes from another issuer than the connection's idp_entity_id." },
  invalid_saml_response: { status: 400, message: "The SAML response could not be verified." },
  invalid_audience_saml_response: { status: 400, message: "The SAML assertion is for another audience." },
  invalid_recipient_saml_response: { status: 400, message: "The SAML assertion is for another recipient (ACS URL)." },
  not_yet_valid_saml_response: { status: 400, message: "The SAML assertion is not valid yet." },
  expired_saml_response: { status: 400, message: "The SAML assertion is expired." },
  duplicate_saml_response: { status: 400, message: "This SAML assertion was already used." },
  // <<< sso
  // >>> oauth
  // OAuth logins (docs/oauth.md): Stytch's error names.
  invalid_oauth_provider: { status: 404, message: "The OAuth provider must be one of google, microsoft, github, slack or hubspot." },
  oauth_config_not_found: { status: 400, message: "The project has no OAuth credentials for this provider." },
  missing_oauth_organization_locator: { status: 400, message: "Include exactly one of organization_id or slug." },
  too_many_oauth_organization_locators: { status: 400, message: "Include exactly one of organization_id or slug, not both." },
  oauth_invalid_state: { status: 400, message: "The OAuth state is missing or unknown." },
  oauth_state_used: { status: 400, message: "The OAuth state was already used or has expired." },
  oauth_state_mismatch: { status: 400, message: "The OAuth flow was started in another browser (its state cookie is missing or does not match)." },
  oauth_flow_callback_error: { status: 400, message: "The OAuth provider returned an error instead of an authorization code." },
  oauth_discovery_flow_callback_error: { status: 400, message: "The OAuth provider returned an error instead of an authorization code." },
  oauth_auth_code_error: { status: 400, message: "The OAuth provider refused the authorization code, or its ID token did not verify." },
  oauth_invalid_scope_requested: { status: 400, message: "custom_scopes must be space-separated scope names." },
  oauth_unverified_email: { status: 400, message: "The provider does not vouch for this account's email address." },
  oauth_token_not_found: { status: 404, message: "The OAuth token is unknown, used or expired." },
  oauth_tenant_jit_provisioning_not_allowed: { status: 403, message: "The organization does not provision members by OAuth tenant." },
  invalid_oauth_tenant_for_jit_provisioning: { status: 403, message: "The provider account's tenant is not among the organization's allowed OAuth tenants." },
  oauth_registration_not_found: { status: 404, message: "The member has no registration with this OAuth provider." },
  missing_oauth_refresh_token: { status: 400, message: "The access token has expired and the provider gave no refresh token." },
  unable_to_refresh_oauth_token: { status: 400, message: "The provider refused to refresh the access token." },
  // <<< oauth
  // >>> sdk
  // <<< sdk
  // >>> surface
  // <<< surface
  // >>> pgperf
  // <<< pgperf
  // >>> hardening
  // <<< hardening
  // >>> webhooks
  // <<< webhooks
  // >>> scim
  // <<< scim
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorType = keyof typeof ERROR_CATALOGUE;

/** A request failure with a catalogue `error_type`; mapped to HTTP in exactly one place. */
export class AppError extends Error {
  readonly errorType: ErrorType;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  /** Seconds the client should wait, sent as `Retry-After` (429 and 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    errorType: ErrorType,
    message?: string,
    options: { details?: Record<string, unknown>; retryAfterSeconds?: number } = {},
  ) {
    const entry: CatalogueEntry = ERROR_CATALOGUE[errorType];
    super(message ?? entry.message);
    this.name = "AppError";
    this.errorType = errorType;
    this.status = entry.status;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Stytch's documentation URL for an error, in the newer `#error_type` form. */
export function errorUrl(status: number, errorType: string): string {
  return `https://stytch.com/docs/api-reference/b2b/api/errors/${status}#${errorType}`;
}
