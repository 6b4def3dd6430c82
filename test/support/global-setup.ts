// Runs once in jest's parent process, before any worker starts: the tools' environment set
// here is inherited by the workers and by every tofu that cdktf spawns (cdktf spawns with
// the real process environment, which a test file's sandboxed process.env does not reach).
// A missing toolchain is not an error here; the tests that need tofu fail with the hint.
import { applyToolsEnv, readToolsEnv } from '../../scripts/tools-env';

export default function globalSetup(): void {
  if (readToolsEnv()) {
    applyToolsEnv();
  }
}
