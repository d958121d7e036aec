/** @module Whether a compiled module is the script node was started with (entry points double as libraries for tests). */
import { pathToFileURL } from "node:url";

export function isMainModule(importMetaUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && importMetaUrl === pathToFileURL(script).href;
}
