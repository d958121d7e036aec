/**
 * Unit tests of the benchmark's pure parts: /proc parsing and the seeded data's shape.
 * (Nothing here starts a server.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStatCpuTicks } from "./lib/proc.js";
import { checkPlan, isExpiredRound, mfaOrganizationCount, organizationOfMember, personOfMember, type SeedPlan } from "./seed.js";

describe("bench: /proc parsing", () => {
  it("reads utime and stime after a command name with spaces and parentheses", () => {
    const stat = "4242 (node (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 11 0 100 1000000 5000";
    assert.deepEqual(parseStatCpuTicks(stat), { user: 1234, system: 567 });
  });
});

describe("bench: seeded data shape", () => {
  const plan: SeedPlan = { organizations: 1000, members: 10_000, sessions: 100_000, mfaFraction: 0.3 };
  it("puts every person in two organizations, one in each half, and MFA organizations only in the second", () => {
    const mfaFrom = plan.organizations - mfaOrganizationCount(plan);
    assert.equal(mfaFrom, 700);
    const organizationsOf = new Map<number, number[]>();
    for (let m = 0; m < plan.members; m++) {
      const person = personOfMember(m, plan);
      organizationsOf.set(person, [...(organizationsOf.get(person) ?? []), organizationOfMember(m, plan)]);
    }
    assert.equal(organizationsOf.size, 5000);
    for (const [, organizations] of organizationsOf) {
      assert.equal(organizations.length, 2);
      const [a, b] = organizations as [number, number];
      assert.ok(a < 500 && b >= 500, `${a} ${b}`);
      assert.ok(a < mfaFrom, "the first membership is never in an MFA organization");
    }
    assert.equal(organizationOfMember(9999, plan), 999);
    assert.equal(organizationOfMember(0, plan), 0);
  });
  it("expires every tenth round and refuses plans the pools cannot use", () => {
    assert.deepEqual([0, 8, 9, 19].map(isExpiredRound), [false, false, true, true]);
    assert.throws(() => checkPlan({ ...plan, sessions: 5000 }), /sessions/);
    assert.throws(() => checkPlan({ ...plan, members: 10_001 }), /even/);
    checkPlan(plan);
  });
});
