// /openapi.json is generated from the zod schemas the handlers validate with: a change to a
// schema is a change to the document, with no edit anywhere else.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

type Doc = { paths: Record<string, Record<string, { parameters?: Array<{ name: string; required: boolean; schema: Record<string, unknown> }>; requestBody?: { content: Record<string, { schema: { properties: Record<string, Record<string, unknown>>; required: string[] } }> }; responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> }>> };

async function freshDocument(): Promise<Doc> {
  vi.resetModules();
  const { openApiDocument } = await import('../../api/openapi');
  return openApiDocument() as unknown as Doc;
}

const titleBody = (d: Doc) => d.paths['/titles'].post.requestBody!.content['application/json'].schema;
const feedParams = (d: Doc) => Object.fromEntries(d.paths['/home-feed'].get.parameters!.map((p) => [p.name, p]));

describe('OpenAPI from the zod schemas', () => {
  afterEach(() => {
    vi.doUnmock('../../api/schemas');
    vi.resetModules();
  });

  it('documents request bodies, query parameters and responses as the schemas define them', async () => {
    const doc = await freshDocument();
    expect(titleBody(doc).required).toEqual(['movie_id', 'title']);
    expect(titleBody(doc).properties.title).toMatchObject({ type: 'string', minLength: 1, maxLength: 300 });
    expect(feedParams(doc).user_id).toMatchObject({ required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' } });
    expect(feedParams(doc).limit).toMatchObject({ required: false, description: 'an integer from 1 to 500' });
    const feed = doc.paths['/home-feed'].get.responses['200'].content!['application/json'].schema as { properties: Record<string, { enum?: string[] }> };
    expect(feed.properties.source.enum).toEqual(['personalized', 'fold_in', 'cold_start', 'fallback']);
  });

  it('a field added to a body schema, or a limit changed in a query schema, shows in /openapi.json with no other edit', async () => {
    const before = await freshDocument();
    vi.doMock('../../api/schemas', async (importOriginal) => {
      const real = await importOriginal<typeof import('../../api/schemas')>();
      return {
        ...real,
        titleBodySchema: real.titleBodySchema.extend({ maturity_rating: z.enum(['G', 'PG', 'R']).optional() }),
        homeFeedQuerySchema: (maxOffset: number) => real.homeFeedQuerySchema(maxOffset).extend({ device: z.enum(['tv', 'web']).optional() }),
      };
    });
    const after = await freshDocument();
    expect(titleBody(before).properties.maturity_rating).toBeUndefined();
    expect(titleBody(after).properties.maturity_rating).toEqual({ type: 'string', enum: ['G', 'PG', 'R'] });
    expect(feedParams(before).device).toBeUndefined();
    expect(feedParams(after).device).toMatchObject({ in: 'query', required: false, schema: { type: 'string', enum: ['tv', 'web'] } });
    // Everything else is unchanged.
    expect({ ...after.paths, '/titles': null, '/home-feed': null }).toEqual({ ...before.paths, '/titles': null, '/home-feed': null });
  });
});
