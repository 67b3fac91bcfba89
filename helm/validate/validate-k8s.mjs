// Checks rendered Kubernetes manifests against the API schemas, offline (no cluster, no kubectl).
//
//   node validate-k8s.mjs rendered.yaml [more.yaml ...]
//
// Every document must be a kind we know a schema for: core and built-in API groups come from
// `kubernetes-models`, ServiceMonitor from `@kubernetes-models/prometheus-operator`. An unknown kind
// fails rather than passing unchecked. Exit status 0 when every document validates, 1 otherwise.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

function modulePath(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  // The core group ("v1") sits at the package root; named groups are folders ("apps/v1").
  return `kubernetes-models/${apiVersion}/${kind}`;
}

async function check(doc) {
  const { apiVersion, kind } = doc;
  const name = doc.metadata?.name ?? "(no name)";
  const label = `${apiVersion} ${kind}/${name}`;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return `${label}: apiVersion and kind are required`;
  }
  let model;
  try {
    model = (await import(modulePath(apiVersion, kind)))[kind];
  } catch {
    return `${label}: no schema known for this apiVersion/kind`;
  }
  try {
    new model(doc).validate();
    return null;
  } catch (e) {
    return `${label}: ${e.message}`;
  }
}

let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const parsed of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (parsed.errors.length > 0) {
      console.log(`FAIL ${file}: YAML error: ${parsed.errors[0].message}`);
      failed++;
      continue;
    }
    const doc = parsed.toJS();
    if (doc === null) {
      continue;
    }
    const problem = await check(doc);
    if (problem === null) {
      passed++;
      console.log(`ok   ${file}: ${doc.apiVersion} ${doc.kind}/${doc.metadata?.name}`);
    } else {
      failed++;
      console.log(`FAIL ${file}: ${problem}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
