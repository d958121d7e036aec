/** @module Helpers shared by the login flow tests: reading the test outbox over HTTP, expecting SDK errors. */
import assert from "node:assert/strict";
import type { Harness } from "../support/harness.js";

/** The newest message the test outbox holds for `to`, read over HTTP as an application's e2e test would. */
export async function latestMessage(h: Harness, to: string): Promise<any> {
  const response = await h.request("GET", `/v1/test/outbox?to=${encodeURIComponent(to)}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.ok(response.body.messages.length > 0, `no message to ${to}`);
  return response.body.messages[0];
}

/** Awaits `promise`, expecting the SDK to throw a StytchError with this status and type; returns it. */
export async function expectSdkError(promise: Promise<unknown>, status: number, errorType: string): Promise<any> {
  try {
    await promise;
  } catch (error: any) {
    assert.equal(error.status_code, status, `${error.error_type}: ${error.error_message}`);
    assert.equal(error.error_type, errorType, error.error_message);
    return error;
  }
  assert.fail(`expected ${status} ${errorType}`);
}
