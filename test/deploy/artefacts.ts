import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { type NodeRole } from '@app/config';
import { type Dockerfile, type ImageTarget, imageTarget, parseDockerfile } from './dockerfile.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DEPLOY = join(ROOT, 'deploy');
export const HELM_CHART = join(DEPLOY, 'helm/muninn');

/** Image target → node role. The targets are the Dockerfile's stage names. */
export const TARGET_ROLE: Record<string, NodeRole> = { management: 'management', server: 'worker' };

/** Paths each app serves (SPEC §10); a probe may only point at one of these. */
export const SERVED_PATHS: Record<NodeRole, readonly string[]> = {
  management: ['/health', '/health/live', '/health/ready', '/metrics', '/graphql'],
  worker: ['/health', '/health/live', '/health/ready', '/metrics', '/query', '/graphql', '/admin'],
};

export type Doc = Record<string, unknown> & { kind?: string; metadata?: { name?: string } };

export function rel(path: string): string {
  return relative(ROOT, path);
}

export function filesUnder(dir: string, test: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, test));
    else if (test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Every YAML document of a file; a syntax error or warning throws with the file name. */
export function yamlDocs(path: string, text = readFileSync(path, 'utf8')): Doc[] {
  return parseAllDocuments(text).map((d, i) => {
    const problems = [...d.errors, ...d.warnings];
    if (problems.length) throw new Error(`${rel(path)} document ${i + 1}: ${problems[0].message}`);
    return d.toJS() as Doc;
  });
}

export function dockerfile(): Dockerfile {
  return parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// Helm: a textual renderer for the subset the chart may use.

export interface HelmContext {
  Values: Record<string, unknown>;
  Release: { Name: string; Namespace: string };
  Chart: Record<string, unknown>;
}

/**
 * Renders `{{ .Values.a.b }}`, `{{ .Release.Name }}`, `{{ .Chart.X }}`, each optionally `| quote`.
 * This is not Helm: anything else (`if`, `range`, `include`, `toYaml`, whitespace trimming) throws,
 * so the chart stays within what this check can verify. `used` collects the value paths read.
 */
export function renderHelm(template: string, ctx: HelmContext, used = new Set<string>()): string {
  return template.replace(/\{\{(.*?)\}\}/g, (action: string, body: string) => {
    const m = /^ (\.(?:Values|Release|Chart)(?:\.[A-Za-z0-9_]+)+)( \| quote)? $/.exec(body);
    if (!m) throw new Error(`unsupported template action ${action}`);
    let value: unknown = ctx;
    for (const key of m[1].slice(1).split('.')) {
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    if (value === undefined || value === null) throw new Error(`${action}: ${m[1]} is not set`);
    if (typeof value === 'object') throw new Error(`${action}: ${m[1]} is not a scalar`);
    if (m[1].startsWith('.Values.')) used.add(m[1].slice('.Values.'.length));
    return m[2] ? JSON.stringify(String(value)) : String(value);
  });
}

export function helmContext(
  overrides: { release?: string; values?: (v: Record<string, unknown>) => void } = {},
): HelmContext {
  const values = parseYaml(readFileSync(join(HELM_CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  overrides.values?.(values);
  const chart = parseYaml(readFileSync(join(HELM_CHART, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const Chart = Object.fromEntries(
    Object.entries(chart).map(([k, v]) => [k[0].toUpperCase() + k.slice(1), v]),
  );
  return { Values: values, Release: { Name: overrides.release ?? 'muninn', Namespace: 'default' }, Chart };
}

/** The chart's templates rendered with `ctx`, as YAML documents. */
export function renderChart(ctx: HelmContext, used?: Set<string>): { file: string; docs: Doc[] }[] {
  return filesUnder(join(HELM_CHART, 'templates'), (n) => /\.ya?ml$/.test(n)).map((file) => ({
    file,
    docs: yamlDocs(file, renderHelm(readFileSync(file, 'utf8'), ctx, used)).filter((d) => d !== null),
  }));
}

export function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

// ---------------------------------------------------------------------------------------------
// Muninn containers, whatever artefact declares them.

export interface Probe {
  kind: string;
  path: string;
  /** The port the probe reaches; undefined when it follows the container's BIND (healthcheck.mjs). */
  port: number | undefined;
}

export interface MuninnContainer {
  where: string;
  role: NodeRole;
  target: ImageTarget;
  /** Environment as the process sees it: image ENV, then the artefact's, values resolved. */
  env: Record<string, string>;
  /** Names the artefact sets (not the image). */
  setNames: string[];
  /** Names set only for `$(NAME)` expansion in Kubernetes (downward API); Muninn ignores them. */
  expansionHelpers: string[];
  /** Ports the container declares (k8s containerPort, EXPOSE, compose container side of `ports:`). */
  ports: number[];
  /** Whether it must declare BIND's port (Compose services may publish nothing). */
  requirePort: boolean;
  probes: Probe[];
  problems: string[];
}

function imageRole(file: Dockerfile, image: string | undefined, target: string | undefined, where: string) {
  const fromImage = image?.match(/^(?:[^/]+\/)*muninn\/([a-z-]+)(?::[^/]+)?$/)?.[1];
  const name = target ?? fromImage;
  if (name === undefined) return undefined;
  if (target !== undefined && fromImage !== undefined && target !== fromImage) {
    throw new Error(`${where}: image ${image} does not match build target ${target}`);
  }
  const role = TARGET_ROLE[name];
  if (!role)
    throw new Error(`${where}: ${image ?? target} is not a Muninn image target (management, server)`);
  return { role, target: imageTarget(file, name) };
}

/** The healthcheck the image ships: `node <script> <path>`, port from BIND. */
export function healthcheckScriptProbe(cmd: string[], target: ImageTarget, kind: string): Probe | string {
  const script = target.chain
    .flatMap((s) => s.instructions)
    .filter((i) => i.op === 'COPY' && !i.flags.from)
    .map((i) => i.args.split(/\s+/))
    .find((a) => a[0] === 'deploy/docker/healthcheck.mjs');
  const dest = script && resolvePosix(target.workdir, script[1]);
  if (cmd.length !== 3 || cmd[0] !== 'node' || cmd[1] !== dest) {
    return `${kind} ${JSON.stringify(cmd)} is not ["node", "${dest}", "<path>"] (the images have no curl or wget)`;
  }
  return { kind, path: cmd[2], port: undefined };
}

function resolvePosix(base: string, p: string): string {
  return p.startsWith('/') ? p : `${base.replace(/\/$/, '')}/${p.replace(/^\.\//, '')}`;
}

/** `${VAR:-default}` etc. with nothing set in the environment: what `docker compose up` uses by default. */
export function composeInterpolate(value: string, problems: string[], where: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (all === '$$') return '$';
      if (op === ':-' || op === '-') return arg ?? '';
      problems.push(`${where}: ${braced ?? bare} has no default, so "${all}" is empty unless set`);
      return '';
    },
  );
}

function composeEnv(raw: unknown, problems: string[], where: string): [string, string][] {
  const entries: [string, string][] = Array.isArray(raw)
    ? raw.map((e: string) => {
        const i = String(e).indexOf('=');
        return i < 0 ? [String(e), ''] : [String(e).slice(0, i), String(e).slice(i + 1)];
      })
    : Object.entries((raw ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]);
  return entries.map(([k, v]) => [k, composeInterpolate(v, problems, `${where} ${k}`)]);
}

export interface ComposeFile {
  file: string;
  services: Record<string, Record<string, unknown>>;
  containers: Map<string, MuninnContainer>;
}

export function composeFile(path: string, file = dockerfile()): ComposeFile {
  const [doc] = yamlDocs(path);
  const services = (doc.services ?? {}) as Record<string, Record<string, unknown>>;
  const containers = new Map<string, MuninnContainer>();
  for (const [name, svc] of Object.entries(services)) {
    const where = `${rel(path)} service ${name}`;
    const build = svc.build as { context?: string; target?: string; dockerfile?: string } | undefined;
    const found = imageRole(file, svc.image as string | undefined, build?.target, where);
    if (!found) continue;
    const problems: string[] = [];
    if (build) {
      const context = resolve(join(path, '..'), build.context ?? '.');
      if (context !== ROOT || (build.dockerfile ?? 'Dockerfile') !== 'Dockerfile') {
        problems.push(`${where}: build must use the repository's Dockerfile (context ${rel(context)})`);
      }
    }
    const set = composeEnv(svc.environment, problems, where);
    const ports = ((svc.ports ?? []) as unknown[]).map((p) =>
      typeof p === 'object' && p !== null
        ? Number((p as { target: unknown }).target)
        : Number(
            String(p)
              .split(':')
              .at(-1)!
              .replace(/\/(tcp|udp)$/, ''),
          ),
    );
    const probes: Probe[] = [];
    const hc = svc.healthcheck as { test?: unknown; disable?: boolean } | undefined;
    if (hc?.test !== undefined) {
      const test = Array.isArray(hc.test) ? (hc.test as string[]) : ['CMD-SHELL', String(hc.test)];
      const probe =
        test[0] === 'CMD'
          ? healthcheckScriptProbe(test.slice(1), found.target, 'healthcheck')
          : `healthcheck must be ["CMD", "node", …], not ${JSON.stringify(test)}`;
      if (typeof probe === 'string') problems.push(`${where}: ${probe}`);
      else probes.push(probe);
    }
    containers.set(
      name,
      container({
        where,
        role: found.role,
        target: found.target,
        set,
        expansionHelpers: [],
        ports,
        requirePort: false,
        probes,
        problems,
        runtimeEnv: { HOSTNAME: name },
      }),
    );
  }
  return { file: path, services, containers };
}

function container(
  c: Omit<MuninnContainer, 'env' | 'setNames'> & {
    set: [string, string][];
    runtimeEnv: Record<string, string>;
  },
): MuninnContainer {
  const { set, runtimeEnv, ...rest } = c;
  // The runtime's HOSTNAME, then the image's ENV, then what the artefact sets.
  const env = { ...runtimeEnv, ...c.target.env, ...Object.fromEntries(set) };
  return { ...rest, env, setNames: set.map(([k]) => k) };
}

// ---------------------------------------------------------------------------------------------
// Kubernetes objects (deploy/k8s and the rendered chart).

type Json = Record<string, unknown>;

export interface PodContainer {
  name: string;
  image?: string;
  ports?: { containerPort: number; name?: string }[];
  env?: { name: string; value?: string; valueFrom?: Json }[];
  envFrom?: unknown[];
  resources?: { requests?: Json; limits?: Json };
  livenessProbe?: Json;
  readinessProbe?: Json;
  startupProbe?: Json;
}

export function podSpec(doc: Doc): { labels: Json; spec: Json } | undefined {
  if (!['Deployment', 'StatefulSet', 'DaemonSet'].includes(doc.kind ?? '')) return undefined;
  const tpl = (doc.spec as Json)?.template as { metadata?: { labels?: Json }; spec?: Json } | undefined;
  return { labels: tpl?.metadata?.labels ?? {}, spec: tpl?.spec ?? {} };
}

function secretValue(docs: Doc[], name: string, key: string): string | undefined {
  const secret = docs.find((d) => d.kind === 'Secret' && d.metadata?.name === name) as
    { stringData?: Json; data?: Json } | undefined;
  const s = secret?.stringData?.[key];
  if (s !== undefined) return String(s);
  const b = secret?.data?.[key];
  return b === undefined ? undefined : Buffer.from(String(b), 'base64').toString();
}

const FIELD_REFS: Record<string, (pod: string) => string> = {
  'metadata.name': (pod) => pod,
  'metadata.namespace': () => 'default',
  'status.podIP': () => '10.244.1.23',
  'spec.nodeName': () => 'k8s-node-1',
};

/** Muninn containers of every workload in `docs` (all objects of one deployment, so Secrets resolve). */
export function k8sContainers(docs: Doc[], source: string, file = dockerfile()): MuninnContainer[] {
  const out: MuninnContainer[] = [];
  for (const doc of docs) {
    const pod = podSpec(doc);
    if (!pod) continue;
    const podName = `${doc.metadata?.name}-7d9f8b6c5-x2x4q`;
    for (const c of (pod.spec.containers ?? []) as PodContainer[]) {
      const where = `${source} ${doc.kind}/${doc.metadata?.name} container ${c.name}`;
      const found = imageRole(file, c.image, undefined, where);
      if (!found) continue;
      const problems: string[] = [];
      if (c.envFrom) problems.push(`${where}: envFrom hides variable names from this check; use env`);
      const set: [string, string][] = [];
      const fromFieldRef = new Set<string>();
      for (const e of c.env ?? []) {
        let value: string | undefined;
        if (e.valueFrom) {
          const secret = e.valueFrom.secretKeyRef as { name: string; key: string } | undefined;
          const field = e.valueFrom.fieldRef as { fieldPath: string } | undefined;
          if (secret) {
            value = secretValue(docs, secret.name, secret.key);
            if (value === undefined)
              problems.push(`${where}: ${e.name} reads missing Secret ${secret.name}/${secret.key}`);
          } else if (field && FIELD_REFS[field.fieldPath]) {
            value = FIELD_REFS[field.fieldPath](podName);
            fromFieldRef.add(e.name);
          } else {
            problems.push(`${where}: ${e.name} has an unsupported valueFrom ${JSON.stringify(e.valueFrom)}`);
          }
        } else {
          // $(NAME) expands only variables defined earlier in the list (Kubernetes semantics).
          const earlier = Object.fromEntries(set);
          value = String(e.value ?? '').replace(
            /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
            (m, n: string) => earlier[n] ?? m,
          );
          if (/\$\([A-Za-z_]/.test(value))
            problems.push(`${where}: ${e.name}="${value}" has an unresolved $(…)`);
        }
        set.push([e.name, value ?? '']);
      }
      const referenced = new Set(
        (c.env ?? []).flatMap((e) =>
          [...String(e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]),
        ),
      );
      const helpers = [...fromFieldRef].filter((n) => referenced.has(n));
      const named = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
      const probes: Probe[] = [];
      for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
        const p = c[kind];
        if (!p) continue;
        const http = p.httpGet as { path?: string; port?: number | string } | undefined;
        if (!http) {
          problems.push(`${where}: ${kind} is not an httpGet probe`);
          continue;
        }
        const port = typeof http.port === 'number' ? http.port : named.get(http.port);
        if (port === undefined) problems.push(`${where}: ${kind} port ${http.port} is not a container port`);
        probes.push({ kind, path: http.path ?? '/', port });
      }
      out.push(
        container({
          where,
          role: found.role,
          target: found.target,
          set,
          expansionHelpers: helpers,
          ports: (c.ports ?? []).map((p) => p.containerPort),
          requirePort: true,
          probes,
          problems,
          runtimeEnv: { HOSTNAME: podName },
        }),
      );
    }
  }
  return out;
}

/** deploy/k8s/*.yaml, every document. */
export function k8sDocs(): { file: string; docs: Doc[] }[] {
  return filesUnder(join(DEPLOY, 'k8s'), (n) => /\.ya?ml$/.test(n)).map((file) => ({
    file,
    docs: yamlDocs(file).filter((d) => d !== null),
  }));
}

export function composeFiles(): string[] {
  return filesUnder(join(DEPLOY, 'compose'), (n) => /\.ya?ml$/.test(n));
}

/** The image targets themselves, as containers with nothing set (their HEALTHCHECK is the probe). */
export function imageContainers(file = dockerfile()): MuninnContainer[] {
  return Object.entries(TARGET_ROLE).map(([name, role]) => {
    const target = imageTarget(file, name);
    const problems: string[] = [];
    const probes: Probe[] = [];
    if (!target.healthcheck) problems.push(`Dockerfile target ${name}: no HEALTHCHECK`);
    else {
      const p = healthcheckScriptProbe(target.healthcheck, target, 'HEALTHCHECK');
      if (typeof p === 'string') problems.push(`Dockerfile target ${name}: ${p}`);
      else probes.push(p);
    }
    // What an operator must add at least: management cannot start without a cluster secret.
    const runtime: Record<string, string> =
      role === 'management' ? { CLUSTER_SECRET: 'placeholder-secret' } : {};
    return container({
      where: `Dockerfile target ${name}`,
      role,
      target,
      set: [],
      expansionHelpers: [],
      ports: target.expose,
      requirePort: true,
      probes,
      problems,
      runtimeEnv: runtime,
    });
  });
}

/** Every Muninn container the artefacts under deploy/ (and the Dockerfile) declare. */
export function allMuninnContainers(): MuninnContainer[] {
  const file = dockerfile();
  const k8s = k8sDocs().flatMap((f) => f.docs);
  const chart = renderChart(helmContext()).flatMap((f) => f.docs);
  return [
    ...imageContainers(file),
    ...composeFiles().flatMap((f) => [...composeFile(f, file).containers.values()]),
    ...k8sContainers(k8s, 'deploy/k8s', file),
    ...k8sContainers(chart, 'deploy/helm/muninn (rendered)', file),
  ];
}
