/** @module Text of the SMS messages, per locale. `{code}` is the passcode, `{minutes}` its lifetime. */
import type { Locale } from "./locales.js";

const SMS_OTP: Record<Locale, string> = {
  en: "Your verification code is {code}. It expires in {minutes} minutes. Never share this code.",
  es: "Tu código de verificación es {code}. Caduca en {minutes} minutos. No compartas este código.",
  "pt-br": "Seu código de verificação é {code}. Ele expira em {minutes} minutos. Nunca compartilhe este código.",
  fr: "Votre code de vérification est {code}. Il expire dans {minutes} minutes. Ne partagez jamais ce code.",
};

export function smsOtpText(locale: Locale, code: string, minutes: number): string {
  return SMS_OTP[locale].replace("{code}", code).replace("{minutes}", String(minutes));
}
