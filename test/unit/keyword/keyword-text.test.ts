import { expect } from 'chai';
import {
  fileNameWords,
  folderWords,
  matchExpression,
  queryWords,
  words,
} from '../../../src/keyword/keyword-text.ts';

describe('keyword/keyword-text', () => {
  it('splits file names on -_. camelCase and digits, dropping the extension', () => {
    expect(fileNameWords('grandma-rose-90th.jpg')).to.deep.equal(['grandma', 'rose', '90', 'th']);
    expect(fileNameWords('IMG_2041.JPG')).to.deep.equal(['img', '2041']);
    expect(fileNameWords('birthdayParty2019.png')).to.deep.equal(['birthday', 'party', '2019']);
    expect(fileNameWords('HTMLParser_v2.webp')).to.deep.equal(['html', 'parser', 'v', '2']);
    expect(fileNameWords('北京之旅-长城.jpg')).to.include.members(['北京', '长城']);
  });

  it('folder names of a relative path, not the file', () => {
    expect(folderWords('2019/Summer Holiday/beach.jpg')).to.deep.equal(['2019', 'summer', 'holiday']);
    expect(folderWords('beach.jpg')).to.deep.equal([]);
  });

  it('segments Chinese and Japanese into words (Intl.Segmenter)', () => {
    expect(words('奶奶的九十岁生日')).to.include.members(['奶奶', '生日']);
    expect(words('猫咪在沙发上睡觉')).to.include.members(['猫咪', '沙发']);
    expect(words('東京タワーの夜景')).to.include('夜景');
  });

  it('queries drop stopwords unless nothing else is left, and are quoted for FTS5', () => {
    expect(queryWords('a photo of the cat')).to.deep.equal(['cat']);
    expect(queryWords('the')).to.deep.equal(['the']);
    expect(matchExpression(['cat', 'say "hi"'])).to.equal('"cat" OR "say ""hi"""');
    expect(matchExpression([])).to.equal(null);
  });
});
