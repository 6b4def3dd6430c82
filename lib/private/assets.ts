import * as fs from 'fs';
import * as path from 'path';

/** A file of lib/assets, as text. */
export function readAsset(name: string): string {
  return fs.readFileSync(path.join(__dirname, '..', 'assets', name), 'utf8');
}

/** A systemd unit from the assets, with the shared sandboxing options in its [Service] section. */
export function renderUnit(name: string): string {
  const hardening = readAsset('hardening.conf');
  const unit = readAsset(name);
  if (!unit.includes('\n[Service]\n')) throw new Error(`${name} has no [Service] section`);
  return unit.replace('\n[Service]\n', `\n[Service]\n${hardening}`);
}
