/**
 * Stored tags and duplicates through the real CLI and server: `clipdex tag`, tags on later
 * `index` runs, label removal, the `tags` filter, hits carrying `tags`, `collapse: "near"` and
 * GET /api/duplicates.
 */
import { expect } from 'chai';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openLibrary } from '../../src/store/open-library.ts';
import { clipdex, clipdexJson } from './indexer-helpers.ts';
import {
  DEMO,
  demoRows,
  MODEL_DIR,
  startTestServer,
  writeCorpus,
  type CaptionRow,
} from './server-harness.ts';

interface Hit {
  id: number;
  uri: string;
  tags: Array<{ label: string; score: number }>;
}

describe('tags and duplicates (e2e)', function () {
  this.timeout(180_000);
  let tmp: string;
  let corpus: string;
  let lib: string;
  let rows: CaptionRow[];
  const concept = (row: CaptionRow): string => row.captions[0]!;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'clipdex-tags-'));
    const all = await demoRows();
    rows = all.filter((_, i) => i % 40 === 0).slice(0, 8);
    corpus = path.join(tmp, 'corpus');
    await writeCorpus(corpus, rows.slice(0, 6));
    // A copy of the first picture: an exact duplicate.
    await copyFile(path.join(corpus, rows[0]!.image), path.join(corpus, 'images', 'copy-of-first.png'));
    lib = path.join(tmp, 'lib');
    const r = await clipdex([
      'index',
      path.join(corpus, 'images'),
      '--library',
      lib,
      '--model',
      MODEL_DIR,
      '--json',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    await writeFile(
      path.join(tmp, 'labels.txt'),
      rows.map(concept).join('\n') + '\n\n' + concept(rows[0]!) + '\n',
    );
  });
  after(async () => rm(tmp, { recursive: true, force: true }));

  it('tags every image, reporting repeated labels, and search hits carry the tags', async () => {
    const summary = await clipdexJson<{ labels: number; images: number; duplicates: string[] }>([
      'tag',
      '--library',
      lib,
      '--labels',
      path.join(tmp, 'labels.txt'),
    ]);
    expect(summary).to.deep.include({ labels: rows.length, images: 7, duplicates: [concept(rows[0]!)] });
    const out = await clipdexJson<{ results: Hit[] }>([
      'search',
      concept(rows[1]!),
      '--library',
      lib,
      '--k',
      '7',
    ]);
    expect(out.results[0]!.tags[0]!.label).to.equal(concept(rows[1]!));
  });

  it('the tags filter returns only items carrying the tag', async () => {
    const label = concept(rows[2]!);
    const out = await clipdexJson<{ results: Hit[] }>([
      'search',
      'anything',
      '--library',
      lib,
      '--tag',
      label,
      '--k',
      '20',
    ]);
    expect(out.results.length).to.be.at.least(1);
    for (const hit of out.results) expect(hit.tags.map((t) => t.label)).to.include(label);
  });

  it('later index runs tag new images while the label set is configured', async () => {
    for (const row of rows.slice(6)) await copyFile(path.join(DEMO, row.image), path.join(corpus, row.image));
    const r = await clipdex([
      'index',
      path.join(corpus, 'images'),
      '--library',
      lib,
      '--model',
      MODEL_DIR,
      '--json',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const library = await openLibrary(lib, { readOnly: true, create: false });
    try {
      const added = rows
        .slice(6)
        .map((row) => library.findByUri(library.listRoots()[0]!.id, row.image.replace(/^images\//, ''))!);
      const tags = library.tagsFor(added.map((i) => i.id));
      for (const [i, item] of added.entries()) {
        expect(tags.get(item.id)?.[0]?.label, item.uri).to.equal(concept(rows[6 + i]!));
      }
    } finally {
      await library.close();
    }
  });

  it('serves tags, the tags filter, collapse: "near" and the duplicate groups', async () => {
    const server = await startTestServer(lib);
    try {
      const label = concept(rows[0]!);
      const res = await fetch(
        `${server.base}/api/search?q=${encodeURIComponent(label)}&k=20&tags=${encodeURIComponent(label)}`,
      );
      expect(res.status).to.equal(200);
      const page = (await res.json()) as { results: Hit[] };
      expect(page.results.map((h) => h.uri).sort()).to.deep.equal(
        ['copy-of-first.png', rows[0]!.image.replace(/^images\//, '')].sort(),
      );
      for (const hit of page.results) expect(hit.tags[0]).to.have.keys('label', 'score');

      const collapsed = await fetch(`${server.base}/api/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ q: label, k: 20, collapse: 'near', filter: { tags: [label] } }),
      });
      expect(((await collapsed.json()) as { results: Hit[] }).results).to.have.length(1);

      const dups = (await (await fetch(`${server.base}/api/duplicates?tier=exact`)).json()) as {
        groups: Array<{
          tier: string;
          keep: number;
          reason: string;
          items: Array<{ uri: string; thumbnailUrl: string }>;
        }>;
        nextCursor: string | null;
      };
      expect(dups.groups).to.have.length(1);
      expect(dups.groups[0]!.items.map((m) => m.uri)).to.include('copy-of-first.png');
      expect(dups.groups[0]!.items[0]!.thumbnailUrl).to.match(/^\/api\/items\/\d+\/thumbnail/);
      expect(dups.nextCursor).to.equal(null);
      expect((await fetch(`${server.base}/api/duplicates?tier=bogus`)).status).to.equal(400);
    } finally {
      await server.close();
    }
  });

  it('dropping a label removes its tags; bad labels files fail clearly', async () => {
    const kept = rows.slice(1).map(concept);
    await writeFile(path.join(tmp, 'fewer.txt'), kept.join('\n'));
    const r = await clipdex([
      'tag',
      '--library',
      lib,
      '--labels',
      path.join(tmp, 'fewer.txt'),
      '--model',
      MODEL_DIR,
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const library = await openLibrary(lib, { readOnly: true, create: false });
    try {
      const all = library.tagsFor(library.imageSignatures(0, 100).map((s) => s.id));
      const labels = new Set([...all.values()].flat().map((t) => t.label));
      expect(labels.has(concept(rows[0]!))).to.equal(false);
    } finally {
      await library.close();
    }
    await writeFile(path.join(tmp, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    const bad = await clipdex([
      'tag',
      '--library',
      lib,
      '--labels',
      path.join(tmp, 'latin1.txt'),
      '--model',
      MODEL_DIR,
    ]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/not UTF-8 text \(line 1\)/);
  });
});
