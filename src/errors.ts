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
    message: "Custom claims may not use the reserved claims iss, sub, aud, exp, nbf, iat or jti.",
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
  // 401/403: who is asking
  unauthorized_credentials: { status: 401, message: "Unauthorized credentials." },
  // 404: what was asked for does not exist (in this project)
  route_not_found: { status: 404, message: "The requested endpoint does not exist." },
  project_not_found: { status: 404, message: "Project could not be found." },
  organization_not_found: { status: 404, message: "Organization could not be found." },
  member_not_found: { status: 404, message: "Member could not be found." },
  session_not_found: { status: 404, message: "Session could not be found." },
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
  too_many_requests: { status: 429, message: "Too many requests have been made." },
  internal_server_error: { status: 500, message: "Oops, something seems to have gone wrong." },
  service_unavailable: { status: 503, message: "The service is temporarily unavailable. Please retry." },
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
