import { expect } from 'chai';
import { EngineError } from '../../../src/errors.ts';
import { parseKs } from '../../../cli/commands/eval.command.ts';

describe('clipdex eval --k', () => {
  it('defaults to 1,5,10 and sorts and de-duplicates a given list', () => {
    expect(parseKs(undefined)).to.deep.equal([1, 5, 10]);
    expect(parseKs('10, 1,5,5')).to.deep.equal([1, 5, 10]);
  });

  it('rejects anything but positive integers', () => {
    for (const bad of ['0', '1,x', '2.5', '', '-1']) {
      expect(() => parseKs(bad), bad).to.throw(EngineError, /--k/);
    }
  });
});
