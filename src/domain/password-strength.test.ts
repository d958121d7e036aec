import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { checkPasswordStrength, LUDS_MINIMUM_LENGTH } from "./password-strength.js";

describe("checkPasswordStrength (LUDS)", () => {
  it("accepts a long mixed password and scores it high", () => {
    const result = checkPasswordStrength("Velvet-Otter-42-Sings");
    assert.equal(result.valid_password, true);
    assert.equal(result.strength_policy, "luds");
    assert.equal(result.breached_password, false);
    assert.equal(result.breach_detection_on_create, false);
    assert.ok(result.score >= 3, `score ${result.score}`);
    assert.deepEqual(result.luds_feedback, {
      has_lower_case: true,
      has_upper_case: true,
      has_digit: true,
      has_symbol: true,
      missing_complexity: 0,
      missing_characters: 0,
    });
  });

  it("says what is missing", () => {
    const result = checkPasswordStrength("abc");
    assert.equal(result.valid_password, false);
    assert.equal(result.luds_feedback.missing_characters, LUDS_MINIMUM_LENGTH - 3);
    assert.equal(result.luds_feedback.missing_complexity, 2);
    assert.ok(result.zxcvbn_feedback.suggestions.length > 0);
    assert.equal(result.score, 0);
  });

  it("refuses very common passwords and ones containing the email's local part, even when LUDS passes", () => {
    const common = checkPasswordStrength("Password123!");
    assert.equal(common.luds_feedback.missing_complexity, 0);
    assert.equal(common.valid_password, false);
    assert.match(common.zxcvbn_feedback.warning, /common/);
    const personal = checkPasswordStrength("Ada.Lovelace-1815", "ada.lovelace@example.com");
    assert.equal(personal.valid_password, false);
    assert.match(personal.zxcvbn_feedback.warning, /email/);
  });

  it("counts spaces, punctuation and emoji as symbols", () => {
    assert.equal(checkPasswordStrength("a b").luds_feedback.has_symbol, true);
    assert.equal(checkPasswordStrength("ab🙂").luds_feedback.has_symbol, true);
    assert.equal(checkPasswordStrength("ab12").luds_feedback.has_symbol, false);
  });

  it("is total: any string gets a score 0..4 and consistent feedback", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (password) => {
        const result = checkPasswordStrength(password);
        assert.ok(Number.isInteger(result.score) && result.score >= 0 && result.score <= 4);
        const luds = result.luds_feedback;
        if (result.valid_password) assert.equal(luds.missing_characters + luds.missing_complexity, 0);
      }),
    );
  });
});
