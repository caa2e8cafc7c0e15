/**
 * AdminJS reads NODE_ENV and the directory of its components bundle (ADMIN_JS_TMP_DIR) once, when it is first
 * imported: they are set here, before anything imports it. This module imports nothing of AdminJS; the panel's
 * modules that do are loaded (dynamically) only after `prepareAdminjsEnv`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` leaves the bundle, beside the compiled panel (scripts/bundle-panel.mjs). */
export const PREBUILT_BUNDLE_DIR = fileURLToPath(new URL('./bundle/', import.meta.url));

export interface AdminjsEnv {
  /** The directory AdminJS serves `components.bundle.js` from (its `bundle.js`). */
  readonly bundleDir: string;
  /** True when the bundle was made at build time; otherwise the panel makes it before it serves. */
  readonly prebuilt: boolean;
}

// AdminJS keeps these in module constants for the life of the process, so the first panel's choice is everyone's.
let fixed: AdminjsEnv | undefined;

/**
 * Production mode unless NODE_ENV says otherwise. The bundle made at build time when running compiled; otherwise
 * one made at start in `bundleDir` (under the data directory), or in a private temporary directory removed at exit.
 */
export function prepareAdminjsEnv(bundleDir: string | undefined): AdminjsEnv {
  if (fixed) return fixed;
  process.env.NODE_ENV ??= 'production';
  // AdminJS would otherwise bundle in the background of the first request; the panel bundles before it serves.
  process.env.ADMIN_JS_SKIP_BUNDLE = 'true';
  const compiled = import.meta.url.endsWith('.js');
  const prebuilt = compiled && existsSync(join(PREBUILT_BUNDLE_DIR, 'bundle.js'));
  let dir: string;
  if (prebuilt) dir = PREBUILT_BUNDLE_DIR;
  else if (bundleDir) {
    mkdirSync(bundleDir, { recursive: true, mode: 0o700 });
    dir = bundleDir;
  } else {
    const own = mkdtempSync(join(tmpdir(), 'wispd-adminjs-'));
    process.once('exit', () => rmSync(own, { recursive: true, force: true }));
    dir = own;
  }
  process.env.ADMIN_JS_TMP_DIR = dir;
  fixed = { bundleDir: dir, prebuilt };
  return fixed;
}
