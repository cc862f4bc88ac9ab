// Checks HTTP responses against the OpenAPI document the app itself serves, so a route whose answer
// drifts from its declared schema fails its test.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

interface Requester {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

export async function contractChecker(app: Requester) {
  const doc = (await (await app.request('/openapi.json')).json()) as {
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
    components?: unknown;
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(JSON.parse(JSON.stringify({ $id: 'openapi', components: doc.components ?? {} }).replaceAll('#/components', 'openapi#/components')));
  return {
    /** Sends a request and checks the answer's status and body against the route's declared response. */
    async call(method: string, template: string, path: string, body?: unknown, expectStatus?: number) {
      const res = await app.request(path, {
        method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const json: unknown = await res.json();
      if (expectStatus !== undefined) expect(res.status, JSON.stringify(json)).toBe(expectStatus);
      const operation = doc.paths[template]?.[method.toLowerCase()];
      expect(operation, `${method} ${template} is in the OpenAPI document`).toBeDefined();
      const response = operation!.responses[String(res.status)];
      expect(response, `${method} ${template} declares status ${res.status}`).toBeDefined();
      const media = response!.content?.[res.headers.get('content-type')?.split(';')[0] ?? ''];
      expect(media, `${method} ${template} ${res.status} declares ${res.headers.get('content-type')}`).toBeDefined();
      const schema = JSON.parse(JSON.stringify(media!.schema).replaceAll('#/components', 'openapi#/components'));
      const validate = ajv.compile(schema);
      expect(validate(json), `${method} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      return { status: res.status, body: json as Record<string, unknown> & { [k: string]: never } };
    },
  };
}
