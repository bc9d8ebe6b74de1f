// Static checks of the Kubernetes manifests (deploy/k8s): the couplings no schema knows, between the manifests
// and the code (config keys, ports, probe paths, shutdown deadlines, heap limits) and within the manifests
// (KEDA's trigger and the ConfigMap, selectors, autoscaler targets).
//
// Pure file checks, no tool: each kustomization is rendered here by a small renderer that knows exactly the
// kustomize features deploy/k8s uses (resources, configMapGenerator with merge, labels, namespace, images,
// strategic-merge and JSON 6902 patches) and refuses any other, so a new feature cannot be silently ignored.
// Schema validation of kustomize's real output is `npm run check:k8s` (scripts/k8s-check.mjs: kustomize +
// kubeconform, installed with `go install` on first use), which also re-checks the KEDA/ConfigMap couplings.
import { readFileSync, statSync } from 'fs';
import * as path from 'path';
import { getMetadataStorage } from 'class-validator';
import { parseAllDocuments } from 'yaml';
import { Env, validateEnv } from '@app/config';

const ROOT = path.join(__dirname, '../..');
const K8S = path.join(ROOT, 'deploy/k8s');

// ---- a minimal kustomize ----

type Obj = Record<string, unknown>;
interface K8sObject extends Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

function readDocs(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
      return d.toJS() as unknown;
    })
    .filter((d) => d !== null);
}

/** Strategic merge as kustomize applies it to built-in kinds: maps merge, lists of named items merge by name. */
function strategicMerge(base: unknown, patch: unknown): unknown {
  if (isObj(base) && isObj(patch)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? strategicMerge(base[k], v) : clone(v);
    return out;
  }
  const named = (l: unknown): l is Obj[] => Array.isArray(l) && l.every((i) => isObj(i) && typeof i['name'] === 'string');
  if (named(base) && named(patch)) {
    const out = base.map((i) => clone(i));
    for (const p of patch) {
      const at = out.findIndex((i) => i['name'] === p['name']);
      if (at === -1) out.push(clone(p));
      else out[at] = strategicMerge(out[at], p) as Obj;
    }
    return out;
  }
  return clone(patch);
}

function jsonPatch(doc: Obj, ops: Obj[]): void {
  for (const op of ops) {
    const parts = String(op['path']).split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let at: unknown = doc;
    for (const p of parts) {
      at = Array.isArray(at) ? at[Number(p)] : (at as Obj)[p];
      if (at === undefined) throw new Error(`JSON patch path ${String(op['path'])} does not exist`);
    }
    const verb = String(op['op']);
    if (Array.isArray(at)) {
      const i = last === '-' ? at.length : Number(last);
      if (verb === 'replace' && i >= at.length) throw new Error(`JSON patch replace of missing ${String(op['path'])}`);
      if (verb === 'replace') at[i] = clone(op['value']);
      else if (verb === 'add') at.splice(i, 0, clone(op['value']));
      else if (verb === 'remove') at.splice(i, 1);
      else throw new Error(`JSON patch op ${verb} not supported by this renderer`);
    } else if (isObj(at)) {
      if ((verb === 'replace' || verb === 'remove') && !(last in at)) throw new Error(`JSON patch ${verb} of missing ${String(op['path'])}`);
      if (verb === 'replace' || verb === 'add') at[last] = clone(op['value']);
      else if (verb === 'remove') delete at[last];
      else throw new Error(`JSON patch op ${verb} not supported by this renderer`);
    } else {
      throw new Error(`JSON patch path ${String(op['path'])} is not inside an object or a list`);
    }
  }
}

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'labels', 'configMapGenerator', 'namespace', 'images', 'patches']);

interface Kustomization {
  resources?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  configMapGenerator?: { name: string; behavior?: 'create' | 'merge'; literals?: string[] }[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  patches?: { path: string; target?: { kind: string; name: string } }[];
}

function render(dir: string): K8sObject[] {
  const k = readDocs(path.join(dir, 'kustomization.yaml'))[0] as Kustomization & Obj;
  for (const field of Object.keys(k)) {
    if (!KNOWN_FIELDS.has(field)) throw new Error(`${dir}/kustomization.yaml: "${field}" is not handled by this spec's renderer: teach it`);
  }
  const objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    if (statSync(p).isDirectory()) objects.push(...render(p));
    else objects.push(...(readDocs(p) as K8sObject[]));
  }
  for (const g of k.configMapGenerator ?? []) {
    const data = Object.fromEntries(
      (g.literals ?? []).map((l) => {
        const eq = l.indexOf('=');
        return [l.slice(0, eq), l.slice(eq + 1)];
      }),
    );
    const existing = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === g.name);
    if (g.behavior === 'merge') {
      if (!existing) throw new Error(`configMapGenerator merge: no ConfigMap ${g.name} in the resources`);
      existing['data'] = { ...(existing['data'] as Record<string, string>), ...data };
    } else {
      if (existing) throw new Error(`configMapGenerator: ConfigMap ${g.name} exists already`);
      objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data });
    }
  }
  for (const p of k.patches ?? []) {
    const docs = readDocs(path.join(dir, p.path));
    if (Array.isArray(docs[0])) {
      if (!p.target) throw new Error(`${p.path}: a JSON 6902 patch needs a target`);
      const t = objects.find((o) => o.kind === p.target!.kind && o.metadata.name === p.target!.name);
      if (!t) throw new Error(`${p.path}: no ${p.target.kind} ${p.target.name}`);
      jsonPatch(t, docs[0] as Obj[]);
    } else {
      const patch = docs[0] as K8sObject;
      const at = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (at === -1) throw new Error(`${p.path}: no ${patch.kind} ${patch.metadata.name}`);
      objects[at] = strategicMerge(objects[at], patch) as K8sObject;
    }
  }
  for (const l of k.labels ?? []) {
    for (const o of objects) {
      o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
      const tpl = (o['spec'] as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template;
      if (l.includeTemplates && tpl) tpl.metadata = { ...tpl.metadata, labels: { ...tpl.metadata?.labels, ...l.pairs } };
      if (l.includeSelectors) throw new Error('labels.includeSelectors is not handled by this renderer');
    }
  }
  if (k.namespace) for (const o of objects) if (o.kind !== 'Namespace') o.metadata.namespace = k.namespace;
  for (const img of k.images ?? []) {
    for (const c of objects.flatMap(containersOf)) {
      const [name, tag] = splitImage(c.image);
      if (name !== img.name) continue;
      c.image = `${img.newName ?? name}${img.digest ? `@${img.digest}` : img.newTag ? `:${img.newTag}` : tag ? `:${tag}` : ''}`;
    }
  }
  return objects;
}

function splitImage(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}

// ---- typed views ----

interface Probe {
  httpGet?: { path: string; port: number | string };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: unknown } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; privileged?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number };
}
interface Deployment extends K8sObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } };
}

function containersOf(o: K8sObject): Container[] {
  const pod = (o['spec'] as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
  return pod ? [...pod.containers, ...(pod.initContainers ?? [])] : [];
}

const API = 'tideline-api';
const WORKER = 'tideline-fanout-worker';

function variant(dir: string) {
  const objects = render(dir);
  const get = <T extends K8sObject>(kind: string, name?: string): T => {
    const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
    if (found.length !== 1) throw new Error(`${dir}: expected one ${kind} ${name ?? ''}, found ${found.length}`);
    return found[0] as T;
  };
  const config = get<K8sObject & { data: Record<string, string> }>('ConfigMap', 'tideline-config').data;
  return { objects, get, config, api: get<Deployment>('Deployment', API), worker: get<Deployment>('Deployment', WORKER) };
}

/** Bytes of a memory quantity, millicores of a CPU quantity. */
function quantity(q: string | number | undefined): number {
  if (q === undefined) return NaN;
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(String(q));
  if (!m) throw new Error(`unreadable quantity ${String(q)}`);
  const mult: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * (m[2] ? mult[m[2]]! : 1);
}
const MiB = 2 ** 20;

function portOf(c: Container, port: number | string): number {
  if (typeof port === 'number') return port;
  const p = c.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`container ${c.name} has no port named ${port}`);
  return p.containerPort;
}

function heapLimitMiB(c: Container): number {
  const flag = [...(c.command ?? []), ...(c.args ?? [])].map((a) => /^--max-old-space-size=(\d+)$/.exec(a)).find(Boolean);
  if (!flag) throw new Error(`container ${c.name} runs without --max-old-space-size`);
  return Number(flag[1]);
}

/** Every variable of libs/config/src/env.schema.ts: the class's validated properties (all of them are) and its initialised fields. */
function configKeys(): Set<string> {
  const validated = getMetadataStorage()
    .getTargetValidationMetadatas(Env, '', true, false)
    .map((m) => m.propertyName);
  return new Set([...validated, ...Object.keys(new Env())]);
}

const VARIANTS = { base: path.join(K8S, 'base'), production: path.join(K8S, 'overlays/production') } as const;

describe.each(Object.entries(VARIANTS))('deploy/k8s %s', (_name, dir) => {
  const v = variant(dir);
  const keys = configKeys();
  const apiC = v.api.spec.template.spec.containers.find((c) => c.name === 'api')!;
  const workerC = v.worker.spec.template.spec.containers.find((c) => c.name === 'fanout-worker')!;

  it('has one container per app, named api and fanout-worker', () => {
    expect(v.api.spec.template.spec.containers.map((c) => c.name)).toEqual(['api']);
    expect(v.worker.spec.template.spec.containers.map((c) => c.name)).toEqual(['fanout-worker']);
  });

  it('sets only real config keys (libs/config/src/env.schema.ts), and values the apps accept', () => {
    expect(keys.size).toBeGreaterThan(40);
    expect(keys).toContain('AUTH_JWT_SECRET');
    const set = new Set(Object.keys(v.config));
    for (const c of v.objects.flatMap(containersOf)) for (const e of c.env ?? []) set.add(e.name);
    const unknown = [...set].filter((k) => !keys.has(k));
    expect(unknown).toEqual([]);
    // The ConfigMap plus a secret of the allowed length passes the apps' own validation.
    expect(() => validateEnv({ ...v.config, AUTH_JWT_SECRET: 'x'.repeat(32) })).not.toThrow();
  });

  it('takes the environment from the ConfigMap, and the JWT secret only from a Secret (secretKeyRef)', () => {
    for (const c of [apiC, workerC]) {
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'tideline-config' } }]);
    }
    const jwt = (apiC.env ?? []).filter((e) => e.name === 'AUTH_JWT_SECRET');
    expect(jwt).toHaveLength(1);
    expect(jwt[0]!.value).toBeUndefined();
    expect(jwt[0]!.valueFrom?.secretKeyRef).toEqual({ name: 'tideline-auth', key: 'AUTH_JWT_SECRET' });
    // No value anywhere in the repo: no Secret object, nothing secret in the ConfigMap, no literal env values
    // (the worker does not need the secret at all).
    expect(v.objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(Object.keys(v.config)).not.toContain('AUTH_JWT_SECRET');
    expect((workerC.env ?? []).map((e) => e.name)).not.toContain('AUTH_JWT_SECRET');
    for (const c of v.objects.flatMap(containersOf)) for (const e of c.env ?? []) expect(e.value).toBeUndefined();
  });

  it('probes the real health paths on the ports the apps listen on (PORT, WORKER_HTTP_PORT)', () => {
    const cases: [Container, number][] = [
      [apiC, Number(v.config['PORT'] ?? new Env().PORT)],
      [workerC, Number(v.config['WORKER_HTTP_PORT'] ?? new Env().WORKER_HTTP_PORT)],
    ];
    for (const [c, port] of cases) {
      expect(c.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(c.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(c.startupProbe?.httpGet?.path).toBe('/health/live');
      for (const p of [c.livenessProbe!, c.readinessProbe!, c.startupProbe!]) expect(portOf(c, p.httpGet!.port)).toBe(port);
      // The worker opens its port only after joining the group; topics alone may take 60 s.
      expect(c.startupProbe!.periodSeconds! * c.startupProbe!.failureThreshold!).toBeGreaterThanOrEqual(120);
    }
  });

  it('exposes /metrics to Prometheus on the same ports', () => {
    for (const [d, c] of [
      [v.api, apiC],
      [v.worker, workerC],
    ] as const) {
      const a = d.spec.template.metadata.annotations ?? {};
      expect(a['prometheus.io/scrape']).toBe('true');
      expect(a['prometheus.io/path']).toBe('/metrics');
      expect(Number(a['prometheus.io/port'])).toBe(c.ports![0]!.containerPort);
    }
    const metrics = v.get<K8sObject & { spec: { selector: Record<string, string>; ports: { port: number; targetPort: string | number }[] } }>('Service', 'tideline-fanout-worker-metrics');
    expect(metrics.spec.selector).toEqual(v.worker.spec.selector.matchLabels);
    expect(portOf(workerC, metrics.spec.ports[0]!.targetPort)).toBe(Number(v.config['WORKER_HTTP_PORT']));
    // GET /v1/ops/overview on the API scrapes the workers through that Service.
    expect(v.config['OPS_WORKER_METRICS_URLS']).toBe(`http://tideline-fanout-worker-metrics:${metrics.spec.ports[0]!.port}/metrics`);
  });

  it('routes the API Service to the API pods', () => {
    const svc = v.get<K8sObject & { spec: { selector: Record<string, string>; ports: { targetPort: string | number }[] } }>('Service', API);
    expect(svc.spec.selector).toEqual(v.api.spec.selector.matchLabels);
    expect(portOf(apiC, svc.spec.ports[0]!.targetPort)).toBe(Number(v.config['PORT']));
  });

  it('sets requests and limits on every container, above the heap limit it runs with', () => {
    for (const c of v.objects.flatMap(containersOf)) {
      for (const r of ['cpu', 'memory']) {
        expect(quantity(c.resources?.requests?.[r])).toBeGreaterThan(0);
        expect(quantity(c.resources?.limits?.[r])).toBeGreaterThanOrEqual(quantity(c.resources?.requests?.[r]));
      }
      // The whole old space plus young space, code and buffers must fit under the memory limit.
      expect(quantity(c.resources!.limits!['memory']) / MiB).toBeGreaterThanOrEqual(heapLimitMiB(c) + 128);
    }
    // The worker's request covers its highest measured peak RSS (195.8 MiB, docs/benchmarks.md §5).
    expect(quantity(workerC.resources!.requests!['memory']) / MiB).toBeGreaterThanOrEqual(196);
  });

  it('runs the worker with the heap limit of `npm run start:worker`', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const flag = /--max-old-space-size=(\d+)/.exec(pkg.scripts['start:worker']!);
    expect(heapLimitMiB(workerC)).toBe(Number(flag![1]));
    expect(workerC.command).toEqual(['node', `--max-old-space-size=${flag![1]}`, 'dist/apps/fanout-worker/src/main.js']);
    expect(apiC.command?.at(-1)).toBe('dist/apps/api/src/main.js');
  });

  it('gives each app longer than its own shutdown deadline before SIGKILL', () => {
    const workerMain = readFileSync(path.join(ROOT, 'apps/fanout-worker/src/main.ts'), 'utf8');
    const workerDeadline = /SHUTDOWN_DEADLINE_MS\s*=\s*([\d_]+)/.exec(workerMain);
    expect(workerDeadline).not.toBeNull();
    expect(v.worker.spec.template.spec.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(Number(workerDeadline![1]!.replace(/_/g, '')) + 5000);

    const apiMain = readFileSync(path.join(ROOT, 'apps/api/src/main.ts'), 'utf8');
    const apiDeadline = /setTimeout\(\(\) => process\.exit\(1\), ([\d_]+)\)/.exec(apiMain);
    expect(apiDeadline).not.toBeNull();
    const preStop = apiC.lifecycle?.preStop?.exec?.command;
    const preStopS = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
    expect(v.api.spec.template.spec.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(Number(apiDeadline![1]!.replace(/_/g, '')) + preStopS * 1000);
  });

  it('runs non-root with a read-only root filesystem and no capabilities', () => {
    for (const d of [v.api, v.worker]) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      // The image's user is a name (`node`); the kubelet can only verify a numeric one.
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of containersOf(d)) {
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        expect(c.securityContext?.privileged).not.toBe(true);
        expect(c.securityContext?.capabilities?.drop).toContain('ALL');
        expect(c.securityContext?.capabilities?.add ?? []).toEqual([]);
      }
    }
  });

  it('leaves replicas to the autoscalers, which target the right Deployments', () => {
    for (const d of [v.api, v.worker]) expect(d.spec.replicas).toBeUndefined();
    const hpa = v.get<K8sObject & { spec: { scaleTargetRef: Obj; minReplicas: number; maxReplicas: number; metrics: { type: string; resource?: { name: string } }[] } }>('HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: API });
    expect(hpa.spec.metrics.map((m) => `${m.type}/${m.resource?.name}`)).toEqual(['Resource/cpu']);
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
  });

  it('scales the workers with KEDA on the lag of their group, up to the partition count', () => {
    const so = v.get<K8sObject & { spec: { scaleTargetRef: Obj; minReplicaCount: number; maxReplicaCount: number; triggers: { type: string; metadata: Record<string, string> }[] } }>('ScaledObject');
    expect(so.apiVersion).toBe('keda.sh/v1alpha1');
    expect(so.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: WORKER });
    expect(so.spec.maxReplicaCount).toBe(Number(v.config['KAFKA_PARTITIONS']));
    expect(so.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(so.spec.maxReplicaCount).toBeGreaterThanOrEqual(so.spec.minReplicaCount);
    const [activities, ...others] = so.spec.triggers;
    expect(activities!.metadata['topic']).toBe(v.config['KAFKA_TOPIC_ACTIVITIES']);
    expect(others.map((t) => t.metadata['topic'])).toEqual([v.config['KAFKA_TOPIC_FANOUT']]);
    for (const t of so.spec.triggers) {
      expect(t.type).toBe('kafka');
      expect(t.metadata['consumerGroup']).toBe(v.config['KAFKA_GROUP_ID']);
      expect(t.metadata['bootstrapServers']).toBe(v.config['KAFKA_BROKERS']);
      expect(t.metadata['lagThreshold']).toMatch(/^[1-9]\d*$/);
      // The worker subscribes from the beginning (libs/messaging-kafka/src/reliable-consumer.ts).
      expect(t.metadata['offsetResetPolicy']).toBe('earliest');
    }
  });

  it('covers each Deployment with a PodDisruptionBudget that selects exactly its pods', () => {
    const pdbs = v.objects.filter((o) => o.kind === 'PodDisruptionBudget') as (K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number } })[];
    const selects = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, val]) => labels[k] === val);
    for (const d of [v.api, v.worker]) {
      expect(selects(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
      const mine = pdbs.filter((p) => selects(p.spec.selector.matchLabels, d.spec.template.metadata.labels));
      expect(mine.map((p) => p.metadata.name)).toEqual([d.metadata.name]);
      expect(mine[0]!.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
    }
  });
});

describe('deploy/k8s production overlay', () => {
  const base = variant(VARIANTS.base);
  const prod = variant(VARIANTS.production);

  it('replicates topics and keyspace three times, in the local data centre', () => {
    expect(prod.config['KAFKA_REPLICATION_FACTOR']).toBe('3');
    const dc = prod.config['CASSANDRA_LOCAL_DC']!;
    expect(prod.config['CASSANDRA_REPLICATION']).toBe(`NetworkTopologyStrategy:${dc}=3`);
  });

  it('pins the image, gives the pods more than the base, and runs more replicas', () => {
    for (const c of prod.objects.flatMap(containersOf)) {
      const [name, tag] = splitImage(c.image);
      expect(name).toContain('/');
      expect(tag ?? c.image.includes('@sha256:')).toBeTruthy();
      expect(tag).not.toBe('latest');
    }
    for (const name of ['api', 'fanout-worker']) {
      const b = base.objects.flatMap(containersOf).find((c) => c.name === name)!;
      const p = prod.objects.flatMap(containersOf).find((c) => c.name === name)!;
      expect(quantity(p.resources!.requests!['cpu'])).toBeGreaterThan(quantity(b.resources!.requests!['cpu']));
      expect(quantity(p.resources!.requests!['memory'])).toBeGreaterThan(quantity(b.resources!.requests!['memory']));
    }
    const hpa = (o: ReturnType<typeof variant>) => o.get<K8sObject & { spec: { minReplicas: number } }>('HorizontalPodAutoscaler').spec.minReplicas;
    const so = (o: ReturnType<typeof variant>) => o.get<K8sObject & { spec: { minReplicaCount: number } }>('ScaledObject').spec.minReplicaCount;
    expect(hpa(prod)).toBeGreaterThan(hpa(base));
    expect(so(prod)).toBeGreaterThan(so(base));
  });

  it('puts everything in its namespace', () => {
    expect(prod.get('Namespace').metadata.name).toBe('tideline');
    for (const o of prod.objects) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe('tideline');
  });
});
