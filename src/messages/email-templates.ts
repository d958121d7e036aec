/**
 * @module The emails the login flows send, per locale (en, es, pt-br, fr): login and signup
 * magic links, invites, email passcodes, password resets, and the discovery link and passcode
 * (which belong to no organization: they name the project instead). Each renders to a subject,
 * a plain text body and a simple HTML body; values are HTML-escaped.
 */
import type { Locale } from "./locales.js";

export type EmailTemplateKind =
  | "login"
  | "signup"
  | "invite"
  | "email_otp"
  | "password_reset"
  | "discovery"
  | "discovery_email_otp";

/** The kinds whose email carries a passcode rather than a link. */
const CODE_KINDS: ReadonlySet<EmailTemplateKind> = new Set(["email_otp", "discovery_email_otp"]);

export interface EmailTemplateValues {
  /** The organization's name; for the discovery kinds (no organization yet), the project's name. */
  organizationName: string;
  /** The magic link, invite link, reset link or discovery link (not for passcodes). */
  link?: string;
  /** The passcode (email OTP and discovery email OTP only). */
  code?: string;
  /** How long the link or code stays valid. */
  expiresInMinutes: number;
  /** Who sent an invite, when known. */
  inviterName?: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

interface Copy {
  subject: string;
  /** Paragraphs; `{org}`, `{minutes}`, `{duration}`, `{inviter}` are filled in. */
  intro: string;
  /** The link's button label, or the line before the code. */
  action: string;
  /** Shown under the link or code. */
  footer: string;
}

type Catalogue = Record<EmailTemplateKind, Copy> & { inviteBy: string; inviteAnonymous: string; linkFallback: string };

const DURATION: Record<Locale, { minute: string; minutes: string; hour: string; hours: string; day: string; days: string }> = {
  en: { minute: "minute", minutes: "minutes", hour: "hour", hours: "hours", day: "day", days: "days" },
  es: { minute: "minuto", minutes: "minutos", hour: "hora", hours: "horas", day: "día", days: "días" },
  "pt-br": { minute: "minuto", minutes: "minutos", hour: "hora", hours: "horas", day: "dia", days: "dias" },
  fr: { minute: "minute", minutes: "minutes", hour: "heure", hours: "heures", day: "jour", days: "jours" },
};

const CATALOGUES: Record<Locale, Catalogue> = {
  en: {
    login: {
      subject: "Your login link for {org}",
      intro: "Click the link below to log in to {org}.",
      action: "Log in",
      footer: "This link expires in {duration} and can be used once. If you did not ask to log in, you can ignore this email.",
    },
    signup: {
      subject: "Finish signing up for {org}",
      intro: "Click the link below to confirm your email address and join {org}.",
      action: "Confirm and join",
      footer: "This link expires in {duration} and can be used once. If you did not ask to join, you can ignore this email.",
    },
    invite: {
      subject: "You're invited to join {org}",
      intro: "{inviter} to join {org}. Click the link below to accept the invitation.",
      action: "Accept invitation",
      footer: "This invitation expires in {duration}. If you were not expecting it, you can ignore this email.",
    },
    email_otp: {
      subject: "Your verification code for {org}",
      intro: "Use this code to log in to {org}:",
      action: "Your code is:",
      footer: "The code expires in {duration}. Never share it with anyone. If you did not ask for a code, you can ignore this email.",
    },
    password_reset: {
      subject: "Reset your password for {org}",
      intro: "Someone asked to reset the password of your {org} account. Click the link below to choose a new password.",
      action: "Reset password",
      footer: "This link expires in {duration} and can be used once. If you did not ask for a reset, you can ignore this email: your password stays the same.",
    },
    discovery: {
      subject: "Log in to {org}",
      intro: "Click the link below to log in to {org}. You will then choose the organization to continue to, or create one.",
      action: "Log in",
      footer: "This link expires in {duration} and can be used once. If you did not ask to log in, you can ignore this email.",
    },
    discovery_email_otp: {
      subject: "Your code to log in to {org}",
      intro: "Use this code to log in to {org}. You will then choose the organization to continue to, or create one.",
      action: "Your code is:",
      footer: "The code expires in {duration}. Never share it with anyone. If you did not ask for a code, you can ignore this email.",
    },
    inviteBy: "{inviter} has invited you",
    inviteAnonymous: "You have been invited",
    linkFallback: "If the button does not work, copy this address into your browser:",
  },
  es: {
    login: {
      subject: "Tu enlace de inicio de sesión para {org}",
      intro: "Haz clic en el enlace de abajo para iniciar sesión en {org}.",
      action: "Iniciar sesión",
      footer: "Este enlace caduca en {duration} y solo se puede usar una vez. Si no pediste iniciar sesión, puedes ignorar este correo.",
    },
    signup: {
      subject: "Termina tu registro en {org}",
      intro: "Haz clic en el enlace de abajo para confirmar tu correo electrónico y unirte a {org}.",
      action: "Confirmar y unirme",
      footer: "Este enlace caduca en {duration} y solo se puede usar una vez. Si no pediste unirte, puedes ignorar este correo.",
    },
    invite: {
      subject: "Te han invitado a unirte a {org}",
      intro: "{inviter} a unirte a {org}. Haz clic en el enlace de abajo para aceptar la invitación.",
      action: "Aceptar invitación",
      footer: "Esta invitación caduca en {duration}. Si no la esperabas, puedes ignorar este correo.",
    },
    email_otp: {
      subject: "Tu código de verificación para {org}",
      intro: "Usa este código para iniciar sesión en {org}:",
      action: "Tu código es:",
      footer: "El código caduca en {duration}. No lo compartas con nadie. Si no pediste un código, puedes ignorar este correo.",
    },
    password_reset: {
      subject: "Restablece tu contraseña de {org}",
      intro: "Alguien pidió restablecer la contraseña de tu cuenta de {org}. Haz clic en el enlace de abajo para elegir una nueva contraseña.",
      action: "Restablecer contraseña",
      footer: "Este enlace caduca en {duration} y solo se puede usar una vez. Si no lo pediste, puedes ignorar este correo: tu contraseña no cambia.",
    },
    discovery: {
      subject: "Tu enlace de acceso a {org}",
      intro: "Haz clic en el enlace de abajo para iniciar sesión en {org}. Después elegirás la organización con la que continuar, o crearás una.",
      action: "Iniciar sesión",
      footer: "Este enlace caduca en {duration} y solo se puede usar una vez. Si no pediste iniciar sesión, puedes ignorar este correo.",
    },
    discovery_email_otp: {
      subject: "Tu código de acceso a {org}",
      intro: "Usa este código para iniciar sesión en {org}. Después elegirás la organización con la que continuar, o crearás una.",
      action: "Tu código es:",
      footer: "El código caduca en {duration}. No lo compartas con nadie. Si no pediste un código, puedes ignorar este correo.",
    },
    inviteBy: "{inviter} te ha invitado",
    inviteAnonymous: "Te han invitado",
    linkFallback: "Si el botón no funciona, copia esta dirección en tu navegador:",
  },
  "pt-br": {
    login: {
      subject: "Seu link de acesso para {org}",
      intro: "Clique no link abaixo para entrar em {org}.",
      action: "Entrar",
      footer: "Este link expira em {duration} e só pode ser usado uma vez. Se você não pediu para entrar, ignore este e-mail.",
    },
    signup: {
      subject: "Conclua seu cadastro em {org}",
      intro: "Clique no link abaixo para confirmar seu e-mail e participar de {org}.",
      action: "Confirmar e participar",
      footer: "Este link expira em {duration} e só pode ser usado uma vez. Se você não pediu para participar, ignore este e-mail.",
    },
    invite: {
      subject: "Você foi convidado para participar de {org}",
      intro: "{inviter} para participar de {org}. Clique no link abaixo para aceitar o convite.",
      action: "Aceitar convite",
      footer: "Este convite expira em {duration}. Se você não o esperava, ignore este e-mail.",
    },
    email_otp: {
      subject: "Seu código de verificação para {org}",
      intro: "Use este código para entrar em {org}:",
      action: "Seu código é:",
      footer: "O código expira em {duration}. Nunca o compartilhe. Se você não pediu um código, ignore este e-mail.",
    },
    password_reset: {
      subject: "Redefina sua senha de {org}",
      intro: "Alguém pediu para redefinir a senha da sua conta em {org}. Clique no link abaixo para escolher uma nova senha.",
      action: "Redefinir senha",
      footer: "Este link expira em {duration} e só pode ser usado uma vez. Se você não pediu, ignore este e-mail: sua senha continua a mesma.",
    },
    discovery: {
      subject: "Seu link de login para {org}",
      intro: "Clique no link abaixo para entrar em {org}. Em seguida, você escolherá a organização com a qual continuar, ou criará uma.",
      action: "Entrar",
      footer: "Este link expira em {duration} e só pode ser usado uma vez. Se você não pediu para entrar, ignore este e-mail.",
    },
    discovery_email_otp: {
      subject: "Seu código de login para {org}",
      intro: "Use este código para entrar em {org}. Em seguida, você escolherá a organização com a qual continuar, ou criará uma.",
      action: "Seu código é:",
      footer: "O código expira em {duration}. Nunca o compartilhe. Se você não pediu um código, ignore este e-mail.",
    },
    inviteBy: "{inviter} convidou você",
    inviteAnonymous: "Você foi convidado",
    linkFallback: "Se o botão não funcionar, copie este endereço no seu navegador:",
  },
  fr: {
    login: {
      subject: "Votre lien de connexion à {org}",
      intro: "Cliquez sur le lien ci-dessous pour vous connecter à {org}.",
      action: "Se connecter",
      footer: "Ce lien expire dans {duration} et ne peut servir qu'une fois. Si vous n'avez pas demandé à vous connecter, ignorez cet e-mail.",
    },
    signup: {
      subject: "Terminez votre inscription à {org}",
      intro: "Cliquez sur le lien ci-dessous pour confirmer votre adresse e-mail et rejoindre {org}.",
      action: "Confirmer et rejoindre",
      footer: "Ce lien expire dans {duration} et ne peut servir qu'une fois. Si vous n'avez pas demandé à rejoindre, ignorez cet e-mail.",
    },
    invite: {
      subject: "Vous êtes invité à rejoindre {org}",
      intro: "{inviter} à rejoindre {org}. Cliquez sur le lien ci-dessous pour accepter l'invitation.",
      action: "Accepter l'invitation",
      footer: "Cette invitation expire dans {duration}. Si vous ne l'attendiez pas, ignorez cet e-mail.",
    },
    email_otp: {
      subject: "Votre code de vérification pour {org}",
      intro: "Utilisez ce code pour vous connecter à {org} :",
      action: "Votre code est :",
      footer: "Le code expire dans {duration}. Ne le partagez jamais. Si vous n'avez pas demandé de code, ignorez cet e-mail.",
    },
    password_reset: {
      subject: "Réinitialisez votre mot de passe {org}",
      intro: "Quelqu'un a demandé à réinitialiser le mot de passe de votre compte {org}. Cliquez sur le lien ci-dessous pour choisir un nouveau mot de passe.",
      action: "Réinitialiser le mot de passe",
      footer: "Ce lien expire dans {duration} et ne peut servir qu'une fois. Si vous n'avez rien demandé, ignorez cet e-mail : votre mot de passe reste le même.",
    },
    discovery: {
      subject: "Votre lien d'accès à {org}",
      intro: "Cliquez sur le lien ci-dessous pour vous connecter à {org}. Vous choisirez ensuite l'organisation où continuer, ou en créerez une.",
      action: "Se connecter",
      footer: "Ce lien expire dans {duration} et ne peut servir qu'une fois. Si vous n'avez pas demandé à vous connecter, ignorez cet e-mail.",
    },
    discovery_email_otp: {
      subject: "Votre code d'accès à {org}",
      intro: "Utilisez ce code pour vous connecter à {org}. Vous choisirez ensuite l'organisation où continuer, ou en créerez une.",
      action: "Votre code est :",
      footer: "Le code expire dans {duration}. Ne le partagez jamais. Si vous n'avez pas demandé de code, ignorez cet e-mail.",
    },
    inviteBy: "{inviter} vous a invité",
    inviteAnonymous: "Vous avez été invité",
    linkFallback: "Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur :",
  },
};

/** "60 minutes", "2 hours", "7 days" in the locale's words (whole units only, else minutes). */
export function formatDuration(locale: Locale, minutes: number): string {
  const words = DURATION[locale];
  if (minutes % 1440 === 0) return `${minutes / 1440} ${minutes === 1440 ? words.day : words.days}`;
  if (minutes % 60 === 0) return `${minutes / 60} ${minutes === 60 ? words.hour : words.hours}`;
  return `${minutes} ${minutes === 1 ? words.minute : words.minutes}`;
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** The email of `kind` in `locale` with `values` filled in. */
export function renderEmail(kind: EmailTemplateKind, locale: Locale, values: EmailTemplateValues): RenderedEmail {
  const catalogue = CATALOGUES[locale];
  const copy = catalogue[kind];
  const inviter = values.inviterName ? fill(catalogue.inviteBy, { inviter: values.inviterName }) : catalogue.inviteAnonymous;
  const plain = {
    org: values.organizationName,
    duration: formatDuration(locale, values.expiresInMinutes),
    inviter,
  };
  const html = {
    org: escapeHtml(plain.org),
    duration: escapeHtml(plain.duration),
    inviter: escapeHtml(plain.inviter),
  };
  const subject = fill(copy.subject, plain);
  const intro = fill(copy.intro, plain);
  const footer = fill(copy.footer, plain);

  let textAction: string;
  let htmlAction: string;
  if (CODE_KINDS.has(kind)) {
    const code = values.code ?? "";
    textAction = `${copy.action} ${code}`;
    htmlAction =
      `<p>${escapeHtml(copy.action)}</p>` +
      `<p style="font-size:28px;font-weight:bold;letter-spacing:6px;font-family:monospace">${escapeHtml(code)}</p>`;
  } else {
    const link = values.link ?? "";
    textAction = `${copy.action}: ${link}`;
    htmlAction =
      `<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 18px;background:#1f2937;color:#ffffff;` +
      `text-decoration:none;border-radius:6px">${escapeHtml(copy.action)}</a></p>` +
      `<p style="font-size:12px;color:#555555">${escapeHtml(catalogue.linkFallback)}<br>${escapeHtml(link)}</p>`;
  }
  const text = `${intro}\n\n${textAction}\n\n${footer}\n`;
  const htmlBody =
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>` +
    `<body style="font-family:Helvetica,Arial,sans-serif;color:#111111;max-width:560px">` +
    `<p>${fill(copy.intro, html)}</p>${htmlAction}<p style="font-size:12px;color:#555555">${fill(copy.footer, html)}</p>` +
    `</body></html>`;
  return { subject, text, html: htmlBody };
}
