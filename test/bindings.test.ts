import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DEFAULT_OUTDIR,
  dumpSchema,
  generateBindings,
  readCommittedSchema,
  readKeepList,
  SCHEMA_FILE,
  serializeSchema,
  trimSchema,
} from '../scripts/generate-bindings';

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

describe('provider bindings', () => {
  it('regenerating from the committed schema reproduces .gen byte for byte', async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bindings-'));
    try {
      await generateBindings(readCommittedSchema(), outdir);
      const committed = listFiles(DEFAULT_OUTDIR);
      expect(listFiles(outdir)).toEqual(committed);
      for (const file of committed) {
        const regenerated = fs.readFileSync(path.join(outdir, file), 'utf8');
        if (regenerated !== fs.readFileSync(path.join(DEFAULT_OUTDIR, file), 'utf8')) {
          throw new Error(`.gen/${file} differs from its regeneration: run \`npm run bindings\` and commit`);
        }
      }
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('the committed schema is what the real provider reports, trimmed to keep.json', async () => {
    const fromProvider = serializeSchema(trimSchema(await dumpSchema(), readKeepList()));
    expect(fromProvider === fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(true);
  });

  it('keeps exactly the resources and data sources keep.json lists, with the provider version', () => {
    const schema = readCommittedSchema();
    const keep = readKeepList();
    const provider = schema.provider_schemas?.['registry.terraform.io/terraform-provider-openstack/openstack'];
    expect(Object.keys(provider?.resource_schemas ?? {})).toEqual([...keep.resources].sort());
    expect(Object.keys(provider?.data_source_schemas ?? {})).toEqual([...keep.dataSources].sort());
    expect(schema.provider_versions).toEqual({
      'registry.terraform.io/terraform-provider-openstack/openstack': '3.4.0',
    });
  });

  it('refuses a keep list naming a resource the provider does not have', () => {
    const keep = { resources: ['openstack_compute_instance_v2', 'openstack_no_such_thing_v9'], dataSources: [] };
    const full = readCommittedSchema();
    expect(() => trimSchema(full, keep)).toThrow(/resource openstack_no_such_thing_v9 does not exist/);
  });
});
