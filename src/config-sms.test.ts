import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, readConfig } from "./config.js";
import { smsSenderFromConfig } from "./delivery/sms-sender-config.js";

const twilio = { TWILIO_ACCOUNT_SID: "AC123", TWILIO_AUTH_TOKEN: "token", TWILIO_FROM_NUMBER: "+15005550006" };
const webhook = { SMS_WEBHOOK_URL: "https://sms.example.com/hook", SMS_WEBHOOK_SECRET: "0123456789abcdef" };

describe("SMS delivery configuration", () => {
  it("none configured: no sender (test projects use the outbox)", () => {
    const config = readConfig({});
    assert.equal(config.twilio, null);
    assert.equal(config.smsWebhook, null);
    assert.equal(smsSenderFromConfig(config), null);
  });

  it("Twilio needs all three variables; the base URL is optional", () => {
    const config = readConfig(twilio);
    assert.deepEqual(config.twilio, { accountSid: "AC123", authToken: "token", fromNumber: "+15005550006", baseUrl: undefined });
    assert.equal(smsSenderFromConfig(config)?.name, "twilio");
    assert.equal(readConfig({ ...twilio, TWILIO_BASE_URL: "http://127.0.0.1:9999" }).twilio?.baseUrl, "http://127.0.0.1:9999");
    assert.throws(() => readConfig({ TWILIO_ACCOUNT_SID: "AC123" }), /must be set together/);
    assert.throws(() => readConfig({ ...twilio, TWILIO_BASE_URL: "ftp://x" }), ConfigError);
  });

  it("the webhook needs a URL and a secret of at least 16 characters", () => {
    const config = readConfig(webhook);
    assert.deepEqual(config.smsWebhook, { url: webhook.SMS_WEBHOOK_URL, secret: webhook.SMS_WEBHOOK_SECRET });
    assert.equal(smsSenderFromConfig(config)?.name, "webhook");
    assert.throws(() => readConfig({ SMS_WEBHOOK_URL: webhook.SMS_WEBHOOK_URL }), /must be set together/);
    assert.throws(() => readConfig({ ...webhook, SMS_WEBHOOK_SECRET: "short" }), /at least 16/);
    assert.throws(() => readConfig({ ...webhook, SMS_WEBHOOK_URL: "not a url" }), /http\(s\) URL/);
  });

  it("both at once is ambiguous and refused", () => {
    assert.throws(() => readConfig({ ...twilio, ...webhook }), /not both/);
  });
});

describe("public URL configuration", () => {
  it("defaults to http://HOST:PORT and drops a trailing slash from TESSERA_PUBLIC_URL", () => {
    assert.equal(readConfig({}).publicUrl, "http://127.0.0.1:8787");
    assert.equal(readConfig({ HOST: "0.0.0.0", PORT: "9000" }).publicUrl, "http://0.0.0.0:9000");
    assert.equal(readConfig({ TESSERA_PUBLIC_URL: "https://auth.example.com/tessera/" }).publicUrl, "https://auth.example.com/tessera");
  });

  it("refuses a public URL that is not http(s) or carries a query", () => {
    assert.throws(() => readConfig({ TESSERA_PUBLIC_URL: "ftp://auth.example.com" }), ConfigError);
    assert.throws(() => readConfig({ TESSERA_PUBLIC_URL: "https://auth.example.com/?x=1" }), ConfigError);
  });
});
