// Runs graphql-http's GraphQL-over-HTTP server audit against the URL given on the command line
// and prints one JSON array of results: {id, name, status, reason?, responseStatus?, body?}.
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

async function describe(result) {
  const summary = { id: result.id, name: result.name, status: result.status };
  if (result.status === 'ok') return summary;
  summary.reason = result.reason;
  summary.responseStatus = result.response.status;
  try {
    summary.body = (await result.response.text()).slice(0, 500);
  } catch {
    summary.body = '(already read by the audit)';
  }
  return summary;
}

const results = await auditServer({ url });
console.log(JSON.stringify(await Promise.all(results.map(describe)), null, 1));
