import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readCaptionManifest } from '../../../indexer/sources/caption-manifest.reader.ts';
import { readTextCorpus } from '../../../indexer/sources/text-corpus.reader.ts';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('indexer/sources', () => {
  let dir: string;
  const file = async (name: string, content: string): Promise<string> => {
    const p = path.join(dir, name);
    await writeFile(p, content);
    return p;
  };
  beforeEach(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-src-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  describe('readTextCorpus', () => {
    it('reads one text per line, skipping blanks, keyed by line number', async () => {
      const texts = await collect(readTextCorpus(await file('a.txt', '\uFEFFfirst\r\n\n  second  \n')));
      expect(texts).to.deep.equal([
        { key: '1', text: 'first' },
        { key: '3', text: 'second' },
      ]);
    });
    it('reads JSONL text fields and reports bad lines without stopping', async () => {
      const problems: string[] = [];
      const texts = await collect(
        readTextCorpus(await file('a.jsonl', '{"text":"one"}\nnot json\n{"caption":"two"}\n'), (k) =>
          problems.push(k),
        ),
      );
      expect(texts.map((t) => t.text)).to.deep.equal(['one', 'two']);
      expect(problems).to.deep.equal(['2']);
    });
    it('reads the text column of a CSV with quotes and commas', async () => {
      const texts = await collect(readTextCorpus(await file('a.csv', 'id,text\n1,"a, b"\n2,c\n')));
      expect(texts).to.deep.equal([
        { key: '2', text: 'a, b' },
        { key: '3', text: 'c' },
      ]);
    });
    it('refuses a CSV without a text column', async () => {
      const p = await file('b.csv', 'x,y\n1,2\n');
      let error: unknown;
      await collect(readTextCorpus(p)).catch((e: unknown) => (error = e));
      expect(error).to.have.property('code', 'INVALID_INPUT');
    });
  });

  describe('readCaptionManifest', () => {
    it('reads JSONL with one or many captions', async () => {
      const recs = await collect(
        readCaptionManifest(
          await file('m.jsonl', '{"image":"a.jpg","captions":["x","y"]}\n{"image":"b.jpg","caption":"z"}\n'),
        ),
      );
      expect(recs).to.deep.equal([
        {
          image: 'a.jpg',
          captions: [
            { key: '1.0', text: 'x' },
            { key: '1.1', text: 'y' },
          ],
        },
        { image: 'b.jpg', captions: [{ key: '2', text: 'z' }] },
      ]);
    });
    it('reads COCO captions grouped by image, keyed by annotation id', async () => {
      const coco = {
        images: [{ id: 7, file_name: 'a.jpg' }],
        annotations: [
          { id: 1, image_id: 7, caption: ' one ' },
          { id: 2, image_id: 7, caption: 'two' },
          { id: 3, image_id: 99, caption: 'orphan' },
        ],
      };
      const recs = await collect(readCaptionManifest(await file('c.json', JSON.stringify(coco))));
      expect(recs).to.deep.equal([
        {
          image: 'a.jpg',
          captions: [
            { key: '1', text: 'one' },
            { key: '2', text: 'two' },
          ],
        },
      ]);
    });
    it('reads Flickr30k pipes, plain CSV and Flickr8k token files', async () => {
      const f30k = await collect(
        readCaptionManifest(
          await file('r.csv', 'image_name| comment_number| comment\n1.jpg| 0| A dog runs .\n'),
        ),
      );
      expect(f30k).to.deep.equal([{ image: '1.jpg', captions: [{ key: '2', text: 'A dog runs .' }] }]);
      const plain = await collect(
        readCaptionManifest(await file('p.csv', 'image,caption\n"a b.jpg","x, y"\n')),
      );
      expect(plain[0]).to.deep.equal({ image: 'a b.jpg', captions: [{ key: '2', text: 'x, y' }] });
      const f8k = await collect(
        readCaptionManifest(await file('t.txt', '1000_abc.jpg#0\tA child .\n1000_abc.jpg#1\tA girl .\n')),
      );
      expect(f8k.map((r) => [r.image, r.captions[0]?.text])).to.deep.equal([
        ['1000_abc.jpg', 'A child .'],
        ['1000_abc.jpg', 'A girl .'],
      ]);
    });
    it('refuses unknown manifest types and malformed COCO', async () => {
      let e1: unknown;
      await collect(readCaptionManifest(await file('x.xml', '<a/>'))).catch((e: unknown) => (e1 = e));
      expect(e1).to.have.property('code', 'UNSUPPORTED_MEDIA');
      let e2: unknown;
      await collect(readCaptionManifest(await file('y.json', '{"images": 1}'))).catch(
        (e: unknown) => (e2 = e),
      );
      expect(e2).to.have.property('code', 'INVALID_INPUT');
    });
  });
});
