/**
 * Helpers to read the user data out of synthesized Terraform JSON and to check it with the
 * real tools (cloud-init's schema check, shellcheck).
 *
 * `fillTemplate` is a test double for Terraform's string templates: it fills each `${...}`
 * interpolation with a value the test chooses and turns `$${`/`%%{` back into `${`/`%{`,
 * as Terraform does. `tofu validate` on the same stacks (test/stacks.test.ts) proves the real
 * Terraform parser accepts the templates.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type Resolver = (expression: string) => string;

/** Chooses plausible values for the references the library puts into user data. */
export const defaultResolver: Resolver = (expression) => {
  if (expression.includes('terraform_data') && expression.includes('secret')) return 'a'.repeat(64);
  if (expression.includes('ec2_credential') && expression.endsWith('.access')) return 'b'.repeat(32);
  if (expression.includes('ec2_credential') && expression.includes('.secret')) return 'c'.repeat(32);
  if (expression.includes('objectstorage_container_v1') && expression.endsWith('.name')) return 'test-container';
  throw new Error(`fillTemplate: no test value for \${${expression}}`);
};

export function fillTemplate(template: string, resolve: Resolver = defaultResolver): string {
  let out = '';
  for (let i = 0; i < template.length;) {
    if (template.startsWith('$${', i) || template.startsWith('%%{', i)) {
      out += template[i] + '{';
      i += 3;
    } else if (template.startsWith('${', i)) {
      let depth = 1;
      let j = i + 2;
      let quoted = false;
      for (; j < template.length && depth > 0; j++) {
        const c = template[j];
        if (c === '"' && template[j - 1] !== '\\') quoted = !quoted;
        else if (!quoted && c === '{') depth++;
        else if (!quoted && c === '}') depth--;
      }
      out += resolve(template.slice(i + 2, j - 1));
      i = j;
    } else if (template.startsWith('%{', i)) {
      throw new Error(`fillTemplate: template directive at ${i}; the library never emits one`);
    } else {
      out += template[i++];
    }
  }
  return out;
}

/**
 * A server's user_data as a template. User data over Nova's limit is `${base64gzip("...")}`:
 * its argument is a quoted HCL template whose literal parts carry HCL's escapes (a subset of
 * JSON's) and whose `${...}` references are left as they are, quotes and all; this returns
 * the template Terraform compresses at apply.
 */
export function userDataTemplate(userData: string): string {
  const open = '${base64gzip("';
  if (!userData.startsWith(open) || !userData.endsWith('")}')) return userData;
  const body = userData.slice(open.length, -3);
  let out = '';
  let literal = '';
  const flush = () => {
    out += JSON.parse(`"${literal}"`) as string;
    literal = '';
  };
  for (let i = 0; i < body.length;) {
    if (body[i] === '\\') {
      literal += body.slice(i, i + 2);
      i += 2;
    } else if (body.startsWith('$${', i) || body.startsWith('%%{', i)) {
      literal += body.slice(i, i + 3);
      i += 3;
    } else if (body.startsWith('${', i)) {
      flush();
      let depth = 0;
      let quoted = false;
      let j = i + 1;
      for (; j < body.length; j++) {
        const c = body[j];
        if (quoted && c === '\\') j++;
        else if (c === '"') quoted = !quoted;
        else if (!quoted && c === '{') depth++;
        else if (!quoted && c === '}' && --depth === 0) break;
      }
      out += body.slice(i, j + 1);
      i = j + 1;
    } else if (body[i] === '"') {
      throw new Error(`userDataTemplate: an unescaped quote at ${i} of the base64gzip argument`);
    } else {
      literal += body[i++];
    }
  }
  flush();
  return out;
}

/** The user_data of every server in a synthesized stack (as templates), keyed by resource name. */
export function userDataOf(synthesized: string): Record<string, string> {
  const config = JSON.parse(synthesized);
  const servers = config.resource?.openstack_compute_instance_v2 ?? {};
  return Object.fromEntries(
    Object.entries(servers).map(([name, s]) => [name, userDataTemplate((s as { user_data: string }).user_data)]),
  );
}

/** The files a cloud-config writes, by path. */
export function filesOf(
  cloudConfig: string,
): Record<string, { content: string; permissions: string; owner: string; defer?: boolean }> {
  const { parse } = require('yaml') as typeof import('yaml');
  const doc = parse(cloudConfig);
  return Object.fromEntries((doc.write_files ?? []).map((f: { path: string }) => [f.path, f]));
}

function tool(cmd: string, args: string[], installer: string) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  if (result.error) {
    throw new Error(`${cmd} is not installed (${result.error.message}): run ${installer}`);
  }
  return result;
}

/** Runs `cloud-init schema --config-file` on the text; returns its status and output. */
export function cloudInitSchema(text: string): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'user-data-'));
  try {
    const file = path.join(dir, 'user-data');
    fs.writeFileSync(file, text);
    const result = tool('cloud-init', ['schema', '--config-file', file], 'scripts/install-system-packages.sh');
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs shellcheck on the text; returns its findings, empty when clean. Env files pass
 * `exclude: ['SC2034']`: their variables are used by whatever sources them.
 */
export function shellcheck(text: string, shell = 'bash', exclude: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shellcheck-'));
  try {
    const file = path.join(dir, 'script.sh');
    fs.writeFileSync(file, text);
    const excludes = exclude.length > 0 ? ['--exclude', exclude.join(',')] : [];
    const result = tool('shellcheck', ['--shell', shell, ...excludes, file], 'scripts/install-system-packages.sh');
    return `${result.stdout}${result.stderr}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
