/**
 * @module Request validation from the JSON Schema 2020-12 documents in src/schemas/ (the single
 * source of validation and of openapi.json). Strict types, no coercion, unknown fields ignored.
 * A failing property's `x-error-type` annotation names the Stytch error to answer with.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AppError, ERROR_CATALOGUE, type ErrorType } from "../errors.js";

const SCHEMAS_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../src/schemas");

export type JsonSchema = Record<string, unknown>;

export class SchemaRegistry {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  readonly documents = new Map<string, JsonSchema>();

  constructor(directory = SCHEMAS_DIR) {
    this.ajv = new Ajv2020({ strict: true, allErrors: false, verbose: true, coerceTypes: false, useDefaults: false });
    this.ajv.addKeyword({ keyword: "x-error-type", schemaType: "string" });
    for (const file of readdirSync(directory).filter((name) => name.endsWith(".json")).sort()) {
      const schema = JSON.parse(readFileSync(join(directory, file), "utf8")) as JsonSchema;
      this.documents.set(String(schema.$id), schema);
      this.ajv.addSchema(schema);
    }
  }

  private validator(id: string): ValidateFunction {
    let validate = this.validators.get(id);
    if (!validate) {
      validate = this.ajv.getSchema(id);
      if (!validate) throw new TypeError(`no schema with $id "${id}"`);
      this.validators.set(id, validate);
    }
    return validate;
  }

  /** Checks `value` against the schema `id`; throws the Stytch-shaped 400 for the first problem. */
  validate<T>(id: string, value: unknown): T {
    const validate = this.validator(id);
    if (validate(value)) return value as T;
    throw errorFor(validate.errors?.[0]);
  }
}

function errorFor(error: ErrorObject | undefined): AppError {
  if (!error) return new AppError("bad_request");
  const field = (error.instancePath.replace(/^\//, "").replace(/\//g, ".") || "body");
  if (error.keyword === "required") {
    const missing = String((error.params as { missingProperty?: string }).missingProperty);
    return new AppError("missing_required_field", `${missing} is required.`);
  }
  const annotated = (error.parentSchema as { "x-error-type"?: string } | undefined)?.["x-error-type"];
  const errorType: ErrorType =
    annotated && annotated in ERROR_CATALOGUE ? (annotated as ErrorType) : error.keyword === "type" ? "invalid_field_type" : "invalid_field_value";
  return new AppError(errorType, `${field} ${error.message ?? "is not valid"}.`);
}
