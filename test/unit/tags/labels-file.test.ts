import { expect } from 'chai';
import { EngineError } from '../../../src/errors.ts';
import { MAX_TAG_LABELS, parseLabels } from '../../../src/tags/labels-file.ts';
import { tagVector, topLabel } from '../../../src/tags/zero-shot-tagger.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('parseLabels', () => {
  it('skips blank lines, trims, and keeps repeated labels once (reporting them)', () => {
    const parsed = parseLabels(utf8('\uFEFFcat\n\n  dog \r\ncat\n\n猫\n'));
    expect(parsed.labels).to.deep.equal(['cat', 'dog', '猫']);
    expect(parsed.duplicates).to.deep.equal(['cat']);
    expect(parsed.blankLines).to.equal(3);
  });

  it('refuses bytes that are not UTF-8, naming the line', () => {
    const bytes = new Uint8Array([...utf8('cat\ndog\n'), 0xff, 0xfe, 0x41, 0x0a]);
    expect(() => parseLabels(bytes, 'labels.txt')).to.throw(
      EngineError,
      /labels\.txt is not UTF-8 text \(line 3\)/,
    );
  });

  it('refuses a file with no labels', () => {
    expect(() => parseLabels(utf8('\n \n'))).to.throw(EngineError, /no labels/);
  });

  it(`accepts ${MAX_TAG_LABELS} labels and refuses one more`, () => {
    const many = (n: number): Uint8Array =>
      utf8(Array.from({ length: n }, (_, i) => `label ${i}`).join('\n'));
    expect(parseLabels(many(MAX_TAG_LABELS)).labels).to.have.length(MAX_TAG_LABELS);
    expect(() => parseLabels(many(MAX_TAG_LABELS + 1))).to.throw(EngineError, /at most 10000/);
  });
});

describe('tagVector', () => {
  const set = {
    labels: [
      { label: 'x', vector: Float32Array.from([1, 0]) },
      { label: 'y', vector: Float32Array.from([0, 1]) },
    ],
    settings: { threshold: 0.2, templates: ['{}'], logitScale: 2, maxTags: 5 },
  };

  it('keeps labels at or above the threshold, most probable first', () => {
    const tags = tagVector(Float32Array.from([0.8, 0.6]), set);
    expect(tags.map((t) => t.label)).to.deep.equal(['x', 'y']);
    expect(tags[0]!.score + tags[1]!.score).to.be.closeTo(1, 1e-3);
    expect(
      tagVector(Float32Array.from([1, 0]), { ...set, settings: { ...set.settings, logitScale: 10 } }).map(
        (t) => t.label,
      ),
    ).to.deep.equal(['x']);
    expect(topLabel(Float32Array.from([0.1, 0.9]), set)).to.equal('y');
  });
});
