import { z } from 'zod';

/**
 * Helpers for the OpenAPI 3.1 rows every HTTP module contributes: request bodies and query
 * parameters are generated from the very zod schemas the routes validate with, so the document
 * cannot drift from what the API accepts.
 */
export const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The JSON Schema of what a client may send (input side: defaults make fields optional). */
export function requestSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return json;
}

export function jsonRequest(schema: z.ZodType, mediaType = 'application/json') {
  return { required: true, content: { [mediaType]: { schema: requestSchema(schema) } } };
}

/** One query parameter per field of an object schema. */
export function queryParameters(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: !(field as z.ZodType).safeParse(undefined).success,
    schema: requestSchema(field as z.ZodType),
  }));
}

export const pathParameter = (name: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
});

export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: schemaRef('Error') } },
});
