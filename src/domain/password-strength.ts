/**
 * @module Password strength, offline: the LUDS policy Tessera enforces (length ≥ 8 and at least
 * three of lower case, upper case, digit, symbol), a short list of the most common passwords,
 * and a rough zxcvbn-style score (0–4) from a guess-count estimate. No breach lookup: nothing
 * leaves the server, so `breached_password` is always false. Pure.
 */

export const LUDS_MINIMUM_LENGTH = 8;
/** How many of the four character classes (lower, upper, digit, symbol) a password needs. */
export const LUDS_COMPLEXITY = 3;

/** The most common passwords (case-insensitive), refused whatever their LUDS shape. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  "password", "password1", "password12", "password123", "password1!", "passw0rd", "p@ssw0rd", "p@ssword", "123456", "12345678",
  "123456789", "1234567890", "12345", "1234", "111111", "000000", "qwerty", "qwerty123", "qwertyuiop", "abc123", "abcd1234",
  "iloveyou", "admin", "admin123", "welcome", "welcome1", "welcome123", "letmein", "monkey", "dragon", "football", "baseball",
  "sunshine", "princess", "master", "shadow", "superman", "trustno1", "changeme", "secret", "login", "starwars", "whatever",
  "qazwsx", "zaq12wsx", "1q2w3e4r", "1qaz2wsx", "asdfghjkl", "summer2024", "winter2024", "spring2024", "autumn2024",
  "summer2025", "winter2025", "summer2026", "winter2026", "company123", "test1234", "testtest", "hello123", "password2024",
  "password2025", "password2026", "Passw0rd!", "Password1!", "Password123!", "Welcome1!", "Welcome123!", "Qwerty123!",
].map((password) => password.toLowerCase()));

export interface LudsFeedback {
  has_lower_case: boolean;
  has_upper_case: boolean;
  has_digit: boolean;
  has_symbol: boolean;
  missing_complexity: number;
  missing_characters: number;
}

export interface PasswordStrength {
  valid_password: boolean;
  /** zxcvbn-style 0 (too guessable) … 4 (very unguessable). */
  score: number;
  breached_password: false;
  strength_policy: "luds";
  breach_detection_on_create: false;
  luds_feedback: LudsFeedback;
  zxcvbn_feedback: { warning: string; suggestions: string[] };
}

const SEQUENCES = ["abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

/** Characters of `password` that continue a run (repeated character or a 3+ keyboard/alphabet sequence). */
function predictableCharacters(password: string): number {
  const lower = password.toLowerCase();
  let predictable = 0;
  for (let i = 2; i < lower.length; i++) {
    const window = lower.slice(i - 2, i + 1);
    const repeated = window[0] === window[1] && window[1] === window[2];
    const sequential = SEQUENCES.some((sequence) => sequence.includes(window) || [...sequence].reverse().join("").includes(window));
    if (repeated || sequential) predictable++;
  }
  return predictable;
}

/** log2 of a rough guess count: character-pool entropy, discounted for runs, repeats and common words. */
function estimateBits(password: string, classes: { lower: boolean; upper: boolean; digit: boolean; symbol: boolean }): number {
  const pool = (classes.lower ? 26 : 0) + (classes.upper ? 26 : 0) + (classes.digit ? 10 : 0) + (classes.symbol ? 33 : 0);
  const characters = [...password];
  const distinct = new Set(characters).size;
  // Runs and repeats add (almost) nothing; few distinct characters shrink the effective length.
  const variety = Math.min(1, distinct / Math.max(4, characters.length / 2));
  const effectiveLength = Math.max(0, characters.length - predictableCharacters(password)) * variety;
  let bits = effectiveLength * Math.log2(Math.max(pool, 2));
  const stripped = password.toLowerCase().replace(/[^a-z]/g, "");
  if (COMMON_PASSWORDS.has(password.toLowerCase())) bits = Math.min(bits, 10);
  else if (stripped.length >= 4 && [...COMMON_PASSWORDS].some((common) => common.replace(/[^a-z]/g, "") === stripped)) bits = Math.min(bits, 24);
  return bits;
}

function scoreFromBits(bits: number): number {
  if (bits < 20) return 0;
  if (bits < 33) return 1;
  if (bits < 50) return 2;
  if (bits < 66) return 3;
  return 4;
}

/** The strength-check answer for `password` (and, when known, the member's email address). */
export function checkPasswordStrength(password: string, emailAddress?: string): PasswordStrength {
  const classes = {
    lower: /[a-z]/.test(password),
    upper: /[A-Z]/.test(password),
    digit: /[0-9]/.test(password),
    // Stytch counts any character outside a-z, A-Z (and digits) as a symbol, spaces and emoji included.
    symbol: /[^a-zA-Z0-9]/u.test(password),
  };
  const present = [classes.lower, classes.upper, classes.digit, classes.symbol].filter(Boolean).length;
  const length = [...password].length;
  const luds: LudsFeedback = {
    has_lower_case: classes.lower,
    has_upper_case: classes.upper,
    has_digit: classes.digit,
    has_symbol: classes.symbol,
    missing_complexity: Math.max(0, LUDS_COMPLEXITY - present),
    missing_characters: Math.max(0, LUDS_MINIMUM_LENGTH - length),
  };
  const suggestions: string[] = [];
  let warning = "";
  const common = COMMON_PASSWORDS.has(password.toLowerCase());
  const localPart = emailAddress?.split("@")[0]?.toLowerCase() ?? "";
  const containsEmail = localPart.length >= 3 && password.toLowerCase().includes(localPart);
  if (common) warning = "This is a very common password.";
  else if (containsEmail) warning = "Passwords that contain your email address are easy to guess.";
  else if (predictableCharacters(password) > 0) warning = 'Repeats like "aaa" and sequences like "abc" or "6543" are easy to guess.';
  if (luds.missing_characters > 0) suggestions.push(`Add ${luds.missing_characters} more character${luds.missing_characters === 1 ? "" : "s"}.`);
  if (luds.missing_complexity > 0) suggestions.push("Mix lower case, upper case, digits and symbols.");
  if (common || containsEmail) suggestions.push("Avoid common passwords and personal information.");
  const bits = containsEmail ? Math.min(estimateBits(password, classes), 24) : estimateBits(password, classes);
  const score = scoreFromBits(bits);
  const valid = luds.missing_characters === 0 && luds.missing_complexity === 0 && !common && !containsEmail;
  return {
    valid_password: valid,
    score,
    breached_password: false,
    strength_policy: "luds",
    breach_detection_on_create: false,
    luds_feedback: luds,
    zxcvbn_feedback: { warning, suggestions },
  };
}
