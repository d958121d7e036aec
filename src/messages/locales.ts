/** @module The languages messages are written in. BCP 47 tags as Stytch spells them. */

export const SUPPORTED_LOCALES = ["en", "es", "pt-br", "fr"] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "en";

/** The supported locale for a request value (case-insensitive), the default for none, null for an unsupported one. */
export function resolveLocale(value: string | undefined): Locale | null {
  if (value === undefined || value === "") return DEFAULT_LOCALE;
  const lowered = value.toLowerCase();
  return (SUPPORTED_LOCALES as readonly string[]).includes(lowered) ? (lowered as Locale) : null;
}
