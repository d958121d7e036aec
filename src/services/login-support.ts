/**
 * @module What the three email/password login services share: the redirect allow-list, the
 * per-address send limit and the failure throttle, PKCE, link tokens, the caller's session or
 * intermediate session to continue, and building a new member.
 */
import { createHash } from "node:crypto";
import { emailDomain } from "../domain/email-provisioning.js";
import { parseRedirectUrl, type RedirectUrlType } from "../domain/redirect-urls.js";
import type { RedirectUrlService } from "./configuration/redirect-urls.js";
import { IMPLICIT_MEMBER_ROLE, type Member, type MemberStatus, type Organization, type Project } from "../domain/types.js";
import { newStytchId } from "../crypto/random.js";
import { digestsEqual, sha256 } from "../crypto/token-hash.js";
import { AppError, type ErrorType } from "../errors.js";
import { resolveLocale, type Locale } from "../messages/locales.js";
import type { Change } from "../store/store.js";
import type { AuthenticationService, LiveIntermediateSession, LiveSession } from "./authentication.js";
import type { ServiceContext } from "./context.js";
import { isValidE164, isValidEmail } from "./members.js";
import { conflictToAppError } from "./organizations.js";
import type { OutboxService } from "./outbox.js";
import type { SessionService } from "./sessions.js";

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

export interface LoginSettings {
  /** Redirect URLs links may point to (compared without query string and fragment). */
  redirectUrls: string[];
  /** Where links point when the request names none; always allowed (the operator chose it). */
  defaultRedirectUrl: string;
}

export const DEFAULT_LOGIN_SETTINGS: LoginSettings = {
  redirectUrls: [],
  defaultRedirectUrl: "http://localhost:3000/authenticate",
};

// ---------------------------------------------------------------------------------------------
// Redirect URLs
// ---------------------------------------------------------------------------------------------

/** The Stytch error of a request that names no redirect URL where the project has no default of that type. */
const NO_DEFAULT_ERROR: Record<RedirectUrlType, ErrorType> = {
  login: "no_default_login_redirect_url_set",
  signup: "no_default_signup_redirect_url_set",
  invite: "no_default_invite_redirect_url_set",
  reset_password: "no_password_reset_redirect_url",
  discovery: "no_default_discovery_redirect_url_set",
};

/** The redirect URL of a login email, per type (rules: domain/redirect-urls.ts), as the flows' Stytch errors. */
export class RedirectPolicy {
  constructor(private readonly urls: Pick<RedirectUrlService, "resolve">) {}

  /** The given URL when it is valid and allowed for `type`, else the type's default. */
  async resolve(project: Project, type: RedirectUrlType, given: string | undefined, invalidType: ErrorType): Promise<string> {
    if (given !== undefined && given !== "" && !parseRedirectUrl(given)) throw new AppError(invalidType);
    const resolution = await this.urls.resolve(project, type, given);
    if (resolution.ok) return resolution.url;
    throw new AppError(resolution.reason === "no_default" ? NO_DEFAULT_ERROR[type] : "no_match_for_provided_magic_link_url");
  }
}

/** `redirect?stytch_token_type=<type>&token=<token>`, keeping the redirect URL's own query. */
export function buildTokenLink(redirectUrl: string, tokenType: string, token: string): string {
  const url = new URL(redirectUrl);
  url.searchParams.set("stytch_token_type", tokenType);
  url.searchParams.set("token", token);
  return url.toString();
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/** Stytch documents about one email per second per address for login emails. */
export const EMAIL_SENDS_PER_SECOND = 1;

/** Failure windows per account: 10 attempts in a quarter hour, 100 in a day (NIST's ≤100 consecutive). */
export const FAILURE_WINDOWS = [
  { name: "15m", ms: 15 * 60_000, limit: 10 },
  { name: "24h", ms: 24 * 60 * 60_000, limit: 100 },
] as const;

function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export class LoginLimits {
  constructor(private readonly ctx: ServiceContext) {}

  /** Counts one email to `emailAddress`; 429 when one was already sent this second. */
  async emailSend(project: Project, emailAddress: string): Promise<void> {
    const hit = await this.ctx.store.hitRateLimit(
      `email-send:${project.projectId}:${emailAddress.toLowerCase()}`,
      1000,
      EMAIL_SENDS_PER_SECOND,
      this.ctx.clock.now(),
    );
    if (!hit.allowed) throw new AppError("too_many_requests", undefined, { retryAfterSeconds: retryAfterSeconds(hit.retryAfterMs) });
  }

  /** A project-wide rate limit (e.g. password migration's documented 100 per second). */
  async projectRate(project: Project, name: string, perSecond: number): Promise<void> {
    const hit = await this.ctx.store.hitRateLimit(`${name}:${project.projectId}`, 1000, perSecond, this.ctx.clock.now());
    if (!hit.allowed) throw new AppError("too_many_requests", undefined, { retryAfterSeconds: retryAfterSeconds(hit.retryAfterMs) });
  }

  private windowKeys(scope: string, now: number): { key: string; limit: number; endsAt: number }[] {
    return FAILURE_WINDOWS.map((window) => {
      const index = Math.floor(now / window.ms);
      return { key: `${scope}:${window.name}:${index}`, limit: window.limit, endsAt: (index + 1) * window.ms };
    });
  }

  /**
   * Claims one authentication attempt against `scope` (e.g. `password:<org>:<email>`) before
   * the secret is compared: every attempt counts until it succeeds, so concurrent guesses cannot
   * all slip under the limit. 429 with Retry-After once a window is spent.
   */
  async claimAttempt(project: Project, scope: string): Promise<void> {
    const now = this.ctx.clock.now();
    for (const window of this.windowKeys(scope, now)) {
      const count = await this.ctx.store.incrementFailureCounter(project.projectId, window.key, now);
      if (count > window.limit) {
        throw new AppError("too_many_requests", "Too many failed attempts for this account. Please try again later.", {
          retryAfterSeconds: retryAfterSeconds(window.endsAt - now),
        });
      }
    }
  }

  /** The changes that clear `scope`'s counters: part of a successful authentication's commit. */
  resetChanges(project: Project, scope: string): Change[] {
    return this.windowKeys(scope, this.ctx.clock.now()).map((window) => ({
      kind: "reset_failure_counter" as const,
      projectId: project.projectId,
      key: window.key,
    }));
  }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/** A request's email address, trimmed and checked (400 `invalid_email`). */
export function requireEmail(value: string): string {
  const email = value.trim();
  if (!isValidEmail(email) || emailDomain(email) === "") throw new AppError("invalid_email");
  return email;
}

/** A request's locale (the schema has already refused unsupported ones). */
export function requireLocale(value: string | undefined): Locale {
  const locale = resolveLocale(value);
  if (locale === null) throw new AppError("invalid_locale");
  return locale;
}

/** A link token: 32 random bytes (256 bits), URL-safe base64. Stored only as its SHA-256. */
export function newLinkToken(ctx: ServiceContext): { token: string; hash: Buffer } {
  const token = ctx.random.bytes(32).toString("base64url");
  return { token, hash: sha256(token) };
}

/** PKCE S256: the verifier must hash to the challenge given when the flow started. */
export function checkPkce(challenge: unknown, verifier: string | undefined): void {
  const expected = typeof challenge === "string" && challenge !== "" ? challenge.replace(/=+$/, "") : null;
  const given = verifier !== undefined && verifier !== "" ? verifier : null;
  if (expected === null && given === null) return;
  if (expected === null) throw new AppError("pkce_did_not_expect_code_verifier");
  if (given === null) throw new AppError("pkce_expected_code_verifier");
  const computed = createHash("sha256").update(given, "utf8").digest("base64url");
  if (!digestsEqual(Buffer.from(computed), Buffer.from(expected))) throw new AppError("pkce_mismatch");
}

export interface ContinuationRequest {
  session_token?: string;
  session_jwt?: string;
  intermediate_session_token?: string;
}

/**
 * The session or intermediate session the caller asks this login to continue. A session of
 * another member is ignored (Stytch documents exactly that); an intermediate session must be
 * live and bound to this organization and member.
 */
export async function resolveContinuation(
  deps: { sessions: SessionService; authentication: AuthenticationService },
  project: Project,
  request: ContinuationRequest,
  organization: Organization,
  member: Member,
): Promise<{ session?: LiveSession; intermediateSession?: LiveIntermediateSession }> {
  const result: { session?: LiveSession; intermediateSession?: LiveIntermediateSession } = {};
  const hasToken = request.session_token !== undefined && request.session_token !== "";
  const hasJwt = request.session_jwt !== undefined && request.session_jwt !== "";
  if (hasToken || hasJwt) {
    const record = await deps.sessions.resolveLive(project, request);
    if (record.memberId === member.memberId) result.session = { record, token: hasToken ? request.session_token! : "" };
  }
  if (request.intermediate_session_token !== undefined && request.intermediate_session_token !== "") {
    result.intermediateSession = await deps.authentication.resolveIntermediateSession(project, request.intermediate_session_token, {
      organizationId: organization.organizationId,
      memberId: member.memberId,
    });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------------------------

const ROLE_ID = /^[A-Za-z0-9_\-.:]{1,128}$/;

export interface NewMemberFields {
  name?: string;
  trusted_metadata?: Record<string, unknown>;
  untrusted_metadata?: Record<string, unknown>;
  roles?: string[];
  external_id?: string;
  mfa_phone_number?: string;
}

/** Role ids as stored (no implicit role, no duplicates), or 400 `invalid_roles`. */
export function explicitRoleIds(roles: string[]): string[] {
  if (roles.some((role) => !ROLE_ID.test(role))) throw new AppError("invalid_roles");
  return [...new Set(roles.filter((role) => role !== IMPLICIT_MEMBER_ROLE))];
}

export function requirePhone(phone: string): string {
  if (!isValidE164(phone)) throw new AppError("invalid_phone_number");
  return phone;
}

/** A member not yet stored: `status`, unverified email unless said otherwise. */
export function buildMember(
  ctx: ServiceContext,
  project: Project,
  organization: Organization,
  emailAddress: string,
  status: MemberStatus,
  fields: NewMemberFields = {},
  emailVerified = false,
): Member {
  const now = ctx.clock.now();
  return {
    projectId: project.projectId,
    organizationId: organization.organizationId,
    memberId: newStytchId("member", project.environment, ctx.random),
    emailId: newStytchId("email", project.environment, ctx.random),
    emailAddress,
    emailAddressVerified: emailVerified,
    status,
    name: fields.name ?? "",
    externalId: fields.external_id ? fields.external_id : null,
    trustedMetadata: fields.trusted_metadata ?? {},
    untrustedMetadata: fields.untrusted_metadata ?? {},
    isBreakglass: false,
    mfaEnrolled: false,
    mfaPhoneNumber: fields.mfa_phone_number ?? "",
    mfaPhoneNumberVerified: false,
    defaultMfaMethod: "",
    totpRegistrationId: "",
    memberPasswordId: "",
    roleIds: explicitRoleIds(fields.roles ?? []),
    createdAt: now,
    updatedAt: now,
  };
}

/** The email factor of `member`'s current address (magic link or email OTP). */
export function emailFactor(type: "magic_link" | "email_otp", member: Member, at: string) {
  return {
    type,
    delivery_method: "email",
    last_authenticated_at: at,
    email_factor: { email_id: member.emailId, email_address: member.emailAddress },
  };
}

/**
 * The email factor a discovery link or passcode proves: the address alone. No member exists yet,
 * so `email_id` is ""; entering an organization carries it as that member's factor with the
 * member's own `email_id` (`transferFactors`).
 */
export function discoveryEmailFactor(type: "magic_link" | "email_otp", emailAddress: string, at: string) {
  return {
    type,
    delivery_method: "email",
    last_authenticated_at: at,
    email_factor: { email_id: "", email_address: emailAddress },
  };
}

/** `member` as a proven email leaves it: verified (and touched only if that changed). */
export function withVerifiedEmail(member: Member, now: number): Member {
  return member.emailAddressVerified ? member : { ...member, emailAddressVerified: true, updatedAt: now };
}

/**
 * Commits a step that mints no session (a send, an import): all or nothing, a unique-constraint
 * conflict as its Stytch error, then wakes the delivery worker for the queued email.
 */
export async function commitStep(
  ctx: ServiceContext,
  outbox: OutboxService,
  changes: Change[],
  failedAs: ErrorType = "bad_request",
): Promise<void> {
  let result;
  try {
    result = await ctx.store.commit(changes);
  } catch (error) {
    throw conflictToAppError(error);
  }
  if (!result.ok) throw new AppError(failedAs);
  if (changes.some((change) => change.kind === "enqueue_message")) outbox.onEnqueued();
}
