/**
 * Offline stand-in for `cdktf get`: the provider bindings in .gen/ come from the real
 * provider's schema, but without the Terraform registry.
 *
 *   dump      read the schema from the locally built provider (`tofu providers schema -json`,
 *             through cdktf's own schema reader), keep what provider-schema/keep.json lists,
 *             and write provider-schema/openstack.json
 *   generate  generate .gen/ from the committed provider-schema/openstack.json with
 *             @cdktf/provider-generator, the generator `cdktf get` uses
 *   (none)    dump, then generate
 *
 * Options: --out DIR (generate into DIR instead of .gen).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ProviderSchema, TerraformProviderConstraint } from '@cdktf/commons';
import { applyToolsEnv, REPO_ROOT } from './tools-env';

export const SCHEMA_FILE = path.join(REPO_ROOT, 'provider-schema', 'openstack.json');
export const KEEP_FILE = path.join(REPO_ROOT, 'provider-schema', 'keep.json');
export const DEFAULT_OUTDIR = path.join(REPO_ROOT, '.gen');

// `cdktf get` keys schemas by the Terraform registry hostname and matches cdktf.json's
// bare source against it; OpenTofu reports the same provider under its own registry.
const CDKTF_HOSTNAME = 'registry.terraform.io';

interface KeepList {
  readonly resources: string[];
  readonly dataSources: string[];
}

type ProviderEntry = NonNullable<ProviderSchema['provider_schemas']>[string];

/** The OpenStack provider constraint from cdktf.json, as `cdktf get` reads it. */
export function openstackConstraint(): TerraformProviderConstraint {
  // Loaded lazily: @cdktf/commons reads TERRAFORM_BINARY_NAME when it loads.
  const { readConfigSync } = require('@cdktf/commons') as typeof import('@cdktf/commons');
  const config = readConfigSync(path.join(REPO_ROOT, 'cdktf.json'));
  const constraint = (config.terraformProviders ?? []).find((p) => p.name === 'openstack');
  if (!constraint) {
    throw new Error('cdktf.json lists no openstack provider in terraformProviders');
  }
  return constraint;
}

/** Keeps only the resources and data sources in `keep`; throws on a name the provider lacks. */
export function trimSchema(full: ProviderSchema, keep: KeepList): ProviderSchema {
  const entries = Object.entries(full.provider_schemas ?? {});
  if (entries.length !== 1) {
    throw new Error(`expected one provider in the schema, found ${entries.length}`);
  }
  const [fqpn, provider] = entries[0];
  const pick = <T>(all: Record<string, T> | undefined, names: string[], kind: string) => {
    const kept: Record<string, T> = {};
    for (const name of [...names].sort()) {
      const schema = all?.[name];
      if (!schema) {
        throw new Error(`${KEEP_FILE}: ${kind} ${name} does not exist in ${fqpn}`);
      }
      kept[name] = schema;
    }
    return kept;
  };
  const trimmed: ProviderEntry = {
    ...provider,
    resource_schemas: pick(provider.resource_schemas, keep.resources, 'resource'),
    data_source_schemas: pick(provider.data_source_schemas, keep.dataSources, 'data source'),
  };
  const key = fqpn.replace(/^[^/]+\//, `${CDKTF_HOSTNAME}/`);
  const version = Object.entries(full.provider_versions ?? {}).find(([k]) =>
    k.endsWith(fqpn.replace(/^[^/]+/, '')),
  )?.[1];
  if (!version) {
    throw new Error(`the schema records no version for ${fqpn}`);
  }
  return {
    format_version: full.format_version,
    provider_schemas: { [key]: trimmed },
    provider_versions: { [key]: version },
  } as ProviderSchema;
}

/** Reads the full schema from the locally built provider, exactly as `cdktf get` would. */
export async function dumpSchema(): Promise<ProviderSchema> {
  applyToolsEnv();
  const { readSchema } = require('@cdktf/provider-schema') as typeof import('@cdktf/provider-schema');
  const { providerSchema } = await readSchema([openstackConstraint()]);
  if (!providerSchema) {
    throw new Error('tofu returned no provider schema');
  }
  return providerSchema;
}

export function readKeepList(): KeepList {
  return JSON.parse(fs.readFileSync(KEEP_FILE, 'utf8')) as KeepList;
}

export function readCommittedSchema(): ProviderSchema {
  return JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as ProviderSchema;
}

export function serializeSchema(schema: ProviderSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Generates the TypeScript bindings for `schema` into `outdir`, laid out as `cdktf get` does. */
export async function generateBindings(schema: ProviderSchema, outdir: string): Promise<void> {
  const generator = require('@cdktf/provider-generator') as typeof import('@cdktf/provider-generator');
  const commons = require('@cdktf/commons') as typeof import('@cdktf/commons');
  const constraint = openstackConstraint();
  const target = commons.ConstructsMakerTarget.from(constraint, commons.Language.TYPESCRIPT);

  const code = new generator.CodeMaker();
  const providerGenerator = new generator.TerraformProviderGenerator(code, schema);
  providerGenerator.generate(target);

  // The same bookkeeping files `cdktf get` leaves next to the bindings.
  code.openFile('versions.json');
  code.line(JSON.stringify(providerGenerator.versions, null, 2));
  code.closeFile('versions.json');
  code.openFile('constraints.json');
  code.line(
    JSON.stringify({ cdktf: commons.DISPLAY_VERSION, providers: { [constraint.fqn]: constraint.version } }, null, 2),
  );
  code.closeFile('constraints.json');

  fs.rmSync(path.join(outdir, 'providers', constraint.name), { recursive: true, force: true });
  await code.save(outdir);
}

async function main(argv: string[]): Promise<void> {
  const outIndex = argv.indexOf('--out');
  const outdir = outIndex >= 0 ? path.resolve(argv[outIndex + 1]) : DEFAULT_OUTDIR;
  const command = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--out') ?? 'all';
  if (!['dump', 'generate', 'all'].includes(command)) {
    throw new Error(`unknown command '${command}': use dump, generate, or nothing for both`);
  }
  if (command !== 'generate') {
    const trimmed = trimSchema(await dumpSchema(), readKeepList());
    fs.writeFileSync(SCHEMA_FILE, serializeSchema(trimmed));
    const provider = Object.values(trimmed.provider_schemas ?? {})[0];
    console.log(
      `wrote ${path.relative(REPO_ROOT, SCHEMA_FILE)}: ${Object.keys(provider.resource_schemas ?? {}).length} resources, ` +
        `${Object.keys(provider.data_source_schemas ?? {}).length} data sources, provider ${JSON.stringify(trimmed.provider_versions)}`,
    );
  }
  if (command !== 'dump') {
    await generateBindings(readCommittedSchema(), outdir);
    console.log(`generated bindings into ${path.relative(REPO_ROOT, outdir) || '.'}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`generate-bindings: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
