import { expect } from 'chai';
import { cleanText, parseTextClean } from '../../../src/encoders/text-clean.ts';

describe('open_clip text cleaning', () => {
  const text = '  A_Photo,\tof   the "CAT"!\n';
  it('none leaves text alone', () => expect(cleanText(text, 'none')).to.equal(text));
  it('whitespace collapses and trims', () =>
    expect(cleanText(text, 'whitespace')).to.equal('A_Photo, of the "CAT"!'));
  it('lower also lowercases', () => expect(cleanText(text, 'lower')).to.equal('a_photo, of the "cat"!'));
  it('canonicalize strips ASCII punctuation, underscores become spaces', () => {
    expect(cleanText(text, 'canonicalize')).to.equal('a photo of the cat');
    expect(cleanText('café — 披萨!', 'canonicalize')).to.equal('café — 披萨');
  });
  it('parses only known modes', () => {
    expect(parseTextClean('canonicalize')).to.equal('canonicalize');
    expect(parseTextClean('ftfy')).to.equal(undefined);
  });
});
