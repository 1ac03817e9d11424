// Lint: typescript-eslint's type-checked rules on src, bench and test, and the layer boundaries of src/.
// Why these tools, how to run them and what the allow-list below means: docs/development.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What an open Vault holds that only services and read models may touch: the database, its repositories, keys and trail. */
const VAULT_INNARDS =
  '/^(db|dbKey|keys|headKey|publicKey|credential|meta|users|slots|securityKeys|persons|purposeNotices|roles|sessions|secondFactor|identityChecks|intakeCodes|campaigns|gate|doorAlarms|entryLog|retention|auditRepo|audit)$/';

/**
 * The layers of src/ and what each keeps to itself. A rule applies to every file of src/ outside its
 * home folders; `imports` are module names (gitignore-style patterns), `syntax` are AST selectors.
 */
const LAYERS = {
  sql: {
    home: ['src/storage/**'],
    imports: ['better-sqlite3', 'better-sqlite3-multiple-ciphers'],
    syntax: [
      // SQL text handed to the database: db.prepare('…'), db.exec(`…`), db.pragma('…').
      'CallExpression[callee.property.name=/^(prepare|exec|pragma)$/][arguments.0.type=/^(Literal|TemplateLiteral)$/]',
    ],
    message: 'SQL lives in src/storage (a repository or a read-model query); call it from here.',
  },
  devices: {
    home: ['src/devices/**'],
    imports: ['node-hid', 'serialport', '@serialport/*', 'smartcard', 'pcsclite', '@pokusew/pcsclite', 'usb'],
    syntax: [],
    message: 'Device libraries (node-hid, serialport, PC/SC) are imported only in src/devices; use a port from src/domain/ports.ts.',
  },
  http: {
    home: ['src/web/**'],
    imports: ['express', 'express/*', 'helmet', 'cookie-parser', 'node:http', 'node:https', 'http', 'https'],
    syntax: [],
    message: 'express and HTTP types belong to src/web; hand the web layer a service instead.',
  },
  keys: {
    home: ['src/vault/**', 'src/domain/secret.ts'],
    imports: [],
    syntax: ["CallExpression[callee.property.name='expose'][arguments.length=0]"],
    message: 'Key bytes (Secret.expose()) are read only in src/vault; pass the Secret to a vault function.',
  },
  repositories: {
    // Not a home-based rule: pages read through read models and change things through services
    // (docs/composition.md), so src/web imports nothing from src/storage (a read model re-exports the
    // row types it hands out) and reads no repository, database handle or key off a Vault. A Vault is
    // found by its usual names (`vault`, `deps.vault`): the check is syntactic, a renamed alias is for
    // review to catch.
    home: [],
    only: ['src/web/**'],
    imports: ['../storage/*', '../../storage/*'],
    syntax: [
      `MemberExpression[object.name='vault'][property.name=${VAULT_INNARDS}]`,
      `MemberExpression[object.property.name='vault'][property.name=${VAULT_INNARDS}]`,
      `VariableDeclarator[init.name='vault'] > ObjectPattern > Property[key.name=${VAULT_INNARDS}]`,
      `VariableDeclarator[init.property.name='vault'] > ObjectPattern > Property[key.name=${VAULT_INNARDS}]`,
    ],
    message: 'src/web reads through a read model or a service built in src/main.ts (composeCore), never a repository, the database or a key.',
  },
  domain: {
    // Not a home-based rule: it applies to the domain itself, which imports nothing of ours but itself.
    home: [],
    only: ['src/domain/**'],
    imports: ['../*', '../**'],
    syntax: [],
    message: 'src/domain imports nothing outside src/domain; move the type inward or take it as a parameter.',
  },
};

/**
 * Files allowed to cross a layer, each with the layers it may cross ({ 'src/x.ts': { layers: ['sql'] } }).
 * Empty: the layering refactor removed every crossing. Do not add to it: a new crossing is a design
 * change to discuss, not a lint exception.
 */
const EXISTING_CROSSINGS = {};

const matches = (file, globs) => globs.some((g) => (g.endsWith('/**') ? file.startsWith(g.slice(0, -2)) : file === g));

/** The rules for files matching `files`, with the layers in `exempt` left out. */
function boundaryRules(appliesTo, exempt) {
  const active = Object.entries(LAYERS).filter(([name, layer]) => !exempt.includes(name) && appliesTo(layer));
  const patterns = active.filter(([, l]) => l.imports.length > 0).map(([, l]) => ({ group: l.imports, message: l.message }));
  const syntax = active.flatMap(([, l]) => l.syntax.map((selector) => ({ selector, message: l.message })));
  return {
    'no-restricted-imports': patterns.length > 0 ? ['error', { patterns }] : 'off',
    'no-restricted-syntax': syntax.length > 0 ? ['error', ...syntax] : 'off',
  };
}

/**
 * One config object per top folder of src/, then one per file that is a home of its own (the Secret type)
 * or on the allow-list (later objects win).
 */
function boundaryConfigs() {
  const folders = ['audit', 'cli', 'devices', 'domain', 'gate', 'reports', 'services', 'storage', 'vault', 'web'];
  const inFolder = (folder) => (layer) => (layer.only ? layer.only.includes(`src/${folder}/**`) : !layer.home.includes(`src/${folder}/**`));
  const configs = [{ files: ['src/*.ts'], rules: boundaryRules((l) => !l.only, []) }, ...folders.map((folder) => ({ files: [`src/${folder}/**/*.ts`], rules: boundaryRules(inFolder(folder), []) }))];
  const ownHomes = Object.entries(LAYERS).flatMap(([name, l]) => l.home.filter((g) => !g.endsWith('/**')).map((file) => [file, [name]]));
  const allowed = Object.entries(EXISTING_CROSSINGS).map(([file, { layers }]) => [file, layers]);
  for (const [file, exempt] of [...ownHomes, ...allowed]) {
    const applies = (layer) => (layer.only ? matches(file, layer.only) : !matches(file, layer.home));
    configs.push({ files: [file], rules: boundaryRules(applies, exempt) });
  }
  return configs;
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'public/**', 'demo-data/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  ...boundaryConfigs(),
);

export { LAYERS };
