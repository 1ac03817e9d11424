// Crash-test child: proposes (as the handler) and approves (as the admin) the
// disposal of the person ids given, then prints "committed <id>".
// Usage: node dispose.mjs DATA_DIR ID,ID,…
import { fixedClock } from '../../../dist/src/domain/ports.js';
import { approveDisposal, proposeDisposal } from '../../../dist/src/services/disposal.js';
import { openVault } from '../../../dist/src/services/vault.js';

const [dataDir, list] = process.argv.slice(2);
const vault = openVault({ dataDir, clock: fixedClock('2035-04-01T00:00:00Z') });
try {
  const admin = vault.users.byLogin('kanri');
  const handler = vault.users.byLogin('tanto');
  process.stdout.write('ready\n');
  const id = proposeDisposal(vault, handler, { personIds: list.split(',') }, null);
  process.stdout.write(`proposed ${id}\n`);
  approveDisposal(vault, admin, id, null);
  process.stdout.write(`committed ${id}\n`);
} finally {
  vault.close();
}
