import path from 'node:path';
import { expect } from 'chai';
import { EngineError } from '../../../src/errors.ts';
import { parseEvalManifest } from '../../../src/eval/eval-manifest.ts';

describe('parseEvalManifest', () => {
  const base = path.resolve('/data/bench');

  it('resolves image paths against the manifest folder and keeps absolute ones', () => {
    const text = [
      '{"image": "images/a.png", "captions": ["a cat", " 猫 "]}',
      '',
      `{"image": "${path.resolve('/x/b.jpg')}", "captions": ["b"], "extra": 1}`,
    ].join('\n');
    const m = parseEvalManifest(text, base);
    expect(m.entries.map((e) => e.image)).to.deep.equal([
      path.join(base, 'images/a.png'),
      path.resolve('/x/b.jpg'),
    ]);
    expect(m.entries[0]!.captions).to.deep.equal(['a cat', '猫']);
    expect(m.captionCount).to.equal(3);
  });

  it('accepts lines without captions as distractors', () => {
    const m = parseEvalManifest(
      '{"image":"a.png","captions":["x"]}\n{"image":"b.png","captions":[]}\n{"image":"c.png"}\r\n',
      base,
    );
    expect(m.entries.map((e) => e.captions.length)).to.deep.equal([1, 0, 0]);
  });

  it('names the line of a malformed entry', () => {
    const cases: [string, RegExp][] = [
      ['{"image":"a.png","captions":["x"]}\nnot json', /line 2: not valid JSON/],
      ['[1,2]', /line 1: expected an object/],
      ['{"captions":["x"]}', /"image" must be/],
      ['{"image":"a.png","captions":"x"}', /"captions" must be/],
      ['{"image":"a.png","captions":[""]}', /"captions" must be/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseEvalManifest(text, base), text).to.throw(EngineError, message);
    }
  });

  it('refuses manifests with nothing to evaluate', () => {
    expect(() => parseEvalManifest('\n\n', base)).to.throw(EngineError, /no images/);
    expect(() => parseEvalManifest('{"image":"a.png"}', base)).to.throw(EngineError, /no captions/);
  });
});
