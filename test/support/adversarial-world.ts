/**
 * @module The population every adversarial test file attacks: a project with organizations,
 * members, live / revoked / expired sessions, organization-bound, discovery and consumed
 * intermediate sessions, an SMS passcode, and a second project with its own session, keys and
 * intermediate session. Built through the service layer, then the outbox is drained so that no
 * background write can change the database while a test compares snapshots.
 */
import type { KeyObject } from "node:crypto";
import type Database from "better-sqlite3";
import type { AuthenticationFactor, Member, Organization, Project } from "../../src/domain/types.js";
import type { PublicJwk } from "../../src/crypto/signing-keys.js";
import { basicAuth, type Target } from "./adversarial.js";
import { openReadOnly } from "./db-snapshot.js";
import { FakeClock, startHarness, type Harness } from "./harness.js";

export const EMAIL = "ada@example.com";
export const PHONE = "+14155550123";
const FACTOR_AT = "2026-01-15T09:30:00Z";

export function magicLinkFactor(member: Member): AuthenticationFactor {
  return {
    type: "magic_link",
    delivery_method: "email",
    last_authenticated_at: FACTOR_AT,
    email_factor: { email_id: member.emailId, email_address: member.emailAddress },
  };
}

export interface SessionFixture {
  sessionId: string;
  token: string;
  jwt: string;
  memberId: string;
}

export interface World {
  h: Harness;
  clock: FakeClock;
  target: Target;
  db: Database.Database;
  orgA: Organization;
  orgB: Organization;
  orgMfa: Organization;
  /** An organization where EMAIL has no membership and no domain rule lets it in. */
  orgNone: Organization;
  memberA: Member;
  memberB: Member;
  memberMfa: Member;
  /** Live, magic-link, in orgA, ten hours long. */
  live: SessionFixture;
  /** A second live session used where a test needs one it may spend. */
  spare: SessionFixture;
  revoked: SessionFixture;
  expired: SessionFixture;
  /** An intermediate session bound to orgMfa (from an exchange that stopped at MFA). */
  orgIst: string;
  /** A discovery intermediate session for EMAIL, bound to no organization. */
  discoveryIst: string;
  /** A discovery intermediate session that was already used to enter orgA. */
  consumedIst: string;
  /** The SMS passcode sent for orgIst. */
  otpCode: string;
  signing: { kid: string; privateKey: KeyObject; jwk: PublicJwk };
  other: {
    project: Project;
    secret: string;
    org: Organization;
    member: Member;
    session: SessionFixture;
    ist: string;
    kid: string;
    privateKey: KeyObject;
  };
  close(): Promise<void>;
}

async function discoveryIst(h: Harness, project: Project, email: string, factors: AuthenticationFactor[]): Promise<string> {
  const started = h.app.services.discovery.newDiscoverySession(project, email, factors);
  const result = await h.app.services.context.store.commit([started.change]);
  if (!result.ok) throw new Error("could not start a discovery session");
  return started.token;
}

export async function buildWorld(): Promise<World> {
  const clock = new FakeClock();
  const h = await startHarness({ clock });
  const { organizations, members, sessions, keys } = h.app.services;
  const project = h.project;
  const orgA = await organizations.create(project, { organization_name: "Org A", organization_slug: "org-a" });
  const orgB = await organizations.create(project, { organization_name: "Org B", organization_slug: "org-b", organization_external_id: "ext-b" });
  const orgMfa = await organizations.create(project, { organization_name: "Org MFA", organization_slug: "org-mfa", mfa_policy: "REQUIRED_FOR_ALL" });
  const orgNone = await organizations.create(project, { organization_name: "Org None", organization_slug: "org-none" });
  const memberA = (await members.create(project, orgA.organizationId, { email_address: EMAIL })).member;
  const memberB = (await members.create(project, orgB.organizationId, { email_address: EMAIL })).member;
  const memberMfa = (await members.create(project, orgMfa.organizationId, { email_address: EMAIL, mfa_phone_number: PHONE })).member;

  const start = async (durationMinutes = 600): Promise<SessionFixture> => {
    const started = await sessions.start(project, orgA, memberA, [magicLinkFactor(memberA)], { durationMinutes });
    return { sessionId: started.session.sessionId, token: started.sessionToken, jwt: started.sessionJwt, memberId: memberA.memberId };
  };
  const expired = await start(5);
  clock.advanceMinutes(6);
  const live = await start();
  const spare = await start();
  const revoked = await start();
  await sessions.revoke(project, { member_session_id: revoked.sessionId });

  const stepUp = await h.app.services.exchange.exchange(project, { organization_id: orgMfa.organizationId, session_token: live.token, locale: "en" });
  const orgIst = stepUp.intermediateSessionToken;
  const outbox = await h.request("GET", `/v1/test/outbox?to=${encodeURIComponent(PHONE)}`);
  const otpCode = String(outbox.body.messages[0].code);

  const ist = await discoveryIst(h, project, EMAIL, [magicLinkFactor(memberA)]);
  const consumedIst = await discoveryIst(h, project, EMAIL, [magicLinkFactor(memberA)]);
  await h.app.services.discovery.exchangeIntermediateSession(project, {
    intermediate_session_token: consumedIst,
    organization_id: orgA.organizationId,
    locale: "en",
  });

  const signingKey = await keys.signingKey(project.projectId);
  const jwk = (await keys.jwks(project.projectId)).find((key) => key.kid === signingKey.kid)!;

  const other = await h.otherProject();
  const otherOrg = await organizations.create(other.project, { organization_name: "Elsewhere", organization_slug: "org-a" });
  const otherMember = (await members.create(other.project, otherOrg.organizationId, { email_address: EMAIL })).member;
  const otherStarted = await sessions.start(other.project, otherOrg, otherMember, [magicLinkFactor(otherMember)], { durationMinutes: 600 });
  const otherIst = await discoveryIst(h, other.project, EMAIL, [magicLinkFactor(otherMember)]);
  const otherKey = await keys.signingKey(other.project.projectId);

  // Nothing may be left for the background worker to write while tests compare snapshots.
  await h.app.services.delivery.drain();

  const db = openReadOnly(h.databasePath);
  return {
    h,
    clock,
    db,
    target: { baseUrl: h.baseUrl, authorization: basicAuth(project.projectId, h.secret), db },
    orgA,
    orgB,
    orgMfa,
    orgNone,
    memberA,
    memberB,
    memberMfa,
    live,
    spare,
    revoked,
    expired,
    orgIst,
    discoveryIst: ist,
    consumedIst,
    otpCode,
    signing: { kid: signingKey.kid, privateKey: signingKey.privateKey, jwk },
    other: {
      project: other.project,
      secret: other.secret,
      org: otherOrg,
      member: otherMember,
      session: { sessionId: otherStarted.session.sessionId, token: otherStarted.sessionToken, jwt: otherStarted.sessionJwt, memberId: otherMember.memberId },
      ist: otherIst,
      kid: otherKey.kid,
      privateKey: otherKey.privateKey,
    },
    async close() {
      db.close();
      await h.close();
    },
  };
}

/** Every secret of the world, for "the body must not echo it" checks. */
export function worldSecrets(w: World): string[] {
  return [
    w.h.secret,
    w.other.secret,
    w.live.token,
    w.live.jwt,
    w.spare.token,
    w.revoked.token,
    w.expired.token,
    w.orgIst,
    w.discoveryIst,
    w.consumedIst,
    w.other.session.token,
    w.other.session.jwt,
    w.other.ist,
  ];
}
