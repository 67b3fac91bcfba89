// Writes one data key of every ConfigMap in rendered manifests to OUT_DIR/<configmap-name>.<key>,
// so the chart's rendered Sluice configuration can be checked with `sluice -t`.
//
//   node configmap-data.mjs rendered.yaml sluice.conf OUT_DIR
//
// Exit status 1 when no ConfigMap holds the key.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const [file, key, outDir] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
let written = 0;
for (const parsed of parseAllDocuments(readFileSync(file, "utf8"))) {
  const doc = parsed.toJS();
  if (doc?.kind === "ConfigMap" && typeof doc.data?.[key] === "string") {
    const out = join(outDir, `${doc.metadata.name}.${key}`);
    writeFileSync(out, doc.data[key]);
    console.log(out);
    written++;
  }
}
if (written === 0) {
  console.error(`no ConfigMap in ${file} has the key ${key}`);
  process.exit(1);
}
