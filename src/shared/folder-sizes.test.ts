import { describe, expect, it } from 'vitest';
import { excludingPattern, folderExclude } from './folder-sizes';

describe('folder exclusion patterns (as tar matches them)', () => {
  it('a folder is left out by a pattern naming it or all its contents, not by one for some files inside', () => {
    expect(excludingPattern('/var/tmp', ['/var/tmp/*'])).toBe('/var/tmp/*');
    expect(excludingPattern('/var/tmp', ['/var/tmp'])).toBe('/var/tmp');
    expect(excludingPattern('/var/cache/apt/archives', ['/var/cache/apt/archives/*.deb'])).toBeNull();
    expect(excludingPattern('/home/alice/.cache', ['/home/*/.cache/*'])).toBe('/home/*/.cache/*');
    // `*` does not cross "/", and absolute patterns are anchored at the root.
    expect(excludingPattern('/home/a/b/.cache', ['/home/*/.cache/*'])).toBeNull();
    expect(excludingPattern('/srv/tmp', ['/tmp/*'])).toBeNull();
    // A floating pattern matches at any depth; regex characters in names are literal.
    expect(excludingPattern('/srv/node_modules', ['node_modules'])).toBe('node_modules');
    expect(excludingPattern('/srv/a+b', ['/srv/a+b/*'])).toBe('/srv/a+b/*');
    expect(excludingPattern('/srv/aab', ['/srv/a+b/*'])).toBeNull();
  });

  it('a ticked folder keeps its own entry and loses its contents, as the defaults do', () => {
    expect(folderExclude('/srv/big')).toBe('/srv/big/*');
    expect(excludingPattern('/srv/big', [folderExclude('/srv/big')])).toBe('/srv/big/*');
  });
});
