// Crash-test child: appends N audit events, one transaction each, printing
// "committed <seq>" after each commit, then "done", and waits to be killed.
// Usage: node append.mjs DATA_DIR N
import { fixedClock } from '../../../dist/src/domain/ports.js';
import { writeTransaction } from '../../../dist/src/storage/database.js';
import { openVault } from '../../../dist/src/services/vault.js';

const [dataDir, n] = process.argv.slice(2);
const vault = openVault({ dataDir, clock: fixedClock('2035-04-01T00:00:00Z') });
for (let i = 0; i < Number(n); i++) {
  const head = writeTransaction(vault.db, () =>
    vault.audit.append({ actor: { id: 'cli', name: 'crash test' }, action: 'audit.verified', detail: { result: 'intact', i } }),
  );
  process.stdout.write(`committed ${head.seq}\n`);
}
process.stdout.write('done\n');
setInterval(() => {}, 1000);
