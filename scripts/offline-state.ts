/**
 * A state made without a cloud: what applying a configuration would leave in Terraform
 * state, so that a changed configuration can be planned against it (`-refresh=false`) to
 * see exactly what a change would do to an existing deployment.
 *
 * Every value comes from the real tofu and provider, except those only a cloud can assign
 * (IDs, addresses, timestamps), which get deterministic placeholders of the schema's type.
 * The state is built to a fixed point: plan against the state, take the values tofu
 * computes for whatever it wants to change (references to placeholders now resolve), and
 * repeat until the configuration plans no change against its own state.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { PlanJson, ResourceChange, Tofu } from './tofu';
import { readCommittedSchema } from './generate-bindings';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type SchemaType = string | [string, unknown];

interface SchemaBlock {
  attributes?: Record<string, { type?: SchemaType; nested_type?: unknown }>;
  block_types?: Record<string, { nesting_mode: string; block: SchemaBlock }>;
}

interface StateInstance {
  index_key?: string | number;
  schema_version: number;
  attributes: Record<string, Json>;
  sensitive_attributes: unknown[];
}

interface StateResource {
  mode: 'managed';
  type: string;
  name: string;
  provider: string;
  instances: StateInstance[];
}

/** Terraform's state format, version 4. */
export interface StateV4 {
  version: 4;
  terraform_version: string;
  serial: number;
  lineage: string;
  outputs: Record<string, unknown>;
  resources: StateResource[];
}

// terraform_data is built into tofu; its schema is not in the provider's.
const TERRAFORM_DATA: SchemaBlock = {
  attributes: {
    id: { type: 'string' },
    input: { type: 'dynamic' },
    output: { type: 'dynamic' },
    triggers_replace: { type: 'dynamic' },
  },
};

function schemaFor(type: string): { block: SchemaBlock; version: number } {
  if (type === 'terraform_data') return { block: TERRAFORM_DATA, version: 0 };
  const provider = Object.values(readCommittedSchema().provider_schemas ?? {})[0] as unknown as {
    resource_schemas: Record<string, { version: number; block: SchemaBlock }>;
  };
  const schema = provider.resource_schemas[type];
  if (!schema) throw new Error(`offline state: no schema for ${type}; add it to provider-schema/keep.json`);
  return schema;
}

/** A deterministic placeholder a cloud would have assigned, shaped by the attribute's type. */
function placeholder(type: SchemaType | undefined, seed: string): Json {
  const digest = createHash('sha256').update(seed).digest('hex');
  if (type === 'number') return 0;
  if (type === 'bool') return false;
  if (Array.isArray(type)) return type[0] === 'map' || type[0] === 'object' ? {} : [];
  if (seed.endsWith('.secret') || seed.endsWith('.access')) return digest.slice(0, 32);
  // A UUID-shaped string: most provider-assigned strings are IDs.
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-8${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
}

function elementType(type: SchemaType | undefined, key: string): SchemaType | undefined {
  if (!Array.isArray(type)) return undefined;
  if (type[0] === 'object') return (type[1] as Record<string, SchemaType>)[key];
  return type[1] as SchemaType;
}

/**
 * Merges planned values with what is unknown in them: an unknown value keeps what the
 * state already has, or gets a placeholder.
 */
function fill(
  after: Json | undefined,
  unknown: unknown,
  existing: Json | undefined,
  type: SchemaType | SchemaBlock | undefined,
  seed: string,
): Json {
  const block = type && typeof type === 'object' && !Array.isArray(type) ? (type as SchemaBlock) : undefined;
  if (unknown === true) {
    if (existing !== undefined && existing !== null) return existing;
    if (type === 'dynamic') return null;
    return block ? [] : placeholder(type as SchemaType, seed);
  }
  if (Array.isArray(after) || Array.isArray(unknown)) {
    const items = (after as Json[] | undefined) ?? [];
    const marks = (unknown as unknown[] | undefined) ?? [];
    return Array.from({ length: Math.max(items.length, marks.length) }, (_, i) =>
      fill(
        items[i],
        marks[i],
        (existing as Json[] | undefined)?.[i],
        block ?? elementType(type as SchemaType, String(i)),
        `${seed}[${i}]`,
      ),
    );
  }
  if ((after && typeof after === 'object') || (unknown && typeof unknown === 'object')) {
    const value = (after ?? {}) as Record<string, Json>;
    const marks = (unknown ?? {}) as Record<string, unknown>;
    const out: Record<string, Json> = {};
    for (const key of new Set([...Object.keys(value), ...Object.keys(marks)])) {
      const keyType = block
        ? (block.attributes?.[key]?.type ?? block.block_types?.[key]?.block)
        : type === 'dynamic'
          ? 'string'
          : elementType(type as SchemaType, key);
      out[key] = fill(
        value[key],
        marks[key],
        (existing as Record<string, Json> | undefined)?.[key],
        keyType,
        `${seed}.${key}`,
      );
    }
    return out;
  }
  return after === undefined ? (existing ?? null) : after;
}

/** cty's JSON type of a value, for attributes of dynamic type (stored with their type). */
function impliedType(value: Json): Json {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return ['tuple', value.map(impliedType)];
  if (value === null) return 'dynamic';
  return ['object', Object.fromEntries(Object.entries(value).map(([k, v]) => [k, impliedType(v)]))];
}

function attributesFor(rc: ResourceChange, existing: Record<string, Json> | undefined): Record<string, Json> {
  const { block } = schemaFor(rc.type);
  const unwrap = (v: Json | undefined) =>
    v && typeof v === 'object' && !Array.isArray(v) && 'value' in v ? v.value : v;
  const previous =
    existing && rc.type === 'terraform_data'
      ? Object.fromEntries(Object.entries(existing).map(([k, v]) => [k, unwrap(v)]))
      : existing;
  const attrs = fill(
    rc.change.after as Json,
    rc.change.after_unknown ?? {},
    previous as Json,
    block,
    rc.address,
  ) as Record<string, Json>;
  if (rc.type === 'terraform_data') {
    // terraform_data's output is its input once applied; dynamic values carry their type.
    attrs.output = attrs.input;
    for (const key of ['input', 'output', 'triggers_replace']) {
      const value = attrs[key] ?? null;
      attrs[key] = value === null ? null : { value, type: impliedType(value) };
    }
  }
  return attrs;
}

type PathStep =
  { type: 'get_attr'; value: string } | { type: 'index'; value: { value: number | string; type: string } };

/**
 * The state's `sensitive_attributes`: paths to the values the plan marks sensitive. Without
 * them tofu would plan an update only to mark those values sensitive.
 */
function sensitivePaths(marks: unknown, prefix: PathStep[] = []): PathStep[][] {
  if (marks === true) return [prefix];
  if (Array.isArray(marks)) {
    return marks.flatMap((m, i) =>
      sensitivePaths(m, [...prefix, { type: 'index', value: { value: i, type: 'number' } }]),
    );
  }
  if (marks && typeof marks === 'object') {
    return Object.entries(marks).flatMap(([key, m]) =>
      sensitivePaths(m, [...prefix, { type: 'get_attr', value: key }]),
    );
  }
  return [];
}

function emptyState(terraformVersion: string): StateV4 {
  return {
    version: 4,
    terraform_version: terraformVersion,
    serial: 1,
    lineage: '00000000-0000-4000-8000-0ff11e0057a7',
    outputs: {},
    resources: [],
  };
}

function apply(state: StateV4, changes: ResourceChange[]): void {
  for (const rc of changes) {
    const name = rc.address
      .replace(/\[.*\]$/, '')
      .split('.')
      .slice(-1)[0];
    let resource = state.resources.find((r) => r.type === rc.type && r.name === name);
    if (rc.change.actions.length === 1 && rc.change.actions[0] === 'delete') {
      if (resource) resource.instances = resource.instances.filter((i) => i.index_key !== rc.index);
      continue;
    }
    if (!resource) {
      resource = { mode: 'managed', type: rc.type, name, provider: `provider["${rc.provider_name}"]`, instances: [] };
      state.resources.push(resource);
    }
    const existing = resource.instances.find((i) => i.index_key === rc.index);
    const instance: StateInstance = {
      ...(rc.index !== undefined ? { index_key: rc.index } : {}),
      schema_version: schemaFor(rc.type).version,
      attributes: attributesFor(rc, existing?.attributes),
      sensitive_attributes: sensitivePaths(rc.change.after_sensitive),
    };
    resource.instances = [...resource.instances.filter((i) => i !== existing), instance];
  }
  state.serial += 1;
}

/**
 * Builds the state `tofu`'s configuration would leave behind, and leaves it in the stack's
 * local state file. Throws when it does not settle within `maxRounds` plans.
 */
export function buildOfflineState(tofu: Tofu, maxRounds = 8): StateV4 {
  const file = localStatePath(tofu.dir);
  const version = (JSON.parse(tofu.run(['version', '-json'])) as { terraform_version: string }).terraform_version;
  const state = emptyState(version);
  for (let round = 0; round < maxRounds; round++) {
    fs.writeFileSync(file, JSON.stringify(state, null, 2));
    const plan: PlanJson = tofu.plan(['-refresh=false']);
    const changes = (plan.resource_changes ?? []).filter(
      (rc) => !rc.change.actions.every((a) => a === 'no-op' || a === 'read'),
    );
    if (changes.length === 0) return state;
    apply(state, changes);
  }
  throw new Error(`offline state for ${tofu.dir} did not settle after ${maxRounds} plans`);
}

/** Where the stack keeps local state: its backend's path, relative to the stack directory. */
export function localStatePath(dir: string): string {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8'));
  const configured = config.terraform?.backend?.local?.path as string | undefined;
  return path.resolve(dir, configured ?? 'terraform.tfstate');
}
