// The OpenAPI document's query parameters come from the zod schemas that validate requests, and its
// defaults from src/defaults.ts: adding a filter to the schema documents it, nothing drifts.
import { expect } from 'chai';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_QUERY_CHARS } from '../../../src/defaults.ts';
import { openApiDocument } from '../../../server/openapi.ts';
import { filterSchema, searchQuerySchema } from '../../../server/schemas/search.schema.ts';

interface Param {
  readonly name: string;
  readonly required: boolean;
  readonly schema: Record<string, unknown>;
}
type Doc = { paths: Record<string, Record<string, { parameters?: Param[] }>> };

describe('OpenAPI document generated from the zod schemas', () => {
  const doc = openApiDocument('test') as unknown as Doc;
  const get = doc.paths['/api/search']!['get']!.parameters!;
  const byName = new Map(get.map((p) => [p.name, p]));

  it('GET /api/search lists exactly the keys the query schema accepts', () => {
    expect([...byName.keys()].sort()).to.deep.equal(Object.keys(searchQuerySchema.shape).sort());
    for (const key of Object.keys(filterSchema.shape)) expect(byName.has(key), key).to.equal(true);
  });

  it('takes limits and defaults from src/defaults.ts', () => {
    expect(byName.get('k')!.schema).to.include({ default: DEFAULT_PAGE_SIZE, maximum: MAX_PAGE_SIZE });
    expect(byName.get('q')!.required).to.equal(true);
    expect(byName.get('q')!.schema).to.include({ maxLength: MAX_QUERY_CHARS });
  });
});
