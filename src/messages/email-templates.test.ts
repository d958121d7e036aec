import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SUPPORTED_LOCALES } from "./locales.js";
import { formatDuration, renderEmail, type EmailTemplateKind } from "./email-templates.js";

const KINDS: EmailTemplateKind[] = ["login", "signup", "invite", "email_otp", "password_reset", "discovery", "discovery_email_otp"];

describe("email templates", () => {
  it("exist for every kind in every supported locale, each different", () => {
    for (const kind of KINDS) {
      const subjects = new Set<string>();
      for (const locale of SUPPORTED_LOCALES) {
        const email = renderEmail(kind, locale, {
          organizationName: "Acme",
          link: `https://app.test/auth?stytch_token_type=${kind === "discovery" ? "discovery" : "multi_tenant_magic_links"}&token=TOKEN`,
          code: "012345",
          expiresInMinutes: 60,
        });
        assert.ok(email.subject.includes("Acme"), `${kind}/${locale} subject`);
        assert.ok(email.html.startsWith("<!doctype html>"));
        assert.ok(email.html.includes(`lang="${locale}"`));
        if (kind === "email_otp" || kind === "discovery_email_otp") {
          assert.ok(email.text.includes("012345") && email.html.includes("012345"));
        } else {
          assert.ok(email.text.includes("token=TOKEN"), `${kind}/${locale} text link`);
          const type = kind === "discovery" ? "discovery" : "multi_tenant_magic_links";
          assert.ok(email.html.includes(`href="https://app.test/auth?stytch_token_type=${type}&amp;token=TOKEN"`));
        }
        subjects.add(email.subject);
      }
      assert.equal(subjects.size, SUPPORTED_LOCALES.length, `${kind}: one subject per language`);
    }
  });

  it("escapes organization names and inviters in HTML but not in text", () => {
    const email = renderEmail("invite", "en", {
      organizationName: "<b>Evil</b> & Co",
      inviterName: '"Mallory"',
      link: "https://app.test/?a=1&b=<2>",
      expiresInMinutes: 10080,
    });
    assert.ok(email.text.includes("<b>Evil</b> & Co"));
    assert.ok(email.html.includes("&lt;b&gt;Evil&lt;/b&gt; &amp; Co"));
    assert.ok(!email.html.includes("<b>Evil"));
    assert.ok(email.html.includes("&quot;Mallory&quot; has invited you"));
    assert.ok(email.text.includes("7 days"));
  });

  it("words durations per locale", () => {
    assert.equal(formatDuration("en", 60), "1 hour");
    assert.equal(formatDuration("es", 10), "10 minutos");
    assert.equal(formatDuration("pt-br", 10080), "7 dias");
    assert.equal(formatDuration("fr", 90), "90 minutes");
    assert.equal(formatDuration("fr", 1), "1 minute");
  });
});
