#!/usr/bin/env node
// `npm run token -- <user> [--admin] [--ttl <seconds>]`: prints a token for <user> (only the token, so
// `TOKEN=$(npm run -s token -- alice)` works). Signed with AUTH_JWT_SECRET, or with the development secret
// `npm start` generated. Exit 2 on bad arguments or when there is no secret to sign with.
import { ID_PATTERN, readSecret, signToken } from './jwt.mjs';

const USAGE = 'usage: npm run token -- <user> [--admin] [--ttl <seconds>]\n';
function fail(message) {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
}

const args = process.argv.slice(2);
let user = null;
let admin = false;
let ttlSeconds = 30 * 86400;
while (args.length > 0) {
  const a = args.shift();
  if (a === '--admin') admin = true;
  else if (a === '--ttl') {
    const v = Number(args.shift());
    if (!Number.isInteger(v) || v < 1 || v > 10 * 365 * 86400) fail('--ttl needs a number of seconds (1 to 10 years)');
    ttlSeconds = v;
  } else if (a === '--help' || a === '-h') {
    process.stdout.write(USAGE);
    process.exit(0);
  } else if (a.startsWith('--')) fail(`unknown option ${a}`);
  else if (user === null) user = a;
  else fail(`unexpected argument ${a}`);
}
if (user === null) fail('a user id is required');
if (!ID_PATTERN.test(user)) fail(`user id must be 1-128 characters of A-Z a-z 0-9 _ . : @ - (got ${JSON.stringify(user)})`);
const found = readSecret();
if (!found) fail('no secret to sign with: set AUTH_JWT_SECRET, or run `npm start` once (it saves a development secret)');
process.stdout.write(`${signToken(found.secret, user, { admin, ttlSeconds })}\n`);
