import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';

/**
 * The lint config keeps the layers: a file that crosses a boundary fails the lint, wherever in src/
 * it stands, except for the crossing its own folder is the home of (or an allow-listed file's recorded
 * crossing). Linted without type information, so the check is the boundary rules alone.
 */

const FIXTURE = readFileSync(packagePath('test', 'fixtures', 'lint', 'layer-crossing.ts.fixture'), 'utf8');

const eslint = new ESLint({ cwd: packagePath(), overrideConfig: [tseslint.configs.disableTypeChecked] });

/** Which layer a boundary message speaks for (the messages of eslint.config.js). */
const LAYER_OF: [RegExp, string][] = [
  [/SQL lives in src\/storage/u, 'sql'],
  [/Device libraries/u, 'devices'],
  [/express and HTTP types/u, 'http'],
  [/Key bytes/u, 'keys'],
  [/src\/domain imports nothing/u, 'domain'],
  [/src\/web reads through a read model/u, 'repositories'],
];

/** The boundary problems of `text` linted as the file `path`, as 'line layer'. */
async function crossings(path: string, text = FIXTURE): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: packagePath(path) });
  expect(result?.messages.filter((m) => m.fatal)).toEqual([]);
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => `${m.line} ${LAYER_OF.find(([re]) => re.test(m.message))?.[1] ?? m.message}`);
}

describe('the lint config’s layer boundaries', () => {
  it('fails a domain file on every crossing: SQL, express, node-hid, an outer import and key bytes', async () => {
    expect(await crossings('src/domain/layer-crossing.ts')).toEqual(['3 sql', '4 http', '5 devices', '6 domain', '9 sql', '13 keys']);
  });

  it('lets each layer keep what is its own, and nothing else', async () => {
    expect(await crossings('src/storage/layer-crossing.ts')).toEqual(['4 http', '5 devices', '13 keys']);
    expect(await crossings('src/devices/layer-crossing.ts')).toEqual(['3 sql', '4 http', '9 sql', '13 keys']);
    expect(await crossings('src/web/layer-crossing.ts')).toEqual(['3 sql', '5 devices', '9 sql', '13 keys']);
    expect(await crossings('src/vault/layer-crossing.ts')).toEqual(['3 sql', '4 http', '5 devices', '9 sql']);
  });

  it('has no allow-list left: files that once crossed get every rule', async () => {
    // src/services/vault.ts and src/reports/print.ts once ran their own SQL; src/services/import/import-persons.ts
    // read number digits. Each now fails on every crossing, as any file outside the layers' homes.
    for (const file of ['src/services/vault.ts', 'src/reports/print.ts', 'src/services/import/import-persons.ts', 'src/cli/shutdown.ts']) {
      expect(await crossings(file)).toEqual(['3 sql', '4 http', '5 devices', '9 sql', '13 keys']);
    }
  });

  it('keeps pages off a Vault’s repositories, database and keys: no storage value import, no vault.<repository>', async () => {
    const page = readFileSync(packagePath('test', 'fixtures', 'lint', 'web-reads-vault.ts.fixture'), 'utf8');
    // Line 11's clock and data folder pass; storage imports (a row type too), the destructured repository,
    // vault.users and deps.vault.db fail.
    expect(await crossings('src/web/reads-vault.ts', page)).toEqual(['3 repositories', '4 repositories', '8 repositories', '9 repositories', '11 repositories']);
    expect(await crossings('src/services/reads-vault.ts', page)).toEqual([]);
    // No page is on the allow-list for it: the pages that read the Vault's insides until issue 15 get the rule in full.
    for (const file of ['src/web/sessions.ts', 'src/web/home-tasks.ts', 'src/web/setup-checks.ts', 'src/web/routes/reports.ts', 'src/web/routes/persons.ts']) {
      expect(await crossings(file, page)).toEqual(['3 repositories', '4 repositories', '8 repositories', '9 repositories', '11 repositories']);
    }
  });

  it('passes a file that stays inside its layer', async () => {
    expect(await crossings('src/domain/inside.ts', "import { Secret } from './secret.js';\nexport const wrap = (s: string) => new Secret(s);\n")).toEqual([]);
  });
});
