import { expect } from 'chai';
import { groupExpression, idfCeiling } from '../../../src/store/keyword-top-k.ts';
import { readVarint } from '../../../src/store/keyword.repository.ts';

describe('store/keyword-top-k', () => {
  it('a group holds its phrases in query order and excludes the others', () => {
    const phrases = ['"a"', '"b"', '"c"'];
    expect(groupExpression(phrases, 0b111)).to.equal('("a" AND "b" AND "c")');
    expect(groupExpression(phrases, 0b101)).to.equal('("a" AND "c") NOT ("b")');
    expect(groupExpression(phrases, 0b010)).to.equal('("b") NOT ("a" OR "c")');
  });

  it("an IDF ceiling is never below FTS5's IDF, floored as FTS5 floors it", () => {
    for (const [rows, hits] of [
      [100_000, 2_000],
      [100_000, 1],
      [10, 3],
      [7, 7],
      [1, 1],
    ] as const) {
      const idf = Math.max(1e-6, Math.log((rows - hits + 0.5) / (hits + 0.5)));
      expect(idfCeiling(rows, hits)).to.be.greaterThan(idf);
      expect(idfCeiling(rows, hits)).to.be.closeTo(idf, 1e-6);
    }
  });

  it('reads SQLite varints (the row count of FTS5 averages records)', () => {
    expect(readVarint(Uint8Array.of(0x05), 0)).to.equal(5);
    expect(readVarint(Uint8Array.of(0x81, 0x00), 0)).to.equal(128);
    expect(readVarint(Uint8Array.of(0x00, 0x86, 0x8d, 0x20), 1)).to.equal(100_000);
    expect(readVarint(Uint8Array.of(0x81, 0x80, 0x80, 0x00), 0)).to.equal(2 ** 21);
  });
});
