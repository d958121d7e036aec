/**
 * @module TOTP recovery codes: ten per registration, `xxxx-xxxx-xxxx` over a 32-letter alphabet
 * (60 bits each), verified by keyed hashes bound to the member and kept sealed (never in the
 * clear) so the unused ones can be shown again, as Stytch's get does. Recovering
 * consumes one code (single use enforced in the commit) and ends in
 * `AuthenticationService.conclude` with a `recovery_codes` factor.
 */
import { newStytchId } from "../crypto/random.js";
import { digestsEqual } from "../crypto/token-hash.js";
import type { Member, Organization, Project, RecoveryCode } from "../domain/types.js";
import { AppError } from "../errors.js";
import { DEFAULT_LOCALE } from "../messages/locales.js";
import { sessionOptionsOf, type AuthenticationResult, type AuthenticationService } from "./authentication.js";
import type { ServiceContext } from "./context.js";
import type { InstanceKeys } from "./instance-keys.js";
import { recoveryCodeFactor, type MfaCredentialInput, type MfaSupport } from "./mfa-support.js";

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32 in lower case: no i, l, o or u, so codes survive being read aloud or copied by hand. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const CANONICAL = /^[0-9a-hjkmnp-tv-z]{12}$/;

export interface RecoverRequest extends MfaCredentialInput {
  organization_id: string;
  member_id: string;
  recovery_code: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
}

/** `xxxx-xxxx-xxxx` from 60 random bits. */
export function newRecoveryCode(randomBytes: (length: number) => Buffer): string {
  const bytes = randomBytes(12);
  let code = "";
  for (let i = 0; i < 12; i++) code += ALPHABET[bytes[i]! & 31];
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

/**
 * The canonical form of what a person typed: lower case, without spaces or dashes, with the
 * look-alikes o→0 and i/l→1 folded; null when it cannot be a recovery code.
 */
export function canonicalRecoveryCode(input: string): string | null {
  const folded = input.toLowerCase().replace(/[\s-]/g, "").replace(/o/g, "0").replace(/[il]/g, "1");
  return CANONICAL.test(folded) ? folded : null;
}

export class RecoveryCodeService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly support: MfaSupport,
    private readonly instanceKeys: InstanceKeys,
    private readonly authentication: AuthenticationService,
  ) {}

  private hash(member: Member, canonical: string): Promise<Buffer> {
    return this.instanceKeys.hashCode(`recovery_code:${member.memberId}`, canonical);
  }

  /** A fresh set for a registration: the codes to show once, and the records to store. */
  async generate(project: Project, member: Member, totpRegistrationId: string): Promise<{ codes: string[]; records: RecoveryCode[] }> {
    const codes: string[] = [];
    const records: RecoveryCode[] = [];
    while (codes.length < RECOVERY_CODE_COUNT) {
      const code = newRecoveryCode((length) => this.ctx.random.bytes(length));
      if (codes.includes(code)) continue;
      codes.push(code);
      records.push({
        projectId: project.projectId,
        recoveryCodeId: newStytchId("member-totp-recovery-code", project.environment, this.ctx.random),
        totpRegistrationId,
        memberId: member.memberId,
        codeHash: await this.hash(member, canonicalRecoveryCode(code)!),
        sealedCode: await this.instanceKeys.seal(code),
        consumedAt: null,
      });
    }
    return { codes, records };
  }

  async recover(project: Project, request: RecoverRequest): Promise<{ result: AuthenticationResult; remaining: number }> {
    const { organization, member } = await this.support.target(project, request.organization_id, request.member_id);
    this.support.assertMethodAllowed(organization, member, "totp");
    const credential = await this.support.resolveCredential(project, organization, member, request, { required: true });
    this.support.assertPrimaryMet(organization, member, credential);
    if (member.totpRegistrationId === "") throw new AppError("no_active_recovery_code_backed_factor");
    if (/^\s*\d{6}\s*$/.test(request.recovery_code)) throw new AppError("totp_code_used_as_recovery_code");
    await this.support.assertNotLocked(project, member);
    const resetAttempts = await this.support.countAttempt(project, member);

    const canonical = canonicalRecoveryCode(request.recovery_code);
    const presented = await this.hash(member, canonical ?? "-");
    const unused = (await this.ctx.store.listRecoveryCodes(project.projectId, member.totpRegistrationId)).filter(
      (code) => code.consumedAt === null && code.memberId === member.memberId,
    );
    // Compare against every unused code, so timing does not reveal which one matched.
    let match: RecoveryCode | undefined;
    for (const code of unused) if (digestsEqual(presented, code.codeHash) && !match) match = code;
    if (!match || canonical === null) throw new AppError("unable_to_authenticate_recovery_code");

    const now = this.ctx.clock.now();
    const result = await this.authentication.conclude({
      project,
      organization,
      member,
      memberBefore: member,
      newFactors: [recoveryCodeFactor(match.recoveryCodeId, now)],
      changes: [{ kind: "consume_recovery_code", projectId: project.projectId, recoveryCodeId: match.recoveryCodeId, now }, resetAttempts],
      ...credential,
      ...sessionOptionsOf(request),
      locale: DEFAULT_LOCALE,
      errorFor: { consume_recovery_code: "unable_to_authenticate_recovery_code" },
    });
    return { result, remaining: unused.length - 1 };
  }

  /** A new set for the member's verified registration; every earlier code stops working. */
  async rotate(project: Project, organizationRef: string, memberRef: string): Promise<{ codes: string[]; member: Member; organization: Organization }> {
    const { organization, member } = await this.support.target(project, organizationRef, memberRef);
    if (member.totpRegistrationId === "") throw new AppError("no_active_recovery_code_backed_factor");
    const { codes, records } = await this.generate(project, member, member.totpRegistrationId);
    await this.support.commit(
      [{ kind: "replace_recovery_codes", projectId: project.projectId, totpRegistrationId: member.totpRegistrationId, codes: records }],
      "member_not_found",
    );
    return { codes, member, organization };
  }

  /** The member's unused recovery codes, unsealed. */
  async get(project: Project, organizationRef: string, memberRef: string): Promise<{ codes: string[]; member: Member; organization: Organization }> {
    const { organization, member } = await this.support.target(project, organizationRef, memberRef);
    if (member.totpRegistrationId === "") throw new AppError("no_active_recovery_code_backed_factor");
    const stored = await this.ctx.store.listRecoveryCodes(project.projectId, member.totpRegistrationId);
    const codes: string[] = [];
    for (const code of stored) {
      if (code.consumedAt === null && code.memberId === member.memberId && code.sealedCode !== "") codes.push(await this.instanceKeys.open(code.sealedCode));
    }
    return { codes, member, organization };
  }
}
