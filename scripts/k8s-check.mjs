#!/usr/bin/env node
// Renders the Kubernetes manifests (deploy/k8s: the base and every overlay) with kustomize and validates every
// rendered object with kubeconform in strict mode, against JSON schemas made here from the Kubernetes OpenAPI
// document and from KEDA's ScaledObject CRD. No cluster and no network beyond the Go module proxy.
//
//   npm run check:k8s            (node scripts/k8s-check.mjs)
//
// Tools and schemas live in .tools/ (git-ignored) and are installed when missing:
//   .tools/bin/kustomize, .tools/bin/kubeconform      go install <module>@<version>, GOBIN=.tools/bin
//   .tools/k8s-schemas/v<K8S>-standalone-strict/      made from api/openapi-spec/swagger.json of the Go module
//                                                     k8s.io/kubernetes@v<K8S> and config/crd/bases of
//                                                     github.com/kedacore/keda/v2@<KEDA> (go mod download)
//
// The schemas are strict the way kubeconform's own "-strict" schema sets are: every object that lists its
// properties refuses any other property (a misspelt field fails), IntOrString and Quantity accept a string or a
// number, apiVersion and kind must be the object's own. To show that they really refuse bad input, the script
// also validates a few broken objects and fails unless kubeconform rejects every one of them.
// Then it checks, on kustomize's real output, the couplings that no schema knows: the ScaledObject's
// maxReplicaCount equals KAFKA_PARTITIONS and its Kafka triggers name the ConfigMap's brokers, group and topics.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const TOOLS = join(ROOT, '.tools');
const BIN = join(TOOLS, 'bin');
const K8S_VERSION = '1.34.4';
const TOOL_MODULES = {
  kustomize: 'sigs.k8s.io/kustomize/kustomize/v5@v5.8.1',
  kubeconform: 'github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0',
};
const K8S_MODULE = `k8s.io/kubernetes@v${K8S_VERSION}`;
const KEDA_MODULE = 'github.com/kedacore/keda/v2@v2.18.0';
const KEDA_CRDS = ['keda.sh_scaledobjects.yaml'];
const SCHEMA_ROOT = join(TOOLS, 'k8s-schemas');
const SCHEMA_DIR = join(SCHEMA_ROOT, `v${K8S_VERSION}-standalone-strict`);
const SCHEMA_STAMP = join(SCHEMA_DIR, '.made-from');
// Bump when the conversion below changes, so existing .tools/ schemas are made again.
const CONVERTER_VERSION = 1;

const log = (msg) => process.stdout.write(`k8s-check: ${msg}\n`);
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });

function ensureTools() {
  mkdirSync(BIN, { recursive: true });
  for (const [name, mod] of Object.entries(TOOL_MODULES)) {
    if (existsSync(join(BIN, name))) continue;
    log(`installing ${mod} into .tools/bin (go install)`);
    run('go', ['install', mod], { env: { ...process.env, GOBIN: BIN }, stdio: ['ignore', 'inherit', 'inherit'] });
  }
}

/** `go mod download` one module (into the Go module cache) and answer its directory. */
function moduleDir(mod) {
  const info = JSON.parse(run('go', ['mod', 'download', '-json', mod], { stdio: ['ignore', 'pipe', 'inherit'] }));
  if (info.Error || !info.Dir) throw new Error(`go mod download ${mod}: ${info.Error ?? 'no directory'}`);
  return info.Dir;
}

// ---- schema conversion (OpenAPI v2 definitions / CRD openAPIV3Schema -> standalone JSON schemas, draft 4) ----

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const refName = (ref) => ref.replace(/^#\/definitions\//, '');

/** kubeconform's file name for a kind: `<kind>-<first label of the group>-<version>`, the core group without one. */
function schemaFileName(group, version, kind) {
  const g = group ? `-${group.split('.')[0].toLowerCase()}` : '';
  return `${kind.toLowerCase()}${g}-${version.toLowerCase()}.json`;
}

/**
 * One schema node made strict: objects with listed properties refuse others (unless the CRD marks them
 * x-kubernetes-preserve-unknown-fields), `nullable` becomes a null type, and the OpenAPI extensions stay as
 * inert keywords.
 */
function strictNode(node) {
  if (Array.isArray(node)) return node.map(strictNode);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'description') continue; // size only
    if (k === 'properties' || k === 'patternProperties' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, strictNode(sub)]));
    } else if (k === 'enum' || k === 'required' || k === 'default' || k === 'example') {
      out[k] = v;
    } else {
      out[k] = strictNode(v);
    }
  }
  if (out.properties && out.additionalProperties === undefined && !node['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  if (node.format === 'int-or-string' || node['x-kubernetes-int-or-string']) {
    delete out.type;
    delete out.format;
    out.anyOf = [{ type: 'string' }, { type: 'integer' }];
  }
  if (node.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
  }
  return out;
}

/** Every definition a schema reaches through $ref, itself included. */
function closure(defs, names) {
  const seen = new Set();
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') {
      const name = refName(node.$ref);
      if (!seen.has(name)) {
        if (!defs[name]) throw new Error(`unresolved $ref ${node.$ref}`);
        seen.add(name);
        visit(defs[name]);
      }
    }
    Object.values(node).forEach(visit);
  };
  names.forEach((n) => visit({ $ref: `#/definitions/${n}` }));
  return seen;
}

function k8sDefinitions(swagger) {
  const defs = structuredClone(swagger.definitions);
  // YAML writes `cpu: 1` and `port: 80` as numbers; the API server takes both forms.
  defs[INT_OR_STRING] = { format: 'int-or-string' };
  defs[QUANTITY] = { anyOf: [{ type: 'string' }, { type: 'number' }] };
  return defs;
}

function standalone(rootSchema, defs, group, version, kind) {
  const root = structuredClone(rootSchema);
  root.properties = { ...root.properties };
  root.properties.apiVersion = { type: 'string', enum: [group ? `${group}/${version}` : version] };
  root.properties.kind = { type: 'string', enum: [kind] };
  root.required = [...new Set([...(root.required ?? []), 'apiVersion', 'kind'])];
  const reached = closure({ ...defs, __root: root }, ['__root']);
  reached.delete('__root');
  const definitions = Object.fromEntries([...reached].sort().map((n) => [n, defs[n]]));
  return strictNode({ $schema: 'http://json-schema.org/draft-04/schema#', ...root, definitions });
}

function makeSchemas() {
  const made = `${K8S_MODULE} ${KEDA_MODULE} ${KEDA_CRDS.join(',')} converter ${CONVERTER_VERSION}`;
  if (existsSync(SCHEMA_STAMP) && readFileSync(SCHEMA_STAMP, 'utf8') === made) return;
  log(`making JSON schemas from ${K8S_MODULE} (api/openapi-spec/swagger.json) and ${KEDA_MODULE} (config/crd/bases)`);
  const k8sDir = moduleDir(K8S_MODULE);
  const kedaDir = moduleDir(KEDA_MODULE);
  rmSync(SCHEMA_DIR, { recursive: true, force: true });
  mkdirSync(SCHEMA_DIR, { recursive: true });

  const swagger = JSON.parse(readFileSync(join(k8sDir, 'api/openapi-spec/swagger.json'), 'utf8'));
  const defs = k8sDefinitions(swagger);
  let count = 0;
  for (const def of Object.values(swagger.definitions)) {
    for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
      // DeleteOptions, WatchEvent and the like are listed under every group: only a kind's own definition counts.
      if (!def.properties?.kind) continue;
      const file = schemaFileName(gvk.group, gvk.version, gvk.kind);
      writeFileSync(join(SCHEMA_DIR, file), JSON.stringify(standalone(def, defs, gvk.group, gvk.version, gvk.kind)));
      count++;
    }
  }
  for (const crdFile of KEDA_CRDS) {
    const crd = parseAllDocuments(readFileSync(join(kedaDir, 'config/crd/bases', crdFile), 'utf8'))[0].toJS();
    const { group, names } = crd.spec;
    for (const v of crd.spec.versions) {
      const schema = structuredClone(v.schema.openAPIV3Schema);
      // The CRD leaves metadata open (`type: object`); the API server checks it as ObjectMeta.
      schema.properties = { ...schema.properties, metadata: { $ref: `#/definitions/${OBJECT_META}` } };
      writeFileSync(join(SCHEMA_DIR, schemaFileName(group, v.name, names.kind)), JSON.stringify(standalone(schema, defs, group, v.name, names.kind)));
      count++;
    }
  }
  writeFileSync(SCHEMA_STAMP, made);
  log(`${count} schemas in ${relative(ROOT, SCHEMA_DIR)}`);
}

// ---- render, validate, self-test, couplings ----

function kustomizations() {
  const dirs = [join(ROOT, 'deploy/k8s/base')];
  const overlays = join(ROOT, 'deploy/k8s/overlays');
  for (const d of readdirSync(overlays, { withFileTypes: true })) if (d.isDirectory()) dirs.push(join(overlays, d.name));
  return dirs;
}

const SCHEMA_LOCATION = join(SCHEMA_ROOT, '{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json');

/** kubeconform over files; answers its exit status and output (summary line last). */
function kubeconform(files) {
  const args = ['-strict', '-summary', '-kubernetes-version', K8S_VERSION, '-schema-location', SCHEMA_LOCATION, ...files];
  try {
    return { status: 0, out: run(join(BIN, 'kubeconform'), args, { stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    return { status: e.status ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/**
 * Objects the schemas must refuse, each with the reason kubeconform must give: if it passes one, or refuses it
 * for another reason (a missing schema, say), the schemas are not to be trusted.
 */
const MUST_FAIL = {
  'misspelt-container-field': ["additional properties 'readinesProbe' not allowed", `apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - name: c
          image: x
          readinesProbe: {httpGet: {path: /health/ready, port: 80}}
`],
  'port-of-wrong-type': ["at '/spec/ports/0/port': got string, want integer", `apiVersion: v1
kind: Service
metadata: {name: bad}
spec:
  ports: [{port: "eighty"}]
`],
  'hpa-without-max': ["missing property 'maxReplicas'", `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: bad}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: x}
`],
  'pdb-unknown-field': ["additional properties 'selectors' not allowed", `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: bad}
spec:
  maxUnavailable: 1
  selectors: {matchLabels: {a: b}}
`],
  'scaledobject-unknown-field': ["additional properties 'maxReplicas' not allowed", `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: bad}
spec:
  scaleTargetRef: {name: x}
  maxReplicas: 6
  triggers: [{type: kafka, metadata: {topic: activities}}]
`],
  'scaledobject-number-in-trigger-metadata': ["at '/spec/triggers/0/metadata/lagThreshold': got number, want string", `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: bad}
spec:
  scaleTargetRef: {name: x}
  triggers: [{type: kafka, metadata: {topic: activities, lagThreshold: 500}}]
`],
  'metadata-unknown-field': ["additional properties 'label' not allowed", `apiVersion: v1
kind: ConfigMap
metadata: {name: bad, label: {a: b}}
data: {A: b}
`],
};

function selfTest(dir) {
  const files = Object.entries(MUST_FAIL).map(([name, [, text]]) => {
    const f = join(dir, `${name}.yaml`);
    writeFileSync(f, text);
    return f;
  });
  const { out } = kubeconform(files);
  const lines = out.split('\n');
  const missed = Object.entries(MUST_FAIL)
    .filter(([name, [reason]]) => !lines.some((l) => l.includes(`${name}.yaml - `) && l.includes(' is invalid: ') && l.includes(reason)))
    .map(([name]) => name);
  if (missed.length > 0) throw new Error(`schemas not trusted: kubeconform did not reject ${missed.join(', ')} as expected\n${out}`);
  log(`self-test: kubeconform rejected all ${files.length} broken objects`);
}

function couplings(name, docs) {
  const problems = [];
  const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('tideline-config'));
  const so = docs.find((d) => d.kind === 'ScaledObject');
  if (!cm || !so) return [`${name}: ConfigMap tideline-config or ScaledObject missing`];
  const env = cm.data;
  if (String(so.spec.maxReplicaCount) !== env.KAFKA_PARTITIONS) {
    problems.push(`${name}: ScaledObject maxReplicaCount ${so.spec.maxReplicaCount} != KAFKA_PARTITIONS ${env.KAFKA_PARTITIONS}`);
  }
  const topics = new Set([env.KAFKA_TOPIC_ACTIVITIES, env.KAFKA_TOPIC_FANOUT]);
  for (const t of so.spec.triggers) {
    const m = t.metadata;
    if (m.bootstrapServers !== env.KAFKA_BROKERS) problems.push(`${name}: trigger bootstrapServers ${m.bootstrapServers} != KAFKA_BROKERS ${env.KAFKA_BROKERS}`);
    if (m.consumerGroup !== env.KAFKA_GROUP_ID) problems.push(`${name}: trigger consumerGroup ${m.consumerGroup} != KAFKA_GROUP_ID ${env.KAFKA_GROUP_ID}`);
    if (!topics.has(m.topic)) problems.push(`${name}: trigger topic ${m.topic} is neither KAFKA_TOPIC_ACTIVITIES nor KAFKA_TOPIC_FANOUT`);
  }
  return problems;
}

function main() {
  ensureTools();
  makeSchemas();
  const out = join(TOOLS, 'k8s-render');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'must-fail'), { recursive: true });

  const rendered = [];
  const problems = [];
  for (const dir of kustomizations()) {
    const name = relative(join(ROOT, 'deploy/k8s'), dir).replace(/\//g, '-');
    const yamlText = run(join(BIN, 'kustomize'), ['build', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const file = join(out, `${name}.yaml`);
    writeFileSync(file, yamlText);
    rendered.push(file);
    const docs = parseAllDocuments(yamlText).map((d) => d.toJS());
    log(`kustomize build ${relative(ROOT, dir)}: ${docs.length} objects (${docs.map((d) => d.kind).join(', ')})`);
    problems.push(...couplings(name, docs));
  }

  const { status, out: report } = kubeconform(rendered);
  process.stdout.write(report.replaceAll(`${ROOT}/`, ''));
  selfTest(join(out, 'must-fail'));
  for (const p of problems) log(`coupling broken: ${p}`);
  if (status !== 0 || problems.length > 0) {
    log('FAILED');
    process.exit(1);
  }
  log('OK');
}

try {
  main();
} catch (e) {
  process.stderr.write(`k8s-check: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
