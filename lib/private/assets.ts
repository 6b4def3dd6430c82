import * as fs from 'fs';
import * as path from 'path';

/** A file of lib/assets, as text. */
export function readAsset(name: string): string {
  return fs.readFileSync(path.join(__dirname, '..', 'assets', name), 'utf8');
}

/**
 * A shell script of the assets as servers get it: without its comment lines, which are a fifth
 * of the bytes of Nova's 64 KiB of user data and stay readable in lib/assets. The shebang and
 * shellcheck directives stay; the scripts have no here-documents, so every line that starts
 * with `#` is a comment.
 */
export function readScript(name: string): string {
  if (!name.endsWith('.sh')) throw new Error(`${name} is not a shell script`);
  const lines = readAsset(name).split('\n');
  // A here-document's delimiter is a word (EOF); `$((n << 30))` is arithmetic.
  if (lines.some((line) => /<<-?\s*(['"]?)[A-Za-z_]\w*\1(\s|$)/.test(line.replace(/<<</g, '')))) {
    throw new Error(`${name} has a here-document: its comment lines cannot be told apart`);
  }
  const kept = lines.filter((line, i) => (i === 0 && line.startsWith('#!')) || !/^\s*#(?! shellcheck )/.test(line));
  return [
    kept[0].startsWith('#!') ? kept[0] : undefined,
    `# lib/assets/${name} of cdktf-spark-openstack, without its comments`,
  ]
    .filter((l): l is string => l !== undefined)
    .concat(kept.slice(kept[0].startsWith('#!') ? 1 : 0))
    .join('\n');
}

/** A systemd unit from the assets, with the shared sandboxing options in its [Service] section. */
export function renderUnit(name: string): string {
  const hardening = readAsset('hardening.conf');
  const unit = readAsset(name);
  if (!unit.includes('\n[Service]\n')) throw new Error(`${name} has no [Service] section`);
  return unit.replace('\n[Service]\n', `\n[Service]\n${hardening}`);
}
