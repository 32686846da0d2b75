import { globPrefix, globToRegExp, isGlob, normaliseScope, parseS3Url } from './storage-url.js';

describe('s3:// URLs, scopes and globs', () => {
  it('parses bucket and key', () => {
    expect(parseS3Url('s3://lake/a/b.parquet')).toEqual({ bucket: 'lake', key: 'a/b.parquet' });
    expect(parseS3Url('s3://lake')).toEqual({ bucket: 'lake', key: '' });
    expect(() => parseS3Url('https://lake/a')).toThrow(/not an s3:\/\/ URL/);
    expect(() => parseS3Url('s3://UPPER/a')).toThrow(/not a valid bucket name/);
    expect(() => parseS3Url('s3:///a')).toThrow(/not an s3:\/\/ URL/);
  });

  it('normalises scopes: a bucket means all of it, a prefix is a key prefix', () => {
    expect(normaliseScope('s3://lake')).toBe('s3://lake/');
    expect(normaliseScope('s3://lake/')).toBe('s3://lake/');
    expect(normaliseScope('s3://lake/data/')).toBe('s3://lake/data/');
    expect(normaliseScope(' s3://lake/data ')).toBe('s3://lake/data');
    expect(() => normaliseScope('s3://lake/*.csv')).toThrow(/must not contain/);
  });

  it('matches globs like a shell: * and ? within a folder, ** across folders', () => {
    const m = (pattern: string, key: string) => globToRegExp(pattern).test(key);
    expect(m('dir/*.parquet', 'dir/a.parquet')).toBe(true);
    expect(m('dir/*.parquet', 'dir/sub/a.parquet')).toBe(false);
    expect(m('dir/**/*.parquet', 'dir/a.parquet')).toBe(true);
    expect(m('dir/**/*.parquet', 'dir/x/y/a.parquet')).toBe(true);
    expect(m('dir/?.csv', 'dir/ab.csv')).toBe(false);
    expect(m('dir/[ab].csv', 'dir/b.csv')).toBe(true);
    expect(m('dir/[!ab].csv', 'dir/b.csv')).toBe(false);
    expect(m('dir/a+b(1).csv', 'dir/a+b(1).csv')).toBe(true);
    expect(m('dir/a.csv', 'dir/aXcsv')).toBe(false);
    expect(isGlob('dir/a.csv')).toBe(false);
    expect(isGlob('dir/*.csv')).toBe(true);
    expect(globPrefix('dir/2024-*/x.csv')).toBe('dir/2024-');
  });
});
