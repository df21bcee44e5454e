import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDir } from '../../src/cli/lib/config';
import { table } from '../../src/cli/lib/output';

describe('where `pact login` stores credentials', () => {
  it('PACT_CONFIG_DIR, else %APPDATA%\\pact on Windows, else an absolute XDG_CONFIG_HOME, else ~/.config/pact', () => {
    expect(configDir({ PACT_CONFIG_DIR: '/tmp/p', XDG_CONFIG_HOME: '/x' }, 'linux', '/home/u')).toBe('/tmp/p');
    expect(configDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toBe(join('C:\\Users\\u\\AppData\\Roaming', 'pact'));
    expect(configDir({ XDG_CONFIG_HOME: '/home/u/.cfg' }, 'linux', '/home/u')).toBe('/home/u/.cfg/pact');
    expect(configDir({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/u')).toBe('/home/u/.config/pact');
    expect(configDir({}, 'darwin', '/Users/u')).toBe('/Users/u/.config/pact');
  });
});

describe('output', () => {
  it('pads table columns to their widest cell', () => {
    expect(table(['ID', 'NAME', 'BY'], [['1', 'long name', 'a@x'], ['22', 'n', '—']])).toBe('ID  NAME       BY\n1   long name  a@x\n22  n          —\n');
  });
});
