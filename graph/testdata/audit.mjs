// Runs graphql-http's GraphQL-over-HTTP audits against the server at
// process.argv[2] and prints one JSON array: {id, name, status, reason} per
// audit (status "ok", "warn" or "error"). The package is loaded from the
// directory scripts/ensure-node-tools.sh installs it in (FASTCMS_NPM_DIR,
// default ~/.cache/fastcms-npm).
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

const dir = process.env.FASTCMS_NPM_DIR || join(homedir(), '.cache', 'fastcms-npm');
const require = createRequire(join(dir, 'node_modules', 'x.js'));
const { serverAudits } = require('graphql-http');

const url = process.argv[2];
const out = [];
for (const audit of serverAudits({ url })) {
  const r = await audit.fn();
  out.push({ id: audit.id, name: audit.name, status: r.status, reason: r.status === 'ok' ? '' : r.reason });
}
process.stdout.write(JSON.stringify(out));
